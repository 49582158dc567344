"""The case builder: order-independent and lossless."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.cases import build_cases
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Counterparty, Document, Opportunity, OpportunityLink, Order, Person
from handoff_rules.testing.strategies import fact_lists


@settings(max_examples=100, deadline=None)
@given(fact_lists(), st.randoms(use_true_random=False))
def test_cases_do_not_depend_on_fact_order(facts: list[Fact], rnd: random.Random) -> None:
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    assert build_cases(facts) == build_cases(shuffled)


@settings(max_examples=100, deadline=None)
@given(fact_lists())
def test_every_fact_is_in_a_case_or_unassigned(facts: list[Fact]) -> None:
    result = build_cases(facts)
    placed = {id(f) for case in result.cases for f in case.facts}
    unassigned = {id(f) for f in result.unassigned}
    for fact in facts:
        assert id(fact) in placed or id(fact) in unassigned
    assert not placed & unassigned
    order_ids = {f.data.id for f in facts if isinstance(f.data, Order)}
    assert [c.id for c in result.cases] == sorted(order_ids)
    for case in result.cases:
        assert case.order.id == case.id


def _fact(data: object, line: int) -> Fact:
    return Fact(data=data, provenance=Provenance("t", "t.csv", f"line {line}", line=line))  # type: ignore[arg-type]


def test_counterparty_facts_join_their_orders_case() -> None:
    facts = [
        _fact(Order(id="1", counterparty_id="C"), 1),
        _fact(Counterparty(id="C"), 2),
        _fact(Person(id="P", full_name="Ivan", counterparty_id="C"), 3),
        _fact(Document(id="D", kind="power_of_attorney", counterparty_id="C"), 4),
        _fact(Document(id="X", kind="contract", counterparty_id="OTHER"), 5),
        _fact(Opportunity(id="006"), 6),
        _fact(OpportunityLink(opportunity_id="006", order_id="1", via="po"), 7),
    ]
    result = build_cases(facts)
    (case,) = result.cases
    assert {f.provenance.line for f in case.facts} == {1, 2, 3, 4, 6, 7}
    assert [f.provenance.line for f in result.unassigned] == [5]


def test_facts_with_equal_keys_still_have_one_order() -> None:
    # Two links of one opportunity from one row share type, id and location:
    # only their content can order them.
    a = _fact(OpportunityLink(opportunity_id="006", order_id="1", via="po"), 1)
    b = _fact(OpportunityLink(opportunity_id="006", order_id="1", via="manual"), 1)
    assert build_cases([a, b]) == build_cases([b, a])
    assert build_cases([a, b]).unassigned == (b, a)


def test_a_payment_naming_an_invoice_joins_only_that_invoices_order() -> None:
    from decimal import Decimal

    from handoff_rules.cases import build_cases
    from handoff_rules.facts import Fact, Provenance
    from handoff_rules.model import Invoice, Money, Order, Payment

    def _at(source: str, line: int) -> Provenance:
        return Provenance("sap-table", source, f"line {line}", line=line)

    first = Fact(Order(id="1", counterparty_id="C"), _at("VBAK.csv", 2))
    second = Fact(Order(id="2", counterparty_id="C"), _at("VBAK.csv", 3))
    invoice = Fact(Invoice(id="90", order_id="1", counterparty_id="C"), _at("VBRK.csv", 2))
    paid = Fact(
        Payment(
            id="P1", amount=Money(Decimal("10.00"), "PLN"), counterparty_id="C", invoice_id="90"
        ),
        _at("BSAD.txt", 3),
    )
    on_account = Fact(
        Payment(id="P2", amount=Money(Decimal("5.00"), "PLN"), counterparty_id="C"),
        _at("BSAD.txt", 4),
    )
    cases = {c.id: c for c in build_cases([first, second, invoice, paid, on_account]).cases}
    assert [f.data.id for f in cases["1"].of_type("payment")] == ["P1", "P2"]
    assert [f.data.id for f in cases["2"].of_type("payment")] == ["P2"]
