"""Linking won opportunities to ERP orders: only unambiguous links, everything else reported."""

from __future__ import annotations

from datetime import date

import pytest
from handoff_rules_crm import ERP_ORDER_NUMBER, LinkVia, compare_linked_orders, link_opportunities
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.adapters import Fact, Provenance
from handoff_rules.model import Derived, Money, Opportunity, OpportunityLink, Order


def _opp(id: str, ref: str | None, *, won: bool = True, account: str = "A1", line: int = 2) -> Fact:
    data = Opportunity(
        id=id,
        account_id=account,
        stage="Closed Won" if won else "Prospecting",
        is_won=won,
        amount=Money("100.00", "EUR"),
        order_ref=ref,
    )
    return Fact(data, Provenance("salesforce-csv", "Opportunity.csv", f"line {line}", line=line))


def _order(id: str, po: str | None, *, customer: str = "A1", line: int = 5) -> Fact:
    data = Order(
        id=id, counterparty_id=customer, customer_po_ref=po, net_value=Money("100.00", "EUR")
    )
    return Fact(data, Provenance("native-yaml", "orders.yaml", f"line {line}", line=line))


def _links(facts: list[Fact]) -> set[tuple[str, str]]:
    result = link_opportunities(facts)
    return {
        (f.data.opportunity_id, f.data.order_id)
        for f in result.links
        if isinstance(f.data, OpportunityLink)
    }


def test_one_won_opportunity_and_one_order_with_the_same_po_link() -> None:
    result = link_opportunities([_opp("O1", "PO 1"), _order("S1", "po  1")])
    (link,) = result.links
    assert isinstance(link.data, OpportunityLink)
    assert (link.data.opportunity_id, link.data.order_id, link.data.via) == (
        "O1",
        "S1",
        "customer_po",
    )
    assert link.data.counterparty_id == "A1"
    assert link.provenance.location == "line 2 <-> orders.yaml line 5"
    assert result.unmatched_opportunities == ()
    assert result.unmatched_orders == ()
    (status,) = result.order_status
    assert isinstance(status.data, Derived)
    assert status.data.get("status") == "linked"


def test_unmatched_on_both_sides_is_reported_with_reasons() -> None:
    result = link_opportunities(
        [
            _opp("O1", "PO-1"),
            _opp("O2", None),
            _opp("O3", "PO-3", won=False),
            _order("S1", "PO-9"),
            _order("S2", None),
            _order("S3", "PO-3"),
        ]
    )
    assert result.links == ()
    opps = {u.id: u.reason for u in result.unmatched_opportunities}
    assert opps == {
        "O1": "won, but no ERP order has customer_po_ref 'PO-1'",
        "O2": "won, but its order_ref is empty",
    }
    orders = {u.id: u.reason for u in result.unmatched_orders}
    assert orders == {
        "S1": "no won opportunity has order_ref 'PO-9'",
        "S2": "its customer_po_ref is empty",
        "S3": "opportunity O3 has order_ref 'PO-3' but is not won (stage 'Prospecting')",
    }
    statuses = {f.data.subject: f.data.get("status") for f in result.order_status}  # type: ignore[union-attr]
    assert statuses == {"S1": "no_opportunity", "S2": "no_reference", "S3": "not_won"}
    assert str(result.unmatched_orders[0]).startswith("orders.yaml: line 5: order S1:")


def test_a_shared_reference_links_nothing() -> None:
    two_deals = link_opportunities([_opp("O1", "PO-1"), _opp("O2", "PO-1"), _order("S1", "PO-1")])
    assert two_deals.links == ()
    assert {u.id for u in two_deals.unmatched_opportunities} == {"O1", "O2"}
    assert "matches won opportunities O1, O2" in two_deals.unmatched_orders[0].reason
    two_orders = link_opportunities(
        [_opp("O1", "PO-1"), _order("S1", "PO-1"), _order("S2", "PO-1")]
    )
    assert two_orders.links == ()
    assert "matches several orders: S1, S2" in two_orders.unmatched_opportunities[0].reason


def test_other_link_keys_and_account_map() -> None:
    facts = [_opp("O1", "5000001"), _order("5000001", None, customer="C100")]
    result = link_opportunities(facts, via="erp_order_number", account_map={"A1": "C100"})
    (link,) = result.links
    assert isinstance(link.data, OpportunityLink)
    assert link.data.via == "erp_order_number"
    assert link.data.counterparty_id == "C100"
    assert link_opportunities(facts, via=ERP_ORDER_NUMBER).links[0].data == attrs_evolve(
        link.data, counterparty_id="A1"
    )
    with pytest.raises(ValueError, match="unknown link via"):
        link_opportunities(facts, via="telepathy")
    with pytest.raises(ValueError, match="Order has no field"):
        LinkVia("x", "order_ref", "po_number")


