"""CPQ-style Salesforce files, HubSpot exports and Odoo sale orders."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_crm import (
    CrmOptions,
    HubSpotCsvAdapter,
    OdooSaleOrderAdapter,
    SalesforceCsvAdapter,
)
from handoff_rules_crm.salesforce import detect_object

from handoff_rules.adapters import Adapter, AdapterError, Fact, Reject, Sample
from handoff_rules.model import (
    Counterparty,
    Derived,
    FactData,
    Money,
    Opportunity,
    Order,
    OrderLine,
    Person,
)
from handoff_rules.testing import check_adapter


def _facts(items: Iterable[Fact | Reject]) -> list[FactData]:
    return [i.data for i in items if isinstance(i, Fact)]


def _derived(items: Iterable[Fact | Reject]) -> list[Derived]:
    return [i.data for i in items if isinstance(i, Fact) and isinstance(i.data, Derived)]


@pytest.mark.parametrize(
    ("name", "sobject"),
    [
        ("Account.csv", "Account"),
        ("Opportunity.csv", "Opportunity"),
        ("OpportunityLineItem.csv", "OpportunityLineItem"),
        ("SBQQ__Quote__c.csv", "SBQQ__Quote__c"),
        ("SBQQ__QuoteLine__c.csv", "SBQQ__QuoteLine__c"),
    ],
)
def test_cpq_style_files(
    name: str, sobject: str, data_dir: Path, count_csv_records: Callable[[Path], int]
) -> None:
    path = data_dir / "prodly-style" / name
    with path.open(encoding="utf-8", newline="") as stream:
        header = next(csv.reader(stream))
    detected = detect_object(header, "export")
    assert detected is not None
    assert detected.name == sobject
    # Child objects carry no CurrencyIsoCode in a single-currency org: the org's is configured.
    adapter = SalesforceCsvAdapter(CrmOptions(default_currency="USD"))
    report = check_adapter(adapter, path, expected_records=count_csv_records(path))
    assert report.rejects == ()


def test_child_amounts_without_any_currency_are_rejected(data_dir: Path) -> None:
    path = data_dir / "prodly-style" / "OpportunityLineItem.csv"
    items = list(SalesforceCsvAdapter().read(path))
    assert all(isinstance(i, Reject) and "has no currency" in i.reason for i in items)


def test_cpq_values(data_dir: Path) -> None:
    folder = data_dir / "prodly-style"
    adapter = SalesforceCsvAdapter(CrmOptions(default_currency="USD"))
    accounts = _facts(adapter.read(folder / "Account.csv"))
    acme = next(a for a in accounts if isinstance(a, Counterparty))
    assert acme.id == "8f14e45f-ceea-467f-a1c5-0f2f1b7a3c01"  # Guid, not the #N/A Id
    assert acme.name == "Acme™ Systems"
    assert acme.country == "US"
    details = next(a for a in accounts if isinstance(a, Derived))
    assert details.get("description") == 'Long-standing customer.\nPrefers e-mail; see "Notes".'
    assert details.get("erp_customer_id") == "10001"
    opportunities = list(_facts(adapter.read(folder / "Opportunity.csv")))
    won = next(o for o in opportunities if isinstance(o, Opportunity) and o.is_won)
    assert won.amount == Money("70000.00", "USD")
    assert won.order_ref == "PO-4711"
    expansion = next(
        o for o in opportunities if isinstance(o, Opportunity) and o.name == "SG expansion"
    )
    assert expansion.amount == Money("109830", "EUR")  # 1.0983E5
    assert expansion.close_date == date(2030, 1, 15)
    lines = _derived(adapter.read(folder / "OpportunityLineItem.csv"))
    first = lines[0]
    assert isinstance(first, Derived)
    assert first.name == "opportunity_line"
    assert first.get("opportunity_id") == won.id
    assert lines[1].get("unit_price") == Decimal("22222")
    quotes = _derived(adapter.read(folder / "SBQQ__Quote__c.csv"))
    assert quotes[0].get("payment_terms") == "Net 30"
    assert quotes[0].get("primary") is True
    quote_lines = _derived(adapter.read(folder / "SBQQ__QuoteLine__c.csv"))
    assert [q.get("line_number") for q in quote_lines] == [1, 2, 3]
    assert quote_lines[2].get("quantity") == Decimal("20")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("hubspot-crm-exports-all-deals-2024-08-27.csv", "hubspot-deals"),
        ("hubspot-crm-exports-all-companies-2024-08-27.csv", "hubspot-companies"),
        ("hubspot-crm-exports-all-contacts-2024-08-27.csv", "hubspot-contacts"),
    ],
)
def test_hubspot_files(
    name: str, fmt: str, data_dir: Path, count_csv_records: Callable[[Path], int]
) -> None:
    path = data_dir / "hubspot" / name
    report = check_adapter(HubSpotCsvAdapter(), path, expected_records=count_csv_records(path))
    assert report.format == fmt


def test_hubspot_deals(data_dir: Path) -> None:
    path = data_dir / "hubspot" / "hubspot-crm-exports-all-deals-2024-08-27.csv"
    items = list(HubSpotCsvAdapter().read(path))
    deals = {
        i.data.id: i.data for i in items if isinstance(i, Fact) and isinstance(i.data, Opportunity)
    }
    cobalt = deals["18250438221"]
    assert cobalt.is_won
    assert cobalt.is_closed
    assert cobalt.amount == Money("48200.50", "EUR")
    assert cobalt.close_date == date(2024, 8, 20)
    assert cobalt.account_id == "9912003101"
    assert cobalt.order_ref == "PO-2024-118"
    birch = deals["18250438222"]
    assert birch.is_won  # stage id closedwon
    assert birch.amount == Money("12000", "EUR")
    assert birch.account_id is None  # two companies, no primary: not picked
    details = next(
        i.data
        for i in items
        if isinstance(i, Fact) and isinstance(i.data, Derived) and i.data.subject == "18250438222"
    )
    assert details.get("associated_company_ids") == "9912003102;9912003103"
    assert deals["18250438223"].is_won is False
    assert deals["18250438223"].is_closed
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [r.provenance.line for r in rejects] == [5, 6]
    assert "no currency" in rejects[0].reason
    assert "Record ID is empty" in rejects[1].reason


def test_hubspot_companies_and_contacts(data_dir: Path) -> None:
    folder = data_dir / "hubspot"
    companies = [
        c
        for c in _facts(
            HubSpotCsvAdapter().read(folder / "hubspot-crm-exports-all-companies-2024-08-27.csv")
        )
        if isinstance(c, Counterparty)
    ]
    assert [c.country for c in companies] == ["CZ", "GB", None]  # a code, an English name
    assert companies[2].name == "<script>alert(1)</script>"
    items = list(
        HubSpotCsvAdapter().read(folder / "hubspot-crm-exports-all-contacts-2024-08-27.csv")
    )
    people = [i.data for i in items if isinstance(i, Fact) and isinstance(i.data, Person)]
    assert people[0].full_name == "Jana Dvořáková"
    assert people[0].counterparty_id == "9912003101"
    assert people[1].full_name == "ops@cobalt.example"
    assert len([i for i in items if isinstance(i, Reject)]) == 1


def _odoo_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_odoo_sale_order_continuation_rows(
    data_dir: Path, count_csv_records: Callable[[Path], int]
) -> None:
    path = data_dir / "odoo" / "sale.order.csv"
    report = check_adapter(OdooSaleOrderAdapter(), path, expected_records=count_csv_records(path))
    assert report.rejects == ()
    rows = _odoo_rows(path)
    orders = [f.data for f in report.facts if isinstance(f.data, Order)]
    lines = [f.data for f in report.facts if isinstance(f.data, OrderLine)]
    assert len(orders) == sum(1 for r in rows if r["id"])
    assert len(lines) == sum(1 for r in rows if r["order_line/product_id"])
    assert [(line.order_id, line.line_no) for line in lines] == [
        ("SO21-000829", "1"),
        ("SO21-000829", "2"),
        ("SO21-000831", "1"),
        ("SO21-000831", "2"),
        ("SO21-000831", "3"),
    ]
    first = orders[0]
    assert first.customer_po_ref == "PO-2021-77"
    assert first.net_value == Money("1350.00", "EUR")
    assert first.order_date == date(2021, 3, 2)
    assert lines[0].description == "Pump housing\nrev. B"
    assert lines[1].net_value == Money("350.00", "EUR")
    # A line's provenance is its own row: the second line is on physical line 4.
    line_facts = [f for f in report.facts if isinstance(f.data, OrderLine)]
    assert line_facts[1].provenance.line == 4


def test_odoo_continuation_of_a_rejected_order_is_rejected_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "sale.order.csv"
    path.write_text(
        "id,name,date_order,currency_id,order_line/product_id,order_line/price_subtotal\n"
        ",,,,[P] orphan,1.00\n"
        "x.1,SO1,03/04/2021,EUR,[P] a,1.00\n"
        ",,,,[P] b,2.00\n"
        "x.2,SO2,2021-03-05,EUR,[P] c,1.001\n"
        ",,,,[P] d,2.00\n",
        encoding="utf-8",
    )
    items = list(OdooSaleOrderAdapter().read(path))
    reasons = [(i.provenance.line, i.reason) for i in items if isinstance(i, Reject)]
    assert reasons[0] == (
        2,
        "a line row before any order: its id and name are empty, no order row is above it; "
        "export the orders with their lines (Odoo writes the order's row first)",
    )
    assert reasons[1][0] == 3
    assert "date_order" in reasons[1][1]
    assert reasons[2] == (
        4,
        "continues the order on line 3, which was rejected; correct line 3 as its reject says",
    )
    assert reasons[3][0] == 5
    assert "price_subtotal 1.001 has more decimals than EUR has (2)" in reasons[3][1]
    assert reasons[3][1].endswith("correct the amount in the CRM")
    assert "Money" not in reasons[3][1]
    assert reasons[4] == (
        6,
        "continues the order on line 5, which was rejected; correct line 5 as its reject says",
    )
    assert not [i for i in items if isinstance(i, Fact)]


def test_odoo_labels_header(tmp_path: Path) -> None:
    path = tmp_path / "sale.order.csv"
    path.write_text(
        "Order Reference,Customer,Order Date,Customer Reference,Currency,"
        "Order Lines/Product,Order Lines/Quantity,Order Lines/Subtotal\n"
        "SO7,Acme,2021-01-02,PO-9,USD,[A] a,2,10.00\n"
        ",,,,,[B] b,1,5.50\n",
        encoding="utf-8",
    )
    report = check_adapter(OdooSaleOrderAdapter(), path, expected_records=2)
    order = next(f.data for f in report.facts if isinstance(f.data, Order))
    assert (order.id, order.counterparty_id, order.customer_po_ref) == ("SO7", "Acme", "PO-9")
    lines = [f.data for f in report.facts if isinstance(f.data, OrderLine)]
    assert [(line.line_no, line.quantity) for line in lines] == [
        ("1", Decimal(2)),
        ("2", Decimal(1)),
    ]


def test_sniffing_tells_the_formats_apart(data_dir: Path) -> None:
    adapters: list[Adapter] = [SalesforceCsvAdapter(), HubSpotCsvAdapter(), OdooSaleOrderAdapter()]
    expected = {
        data_dir / "prodly-style" / "Opportunity.csv": "salesforce-csv",
        data_dir / "hubspot" / "hubspot-crm-exports-all-deals-2024-08-27.csv": "hubspot-csv",
        data_dir / "odoo" / "sale.order.csv": "odoo-csv",
    }
    for path, name in expected.items():
        claims = [a.name for a in adapters if a.sniff(Sample.of(path)) is not None]
        assert claims == [name], path


def test_a_file_that_is_no_export_is_an_adapter_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    for adapter in (SalesforceCsvAdapter(), HubSpotCsvAdapter(), OdooSaleOrderAdapter()):
        assert adapter.sniff(Sample.of(path)) is None
        with pytest.raises(AdapterError, match=r"notes\.csv"):
            list(adapter.read(path))
