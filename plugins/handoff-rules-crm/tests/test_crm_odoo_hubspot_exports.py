"""Odoo exports with related-field columns, sale.order.line exports and HubSpot line items."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_crm import HubSpotCsvAdapter, OdooSaleOrderAdapter
from handoff_rules_crm.cells import infer_date_order, read_date
from handoff_rules_crm.options import DAY_FIRST, ISO, MONTH_FIRST
from hypothesis import given
from hypothesis import strategies as st

import handoff_rules
from handoff_rules.adapters import AdapterError, Fact, Reject, Sample
from handoff_rules.decision import Result
from handoff_rules.model import Derived, FactData, Money, Order, OrderLine
from handoff_rules.testing import check_adapter

ODOO = Path(__file__).parent / "data" / "odoo"
HUBSPOT = Path(__file__).parent / "data" / "hubspot"
RELATED = ODOO / "sale.order-related-fields.csv"
LINE_EXPORT = ODOO / "sale.order.line.csv"


def _facts(items: Iterable[Fact | Reject]) -> list[FactData]:
    return [i.data for i in items if isinstance(i, Fact)]


def _rejects(items: Iterable[Fact | Reject]) -> list[Reject]:
    return [i for i in items if isinstance(i, Reject)]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_related_field_columns_fill_the_order(count_csv_records: Callable[[Path], int]) -> None:
    report = check_adapter(
        OdooSaleOrderAdapter(), RELATED, expected_records=count_csv_records(RELATED)
    )
    assert report.format == "odoo-sale-order"
    assert report.rejects == ()
    orders = {f.data.id: f.data for f in report.facts if isinstance(f.data, Order)}
    assert list(orders) == ["SO24-000411", "SO24-000412", "SO24-000413"]
    first = orders["SO24-000411"]
    assert first.order_date == date(2024, 3, 15)  # 3/15/2024 6:49: the file proves month first
    assert first.counterparty_id == "[C-0042] Cobalt Hydraulics s.r.o., Jana Dvořáková"
    assert first.customer_po_ref == "PO-2024-118"
    assert (first.state, first.payment_terms) == ("Sales Order", "30 Days")
    assert first.net_value == Money("1416.67", "EUR")
    assert orders["SO24-000412"].order_date == date(2024, 3, 4)  # 3/4/2024 17:00: March
    details = next(
        f.data
        for f in report.facts
        if isinstance(f.data, Derived) and f.data.name == "order_details"
    )
    assert details.order_id == "SO24-000411"
    assert details.get("amount_total") == Decimal("1714.17")
    assert details.get("external_id") == "__export__.sale_order_1201"


def test_continuation_rows_are_lines_of_the_order_above() -> None:
    items = list(OdooSaleOrderAdapter().read(RELATED))
    lines = [f for f in items if isinstance(f, Fact) and isinstance(f.data, OrderLine)]
    assert [(f.data.order_id, f.data.line_no, f.provenance.line) for f in lines] == [
        ("SO24-000411", "1", 2),
        ("SO24-000411", "2", 4),  # the first row's description spans lines 2-3
        ("SO24-000412", "1", 5),
        ("SO24-000413", "1", 6),
        ("SO24-000413", "2", 7),
        ("SO24-000413", "3", 8),
    ]
    assert lines[1].data.item == "[P-02] Seal kit"
    assert lines[1].data.quantity == Decimal(5)
    assert lines[1].data.net_value == Money("350.00", "EUR")
    prices = {
        f.subject: f
        for f in _facts(items)
        if isinstance(f, Derived) and f.name == "order_line_price"
    }
    # A unit price keeps its precision: it is not an amount in the currency's minor units.
    assert prices["SO24-000411/1"].get("unit_price") == Decimal("266.66666667")
    assert prices["SO24-000411/1"].get("currency") == "EUR"
    assert prices["SO24-000412/1"].get("unit_price") == Decimal("15489.221")
    assert prices["SO24-000412/1"].get("discount_pct") == Decimal(10)


def test_order_fields_blank_on_following_rows_and_locale_datetimes(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "sale.order.csv",
        "id,order_line/order_id/name,order_line/order_id/date_order,"
        "order_line/order_partner_id/display_name,order_line/product_id,"
        "order_line/product_uom_qty,order_line/price_unit,state,currency_id\n"
        "x.1,SO1,3/15/2021 6:49,Cobalt,[A] a,2,10.5,sale,USD\n"
        ",,,,[B] b,1,0.333,,\n"
        "x.2,SO2,2021-03-04 06:49:12,Birch,[C] c,1,4,draft,USD\n",
    )
    items = list(OdooSaleOrderAdapter().read(path))
    assert _rejects(items) == []
    orders = [f for f in _facts(items) if isinstance(f, Order)]
    assert [(o.id, o.order_date, o.counterparty_id, o.state) for o in orders] == [
        ("SO1", date(2021, 3, 15), "Cobalt", "sale"),
        ("SO2", date(2021, 3, 4), "Birch", "draft"),
    ]
    lines = [f for f in _facts(items) if isinstance(f, OrderLine)]
    assert [(line.order_id, line.line_no, line.item) for line in lines] == [
        ("SO1", "1", "[A] a"),
        ("SO1", "2", "[B] b"),
        ("SO2", "1", "[C] c"),
    ]


def test_a_row_naming_another_order_cannot_be_placed(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "sale.order.csv",
        "id,order_line/order_id/name,order_line/order_id/date_order,order_line/product_id\n"
        "x.1,SO1,2021-03-15,[A] a\n"
        ",SO9,2021-03-15,[B] b\n"
        ",SO1,2021-03-15,[C] c\n",
    )
    items = list(OdooSaleOrderAdapter().read(path))
    (reject,) = _rejects(items)
    assert reject.provenance.line == 3
    assert reject.reason.startswith("order_line/order_id/name names order SO9")
    assert "under order SO1 (line 2)" in reject.reason
    assert reject.key("order") == "SO9"
    lines = [f for f in _facts(items) if isinstance(f, OrderLine)]
    assert [(line.item, line.line_no) for line in lines] == [("[A] a", "1"), ("[C] c", "2")]


def test_an_export_without_order_date_and_customer_columns_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "sale.order.csv",
        "id,currency_id,order_line/product_id,order_line/price_unit\n__export__.so_1,EUR,[A] a,1\n",
    )
    adapter = OdooSaleOrderAdapter()
    assert adapter.sniff(Sample.of(path)) is not None  # an Odoo export, claimed, then refused
    with pytest.raises(AdapterError, match="date_order") as caught:
        list(adapter.read(path))
    message = str(caught.value)
    assert "order_line/order_partner_id/display_name" in message
    assert "Export dialog" in message


def test_an_order_row_with_empty_date_and_customer_is_a_reject(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "sale.order.csv",
        "id,name,date_order,partner_id,order_line/product_id\n"
        "x.1,SO1,,,[A] a\n"
        ",,,,[B] b\n"
        "x.2,SO2,2021-03-04,Birch,[C] c\n",
    )
    items = list(OdooSaleOrderAdapter().read(path))
    first, second = _rejects(items)
    assert first.reason == (
        "order SO1 has no order date and no customer: the row's date_order and partner_id are "
        "empty; fill the order date or the customer in Odoo and export again"
    )
    assert second.reason == (
        "continues the order on line 2, which was rejected; correct line 2 as its reject says"
    )
    assert [f.id for f in _facts(items) if isinstance(f, Order)] == ["SO2"]


def test_a_sale_order_line_export_groups_lines_by_order(
    count_csv_records: Callable[[Path], int],
) -> None:
    report = check_adapter(
        OdooSaleOrderAdapter(), LINE_EXPORT, expected_records=count_csv_records(LINE_EXPORT)
    )
    assert report.format == "odoo-sale-order-line"
    orders = [f.data for f in report.facts if isinstance(f.data, Order)]
    assert [(o.id, o.order_date, o.counterparty_id, o.state) for o in orders] == [
        ("SO24-000411", date(2024, 3, 15), "Cobalt Hydraulics s.r.o.", "sale"),
        ("SO24-000412", date(2024, 3, 4), "Birch & Sons Ltd", "draft"),
    ]
    lines = [f.data for f in report.facts if isinstance(f.data, OrderLine)]
    # The second line of SO24-000411 comes after a line of another order: still its line 2.
    assert [(line.order_id, line.line_no, line.description) for line in lines] == [
        ("SO24-000411", "1", "[P-01] Pump housing"),
        ("SO24-000412", "1", "[P-03] Valve"),
        ("SO24-000411", "2", "[P-02] Seal kit"),
    ]
    (reject,) = report.rejects
    # The reason names the file's own column, not the name it is read under.
    assert reject.reason == (
        "the row names no order: order_id/name is empty; fill it (the order's name)"
    )


@pytest.mark.parametrize("engine", ["reference"])
def test_check_over_an_odoo_export_decides_order_level_rules(engine: str) -> None:
    run = handoff_rules.check([RELATED], at=date(2024, 6, 1), engine=engine, checkpoints=["H1"])
    assert {d.case for d in run.decisions} == {"SO24-000411", "SO24-000412", "SO24-000413"}
    for decision in run.decisions:
        contract = [f for f in decision.findings if f.rule == "LEG-CTR-001"]
        # The order date and customer are there: the contract rule decides, it is not
        # left undecidable for a missing order date.
        assert [f.result for f in contract] == [Result.FAIL], decision.case
        assert all(
            "order date" not in f.message and "order_date" not in f.message
            for f in decision.findings
            if f.result is Result.INDETERMINATE
        ), decision.case
    messages = [f.message for d in run.decisions for f in d.findings if f.rule == "LEG-CTR-001"]
    assert any("SO24-000411 of 2024-03-15" in m for m in messages)


def test_hubspot_line_items(count_csv_records: Callable[[Path], int]) -> None:
    path = HUBSPOT / "hubspot-crm-exports-all-line-items-2024-08-27.csv"
    report = check_adapter(HubSpotCsvAdapter(), path, expected_records=count_csv_records(path))
    assert report.format == "hubspot-line-items"
    lines = {
        f.data.subject: f.data
        for f in report.facts
        if isinstance(f.data, Derived) and f.data.name == "opportunity_line"
    }
    pumps = lines["30111"]
    assert pumps.get("opportunity_id") == "18250438221"  # the deal in the deals export
    assert pumps.get("unit_price") == Decimal("1205.0125")  # finer than EUR: kept as written
    assert pumps.get("quantity") == Decimal(40)
    assert pumps.get("total_price") == Decimal("48200.50")
    assert (pumps.get("currency"), pumps.get("product")) == ("EUR", "P-01")
    (reject,) = report.rejects
    assert reject.provenance.line == 4
    assert "Associated Deal IDs names none" in reject.reason


def test_hubspot_dates_as_the_export_writes_them(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "hubspot-crm-exports-all-deals-2024-08-27.csv",
        "Record ID,Deal Name,Deal Stage,Amount,Close Date,Currency\n"
        "1,A,Closed won,10,2024-08-27 14:03,EUR\n",
    )
    (deal,) = [f for f in _facts(HubSpotCsvAdapter().read(path)) if not isinstance(f, Derived)]
    assert getattr(deal, "close_date", None) == date(2024, 8, 27)


def test_an_excel_resaved_hubspot_export_reads_in_the_order_it_proves(tmp_path: Path) -> None:
    header = "Record ID,Deal Name,Deal Stage,Amount,Currency,Close Date\n"
    proving = _write(
        tmp_path / "hubspot-crm-exports-all-deals-2025-04-08.csv",
        header + "1,A,Closed won,10,EUR,4/8/2025 17:19\n2,B,Closed won,10,EUR,2/22/2025 20:22\n",
    )
    items = list(HubSpotCsvAdapter().read(proving))
    assert _rejects(items) == []
    dates = [getattr(f, "close_date", None) for f in _facts(items) if not isinstance(f, Derived)]
    assert dates == [date(2025, 4, 8), date(2025, 2, 22)]
    unproven = _write(
        tmp_path / "hubspot-crm-exports-all-deals-2025-04-09.csv",
        header + "1,A,Closed won,10,EUR,4/8/2025 17:19\n",
    )
    (reject,) = _rejects(HubSpotCsvAdapter().read(unproven))
    assert "2025-04-08 (month first) or 2025-08-04 (day first)" in reject.reason


def test_the_order_odoo_and_hubspot_dates_prove() -> None:
    assert infer_date_order(["3/4/2024 17:00", "3/15/2024 6:49"]).order == MONTH_FIRST
    assert infer_date_order(["15.03.2024", "04.03.2024"]).order == DAY_FIRST
    assert infer_date_order(["3/4/2024"]).order is None  # proves nothing
    assert infer_date_order(["3/15/2024", "15/3/2024"]).order is None  # contradicts itself


@given(
    st.lists(st.dates(date(1990, 1, 1), date(2060, 12, 31)), min_size=1, max_size=20),
    st.sampled_from([MONTH_FIRST, DAY_FIRST]),
    st.sampled_from(["/", ".", "-"]),
    st.sampled_from(["", " 6:49", " 17:00:59", " 08:55 PM"]),
)
def test_a_proven_order_reads_every_value_as_written(
    days: list[date], order: str, sep: str, time: str
) -> None:
    proof = date(2024, 1, 13)  # day 13: only one order reads it

    def written(day: date) -> str:
        first, second = (day.month, day.day) if order == MONTH_FIRST else (day.day, day.month)
        return f"{first}{sep}{second}{sep}{day.year}{time}"

    values = [written(d) for d in (*days, proof)]
    assert infer_date_order(values).order == order
    for day, value in zip((*days, proof), values, strict=True):
        assert read_date(value, (ISO, order)) == day
