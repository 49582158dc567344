"""Hostile files through every command that takes one: the contract holds for each.

What is checked is in :mod:`.harness`; how many examples run is set by
``HANDOFF_RULES_HOSTILE_EXAMPLES`` (default 2,000 over all commands, the
share per command in ``SHARES``), always derandomized so CI is reproducible.
The long run with two processes and a summary is ``python -m tests.hostile.run``
(see docs/hostile-input.rst).
"""

from __future__ import annotations

import os
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings

from .classify import classify, signature
from .harness import run_example
from .inputs import GENERATORS, HostileInput, hostile_inputs, warm_up
from .known_failures import KNOWN_FAILURES

TOTAL_EXAMPLES: Final = int(os.environ.get("HANDOFF_RULES_HOSTILE_EXAMPLES", "2000"))

#: Share of the examples per command, by its cost: ``read`` takes milliseconds, a
#: command that loads the whole pack a tenth of a second or more.
SHARES: Final[dict[str, float]] = {
    "read": 0.40,
    "check": 0.015,
    "pack show": 0.03,
    "pack test": 0.01,
    "pack diff": 0.015,
    "pack lock": 0.03,
    "exceptions validate": 0.015,
    "exceptions show": 0.16,
    "audit verify": 0.16,
    "audit replay": 0.01,
    "report": 0.155,
}

settings.register_profile(
    "hostile",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture(autouse=True, scope="module")
def _seeds() -> None:
    """Seeds that run the command line are built before hypothesis draws (it
    warns about the ``random`` use of ``tempfile`` inside a draw)."""
    warm_up()


def examples(entry: str) -> int:
    return max(1, round(TOTAL_EXAMPLES * SHARES[entry]))


def assert_contract(inp: HostileInput) -> None:
    outcome = run_example(inp)
    unexpected = [f for f in outcome.failures if classify(f, inp) not in KNOWN_FAILURES]
    assert not unexpected, "\n".join(
        [
            f"{classify(f, inp)}\n  {signature(f, inp)[:400]}\n  {f.trace[-1500:]}"
            for f in unexpected
        ]
        + [f"stderr: {outcome.stderr[-500:]}"]
    )


def _hostile_test(entry: str):  # type: ignore[no-untyped-def]
    @settings(settings.get_profile("hostile"), max_examples=examples(entry))
    @given(inp=hostile_inputs(entry))
    def test(inp: HostileInput) -> None:
        assert_contract(inp)

    test.__doc__ = f"``handoff-rules {entry}`` keeps its contract on hostile files."
    return test


def test_every_command_that_takes_a_file_has_a_share() -> None:
    assert set(SHARES) == set(GENERATORS)
    assert abs(sum(SHARES.values()) - 1) < 1e-9


test_read = _hostile_test("read")
test_check = _hostile_test("check")
test_pack_show = _hostile_test("pack show")
test_pack_test = _hostile_test("pack test")
test_pack_diff = _hostile_test("pack diff")
test_pack_lock = _hostile_test("pack lock")
test_exceptions_validate = _hostile_test("exceptions validate")
test_exceptions_show = _hostile_test("exceptions show")
test_audit_verify = _hostile_test("audit verify")
test_audit_replay = _hostile_test("audit replay")
test_report = _hostile_test("report")
