"""The durable backend: what the compiler adds to rules, and why each addition is needed.

Each "engine" test shows, on the driver alone, a behaviour of durable_rules
that differs from the IR's semantics; the "backend" test next to it shows the
compiled rules give the IR's answer on the same input.
"""

from __future__ import annotations

import itertools

import o2c_cases
import pytest

from handoff_rules.engine import durable as driver
from handoff_rules.engine.base import Match, canonical_matches
from handoff_rules.engine.ir import Clause, Compare, Const, Join, Op, Present, Ref, RuleIR
from handoff_rules.engine.reference import ReferenceBackend
from handoff_rules.errors import HandoffError

pytestmark = pytest.mark.skipif(
    not driver.available(), reason="durable_rules cannot be imported here"
)

_names = itertools.count()


def _name(label: str) -> str:
    return f"test-durable-backend-{label}@1.0.0#{next(_names):08d}"


def _backends(label: str, *rules: RuleIR) -> tuple[object, ReferenceBackend]:
    from handoff_rules.engine.durable_backend import DurableBackend

    name = _name(label)
    return DurableBackend(name, rules), ReferenceBackend(name, rules)


def _both(durable: object, reference: ReferenceBackend, rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    got = canonical_matches(durable.matches(rows))  # type: ignore[attr-defined]
    assert got == canonical_matches(reference.matches(rows))
    return got


def _engine_firings(rules: dict[str, object], rows: list[dict[str, object]]) -> list[str]:
    ruleset = driver.CompiledRuleset(_name("raw"), rules)  # type: ignore[arg-type]
    return [firing.rule for firing in ruleset.evaluate(rows)]


# --- fields of the same fact ($m) ------------------------------------------------------


def test_engine_compares_an_absent_field_of_the_same_fact_as_if_present() -> None:
    # "v == w" on a fact without w: the engine matches; the IR says absent never matches.
    rule = {"all": [{"s": {"$and": [{"t": "a"}, {"v": {"$m": "w"}}]}}]}
    assert _engine_firings({"r": rule}, [{"t": "a", "v": 1}]) == ["r"]


@pytest.mark.parametrize("op", list(Op))
def test_backend_never_matches_an_absent_field_of_the_same_fact(op: Op) -> None:
    rule = RuleIR(
        id="SELF-1",
        subject="a",
        violations=(Clause(subject=(Compare("v", op, Ref("subject", "w")),)),),
    )
    durable, reference = _backends("self", rule)
    assert _both(durable, reference, [{"t": "a", "v": 1}]) == []
    assert _both(durable, reference, [{"t": "a", "w": 1}]) == []
    expected = [Match("SELF-1", 0, 0)] if op in (Op.EQ, Op.LE, Op.GE) else []
    assert _both(durable, reference, [{"t": "a", "v": 1, "w": 1}]) == expected


# --- fields of another fact -----------------------------------------------------------


def test_engine_stops_when_a_non_equality_join_reads_an_absent_field() -> None:
    rule = {"all": [{"s": {"t": "a"}}, {"b": {"$and": [{"t": "b"}, {"$lt": {"v": {"s": "v"}}}]}}]}
    with pytest.raises(driver.DurableEvaluationError, match="311"):
        _engine_firings({"r": rule}, [{"t": "a"}, {"t": "b", "v": 1}])


def test_backend_gives_no_match_when_a_positive_join_reads_an_absent_field() -> None:
    rule = RuleIR(
        id="JOIN-1",
        subject="a",
        violations=(
            Clause(joins=(Join("b", "b", (Compare("v", Op.LT, Ref("subject", "v", 2)),)),)),
        ),
    )
    durable, reference = _backends("join", rule)
    assert _both(durable, reference, [{"t": "a"}, {"t": "b", "v": 1}]) == []
    assert _both(durable, reference, [{"t": "a", "v": 0}, {"t": "b", "v": 1}]) == [
        Match("JOIN-1", 0, 0, (1,))
    ]


def test_a_negated_join_over_possibly_absent_fields_is_compiled_to_disjoint_variants() -> None:
    from handoff_rules.engine.compile_durable import compile_program

    reads_two = Join(
        "n",
        "b",
        (
            Compare("lo", Op.LE, Ref("subject", "day")),
            Compare("hi", Op.GE, Ref("subject", "day", -1)),
            Compare("who", Op.EQ, Ref("subject", "who"), is_text=True),
        ),
        negated=True,
    )
    rule = RuleIR(id="NEG-1", subject="a", violations=(Clause(joins=(reads_two,)),))
    # "day" is read by comparisons that need it: present/absent = 2 variants;
    # "who" is a plain equality, which the engine gets right when absent.
    assert len(compile_program(_name("variants"), [rule]).rules) == 2

    durable, reference = _backends("variants", rule)
    covering = {"t": "b", "lo": 5, "hi": 9, "who": "x"}
    for subject in (
        {"t": "a", "day": 7, "who": "x"},  # covered: no match
        {"t": "a", "day": 7, "who": "y"},  # other holder: match
        {"t": "a", "day": 11, "who": "x"},  # after the window: match
        {"t": "a", "who": "x"},  # no day: no row can cover it, match
        {"t": "a", "day": 7},  # no holder: no row can cover it, match
        {"t": "a"},
    ):
        covered = subject.get("who") == "x" and subject.get("day") == 7
        expected = [] if covered else [Match("NEG-1", 0, 0)]
        assert _both(durable, reference, [subject, covering]) == expected, subject


def test_too_many_possibly_absent_fields_under_a_negation_are_refused_naming_the_rule() -> None:
    from handoff_rules.engine.compile_durable import MAX_VARIANT_FIELDS, DurableCompileError
    from handoff_rules.engine.durable_backend import DurableBackend

    count = MAX_VARIANT_FIELDS + 1
    conditions = tuple(Compare(f"k{i}", Op.LT, Ref("subject", f"k{i}")) for i in range(count))
    rule = RuleIR(
        id="WIDE-1",
        subject="a",
        violations=(Clause(joins=(Join("n", "b", conditions, negated=True),)),),
    )
    with pytest.raises(DurableCompileError, match="rule 'WIDE-1'") as caught:
        DurableBackend(_name("wide"), [rule])
    assert isinstance(caught.value, HandoffError)
    assert "derived fact" in str(caught.value)


def test_more_patterns_over_one_fact_type_than_the_engine_can_fan_out_are_refused() -> None:
    from handoff_rules.engine.compile_durable import (
        MAX_PATTERNS_PER_FACT_TYPE,
        DurableCompileError,
        compile_program,
    )

    rules = [
        RuleIR(id=f"FAN-{i}", subject="a", violations=(Clause((Compare("v", Op.GT, Const(i)),)),))
        for i in range(MAX_PATTERNS_PER_FACT_TYPE + 1)
    ]
    with pytest.raises(DurableCompileError, match="split the pack"):
        compile_program(_name("fan"), rules)
    compile_program(_name("fan"), rules[:MAX_PATTERNS_PER_FACT_TYPE])


# --- rows, names, values --------------------------------------------------------------


def test_only_read_keys_and_named_types_are_sent_and_indexes_refer_to_the_input() -> None:
    rule = RuleIR(
        id="PROJ-1",
        subject="a",
        violations=(
            Clause(
                subject=(Present("v"),),
                joins=(Join("b", "b", (Compare("k", Op.EQ, Ref("subject", "k"), is_text=True),)),),
            ),
        ),
    )
    durable, reference = _backends("projection", rule)
    sent_keys = durable._ruleset.keys  # type: ignore[attr-defined]
    assert sent_keys == {"a": ("t", "k", "v"), "b": ("t", "k")}
    rows = [
        {"t": "other", "x": 1},
        {"t": "b", "k": "p", "noise": "ignored"},
        {"t": "a", "v": 1, "k": "p", "big": 2**70},  # never sent: beyond int64 but unread
        {"t": "other"},
        {"t": "b", "k": "q"},
    ]
    assert _both(durable, reference, rows) == [Match("PROJ-1", 0, 2, (1,))]


def test_rule_ids_the_engine_refuses_as_names_are_fine() -> None:
    rule = RuleIR(id='odd $id "x"\\', subject="a", violations=(Clause((Present("v"),)),))
    durable, reference = _backends("odd", rule)
    assert _both(durable, reference, [{"t": "a", "v": 1}]) == [Match('odd $id "x"\\', 0, 0)]


def test_a_pack_version_loads_once_per_name() -> None:
    from handoff_rules.engine.durable_backend import DurableBackend

    rule = RuleIR(id="ONCE-1", subject="a", violations=(Clause((Present("v"),)),))
    other = RuleIR(id="ONCE-1", subject="a", violations=(Clause((Present("w"),)),))
    name = _name("once")
    first = DurableBackend(name, [rule])
    second = DurableBackend(name, [rule])  # the loaded ruleset is reused
    assert first.matches([{"t": "a", "v": 1}]) == second.matches([{"t": "a", "v": 1}])
    with pytest.raises(driver.RulesetConflictError):
        DurableBackend(name, [other])


def test_a_value_the_engine_cannot_take_is_a_clear_error() -> None:
    rule = RuleIR(id="BIG-1", subject="a", violations=(Clause((Compare("v", Op.GT, Const(0)),)),))
    durable, _reference = _backends("big", rule)
    with pytest.raises(driver.FactValueError, match="int64") as caught:
        durable.matches([{"t": "a", "v": 2**64}])  # type: ignore[attr-defined]
    assert isinstance(caught.value, HandoffError)


def test_positive_joins_bind_distinct_rows_in_clause_order() -> None:
    rule = RuleIR(
        id="PAIR-1",
        subject="a",
        violations=(
            Clause(
                joins=(
                    Join("x", "a", (Compare("k", Op.EQ, Ref("subject", "k")),)),
                    Join("y", "a", (Compare("k", Op.GT, Ref("x", "k")),)),
                )
            ),
        ),
    )
    durable, reference = _backends("pair", rule)
    rows = [{"t": "a", "k": 1}, {"t": "a", "k": 1}, {"t": "a", "k": 2}]
    assert _both(durable, reference, rows) == [
        Match("PAIR-1", 0, 0, (1, 2)),
        Match("PAIR-1", 0, 1, (0, 2)),
    ]


def test_a_rule_the_driver_refuses_is_reported_with_the_pack_rule_id() -> None:
    from handoff_rules.engine.compile_durable import DurableCompileError
    from handoff_rules.engine.durable_backend import DurableBackend

    joins = tuple(Join(f"j{i}", "b") for i in range(driver.MAX_CONDITIONS_PER_RULE))
    rule = RuleIR(id="LONG-1", subject="a", violations=(Clause(joins=joins),))
    with pytest.raises(DurableCompileError, match=r"rule 'LONG-1'.*at most"):
        DurableBackend(_name("long"), [rule])


def test_the_default_pack_names_order_in_26_patterns_well_below_the_limit() -> None:
    # Backs the figure in docs/reference/pack-language.rst.
    from handoff_rules.engine.compile_durable import MAX_PATTERNS_PER_FACT_TYPE, compile_program

    pack = o2c_cases.pack()
    program = compile_program(_name("count"), [rule.ir for rule in pack.rules])
    counts: dict[str, int] = {}
    for rule in program.rules.values():
        for condition in rule["all"]:
            ((_alias, pattern),) = condition.items()
            fact_type = pattern["t"] if "t" in pattern else pattern["$and"][0]["t"]
            counts[fact_type] = counts.get(fact_type, 0) + 1
    assert max(counts, key=counts.__getitem__) == "order"
    assert counts["order"] == 26
    assert counts["order"] <= MAX_PATTERNS_PER_FACT_TYPE
