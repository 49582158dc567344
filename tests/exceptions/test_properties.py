"""Invariants of exceptions over generated decisions and registers."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.decision import Checkpoint, Decision, Finding, Result
from handoff_rules.model import Money
from handoff_rules.policy.exceptions import ExceptionRegister, Party, Revocation, Scope
from handoff_rules.policy.waivers import apply_exceptions, unwaived

from .conftest import PAY_DIGEST, POA_DIGEST, FakePack, make_case, make_decision, make_exception

AT = date(2026, 11, 10)
RULES = ("ACC-POA-001", "ACC-PAY-001", "ACC-ID-002")
PACK = FakePack()

findings = st.lists(
    st.builds(
        Finding,
        rule=st.sampled_from(RULES),
        result=st.sampled_from([Result.PASS, Result.FAIL, Result.INDETERMINATE]),
        severity=st.sampled_from(["block", "warn"]),
        message=st.sampled_from(["m1", "m2"]),
        subject=st.none() | st.sampled_from(["D-1", "D-2"]),
    ),
    max_size=6,
)
people = st.sampled_from(
    [Party("Jana", "sales_rep"), Party("Petr", "chief_accountant"), Party("Eva", "cfo")]
)
scopes = st.builds(
    Scope,
    order=st.none() | st.sampled_from(["4711", "4712"]),
    counterparty=st.sampled_from(["C-1", "C-2"]),
    person=st.none() | st.sampled_from(["P-7", "P-8"]),
    checkpoint=st.none() | st.sampled_from([Checkpoint.H3, Checkpoint.H5]),
    subject=st.none() | st.sampled_from(["D-1", "D-2"]),
)


@st.composite
def exceptions(draw: st.DrawFn, number: int) -> object:
    start = AT + timedelta(days=draw(st.integers(-20, 5)))
    return make_exception(
        id=f"EX-{number}",
        rule=draw(st.sampled_from(RULES)),
        scope=draw(scopes),
        requested_by=draw(people),
        approved_by=draw(people),
        valid_from=start,
        valid_until=start + timedelta(days=draw(st.integers(0, 40))),
        rule_digest=draw(st.sampled_from([POA_DIGEST, PAY_DIGEST, "00" * 32])),
        pack_versions=draw(st.sampled_from([">=1", "<1", "~=1.2"])),
        max_value=draw(st.none() | st.sampled_from([Money("999.99", "EUR"), Money(5000, "EUR")])),
        max_uses=draw(st.none() | st.just(1)),
        revoked=draw(
            st.none() | st.just(Revocation(AT, Party("Eva", "cfo"), "withdrawn")),
        ),
    )


@st.composite
def registers(draw: st.DrawFn) -> list[object]:
    count = draw(st.integers(0, 5))
    return [draw(exceptions(n)) for n in range(count)]


cases = st.sampled_from(
    [make_case("4711", "C-1"), make_case("4712", "C-2", receiver="P-8"), make_case("4711", "C-2")]
)


def _decision(case_id: str, found: list[Finding], checkpoint: str) -> Decision:
    return attrs.evolve(make_decision(case_id, {}, checkpoint), findings=found, outcome="allow")


def _failing(decision: Decision) -> list[int]:
    return [i for i, f in enumerate(decision.findings) if f.result is Result.FAIL]


@settings(max_examples=100, deadline=None)
@given(
    case=cases,
    found=findings,
    checkpoint=st.sampled_from(["H3", "H5"]),
    revisions=registers(),
    extra=exceptions(99),
)
def test_adding_an_exception_never_adds_a_failing_finding(
    case, found, checkpoint, revisions, extra
):
    decision = Decision(case=case.id, checkpoint=checkpoint, at=AT, pack=PACK.ref, findings=found)
    without = apply_exceptions(decision, case, PACK, ExceptionRegister.of(revisions), AT)
    with_extra = apply_exceptions(
        decision, case, PACK, ExceptionRegister.of([*revisions, extra]), AT
    )
    assert set(_failing(with_extra.decision)) <= set(_failing(without.decision))
    assert with_extra.decision.outcome.value in {"allow", "warn", "block"}
    severity_rank = {"allow": 0, "warn": 1, "block": 2}
    assert (
        severity_rank[with_extra.decision.outcome.value]
        <= severity_rank[without.decision.outcome.value]
    )


@settings(max_examples=100, deadline=None)
@given(case=cases, found=findings, checkpoint=st.sampled_from(["H3", "H5"]), revisions=registers())
def test_removing_all_exceptions_gives_the_unwaived_decision(case, found, checkpoint, revisions):
    decision = Decision(case=case.id, checkpoint=checkpoint, at=AT, pack=PACK.ref, findings=found)
    waived = apply_exceptions(decision, case, PACK, ExceptionRegister.of(revisions), AT)
    bare = apply_exceptions(decision, case, PACK, ExceptionRegister.of([]), AT)
    assert bare.decision == decision
    assert bare.decision.to_json() == decision.to_json()
    assert unwaived(waived.decision).to_json() == decision.to_json()
    # shadow evaluation: every waived finding names a revision that was used
    named = {f.exception for f in waived.decision.findings if f.result is Result.WAIVED}
    assert named == set(waived.used)
    # a problem is never also a use
    assert not {p.key for p in waived.problems} & set(waived.used)


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30
).filter(lambda t: t.strip() == t and t.strip())


@settings(max_examples=50, deadline=None)
@given(
    revision=exceptions(1),
    reason=texts,
    ticket=texts,
    name=texts,
)
def test_a_stored_revision_reads_back_equal(tmp_path_factory, revision, reason, ticket, name):
    from handoff_rules.policy.exceptions import YamlExceptionStore

    path = tmp_path_factory.mktemp("register") / "exceptions.yaml"
    path.write_text("# register\n", encoding="utf-8")
    revision = attrs.evolve(
        revision, reason=reason, ticket=ticket, requested_by=Party(name, "sales_rep")
    )
    store = YamlExceptionStore(path)
    store.append(revision)
    (read,) = list(store.load())
    assert read == revision
    if revision.revoked is None:
        revoke = attrs.evolve(
            revision, revision=2, revoked=Revocation(AT, Party("Eva", "cfo"), reason)
        )
        store.append(revoke)
        assert store.load().history(revision.id).current == revoke
