"""What ORDERS05 and INVOIC02 carry beyond the header: item values, parties, terms, direction.

Fixtures written from SAP's segment documentation: ``invoic02_s4_values.xml``
(S/4 leaves E1EDP01 NETWR empty and writes the item values in E1EDP26),
``orders05_item_partners.xml`` (ship-to given per item in E1EDPA1, tiered
payment terms) and ``orders05_purchase.xml`` (a buyer's outbound purchase
orders beside a customer's order received by the seller).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_sap import SapIdocAdapter

from handoff_rules import check
from handoff_rules.adapters import Fact, Reject
from handoff_rules.model import Derived, Invoice, Money, Order, OrderLine


def _read(path: Path) -> tuple[list[Fact], list[Reject]]:
    items = list(SapIdocAdapter().read(path))
    return [i for i in items if isinstance(i, Fact)], [i for i in items if isinstance(i, Reject)]


def _of(facts: list[Fact], fact_type: str) -> list[object]:
    return [f.data for f in facts if f.type == fact_type]


def _flows(facts: list[Fact]) -> list[Derived]:
    return [d for d in _of(facts, "derived") if isinstance(d, Derived) and d.name == "doc_flow"]


# -- INVOIC02 from S/4 --------------------------------------------------------------------------


def test_item_values_only_in_e1edp26_are_read_and_add_up_to_the_totals(sap_data):
    facts, _rejects = _read(sap_data / "invoic02_s4_values.xml")
    flows = _flows(facts)
    # E1EDP01 NETWR is empty: the E1EDP26 net value (QUALF 003), not the gross (002) or 004
    assert [f.get("value") for f in flows] == [Decimal("2000.00"), Decimal("437.50")]
    assert {f.get("currency") for f in flows} == {"EUR"}
    net = sum(f.get("value") for f in flows)  # type: ignore[misc]
    tax = sum(f.get("tax") for f in flows)  # type: ignore[misc]
    assert net == Decimal("2437.50")  # E1EDS01 SUMID 010
    assert tax == Decimal("410.63")  # E1EDS01 SUMID 005
    (invoice,) = _of(facts, "invoice")
    assert isinstance(invoice, Invoice)
    assert invoice.total == Money(net + tax, "EUR")  # E1EDS01 SUMID 011


def test_item_tax_and_weights_and_the_incoterm(sap_data):
    facts, _rejects = _read(sap_data / "invoic02_s4_values.xml")
    first, second = _flows(facts)
    assert (first.get("tax"), first.get("tax_rate")) == (Decimal("380.00"), Decimal("19.000"))
    assert (second.get("tax"), second.get("tax_rate")) == (Decimal("30.63"), Decimal("7.000"))
    assert (first.get("net_weight"), first.get("gross_weight"), first.get("weight_unit")) == (
        Decimal("1000.000"),
        Decimal("1050.000"),
        "KGM",
    )
    (invoice,) = _of(facts, "invoice")
    assert isinstance(invoice, Invoice)
    assert invoice.incoterm == "DAP"  # E1EDK17 QUALF 001, not the place (002)


def test_an_invoice_keeps_all_four_partner_roles(sap_data):
    facts, _rejects = _read(sap_data / "invoic02_s4_values.xml")
    (invoice,) = _of(facts, "invoice")
    assert isinstance(invoice, Invoice)
    assert (invoice.sold_to, invoice.ship_to, invoice.bill_to, invoice.payer) == (
        "300600",
        "300601",
        "300602",
        "300603",
    )
    assert invoice.counterparty_id == "300600"  # the legacy single party: still the sold-to


def test_items_that_do_not_add_up_to_the_net_total_reject_the_invoice(sap_data):
    facts, rejects = _read(sap_data / "invoic02_s4_values.xml")
    assert [i.id for i in _of(facts, "invoice")] == ["90004800"]  # type: ignore[attr-defined]
    (reject,) = rejects
    assert reject.type == "invoice"
    assert "add up to 29.75 EUR" in reject.reason
    assert "net total E1EDS01 010 SUMME is 31.75 EUR" in reject.reason
    assert "its 2 item(s) are not read either" in reject.reason
    assert reject.provenance.location == "IDoc 0000000004712002 segment 000008 E1EDS01"
    assert dict(reject.keys) == {"invoice": "90004801", "order": "12401", "counterparty": "300600"}


def test_a_bad_e1edp26_value_rejects_its_item_naming_the_segment(sap_data, tmp_path):
    text = (sap_data / "invoic02_s4_values.xml").read_text(encoding="utf-8")
    path = tmp_path / "bad.xml"
    path.write_text(text.replace("<BETRG>437.50</BETRG>", "<BETRG>4x7.50</BETRG>"), "utf-8")
    facts, rejects = _read(path)
    assert [f.get("to_item") for f in _flows(facts)] == ["10"]
    item = next(r for r in rejects if r.type == "derived")
    assert "E1EDP26 003 BETRG" in item.reason
    assert item.provenance.location.endswith("E1EDP26")


# -- ORDERS05: item partners, terms, prices, dates -----------------------------------------------


def test_items_that_all_name_one_ship_to_give_the_order_its_ship_to(sap_data):
    facts, _rejects = _read(sap_data / "orders05_item_partners.xml")
    orders = {o.id: o for o in _of(facts, "order") if isinstance(o, Order)}
    assert orders["12500"].ship_to == "4712"  # no header WE; both items name 4712
    # items with different ship-tos: no single one for the order, each line keeps its own
    assert orders["12501"].ship_to is None
    lines = {
        (line.order_id, line.line_no): line
        for line in _of(facts, "order_line")
        if isinstance(line, OrderLine)
    }
    assert (lines["12501", "10"].ship_to, lines["12501", "20"].ship_to) == ("4712", "4713")


def test_order_terms_prices_dates_and_materials(sap_data):
    facts, _rejects = _read(sap_data / "orders05_item_partners.xml")
    order = next(o for o in _of(facts, "order") if isinstance(o, Order) and o.id == "12500")
    assert order.incoterm == "FCA"
    assert order.payment_terms == "ZB14"
    # 14 days 2 % (001), 30 days net (002): the days to pay in full
    assert order.payment_days == 30
    assert order.contact_person_id == "4711/17"  # AP, numbered under the sold-to as KNVK is
    first, second = [
        line
        for line in _of(facts, "order_line")
        if isinstance(line, OrderLine) and line.order_id == "12500"
    ]
    assert first.item == "100200"  # E1EDP19 QUALF 002 (our material), not the customer's 001
    assert first.unit_price == Money(Decimal("125.00"), "PLN")
    assert first.price_unit == Decimal("10")  # 125.00 per 10 pieces
    assert first.delivery_date == date(2024, 5, 20)  # the earlier of the two schedule lines
    assert second.net_value == Money(Decimal("244.00"), "PLN")  # NETWR empty: E1EDP26 003
    assert order.net_value == Money(Decimal("1744.00"), "PLN")


def _one_tier(sap_data: Path, tmp_path: Path, days: str) -> Path:
    text = (sap_data / "orders05_item_partners.xml").read_text(encoding="utf-8")
    path = tmp_path / "terms.xml"
    path.write_text(text.replace("<TAGE>30</TAGE>", f"<TAGE>{days}</TAGE>"), "utf-8")
    return path


def test_a_bad_payment_term_tier_rejects_the_order_naming_e1edk18(sap_data, tmp_path):
    facts, rejects = _read(_one_tier(sap_data, tmp_path, "3O"))
    assert "12500" not in {o.id for o in _of(facts, "order")}  # type: ignore[attr-defined]
    (reject,) = [r for r in rejects if r.type == "order"]
    assert "E1EDK18 002 TAGE" in reject.reason
    assert reject.provenance.location.endswith("E1EDK18")


# -- Direction ------------------------------------------------------------------------------------


def test_a_purchase_order_sent_by_the_buyer_is_no_sales_order(sap_data):
    facts, rejects = _read(sap_data / "orders05_purchase.xml")
    outbound, to_vendor = rejects
    assert outbound.reason == (
        "order 4500012345 is a purchase order sent by BUYCLNT100 to vendor 71100 "
        "(outbound message ORDERS, DIRECT 1); handoff-rules reads sales orders "
        "(its 1 item(s) are not read either)"
    )
    assert "receiver partner type LI, a vendor" in to_vendor.reason
    assert outbound.provenance.location == "IDoc 0000000000640001 control record EDI_DC40"
    # the PO number and the buyer's own parties name no case of ours
    assert outbound.keys == ()
    assert to_vendor.keys == ()
    orders = [o for o in _of(facts, "order") if isinstance(o, Order)]
    assert "1000" not in {o.counterparty_id for o in orders}  # never the buyer's purchasing org
    # a customer's order received by the seller names the seller as LF too: still a sales order
    assert [(o.id, o.counterparty_id) for o in orders] == [("4500098900", "4711")]


# -- The rule that needed the item partners, on both engines --------------------------------------


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_item_ship_tos_raise_no_false_ship_to_finding(sap_data, engine):
    facts, _rejects = _read(sap_data / "orders05_item_partners.xml")
    run = check(facts=facts, at=date(2024, 5, 10), checkpoints=["H3"], engine=engine)
    results = {
        d.case: [(f.result.value, f.message) for f in d.findings if f.rule == "SUP-DOC-001"]
        for d in run.decisions
    }
    assert [r for r, _m in results["12500"]] == ["pass"]
    # different ship-tos per item: the order has no single one, and the rule says so
    assert [r for r, _m in results["12501"]] == ["fail"]
    assert "ship-to" in results["12501"][0][1]
