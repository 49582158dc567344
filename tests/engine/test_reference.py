"""The reference backend implements the IR contract of engine/ir.py, case by case."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import ir_strategies as S
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.engine.base import Match, canonical_matches
from handoff_rules.engine.flatten import FlatValue
from handoff_rules.engine.ir import (
    Clause,
    Compare,
    Const,
    Join,
    NeedFact,
    Present,
    Ref,
    RuleIR,
    RuleIRError,
)
from handoff_rules.engine.reference import ReferenceBackend, holds, need_fact_met, own_test

Rows = Sequence[Mapping[str, FlatValue]]


def run(rule: RuleIR, rows: Rows) -> list[Match]:
    return canonical_matches(ReferenceBackend("t@1", [rule]).matches(rows))


def test_absent_values_never_match_any_operator() -> None:
    row = {"t": "order", "a": 1}
    for op in ("==", "!=", "<", "<=", ">", ">="):
        assert not holds(Compare("b", op, Const(1)), row, "subject", {})
        assert not holds(Compare("a", op, Ref("subject", "b")), row, "subject", {})
    assert holds(Present("a"), row, "subject", {})
    assert holds(Present("b", present=False), row, "subject", {})


def test_offsets_and_references_to_the_same_fact() -> None:
    row = {"t": "x", "a": 10, "b": 7}
    assert holds(Compare("a", ">", Ref("subject", "b", 2)), row, "subject", {})
    assert not holds(Compare("a", ">", Ref("subject", "b", 3)), row, "subject", {})


def test_mixed_kinds_do_not_match() -> None:
    assert not holds(Compare("a", "==", Const(1)), {"t": "x", "a": "1"}, "s", {})


def test_one_match_per_binding_and_distinct_facts() -> None:
    rule = RuleIR(
        id="R-X-1",
        subject="order",
        violations=(
            Clause(joins=(Join("o", "order", (Compare("c", "==", Ref("subject", "c"), True),)),)),
        ),
    )
    rows = [{"t": "order", "c": "A"}, {"t": "order", "c": "A"}, {"t": "order", "c": "B"}]
    # a fact never binds two aliases: only the two A orders pair with each other
    assert run(rule, rows) == [Match("R-X-1", 0, 0, (1,)), Match("R-X-1", 0, 1, (0,))]


def test_negated_join_and_applies() -> None:
    rule = RuleIR(
        id="R-X-2",
        subject="delivery",
        applies=(Compare("kind", "==", Const("pickup"), True),),
        violations=(
            Clause(
                joins=(
                    Join(
                        "n",
                        "poa",
                        (
                            Compare("party", "==", Ref("subject", "party"), True),
                            Compare("until", ">=", Ref("subject", "day")),
                        ),
                        negated=True,
                    ),
                )
            ),
        ),
    )
    delivery = {"t": "delivery", "kind": "pickup", "party": "C", "day": 100}
    other = {"t": "delivery", "kind": "truck", "party": "C", "day": 100}
    assert run(rule, [delivery, other]) == [Match("R-X-2", 0, 0, ())]
    assert run(rule, [delivery, {"t": "poa", "party": "C", "until": 100}]) == []
    assert run(rule, [delivery, {"t": "poa", "party": "C", "until": 99}]) == [
        Match("R-X-2", 0, 0, ())
    ]
    assert run(rule, [delivery, {"t": "poa", "party": "D", "until": 200}]) == [
        Match("R-X-2", 0, 0, ())
    ]


def test_need_fact() -> None:
    need = NeedFact("template", (Compare("id_", "==", Ref("subject", "tpl"), True),))
    rows = [{"t": "template", "id_": "T1"}]
    assert need_fact_met(need, rows, {"t": "doc", "tpl": "T1"})
    assert not need_fact_met(need, rows, {"t": "doc", "tpl": "T2"})
    assert not need_fact_met(need, rows, {"t": "doc"})


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Compare("name", "<", Const("x"), True), "strings cannot be ordered"),
        (lambda: Compare("name", "==", Const(1), True), "compared with a number"),
        (lambda: Compare("n", "==", Const("1")), "compared with a string"),
        (lambda: Compare("id", "==", Const(1)), "invalid flat key"),
        (lambda: Const(True), "constants are int or str"),
        (lambda: Const(2**64), "beyond int64"),
        (lambda: RuleIR(id="R-1", subject="x", violations=()), "no violation clause"),
        (
            lambda: RuleIR(
                id="R-1",
                subject="x",
                violations=(Clause(joins=(Join("a", "y", (Compare("v", "==", Ref("b", "v")),)),)),),
            ),
            "refers to unbound",
        ),
        (
            lambda: RuleIR(
                id="R-1", subject="x", violations=(Clause(joins=(Join("n", "x", negated=True),)),)
            ),
            "negated join may not range over the subject",
        ),
    ],
)
def test_ir_refuses_what_the_engine_would_misjudge(build: object, message: str) -> None:
    with pytest.raises(RuleIRError, match=message):
        build()  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), fact_type=st.sampled_from(S.TYPES), seed=st.integers(0, 2**32))
def test_own_test_decides_as_holds_does(data: st.DataObject, fact_type: str, seed: int) -> None:
    conditions = data.draw(S.conditions("subject", fact_type, {}, max_size=4))
    test = own_test(conditions, "subject")
    rng = random.Random(seed)
    rows = [row for row in S.random_case(rng, max_rows=12) if row["t"] == fact_type]
    rows.append({"t": fact_type})  # every key absent
    for row in rows:
        expected = all(holds(c, row, "subject", {}) for c in conditions)
        assert test(row) is expected, (conditions, row)
