"""A case beyond what one case may hold costs that case alone, the same on both engines.

The durable engine numbers a case's facts below 40,000 and holds 64-bit
integers and valid Unicode only; its driver refuses anything else for the
whole run, while the reference engine would decide the case. The evaluator
checks every case against those limits before either engine runs: a case
beyond one gets, at each checkpoint, every rule ``indeterminate`` with a
message naming the order and the limit (outcome ``block``), every other case
is decided as it would be without it, and both engines give the same bytes.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any
from unittest import mock

import attrs
import jsonschema
import o2c_cases
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from handoff_rules.adapters import read_files
from handoff_rules.cases import Case, build_cases
from handoff_rules.decision import Decision, Finding, decisions_document
from handoff_rules.engine import durable_driver
from handoff_rules.engine import evaluate as evaluate_module
from handoff_rules.engine.evaluate import PackEvaluator, durable_available, make_evaluator
from handoff_rules.facts import Fact, Provenance, fact_sort_key
from handoff_rules.model import Money, OrderLine
from handoff_rules.plugins import default_plugin_manager, installed_adapters
from handoff_rules.policy.discovery import find_pack
from handoff_rules.testing import strategies as model_strategies

#: The ``cli`` fixture (tests/conftest.py): exit status, stdout, stderr.
CliRun = Callable[..., tuple[int, str, str]]

ROOT = Path(__file__).parents[2]
EXPORTS = ROOT / "examples" / "exports"
AT = date(2024, 6, 4)
SCHEMA = json.loads((files("handoff_rules") / "schemas" / "decisions-1.json").read_text("utf-8"))
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])
#: The most flat rows (facts, derived facts, the evaluation date) one case may have.
MOST_FACTS = durable_driver.MAX_FACTS - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@functools.cache
def _pack() -> Any:
    return find_pack("o2c-standard", AT, default_plugin_manager())


@functools.cache
def _evaluator(engine: str) -> PackEvaluator:
    return make_evaluator(_pack(), engine, default_plugin_manager())


@functools.cache
def _example_facts() -> tuple[Fact, ...]:
    pm = default_plugin_manager()
    return tuple(read_files(sorted(EXPORTS.iterdir()), installed_adapters(pm)).facts)


def _decide(engine: str, items: Iterable[tuple[Case, date]]) -> list[list[str]]:
    return [[d.to_json() for d in ds] for ds in _evaluator(engine).evaluate_many(items)]


def _decide_one_by_one(engine: str, items: Iterable[tuple[Case, date]]) -> list[list[str]]:
    return [[d.to_json() for d in _evaluator(engine).evaluate(c, at)] for c, at in items]


def _on_every_engine(items: list[tuple[Case, date]]) -> list[list[str]]:
    """The decisions, the same through ``evaluate_many`` and ``evaluate`` on every engine."""
    first = _decide(ENGINES[0], items)
    for engine in ENGINES:
        assert _decide(engine, items) == first, engine
        assert _decide_one_by_one(engine, items) == first, engine
    return first


def _guards(checkpoint: str) -> set[str]:
    return {rule.id for rule in _pack().rules if checkpoint in rule.checkpoints}


def _assert_undecided(decisions: list[dict[str, Any]], case: str, limit: str) -> list[str]:
    """Every rule of every checkpoint indeterminate, naming the limit; the messages."""
    assert [d["checkpoint"] for d in decisions] == [cp.value for cp in _pack().checkpoints]
    messages = []
    for decision in decisions:
        assert decision["case"] == case
        assert decision["outcome"] == "block"
        assert decision["actions"] == []
        assert {f["rule"] for f in decision["findings"]} == _guards(decision["checkpoint"])
        for finding in decision["findings"]:
            assert finding["result"] == "indeterminate"
            assert finding["limit"] == limit
            assert f"cannot decide, order {case} has " in finding["message"]
            assert "one case can hold" in finding["message"]
            messages.append(finding["message"])
    return messages


def _loaded(decided: list[list[str]]) -> list[list[dict[str, Any]]]:
    return [[json.loads(text) for text in decisions] for decisions in decided]


# --- facts per case, through the command line ---------------------------------------------

#: More order lines than one case may hold facts.
BIG_ORDER_LINES = durable_driver.MAX_FACTS


@pytest.fixture(scope="module")
def big_order_lines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40,000 lines of example order 4712, in a native CSV file."""
    path = tmp_path_factory.mktemp("exports") / "order-lines-4712.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("#handoff-rules: order_line\norder_id,line_no\n")
        out.writelines(f"4712,{number}\n" for number in range(1, BIG_ORDER_LINES + 1))
    return path


