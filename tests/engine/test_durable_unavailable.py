"""Where durable_rules cannot be imported, the driver says so and points to the fallback.

Runs everywhere, with or without durable_rules installed: the import failure is
simulated the way Python 3.13 shows it.
"""

from __future__ import annotations

import pytest

from handoff_rules.engine import durable as driver
from handoff_rules.engine.durable import cmodule
from handoff_rules.errors import HandoffError


def test_missing_engine_is_reported_with_the_reference_engine_as_way_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failure = ImportError("durable_rules_engine.so: undefined symbol: PyEval_CallObject")
    monkeypatch.setattr(cmodule, "_import_engine", lambda: failure)

    assert driver.available() is False
    with pytest.raises(driver.DurableUnavailable) as caught:
        driver.CompiledRuleset("any@1", {"r": {"all": [{"o": {"t": "order"}}]}})
    message = str(caught.value)
    assert "PyEval_CallObject" in message
    assert "--engine reference" in message
    assert "\n" not in message
    assert isinstance(caught.value, HandoffError)
    assert isinstance(caught.value, RuntimeError)


def test_errors_are_user_facing_and_keep_their_builtin_bases() -> None:
    assert issubclass(driver.RulesetShapeError, ValueError)
    assert issubclass(driver.FactValueError, ValueError)
    assert issubclass(driver.DurableEvaluationError, RuntimeError)
    for error in (
        driver.RulesetShapeError,
        driver.RulesetConflictError,
        driver.FactValueError,
        driver.DurableEvaluationError,
    ):
        assert issubclass(error, HandoffError)
