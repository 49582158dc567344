"""Parts of one record (an SAP order's VBPA partners, its VBKD terms) become one fact."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff_rules import check
from handoff_rules.cases import build_cases
from handoff_rules.facts import Fact, Provenance, fact_sort_key
from handoff_rules.model import Counterparty, ModelDataError, Money, Order
from handoff_rules.parts import combine_parts
from handoff_rules.testing.strategies import orders


def _at(source: str, line: int) -> Provenance:
    return Provenance("sap-table", source, f"line {line}", line=line)


HEADER = Fact(
    Order(
        id="12345",
        counterparty_id="4711",
        order_date=date(2024, 3, 11),
        net_value=Money(Decimal("1000.00"), "PLN"),
        customer_po_ref="PO-1",
    ),
    _at("VBAK.csv", 2),
)
PARTNERS = Fact(
    Order(id="12345", ship_to="4712", payer="4711", customer_po_ref="other"),
    _at("VBPA.txt", 2),
    part=True,
)
TERMS = Fact(Order(id="12345", incoterm="FCA", payment_terms="ZB14"), _at("VBKD.csv", 2), part=True)


def test_parts_fill_what_the_whole_fact_lacks_and_nothing_it_has() -> None:
    (order,) = combine_parts([PARTNERS, HEADER, TERMS])
    assert isinstance(order.data, Order)
    assert (order.data.ship_to, order.data.payer, order.data.incoterm) == ("4712", "4711", "FCA")
    assert order.data.customer_po_ref == "PO-1"  # the whole's value stays
    assert order.data.order_date == date(2024, 3, 11)
    assert not order.part
    assert order.provenance == HEADER.provenance
    assert [p.source for p in order.sources] == ["VBAK.csv", "VBKD.csv", "VBPA.txt"]


def test_parts_without_a_whole_fact_combine_among_themselves() -> None:
    (order,) = combine_parts([TERMS, PARTNERS])
    assert isinstance(order.data, Order)
    assert (order.data.ship_to, order.data.incoterm) == ("4712", "FCA")
    assert order.data.order_date is None
    assert not order.part
    assert len(order.sources) == 2


def test_facts_without_parts_are_left_as_they_are() -> None:
    party = Fact(Counterparty(id="4711", name="Z"), _at("KNA1.csv", 2))
    facts = [HEADER, party]
    assert combine_parts(facts) == facts


def test_each_whole_fact_of_the_id_is_completed_and_other_ids_are_not() -> None:
    idoc = attrs.evolve(HEADER, provenance=_at("ORDERS05.xml", 7))
    other = Fact(Order(id="99"), _at("VBAK.csv", 3))
    combined = combine_parts([HEADER, idoc, other, TERMS])
    by_source = {f.provenance.source: f for f in combined if f.data.id == "12345"}
    assert {f.data.incoterm for f in by_source.values()} == {"FCA"}  # type: ignore[union-attr]
    assert other in combined


def test_part_and_also_survive_the_jsonl_record() -> None:
    (combined,) = combine_parts([HEADER, TERMS])
    for fact in (TERMS, combined):
        record = json.loads(json.dumps(fact.to_record()))
        assert Fact.from_record(record) == fact
    assert "part" not in HEADER.to_record()
    assert "also" not in HEADER.to_record()


@pytest.mark.parametrize("record", [{"part": "yes"}, {"also": {"source": "x"}}])
def test_a_malformed_part_or_also_is_refused(record: dict[str, object]) -> None:
    base = TERMS.to_record()
    with pytest.raises(ModelDataError):
        Fact.from_record({**base, **record})


@st.composite
def order_parts(draw: st.DrawFn) -> list[Fact]:
    """Whole and part facts of a few order ids, from different sources."""
    facts = []
    for index, order in enumerate(draw(st.lists(orders(), min_size=1, max_size=6))):
        order = attrs.evolve(order, id=draw(st.sampled_from(["1", "2", "3"])))
        facts.append(Fact(order, _at(f"T{index % 3}.csv", index + 2), part=draw(st.booleans())))
    return facts


@given(order_parts(), st.randoms(use_true_random=False))
def test_combining_does_not_depend_on_the_order_facts_arrive_in(
    facts: list[Fact], random: object
) -> None:
    shuffled = list(facts)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    first = sorted(combine_parts(facts), key=fact_sort_key)
    second = sorted(combine_parts(shuffled), key=fact_sort_key)
    assert first == second


@given(order_parts())
def test_combining_keeps_one_order_per_id_with_parts_and_every_source(facts: list[Fact]) -> None:
    combined = combine_parts(facts)
    assert not any(f.part for f in combined)
    wholes = [f for f in facts if not f.part]
    ids_with_parts = {f.data.id for f in facts if f.part}  # type: ignore[union-attr]
    whole_ids = {f.data.id for f in wholes}  # type: ignore[union-attr]
    assert len(combined) == len(wholes) + len(ids_with_parts - whole_ids)
    places = {p for f in combined for p in f.sources}
    assert places >= {f.provenance for f in facts}
    for fact in combined:  # a whole fact's own values are never replaced
        if fact in wholes:
            continue
        for whole in wholes:
            if whole.provenance == fact.provenance:
                for field in attrs.fields(Order):
                    mine = getattr(whole.data, field.name)
                    if mine is not None and mine != ():
                        assert getattr(fact.data, field.name) == mine


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_a_case_holds_the_combined_order_and_its_findings_name_the_parts(engine: str) -> None:
    cases = build_cases([PARTNERS, HEADER, TERMS])
    (case,) = cases.cases
    assert [f.data.incoterm for f in case.of_type("order")] == ["FCA"]  # type: ignore[attr-defined]
    run = check(facts=[PARTNERS, HEADER, TERMS], at=date(2024, 3, 20), engine=engine)
    cited = {p.source for d in run.decisions for f in d.findings for p in f.sources}
    assert {"VBAK.csv", "VBPA.txt", "VBKD.csv"} <= cited
