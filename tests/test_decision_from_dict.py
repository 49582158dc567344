"""Reading decisions back: every decision comes back equal, nothing else comes back at all.

A decision read from JSON (``check --format json``, an audit log) is acted on
and replayed, so :meth:`Decision.from_dict` checks its shape (the schema
``decisions-1.json``) and what every decision the engine makes guarantees.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from handoff_rules.decision import (
    Action,
    Decision,
    DecisionDataError,
    Finding,
    decisions_document,
)
from handoff_rules.errors import HandoffError
from handoff_rules.testing import strategies as model

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "src/handoff_rules/schemas/decisions-1.json").read_text("utf-8")
)
DIGEST = "0123456789abcdef" * 4


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model.decisions())
def test_a_decision_comes_back_from_its_json_equal(decision: Decision) -> None:
    data = json.loads(decision.to_json())
    jsonschema.validate(decisions_document([decision]), SCHEMA, cls=jsonschema.Draft202012Validator)
    again = Decision.from_dict(data)
    assert again == decision
    assert again.to_json() == decision.to_json()


def valid() -> dict[str, Any]:
    """A blocked decision with one of every part."""
    return {
        "case": "4711",
        "checkpoint": "H2",
        "outcome": "block",
        "at": "2024-06-04",
        "pack": {"name": "o2c-standard", "version": "1.0.0", "digest": DIGEST},
        "findings": [
            {
                "rule": "order.poa_valid",
                "result": "fail",
                "severity": "block",
                "message": "the power of attorney has expired",
                "exception": None,
                "subject": "P1",
                "sources": [{"adapter": "sap", "source": "vbak.csv", "location": "line 2"}],
            },
            {
                "rule": "party.legal_id",
                "result": "waived",
                "severity": "block",
                "message": "no legal id",
                "exception": "EX-7@2",
                "subject": None,
                "sources": [],
            },
        ],
        "actions": [{"kind": "notify", "rule": "order.poa_valid", "params": {"to": "sales"}}],
    }


def changed(path: str, value: object) -> dict[str, Any]:
    """:func:`valid` with the value at ``path`` (dots, list indexes) set; ``DELETE``: removed."""
    data = copy.deepcopy(valid())
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target: Any = data
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


DELETE = object()
F0 = "decision 4711 H2.findings[0]"
F1 = "decision 4711 H2.findings[1]"

REFUSED: list[tuple[object, str]] = [
    # shape
    ([], "decision: expected an object, not an array"),
    (changed("case", DELETE), "decision: missing case"),
    (changed("findings", DELETE), "decision: missing findings"),
    ({**valid(), "verdict": "allow"}, "decision: unknown verdict"),
    (changed("case", 4711), "decision.case: expected a string, not a number"),
    (changed("findings", {}), "decision 4711 H2.findings: expected an array, not an object"),
    (changed("actions", None), "decision 4711 H2.actions: expected an array, not null"),
    (changed("findings.0", "fail"), f"{F0}: expected an object, not a string"),
    (changed("findings.0.sources", DELETE), f"{F0}: missing sources"),
    (changed("findings.0.exception", DELETE), f"{F0}: missing exception"),
    (changed("findings.0.message", None), f"{F0}.message: expected a string, not null"),
    (changed("findings.0.subject", 7), f"{F0}.subject: expected a string, not a number"),
    (changed("findings.0.sources.0", "vbak.csv"), f"{F0}.sources[0]: provenance must be an"),
    (changed("findings.0.sources.0.line", "2"), f"{F0}.sources[0]: provenance line must be"),
    (changed("findings.0.sources.0.source", 3), f"{F0}.sources[0]: provenance source must be"),
    (changed("actions.0.params", ["to"]), "actions[0].params: expected an object, not an array"),
    (changed("actions.0.params.to", 1), "actions[0].params.to: expected a string, not a number"),
    (changed("actions.0.kind", DELETE), "decision 4711 H2.actions[0]: missing kind"),
    # enum values
    (changed("checkpoint", "H9"), "decision 4711.checkpoint: 'H9' is not one of H1, H2,"),
    (changed("outcome", "deny"), "H2.outcome: 'deny' is not one of block, warn, allow"),
    (changed("findings.0.result", "FAIL"), f"{F0}.result: 'FAIL' is not one of pass, fail,"),
    (changed("findings.0.severity", "error"), f"{F0}.severity: 'error' is not one of block,"),
    (changed("findings.0.limit", "size"), f"{F0}.limit: 'size' is not one of facts_per_case"),
    # values
    (changed("at", "2024-02-30"), "H2.at: '2024-02-30' is not a date (YYYY-MM-DD)"),
    (changed("at", "20240604"), "H2.at: '20240604' is not a date (YYYY-MM-DD)"),
    (changed("at", 20240604), "H2.at: expected a string, not a number"),
    (changed("pack.digest", "abc"), "H2.pack.digest: 'abc' is not 64 lower-case hex digits"),
    (changed("pack.digest", DIGEST.upper()), "H2.pack.digest: '0123456789ABCDEF"),
    (changed("pack.name", DELETE), "decision 4711 H2.pack: missing name"),
    (changed("findings.1.exception", "EX-7"), f"{F1}.exception: 'EX-7' is not an exception key"),
    # consistency
    (
        changed("outcome", "allow"),
        "decision 4711 H2: outcome is allow, but its findings give block",
    ),
    (changed("outcome", "warn"), "decision 4711 H2: outcome is warn, but its findings give block"),
    (changed("findings.1.exception", None), f"{F1}: a waived finding names no exception"),
    (changed("findings.0.exception", "EX-1@1"), f"{F0}: a fail finding names exception EX-1@1"),
    (
        changed("findings.0.limit", "facts_per_case"),
        f"{F0}: a finding beyond the facts_per_case limit is indeterminate, not fail",
    ),
]


def test_the_valid_example_is_read() -> None:
    decision = Decision.from_dict(valid())
    assert decision.to_dict() == valid()
    jsonschema.validate(decisions_document([decision]), SCHEMA, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(("data", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_an_inconsistent_decision_is_refused(data: object, message: str) -> None:
    with pytest.raises(DecisionDataError) as raised:
        Decision.from_dict(data)
    assert str(raised.value).startswith(message) or message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, HandoffError)


def test_findings_and_actions_are_checked_on_their_own_too() -> None:
    with pytest.raises(DecisionDataError, match=r"^finding: a waived finding names no exception"):
        Finding.from_dict({**valid()["findings"][1], "exception": None})
    with pytest.raises(DecisionDataError, match=r"^action: unknown when$"):
        Action.from_dict({**valid()["actions"][0], "when": "now"})
