"""The run view: what it attributes to which decision, and what it says about waiving a rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import attrs

import handoff_rules
from handoff_rules.decision import Result
from handoff_rules.report.view import FindingView, RunView, run_view

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT / "examples" / "exports"
AT = date(2024, 6, 4)

#: EX-2024-009 of the example register, narrowed to goods release (H3).
SELF_APPROVED_AT_H3 = """\
- id: EX-2024-090
  revision: 1
  rule: ACC-CRD-001
  pack: o2c-standard
  pack_versions: ">=1.0,<2"
  rule_digest: 932665eb327c321c6782750ef6d5834689d775af654f0e10fb479a924207cff7
  scope: {order: "4714", checkpoint: H3}
  reason: large repeat customer, payment announced
  ticket: FIN-318
  requested_by: {name: Marek Novy, role: credit_controller}
  approved_by: {name: Marek Novy, role: credit_controller}
  valid_from: 2024-06-03
  valid_until: 2024-06-07
"""


def _failing(view: RunView, case: str, checkpoint: str, rule: str) -> FindingView:
    (decision,) = [d for d in view.decisions if (d.case, d.checkpoint.value) == (case, checkpoint)]
    (finding,) = [f for f in decision.findings if f.rule == rule]
    assert finding.result is Result.FAIL
    return finding


def test_a_refusal_is_shown_where_its_exception_was_scoped(tmp_path: Path) -> None:
    """The run reports the refusal per case; the view puts it only under H3, as scoped.

    ACC-CRD-001 fails for 4714 at H2 and at H3; the exception covers H3 only,
    so a person reading H2 must not think an exception was tried there.
    """
    register = tmp_path / "exceptions.yaml"
    register.write_text(SELF_APPROVED_AT_H3, encoding="utf-8")
    run = handoff_rules.check([EXPORTS], at=AT, exceptions=register, engine="reference")
    (problem,) = run.exception_problems
    assert (problem["case"], problem["kind"]) == ("4714", "self_approved")
    view = run_view(run)
    at_h3 = _failing(view, "4714", "H3", "ACC-CRD-001")
    assert [(r.exception, r.kind) for r in at_h3.refused] == [("EX-2024-090@1", "self_approved")]
    assert _failing(view, "4714", "H2", "ACC-CRD-001").refused == ()
    assert [r.exception for r in view.exceptions.invalid] == ["EX-2024-090@1"]
    assert view.exceptions.unused_keys == ()  # refused, so never "unused"


def test_who_may_waive_follows_the_pack() -> None:
    pack = handoff_rules.load_pack("o2c-standard", at=AT)
    rules = {rule.id: rule for rule in pack.rules}
    changed = attrs.evolve(
        pack,
        rules=tuple(
            attrs.evolve(rule, max_waiver_days=None)
            if rule.id == "ACC-CRD-001"
            else attrs.evolve(rule, waivable_by=())
            if rule.id == "ACC-ID-001"
            else rule
            for rule in pack.rules
        ),
    )
    assert rules["ACC-CRD-001"].max_waiver_days == 5
    assert changed.max_exception_days == 90
    default = run_view(handoff_rules.check([EXPORTS], at=AT, pack=pack, engine="reference"))
    view = run_view(handoff_rules.check([EXPORTS], at=AT, pack=changed, engine="reference"))

    def says(view: RunView, checkpoint: str, rule: str) -> str:
        waiver = _failing(view, "4714", checkpoint, rule).waiver
        assert waiver is not None
        return waiver.text

    assert says(default, "H2", "ACC-CRD-001") == (
        "may be waived by credit_controller for at most 5 days (the rule's max_waiver_days)"
    )
    assert says(view, "H2", "ACC-CRD-001") == (
        "may be waived by credit_controller for at most 90 days (the pack's max_exception_days)"
    )
    assert says(view, "H1", "ACC-ID-001") == (
        "may not be waived: the pack allows no role to waive it"
    )