def _check_json(cli: CliRun, engine: str, *inputs: Path) -> str:
    code, out, err = cli(
        "check", *map(str, inputs), "--at", AT.isoformat(), "--format", "json", "--engine", engine
    )
    assert code == 1, err  # something blocks; not 2 (input error) nor 3
    assert "Traceback" not in err
    return out


def test_an_order_beyond_the_facts_limit_is_undecided_alone_alike_on_both_engines(
    cli: CliRun, big_order_lines: Path
) -> None:
    outputs = {engine: _check_json(cli, engine, EXPORTS, big_order_lines) for engine in ENGINES}
    # byte for byte the same, but for the engine the run names
    for engine, text in outputs.items():
        named = f'"engine":"{engine}"'
        assert text.count(named) == 1
        assert text.replace(named, '"engine":"reference"') == outputs["reference"]
    document = json.loads(outputs["reference"])
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["run"]["facts"] > BIG_ORDER_LINES

    big = [d for d in document["decisions"] if d["case"] == "4712"]
    messages = _assert_undecided(big, "4712", "facts_per_case")
    found = re.search(r"order 4712 has ([0-9,]+) facts \(", messages[0])
    assert found is not None, messages[0]
    assert int(found.group(1).replace(",", "")) > BIG_ORDER_LINES
    assert messages[0].endswith(f"one case can hold at most {MOST_FACTS:,}")
    assert all(f["sources"] == [] for d in big for f in d["findings"])
    # the example of docs/decisions.rst
    (poa,) = (
        f
        for d in big
        if d["checkpoint"] == "H3"
        for f in d["findings"]
        if f["rule"] == "ACC-POA-001"
    )
    assert poa["message"] == (
        "Receiver's authority at goods release (power of attorney): cannot decide, order 4712 "
        "has 40,015 facts (40,010 gathered for it, 4 derived from them and 1 for the "
        "evaluation date); one case can hold at most 39,999"
    )

    # every other order is decided as it is without the big one
    plain = json.loads(_check_json(cli, "reference", EXPORTS))["decisions"]
    others = [d for d in document["decisions"] if d["case"] != "4712"]
    assert others == [d for d in plain if d["case"] != "4712"]
    assert {d["case"] for d in others} == {"4711", "4713", "4714", "4715"}
    assert all("limit" not in f for d in others for f in d["findings"])


def _with_lines(case: Case, count: int) -> Case:
    """The case with ``count`` order lines more, in the canonical order a built case has."""
    lines = (
        Fact(
            OrderLine(order_id=case.id, line_no=str(number)),
            Provenance("test", "lines.csv", f"line {number}", line=number),
        )
        for number in range(1, count + 1)
    )
    return Case(case.id, tuple(sorted((*case.facts, *lines), key=fact_sort_key)))


def test_a_case_of_exactly_the_most_facts_is_decided_and_one_more_is_not() -> None:
    case = next(c for c in build_cases(_example_facts()).cases if c.id == "4711")
    derived = len(_evaluator("reference").derived_facts(case, AT))
    room = MOST_FACTS - (len(case.facts) + derived + 1)  # the evaluation date's row
    full = _with_lines(case, room)
    assert len(_evaluator("reference").flatten(full, AT).rows) == MOST_FACTS
    items = [(full, AT), (_with_lines(case, room + 1), AT)]
    decided = _decide(ENGINES[0], items)
    assert all(_decide(engine, items) == decided for engine in ENGINES)
    at_limit, beyond = _loaded(decided)
    # order lines are matched by no rule: 4711 at the limit is decided as without them
    assert at_limit == _loaded(_decide(ENGINES[0], [(case, AT)]))[0]
    messages = _assert_undecided(beyond, "4711", "facts_per_case")
    assert f"order 4711 has {MOST_FACTS + 1:,} facts" in messages[0]


# --- values no engine holds, through the library ---------------------------------------


def _with_fields(facts: Iterable[Fact], target: Fact, **changes: Any) -> list[Fact]:
    """The facts, with ``target``'s fields changed past the model's own bounds.

    The model refuses such values when a fact is made; a plugin can still get one
    into a case (an object changed after it was made, a sum of money), and the
    engines must then still agree.
    """
    result = []
    for fact in facts:
        if fact is target:
            data = copy.copy(fact.data)
            for name, value in changes.items():
                object.__setattr__(data, name, value)
            fact = attrs.evolve(fact, data=data)
        result.append(fact)
    return result