def attrs_evolve(link: OpportunityLink, **changes: object) -> OpportunityLink:
    import attrs

    return attrs.evolve(link, **changes)  # type: ignore[arg-type]


_REFS = st.sampled_from(["PO-1", "PO-2", "po-2", "PO-3", None])


@st.composite
def _facts(draw: st.DrawFn) -> list[Fact]:
    opps = [
        _opp(f"O{i}", draw(_REFS), won=draw(st.booleans()), line=i + 2)
        for i in range(draw(st.integers(0, 4)))
    ]
    orders = [_order(f"S{i}", draw(_REFS), line=i + 2) for i in range(draw(st.integers(0, 4)))]
    return [*opps, *orders]


@settings(max_examples=80, deadline=None)
@given(facts=_facts(), seed=st.randoms(use_true_random=False))
def test_linking_does_not_depend_on_fact_order(facts: list[Fact], seed: object) -> None:
    shuffled = list(facts)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert link_opportunities(shuffled) == link_opportunities(facts)


@settings(max_examples=80, deadline=None)
@given(facts=_facts())
def test_every_won_opportunity_and_every_order_is_linked_or_reported(facts: list[Fact]) -> None:
    result = link_opportunities(facts)
    linked_opps = {f.data.opportunity_id for f in result.links}  # type: ignore[union-attr]
    linked_orders = {f.data.order_id for f in result.links}  # type: ignore[union-attr]
    won = {f.data.id for f in facts if isinstance(f.data, Opportunity) and f.data.is_won}
    orders = {f.data.id for f in facts if isinstance(f.data, Order)}
    reported_opps = {u.id for u in result.unmatched_opportunities}
    reported_orders = {u.id for u in result.unmatched_orders}
    assert linked_opps | reported_opps == won
    assert not linked_opps & reported_opps
    assert linked_orders | reported_orders == orders
    assert not linked_orders & reported_orders
    # one link per opportunity and per order
    assert len(linked_opps) == len(linked_orders) == len(result.links)
    assert {f.data.subject for f in result.order_status} == orders  # type: ignore[union-attr]


def test_comparison_of_a_linked_order() -> None:
    opp = Fact(
        Opportunity(
            id="O1",
            account_id="A1",
            is_won=True,
            amount=Money("200.00", "EUR"),
            order_ref="PO-1",
            payment_terms="Net 30",
            discount_pct="5",
            nonstandard_terms="express",
            ops_signoff_by="ops",
            ops_signoff_on=date(2024, 5, 2),
        ),
        Provenance("salesforce-csv", "Opportunity.csv", "line 2", line=2),
    )
    order = Fact(
        Order(
            id="S1",
            counterparty_id="A1",
            customer_po_ref="PO-1",
            net_value=Money("201.00", "EUR"),
            payment_terms="net  30",
        ),
        Provenance("native-yaml", "orders.yaml", "line 5", line=5),
    )
    facts = [opp, order, *link_opportunities([opp, order]).links]
    (match,) = compare_linked_orders(facts, date(2024, 5, 1))
    values = dict(match.data.values)  # type: ignore[union-attr]
    assert values["amount_diff"] == 1
    assert str(values["amount_diff_pct"]) == "0.5000"
    assert values["payment_terms_match"] is True  # spacing and case do not matter
    assert values["discount_match"] is False  # 5 % promised, none entered
    assert values["ops_signed_off"] is False  # signed the day after the evaluation date
    (later,) = compare_linked_orders(facts, date(2024, 5, 2))
    assert later.data.get("ops_signed_off") is True  # type: ignore[union-attr]


def test_link_through_the_opportunity_id_kept_on_the_order() -> None:
    order = Fact(
        Order(id="S9", counterparty_id="A1", quote_id="O1"),
        Provenance("native-yaml", "orders.yaml", "line 9", line=9),
    )
    result = link_opportunities([_opp("O1", None), order], via="opportunity_id")
    assert [(f.data.opportunity_id, f.data.order_id) for f in result.links] == [("O1", "S9")]  # type: ignore[union-attr]
