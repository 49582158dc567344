"""SAL-CRM-004 in the default pack, with and without a plugin deriving ``crm_order_match``.

The rule's subject is a fact only the CRM plugin makes. Without that plugin the
pack must still load and must not block orders for lack of it; with a plugin
that derives the fact, the same order is judged against the tolerance.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from handoff_rules.cases import Case, build_cases
from handoff_rules.decision import Checkpoint, Decision, Result
from handoff_rules.engine.evaluate import durable_available, make_evaluator
from handoff_rules.facts import Fact, Provenance
from handoff_rules.hooks import hookimpl
from handoff_rules.model import Derived, Money, Opportunity, OpportunityLink, Order
from handoff_rules.plugins import make_plugin_manager
from handoff_rules.policy.pack_access import load_pack

AT = date(2024, 5, 3)
HERE = Provenance("test", "crm.yaml", "line 1", line=1)
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])


def _case(order_value: str) -> Case:
    facts = [
        Fact(Order("4711", counterparty_id="C1", net_value=Money(order_value, "EUR")), HERE),
        Fact(
            Opportunity(
                id="OPP-1",
                name="Pumps",
                account_id="C1",
                is_won=True,
                amount=Money("1000.00", "EUR"),
            ),
            HERE,
        ),
        Fact(
            OpportunityLink(
                opportunity_id="OPP-1", order_id="4711", via="customer_po", counterparty_id="C1"
            ),
            HERE,
        ),
    ]
    (case,) = build_cases(facts).cases
    return case


class OrderMatchPlugin:
    """Derives ``crm_order_match`` as the CRM plugin does, for the values SAL-CRM-004 reads."""

    def __init__(self, order_id: str | None = None) -> None:
        self.order_id = order_id  # another order than the case's, to lose the order

    @hookimpl
    def handoff_rules_derive_facts(self, case: Case, at: date) -> Iterable[Fact]:
        del at
        by_type = {type(f.data): f.data for f in case.facts}
        order, opp = by_type[Order], by_type[Opportunity]
        assert isinstance(order, Order)
        assert isinstance(opp, Opportunity)
        assert order.net_value is not None
        assert opp.amount is not None
        diff = order.net_value.amount - opp.amount.amount
        pct = (abs(diff) * 100 / opp.amount.amount).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)
        values = {
            "opportunity_id": opp.id,
            "opportunity_source": "Opportunity.csv line 3",
            "order_source": "erp-orders.yaml line 7",
            "crm_currency": "EUR",
            "erp_currency": "EUR",
            "crm_amount": opp.amount.amount,
            "erp_amount": order.net_value.amount,
            "amount_diff": diff,
            "amount_diff_pct": pct,
        }
        order_id = self.order_id or order.id
        derived = Derived("crm_order_match", f"{opp.id}->{order_id}", values, order_id=order_id)
        return [Fact(derived, HERE)]


def _evaluate(engine: str, case: Case, plugin: OrderMatchPlugin | None) -> Decision:
    pm = make_plugin_manager(load_entry_points=False)
    if plugin is not None:
        pm.register(plugin, name="order-match")
    evaluator = make_evaluator(load_pack("o2c-standard", at=AT, plugin_manager=pm), engine, pm)
    (decision,) = evaluator.evaluate(case, AT, [Checkpoint.H1])
    return decision


@pytest.mark.parametrize("engine", ENGINES)
def test_without_a_plugin_the_tolerance_rule_judges_nothing(engine: str) -> None:
    decision = _evaluate(engine, _case("1100.00"), plugin=None)
    crm = {f.rule: f for f in decision.findings if f.rule.startswith("SAL-CRM")}
    # no subject fact: not applicable, shown as such, and nothing blocks on it
    assert crm["SAL-CRM-004"].result is Result.NOT_APPLICABLE
    assert crm["SAL-CRM-004"].message.endswith("the case has no crm order match")
    # the amount is SAL-CRM-004's business alone: the currency check passes
    assert {rule: f.result for rule, f in crm.items() if rule != "SAL-CRM-004"} == {
        "SAL-CRM-001": Result.PASS,
        "SAL-CRM-002": Result.PASS,
        "SAL-CRM-003": Result.PASS,
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_link_findings_name_the_link(engine: str) -> None:
    decision = _evaluate(engine, _case("1000.00"), plugin=None)
    (finding,) = [f for f in decision.findings if f.rule == "SAL-CRM-001"]
    assert finding.subject == "OPP-1->4711"
    assert finding.message.endswith("satisfied for CRM link OPP-1->4711")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("order_value", "expected"),
    [
        ("1100.00", Result.FAIL),
        ("1010.01", Result.FAIL),
        ("1010.00", Result.PASS),  # exactly the default 1.0 %
        ("990.00", Result.PASS),
        ("1000.00", Result.PASS),
    ],
)
def test_with_a_plugin_the_order_value_is_held_to_the_tolerance(
    engine: str, order_value: str, expected: Result
) -> None:
    decision = _evaluate(engine, _case(order_value), plugin=OrderMatchPlugin())
    (finding,) = [f for f in decision.findings if f.rule == "SAL-CRM-004"]
    assert finding.result is expected
    assert finding.subject == "OPP-1->4711"
    if expected is Result.FAIL:
        assert decision.outcome.value == "block"
    if order_value == "1100.00":
        assert finding.message == (
            "ERP order 4711 (erp-orders.yaml line 7) has net value 1100 EUR, 10 % off the "
            "1000 EUR of won opportunity OPP-1 (Opportunity.csv line 3); at most 1.0 % is allowed"
        )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_match_whose_order_is_not_in_the_case_is_indeterminate(engine: str) -> None:
    decision = _evaluate(engine, _case("1100.00"), plugin=OrderMatchPlugin(order_id="9999"))
    (finding,) = [f for f in decision.findings if f.rule == "SAL-CRM-004"]
    assert finding.result is Result.INDETERMINATE
    assert finding.message.endswith("missing the ERP order")