def _with_order_value(facts: Iterable[Fact], order_id: str, **changes: Any) -> list[Fact]:
    facts = list(facts)
    order = next(f for f in facts if f.type == "order" and f.data.id == order_id)  # type: ignore[union-attr]
    return _with_fields(facts, order, **changes)


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        # Sums and products of money are not bounded like input amounts: this is how a
        # value beyond 64 bits can still reach the engines.
        (
            {"net_value": Money.from_minor(1, "PLN") * 2**63},
            "net_value.minor = 9223372036854775808",
        ),
        (
            {"net_value": Money.from_minor(-1, "PLN") * (2**63 + 1)},
            "net_value.minor = -9223372036854775809",
        ),
        ({"payment_days": 10**40}, "payment_days = (a number of about 41 digits)"),
        ({"customer_po_ref": "Z/2024/\ud800"}, "customer_po_ref = 'Z/2024/\\ud800'"),
    ],
)
def test_a_value_no_engine_holds_leaves_its_order_undecided_alone_alike_on_both_engines(
    changes: dict[str, Any], shown: str
) -> None:
    facts = _with_order_value(_example_facts(), "4713", **changes)
    cases = build_cases(facts).cases
    decided = _loaded(_on_every_engine([(case, AT) for case in cases]))
    by_case = {ds[0]["case"]: ds for ds in decided}

    messages = _assert_undecided(by_case.pop("4713"), "4713", "value")
    order = next(f for f in facts if f.type == "order" and f.data.id == "4713")  # type: ignore[union-attr]
    assert f"{shown} of order 4713 ({order.provenance})" in messages[0]
    text = "customer_po_ref" in changes
    beyond = "text that is not valid Unicode" if text else "an integer beyond 64 bits"
    assert beyond in messages[0]
    assert all(
        f["sources"] == [order.provenance.to_dict()]
        for ds in decided
        for d in ds
        if d["case"] == "4713"
        for f in d["findings"]
    )
    document = decisions_document(
        Decision.from_dict(d) for ds in decided for d in ds if d["case"] == "4713"
    )
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)

    plain = _loaded(_on_every_engine([(case, AT) for case in build_cases(_example_facts()).cases]))
    assert by_case == {ds[0]["case"]: ds for ds in plain if ds[0]["case"] != "4713"}


def test_cases_beyond_a_limit_inside_a_batch_cost_no_other_case() -> None:
    """``evaluate_many`` leaves them out of their batch; the others share sessions as ever."""
    items = [o2c_cases.case(7, number) for number in range(evaluate_module.BATCH_SIZE + 16)]
    expected = _on_every_engine(items)
    changed = list(items)
    huge, at = items[20]
    changed[20] = (
        Case(huge.id, tuple(_with_order_value(huge.facts, huge.id, payment_days=2**64))),
        at,
    )
    many, at = items[40]
    changed[40] = (_with_lines(many, BIG_ORDER_LINES), at)
    decided = _on_every_engine(changed)
    _assert_undecided(_loaded([decided[20]])[0], huge.id, "value")
    _assert_undecided(_loaded([decided[40]])[0], many.id, "facts_per_case")
    assert [ds for n, ds in enumerate(decided) if n not in (20, 40)] == [
        ds for n, ds in enumerate(expected) if n not in (20, 40)
    ]


def test_a_backend_error_is_still_an_error_next_to_a_case_beyond_a_limit() -> None:
    """Only the limits make a case undecided; a failing backend stops the run as before."""

    class Broken(RuntimeError):
        pass

    def fail(rows: object) -> list[list[object]]:
        raise Broken("engine failure")

    evaluator = make_evaluator(_pack(), "reference")
    cases = build_cases(_with_order_value(_example_facts(), "4713", payment_days=2**64)).cases
    with mock.patch.object(evaluator.match_backend, "matches_many", fail), pytest.raises(Broken):
        list(evaluator.evaluate_many((case, AT) for case in cases))


# --- the decision format ----------------------------------------------------------------


