"""The README's example register stays in step with the bundled pack and the example exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from handoff_rules import check
from handoff_rules.policy.exceptions import ProblemKind, register_problems
from handoff_rules.policy.pack_access import load_pack
from handoff_rules.policy.waivers import load_register

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AT = date(2024, 6, 4)


def test_example_register_shows_valid_expired_invalid_and_unused():
    register = load_register(EXAMPLES / "exceptions.yaml")
    pack = load_pack("o2c-standard", at=AT)
    problems = register_problems(register, pack, AT)
    # no rule digest is stale: when a rule of the pack changes, update the digest here
    assert {(p.exception_id, p.kind) for p in problems} == {
        ("EX-2024-005", ProblemKind.EXPIRED),
        ("EX-2024-009", ProblemKind.SELF_APPROVED),
    }

    run = check([EXAMPLES / "exports"], at=AT, exceptions=EXAMPLES / "exceptions.yaml")
    waived = {
        (d.case, d.checkpoint.value, f.rule, f.exception)
        for d in run.decisions
        for f in d.findings
        if f.result.value == "waived"
    }
    assert waived == {("4715", "H5", "ACC-PAY-001", "EX-2024-007@1")}
    assert run.exceptions_used == ("EX-2024-007@1",)
    assert run.exceptions_unused == ("EX-2024-010@1",)
    assert {p["exception"] for p in run.exception_problems} == {"EX-2024-005@1", "EX-2024-009@1"}
