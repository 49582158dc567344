"""``credit_limit`` facts decide ACC-CRD-001 as a counterparty's own limit does.

The limit of an order's counterparty is the lowest ``credit_limit`` fact in
force on the evaluation date in the order's currency, else the counterparty's
``credit_limit`` (the rule is spelled out in :mod:`handoff_rules.engine.derive`).
"""

from __future__ import annotations

from datetime import date

import pytest

from handoff_rules.cases import Case, build_cases
from handoff_rules.decision import Checkpoint, Result
from handoff_rules.engine.derive import run_builtin
from handoff_rules.engine.evaluate import durable_available, make_evaluator
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Counterparty, CreditLimit, FactData, Money, OpenItem, Order
from handoff_rules.plugins import make_plugin_manager
from handoff_rules.policy.pack_access import load_pack

AT = date(2024, 6, 3)
HERE = Provenance("test", "limits.csv", "line 2", line=2)
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])


def _case(*data: FactData) -> Case:
    facts = [Fact(Order("4711", counterparty_id="C1", net_value=Money("600.00", "EUR")), HERE)]
    facts.append(Fact(OpenItem("OI-1", "C1", Money("300.00", "EUR")), HERE))
    facts.extend(Fact(d, HERE) for d in data)
    (case,) = build_cases(facts).cases
    return case


def _credit_result(engine: str, case: Case) -> Result:
    pm = make_plugin_manager(load_entry_points=False)
    evaluator = make_evaluator(load_pack("o2c-standard", at=AT, plugin_manager=pm), engine, pm)
    (decision,) = evaluator.evaluate(case, AT, [Checkpoint.H2])
    (finding,) = [f for f in decision.findings if f.rule == "ACC-CRD-001"]
    return finding.result


def _exposure(case: Case) -> dict[str, object]:
    (fact,) = run_builtin(["credit_exposure"], case, AT, {})
    return dict(fact.data.values)  # type: ignore[union-attr]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("limit", "expected"), [("899.99", Result.FAIL), ("900.00", Result.PASS)])
def test_a_credit_limit_fact_decides_like_the_counterparty_limit(
    engine: str, limit: str, expected: Result
) -> None:
    # exposure: 300.00 open + 600.00 this order = 900.00
    from_master = _case(Counterparty("C1", credit_limit=Money(limit, "EUR")))
    from_fact = _case(CreditLimit("C1", Money(limit, "EUR")))
    assert _credit_result(engine, from_master) is expected
    assert _credit_result(engine, from_fact) is expected


@pytest.mark.parametrize("engine", ENGINES)
def test_a_credit_limit_fact_overrides_the_master_data_limit(engine: str) -> None:
    case = _case(
        Counterparty("C1", credit_limit=Money("100000.00", "EUR")),
        CreditLimit("C1", Money("500.00", "EUR"), area="1000"),
    )
    assert _credit_result(engine, case) is Result.FAIL


@pytest.mark.parametrize("engine", ENGINES)
def test_a_limit_in_another_currency_only_is_indeterminate_never_pass(engine: str) -> None:
    case = _case(CreditLimit("C1", Money("1000000", "RUB")))
    values = _exposure(case)
    assert values == {"limit_minor": 100000000, "currency": "RUB", "limit": "1000000.00 RUB"}
    assert _credit_result(engine, case) is Result.INDETERMINATE


def test_the_lowest_limit_in_force_in_the_order_currency_applies() -> None:
    case = _case(
        Counterparty("C1", credit_limit=Money("50.00", "EUR")),
        CreditLimit("C1", Money("2000.00", "EUR"), area="1000"),
        CreditLimit("C1", Money("1500.00", "EUR"), area="2000", valid_until=AT),  # last day
        CreditLimit("C1", Money("10.00", "EUR"), area="3000", valid_until=date(2024, 6, 2)),
        CreditLimit("C1", Money("1.00", "USD")),
        CreditLimit("C2", Money("1.00", "EUR")),
    )
    assert _exposure(case) == {
        "limit_minor": 150000,
        "currency": "EUR",
        "limit": "1500.00 EUR",
        "exposure_minor": 90000,
        "exposure": "900.00 EUR",
    }


def test_expired_limits_fall_back_to_the_counterparty_limit() -> None:
    case = _case(
        Counterparty("C1", credit_limit=Money("700.00", "EUR")),
        CreditLimit("C1", Money("5000.00", "EUR"), valid_until=date(2024, 5, 31)),
    )
    assert _exposure(case)["limit"] == "700.00 EUR"


def test_a_credit_limit_without_master_data_still_gives_an_exposure() -> None:
    case = _case(CreditLimit("C1", Money("1000.00", "EUR")))
    assert _exposure(case)["exposure"] == "900.00 EUR"
    assert [f.type for f in case.facts].count("credit_limit") == 1


def test_a_credit_limit_joins_the_cases_of_its_counterparty_only() -> None:
    facts = [
        Fact(Order("1", counterparty_id="C1"), HERE),
        Fact(Order("2", counterparty_id="C1"), HERE),
        Fact(Order("3", counterparty_id="C2"), HERE),
        Fact(CreditLimit("C1", Money("1.00", "EUR")), HERE),
        Fact(CreditLimit("C9", Money("1.00", "EUR")), HERE),
    ]
    built = build_cases(facts)
    having = {c.id for c in built.cases if c.of_type("credit_limit")}
    assert having == {"1", "2"}
    assert [f.data.id for f in built.unassigned] == ["C9"]  # type: ignore[union-attr]


def test_the_id_names_the_area_when_there_is_one() -> None:
    assert CreditLimit("C1", Money("1.00", "EUR")).id == "C1"
    assert CreditLimit("C1", Money("1.00", "EUR"), area="1000").id == "C1/1000"
