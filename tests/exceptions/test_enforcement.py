"""Each enforcement rule refuses a bad exception with a message that says why."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest

from handoff_rules.decision import Checkpoint, Outcome, Result
from handoff_rules.model import Money
from handoff_rules.policy.exceptions import (
    ExceptionRegister,
    Party,
    ProblemKind,
    Revocation,
    Scope,
    UseLedger,
)
from handoff_rules.policy.waivers import apply_exceptions, unused_exceptions

AT = date(2026, 11, 10)


def _apply(pack, case_factory, decision_factory, *revisions, at=AT, case=None, ledger=None):
    case = case or case_factory()
    register = ExceptionRegister.of(revisions, ledger=ledger)
    decision = decision_factory(case_id=case.id, at=at)
    return apply_exceptions(decision, case, pack, register, at), register


def _kinds(outcome):
    return [p.kind for p in outcome.problems]


def test_valid_exception_waives_and_names_its_revision(
    pack, case_factory, decision_factory, exception_factory
):
    outcome, _ = _apply(pack, case_factory, decision_factory, exception_factory())
    poa = outcome.decision.findings[0]
    assert poa.result is Result.WAIVED
    assert poa.exception == "EX-1@1"
    assert poa.message == "ACC-POA-001 says fail"  # still says what would have blocked
    assert outcome.decision.outcome is Outcome.ALLOW
    assert outcome.used == ("EX-1@1",)
    assert outcome.problems == ()


@pytest.mark.parametrize(
    ("changes", "kind", "words"),
    [
        (
            {"approved_by": Party(" jana novak", "chief_accountant")},
            ProblemKind.SELF_APPROVED,
            "approved by its own requester",
        ),
        (
            {"approved_by": Party("Eva Head", "head_of_sales")},
            ProblemKind.ROLE_NOT_ALLOWED,
            "acts as head_of_sales, but rule ACC-POA-001 may be waived only by chief_accountant",
        ),
        ({"pack_versions": ">=2"}, ProblemKind.PACK_VERSION, "not to o2c-standard 1.2.0"),
        ({"pack": "other-pack"}, ProblemKind.OTHER_PACK, "written for pack other-pack"),
        ({"rule_digest": "ff" * 32}, ProblemKind.STALE, "stale: rule ACC-POA-001 changed"),
        (
            {"valid_until": date(2026, 11, 15)},
            ProblemKind.TOO_LONG,
            "valid for 15 days (2026-11-01 to 2026-11-15, both inclusive), longer than the "
            "14-day maximum of rule ACC-POA-001",
        ),
        (
            {
                "revoked": Revocation(
                    date(2026, 11, 5), Party("Petr Dvorak", "chief_accountant"), "PoA arrived"
                )
            },
            ProblemKind.REVOKED,
            "revoked on 2026-11-05 by Petr Dvorak (chief_accountant): PoA arrived",
        ),
    ],
)
def test_bad_exception_is_refused_with_a_clear_message(
    pack, case_factory, decision_factory, exception_factory, changes, kind, words
):
    outcome, _ = _apply(pack, case_factory, decision_factory, exception_factory(**changes))
    assert outcome.decision.findings[0].result is Result.FAIL
    assert outcome.decision.findings[0].exception is None
    assert outcome.decision.outcome is Outcome.BLOCK
    assert outcome.used == ()
    assert _kinds(outcome) == [kind]
    problem = outcome.problems[0]
    assert words in problem.message
    assert (problem.exception_id, problem.revision, problem.case) == ("EX-1", 1, "4711")
    assert str(problem).startswith("EX-1@1 (case 4711): ")


def test_rule_nobody_may_waive(pack, case_factory, decision_factory, exception_factory):
    decision = decision_factory(results={"ACC-ID-002": "fail"})
    exception = exception_factory(rule="ACC-ID-002", rule_digest="c3" * 32)
    register = ExceptionRegister.of([exception])
    outcome = apply_exceptions(decision, case_factory(), pack, register, AT)
    assert _kinds(outcome) == [ProblemKind.NOT_WAIVABLE]
    assert "cannot be waived" in outcome.problems[0].message


def test_every_problem_is_reported_not_only_the_first(
    pack, case_factory, decision_factory, exception_factory
):
    bad = exception_factory(
        approved_by=Party("Jana Novak", "sales_rep"), rule_digest="00" * 32, pack_versions="<1"
    )
    outcome, _ = _apply(pack, case_factory, decision_factory, bad)
    assert set(_kinds(outcome)) == {
        ProblemKind.SELF_APPROVED,
        ProblemKind.ROLE_NOT_ALLOWED,
        ProblemKind.STALE,
        ProblemKind.PACK_VERSION,
    }


@pytest.mark.parametrize(
    ("at", "applies", "kind"),
    [
        (date(2026, 10, 31), False, ProblemKind.NOT_YET_VALID),
        (date(2026, 11, 1), True, None),  # valid_from is inclusive
        (date(2026, 11, 14), True, None),  # valid_until is inclusive
        (date(2026, 11, 15), False, ProblemKind.EXPIRED),
    ],
)
def test_validity_boundaries_are_exact(
    pack, case_factory, decision_factory, exception_factory, at, applies, kind
):
    outcome, _ = _apply(pack, case_factory, decision_factory, exception_factory(), at=at)
    assert (outcome.decision.findings[0].result is Result.WAIVED) is applies
    assert _kinds(outcome) == ([kind] if kind else [])
    if kind is ProblemKind.EXPIRED:
        assert outcome.problems[0].message == (
            "expired: valid until 2026-11-14 (inclusive), evaluation date 2026-11-15"
        )


@pytest.mark.parametrize(("days", "ok"), [(14, True), (15, False)])
def test_duration_cap_is_inclusive_of_both_ends(
    pack, case_factory, decision_factory, exception_factory, days, ok
):
    start = date(2026, 11, 1)
    revision = exception_factory(valid_from=start, valid_until=start + timedelta(days=days - 1))
    assert revision.days == days
    outcome, _ = _apply(pack, case_factory, decision_factory, revision)
    assert (outcome.problems == ()) is ok


def test_pack_cap_applies_when_tighter_than_the_rule(
    pack, case_factory, decision_factory, exception_factory
):
    tight = attrs.evolve(pack, max_exception_days=7)
    outcome, _ = _apply(tight, case_factory, decision_factory, exception_factory())
    assert _kinds(outcome) == [ProblemKind.TOO_LONG]
    assert "7-day maximum of pack o2c-standard" in outcome.problems[0].message


def test_stale_when_the_rule_changes_and_valid_again_once_reapproved(
    pack, case_factory, decision_factory, exception_factory
):
    approved = exception_factory()
    outcome, _ = _apply(pack, case_factory, decision_factory, approved)
    assert outcome.used == ("EX-1@1",)

    new_digest = "dd" * 32
    changed_rule = attrs.evolve(pack.rules[0], digest=new_digest)
    changed = attrs.evolve(pack, version="1.3.0", rules=(changed_rule, *pack.rules[1:]))
    outcome, _ = _apply(changed, case_factory, decision_factory, approved)
    assert _kinds(outcome) == [ProblemKind.STALE]
    assert f"now {new_digest[:12]}" in outcome.problems[0].message
    assert outcome.decision.outcome is Outcome.BLOCK

    reapproved = attrs.evolve(approved, revision=2, rule_digest=new_digest)
    outcome, _ = _apply(changed, case_factory, decision_factory, reapproved)
    assert outcome.used == ("EX-1@2",)


def test_digest_may_be_abbreviated_to_twelve_digits(
    pack, case_factory, decision_factory, exception_factory
):
    ok = exception_factory(rule_digest="sha256:" + "a1" * 6)
    assert _apply(pack, case_factory, decision_factory, ok)[0].problems == ()
    too_short = exception_factory(rule_digest="a1" * 5)
    assert _kinds(_apply(pack, case_factory, decision_factory, too_short)[0]) == [ProblemKind.STALE]


@pytest.mark.parametrize(
    ("bound", "ok"), [("1000.00 EUR", True), ("999.99 EUR", False), ("5000.00 CZK", False)]
)
def test_value_bound_against_the_order_value(
    pack, case_factory, decision_factory, exception_factory, bound, ok
):
    amount, currency = bound.split()
    revision = exception_factory(max_value=Money(amount, currency))
    outcome, _ = _apply(pack, case_factory, decision_factory, revision)
    assert (outcome.used == ("EX-1@1",)) is ok
    if not ok:
        assert _kinds(outcome) == [ProblemKind.VALUE_BOUND]


def test_value_bound_is_cumulative_over_cases(
    pack, case_factory, decision_factory, exception_factory
):
    revision = exception_factory(scope=Scope(counterparty="C-1"), max_value=Money("1500.00", "EUR"))
    ledger = UseLedger()
    first, _ = _apply(
        pack, case_factory, decision_factory, revision, case=case_factory("A"), ledger=ledger
    )
    assert first.used == ("EX-1@1",)
    second, _ = _apply(
        pack, case_factory, decision_factory, revision, case=case_factory("B"), ledger=ledger
    )
    assert _kinds(second) == [ProblemKind.VALUE_BOUND]
    assert second.problems[0].message == (
        "value bound 1500.00 EUR exceeded: order B is 1000.00 EUR (1000.00 EUR already released)"
    )


def test_value_bound_without_order_value_is_refused(
    pack, case_factory, decision_factory, exception_factory
):
    revision = exception_factory(max_value=Money("10.00", "EUR"))
    outcome, _ = _apply(
        pack, case_factory, decision_factory, revision, case=case_factory(value=None)
    )
    assert "cannot be checked: order 4711 has no net value" in outcome.problems[0].message


def test_single_use_covers_one_case_however_often_it_is_evaluated(
    pack, case_factory, decision_factory, exception_factory
):
    revision = exception_factory(scope=Scope(counterparty="C-1"), max_uses=1)
    ledger = UseLedger()
    for _ in range(2):  # re-evaluating the same order does not use the exception up
        again, _ = _apply(
            pack, case_factory, decision_factory, revision, case=case_factory("A"), ledger=ledger
        )
        assert again.used == ("EX-1@1",)
    other, _ = _apply(
        pack, case_factory, decision_factory, revision, case=case_factory("B"), ledger=ledger
    )
    assert other.used == ()
    assert other.problems[0].message == "use bound reached: at most 1 case(s), already used for A"


def test_scope_decides_which_cases_an_exception_covers(
    pack, case_factory, decision_factory, exception_factory
):
    cases = {
        "order": (Scope(order="4711"), case_factory("4711"), case_factory("4712")),
        "counterparty": (
            Scope(counterparty="C-1"),
            case_factory(counterparty="C-1"),
            case_factory(counterparty="C-2"),
        ),
        "person": (
            Scope(order="4711", person="P-7"),
            case_factory(receiver="P-7"),
            case_factory(receiver="P-8"),
        ),
        "checkpoint": (
            Scope(order="4711", checkpoint=Checkpoint.H3),
            case_factory(),
            None,
        ),
    }
    for scope, inside, outside in cases.values():
        revision = exception_factory(scope=scope)
        assert _apply(pack, case_factory, decision_factory, revision, case=inside)[0].used
        if outside is not None:
            result, _ = _apply(pack, case_factory, decision_factory, revision, case=outside)
            assert result.used == ()
            assert result.problems == ()  # out of scope is not a problem, just not this case
    h5 = decision_factory(checkpoint="H5")
    revision = exception_factory(scope=Scope(order="4711", checkpoint=Checkpoint.H3))
    outcome = apply_exceptions(h5, case_factory(), pack, ExceptionRegister.of([revision]), AT)
    assert outcome.used == ()


def test_indeterminate_is_never_waived(pack, case_factory, decision_factory, exception_factory):
    decision = decision_factory(results={"ACC-POA-001": "indeterminate"})
    register = ExceptionRegister.of([exception_factory()])
    outcome = apply_exceptions(decision, case_factory(), pack, register, AT)
    assert outcome.decision == decision
    assert outcome.used == ()


def test_invalid_exception_does_not_hide_a_valid_one(
    pack, case_factory, decision_factory, exception_factory
):
    expired = exception_factory(id="EX-0", valid_until=date(2026, 11, 5))
    valid = exception_factory(id="EX-9")
    outcome, _ = _apply(pack, case_factory, decision_factory, expired, valid)
    assert outcome.used == ("EX-9@1",)
    assert [p.key for p in outcome.problems] == ["EX-0@1"]


def test_unused_exceptions_are_listed(pack, case_factory, decision_factory, exception_factory):
    used = exception_factory(id="EX-1")
    idle = exception_factory(id="EX-2", scope=Scope(order="9999"))
    expired = exception_factory(id="EX-3", valid_until=date(2026, 11, 2))
    refused = exception_factory(id="EX-4", approved_by=Party("Jana Novak", "sales_rep"))
    outcome, register = _apply(pack, case_factory, decision_factory, used, idle, expired, refused)
    assert [r.key for r in unused_exceptions(register, set(outcome.used), AT)] == ["EX-2@1"]
    assert {p.key for p in outcome.problems} == {"EX-3@1", "EX-4@1"}  # reported, not "unused"
