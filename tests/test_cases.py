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


# --- the payer: payments and open items posted to an order's payer reach that order ---

_PARTIES = ("A", "B", "P")


@st.composite
def _payer_facts(draw: st.DrawFn) -> list[Fact]:
    """Orders with a sold-to and maybe another payer, and cash facts of those parties."""
    from decimal import Decimal

    from handoff_rules.model import Invoice, Money, OpenItem, Payment

    facts: list[Fact] = []
    for line in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(("order", "payment", "open_item", "invoice", "person")))
        party = draw(st.sampled_from(_PARTIES))
        number = str(draw(st.integers(1, 4)))
        data: object
        if kind == "order":
            data = Order(
                id=number,
                counterparty_id=party,
                sold_to=party,
                payer=draw(st.sampled_from((None, *_PARTIES))),
            )
        elif kind == "payment":
            data = Payment(
                id=f"PAY{number}",
                amount=Money(Decimal("10.00"), "EUR"),
                counterparty_id=party,
                invoice_id=draw(st.sampled_from((None, "90", "91"))),
            )
        elif kind == "open_item":
            data = OpenItem(
                id=f"OI{number}", counterparty_id=party, amount=Money(Decimal("1.00"), "EUR")
            )
        elif kind == "invoice":
            data = Invoice(id=f"9{number}", counterparty_id=party, payer=party)
        else:
            data = Person(id=f"PER{number}", full_name="Ivan", counterparty_id=party)
        facts.append(_fact(data, line))
    return facts


@settings(max_examples=200, deadline=None)
@given(_payer_facts(), st.randoms(use_true_random=False))
def test_payer_joins_do_not_depend_on_fact_order(facts: list[Fact], rnd: random.Random) -> None:
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    assert build_cases(facts) == build_cases(shuffled)


@settings(max_examples=200, deadline=None)
@given(_payer_facts())
def test_cash_facts_of_a_payer_join_the_orders_it_pays(facts: list[Fact]) -> None:
    from handoff_rules.cases import PAYER_JOINED_TYPES

    result = build_cases(facts)
    invoiced = {f.data.id for f in facts if f.type == "invoice" and f.data.order_id}
    for case in result.cases:
        orders = [f.data for f in case.facts if isinstance(f.data, Order) and f.data.id == case.id]
        sold_to = {o.counterparty_id for o in orders}
        payers = {o.payer for o in orders} - {None}
        for fact in facts:
            party = getattr(fact.data, "counterparty_id", None)
            if fact.type == "payment" and fact.data.invoice_id in invoiced:
                continue  # placed by its invoice's order
            expected = party in sold_to or (fact.type in PAYER_JOINED_TYPES and party in payers)
            if isinstance(fact.data, Order):
                continue
            assert (fact in case.facts) == expected, (case.id, fact.data)


def test_a_payment_by_the_payer_joins_the_order_it_pays() -> None:
    from decimal import Decimal

    from handoff_rules.model import Money, OpenItem, Payment

    order = _fact(Order(id="1", counterparty_id="A", sold_to="A", payer="P"), 1)
    other = _fact(Order(id="2", counterparty_id="B", sold_to="B"), 2)
    paid = _fact(Payment(id="PAY", amount=Money(Decimal("10.00"), "EUR"), counterparty_id="P"), 3)
    item = _fact(OpenItem(id="OI", counterparty_id="P", amount=Money(Decimal("1"), "EUR")), 4)
    payer_person = _fact(Person(id="PER", full_name="Ivan", counterparty_id="P"), 5)
    result = build_cases([order, other, paid, item, payer_person])
    cases = {c.id: c for c in result.cases}
    assert {f.provenance.line for f in cases["1"].facts} == {1, 3, 4}
    assert {f.provenance.line for f in cases["2"].facts} == {2}
    # the payer's people are its own (identity and authority rules are the sold-to's)
    assert [f.provenance.line for f in result.unassigned] == [5]


def test_a_rejected_open_item_of_the_payer_reaches_the_order_it_pays() -> None:
    from handoff_rules.facts import Reject

    order = _fact(Order(id="1", counterparty_id="A", sold_to="A", payer="P"), 1)
    reject = Reject(
        "BSID: WAERS: the item has no currency",
        Provenance("t", "BSID.csv", "line 7", line=7),
        type="open_item",
        keys={"counterparty": "P"},
    )
    result = build_cases([order], [reject])
    assert result.cases[0].rejects == (reject,)
    assert result.unplaced_rejects == ()