def test_a_limit_is_a_field_of_the_finding_only_where_a_limit_was_reached() -> None:
    provenance = Provenance("native-yaml", "orders.yaml", "lines 29-30", line=29)
    beyond = Finding(
        "ACC-ID-001", "indeterminate", "block", "cannot decide", [provenance], limit="value"
    )
    assert beyond.to_dict()["limit"] == "value"
    assert Finding.from_dict(beyond.to_dict()) == beyond
    plain = Finding("ACC-ID-001", "indeterminate", "block", "cannot decide, missing x")
    assert "limit" not in plain.to_dict()  # the bytes of every other finding are unchanged
    assert Finding.from_dict(plain.to_dict()).limit is None
    with pytest.raises(ValueError, match="'sometimes' is not a valid Limit"):
        Finding("ACC-ID-001", "indeterminate", "block", "?", limit="sometimes")

    decision = Decision(
        case="4713",
        checkpoint="H1",
        at=AT,
        pack=_pack().ref,
        findings=[beyond],
    )
    assert decision.outcome.value == "block"
    document = decisions_document([decision])
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    document["decisions"][0]["findings"][0]["limit"] = "sometimes"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)


# --- the check changes no decision within the limits ----------------------------------

_NUMBERS: st.SearchStrategy[int] = st.one_of(
    st.integers(-(10**12), 10**12),
    st.sampled_from([INT64_MIN, INT64_MAX, INT64_MIN - 1, INT64_MAX + 1]),
    st.integers(INT64_MIN, INT64_MAX),
    st.integers(INT64_MAX + 1, 10**24),
    st.integers(-(10**24), INT64_MIN - 1),
)


class _Text(str):
    """Text of a caller's own str type: held like any text."""


_TEXTS: st.SearchStrategy[str] = st.sampled_from(
    ["plain", "Иван Петров", _Text("own type"), "lone \ud800", "\udfff"]
)


def _changeable(fact: Fact) -> list[tuple[str, type]]:
    """The fields of a fact that a caller may set to a number or a text (money, int, ...)."""
    found = []
    for field in attrs.fields(type(fact.data)):
        value = getattr(fact.data, field.name)
        kind = type(value)
        if kind in (Money, int, Decimal, str):
            found.append((field.name, kind))
    return found


def _changed(case: Case, pick: int, number: int, text: str) -> Case:
    """The case with one field of one fact set to ``number`` (or ``text``), by ``pick``."""
    fields = [(i, name, kind) for i, f in enumerate(case.facts) for name, kind in _changeable(f)]
    if not fields:
        return case
    index, name, kind = fields[pick % len(fields)]
    fact = case.facts[index]
    value: object
    if kind is Money:
        # computed money is not bounded like an input amount
        value = Money.from_minor(1, getattr(fact.data, name).currency) * number
    elif kind is Decimal:
        value = Decimal(number).scaleb(-4)  # decimals are held as integers * 10**4
    elif kind is int:
        value = number
    else:
        value = text
    (changed,) = _with_fields([fact], fact, **{name: value})
    return Case(case.id, (*case.facts[:index], changed, *case.facts[index + 1 :]))


def _within_limits(case: Case, at: date) -> bool:
    """The durable driver's documented bounds, checked here on their own."""
    rows = _evaluator("reference").flatten(case, at).rows
    if len(rows) + 1 > durable_driver.MAX_FACTS:
        return False
    for row in rows:
        for value in row.values():
            if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
                return False
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return False
    return True


def _case_of(order: Fact, others: list[Fact], at: date) -> tuple[Case, date]:
    # derived facts come from derivers (as in tests/engine/test_differential.py)
    cases = build_cases([order, *(f for f in others if f.type != "derived")]).cases
    return next(c for c in cases if c.id == order.data.id), at  # type: ignore[union-attr]


_REALISTIC = st.builds(o2c_cases.case, st.integers(0, 3), st.integers(0, 10**6))
_RANDOM = st.builds(
    _case_of,
    model_strategies.facts("order"),
    model_strategies.fact_lists(max_size=30),
    model_strategies.dates(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    item=_REALISTIC | _RANDOM,
    change=st.none() | st.tuples(st.integers(0, 10**4), _NUMBERS, _TEXTS),
)
def test_the_limit_check_never_changes_a_decision_within_the_limits(
    item: tuple[Case, date], change: tuple[int, int, str] | None
) -> None:
    case, at = item
    if change is not None:
        case = _changed(case, *change)
    decided = _on_every_engine([(case, at)])[0]
    findings = [f for d in _loaded([decided])[0] for f in d["findings"]]
    within = _within_limits(case, at)
    event("within the limits" if within else "beyond a limit")
    if within:
        assert all("limit" not in f for f in findings)
        unchecked = mock.patch.multiple(
            evaluate_module,
            facts_beyond_limit=lambda *_: None,
            values_beyond_limit=lambda *_: None,
        )
        with unchecked:
            assert [d.to_json() for d in _evaluator("reference").evaluate(case, at)] == decided
    else:
        _assert_undecided(_loaded([decided])[0], case.id, "value")
