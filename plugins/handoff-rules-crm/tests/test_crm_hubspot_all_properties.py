"""HubSpot's own "Export all properties" layout: deals, companies and line items."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from handoff_rules_crm import HubSpotCsvAdapter

from handoff_rules.adapters import Fact, Reject
from handoff_rules.cli import cli
from handoff_rules.model import CompanyId, Counterparty, Derived, Money, Opportunity
from handoff_rules.testing import check_adapter

DATA = Path(__file__).parent / "data" / "hubspot-all-properties"
DEALS = DATA / "hubspot-crm-exports-all-deals-2025-03-14.csv"
COMPANIES = DATA / "hubspot-crm-exports-all-companies-2025-03-14.csv"
LINES = DATA / "hubspot-crm-exports-all-line-items-2025-03-14.csv"


def _read(path: Path) -> list[Fact | Reject]:
    return list(HubSpotCsvAdapter().read(path))


@pytest.mark.parametrize(
    ("path", "fmt", "records"), [(DEALS, "hubspot-deals", 3), (COMPANIES, "hubspot-companies", 3)]
)
def test_every_row_is_a_fact(path: Path, fmt: str, records: int) -> None:
    report = check_adapter(HubSpotCsvAdapter(), path, expected_records=records)
    assert report.format == fmt
    assert report.rejects == ()


def test_deals_take_the_primary_company_and_the_deal_currency_amount() -> None:
    items = _read(DEALS)
    deals = {
        f.data.id: f.data for f in items if isinstance(f, Fact) and isinstance(f.data, Opportunity)
    }
    won = deals["27631905544"]
    # two associated companies, the (Primary) column names the customer
    assert won.account_id == "18802233101"
    assert won.amount == Money("12400.00", "PLN")  # not the 3101.55 in company currency
    assert won.close_date == date(2025, 3, 10)  # a date property: 2025-03-10
    assert (won.is_won, won.is_closed, won.order_ref) == (True, True, "ODRA/2025/014")
    assert deals["27631905545"].amount == Money("8150.50", "GBP")
    assert (deals["27631905545"].is_won, deals["27631905545"].is_closed) == (False, False)
    assert (deals["27631905546"].is_won, deals["27631905546"].is_closed) == (False, True)
    details = next(
        f.data
        for f in items
        if isinstance(f, Fact) and isinstance(f.data, Derived) and f.data.subject == "27631905544"
    )
    assert details.get("associated_company") == "Hurtownia Odra Sp. z o.o."
    assert details.get("associated_company_ids") == "18802233101;18802233107"
    assert details.get("deal_type") == "existingbusiness"


def test_companies_carry_country_names_and_tax_ids() -> None:
    items = _read(COMPANIES)
    companies = {
        f.data.id: f.data for f in items if isinstance(f, Fact) and isinstance(f.data, Counterparty)
    }
    odra = companies["18802233101"]
    assert odra.country == "PL"  # "Poland"
    assert odra.identifiers == (CompanyId("PL-NIP", "5272525995"),)
    assert odra.identifiers[0].is_valid
    birch = companies["18802233102"]
    assert birch.country == "GB"  # "United Kingdom"
    assert birch.identifiers == ()  # no scheme the core knows for GB: kept as text
    assert companies["18802233107"].country is None  # "Atlantis"
    details = {
        f.data.subject: f.data
        for f in items
        if isinstance(f, Fact) and isinstance(f.data, Derived) and f.data.name == "crm_details"
    }
    assert details["18802233102"].get("tax_id") == "GB123456789"
    assert details["18802233107"].get("country") == "Atlantis"


def test_line_items_keep_the_unit_price_as_written() -> None:
    items = _read(LINES)
    assert [i for i in items if isinstance(i, Reject)] == []
    lines = {
        f.data.subject: f.data for f in items if isinstance(f, Fact) and isinstance(f.data, Derived)
    }
    valve = lines["40011822101"]
    assert valve.get("opportunity_id") == "27631905544"
    assert valve.get("product") == "1502233"
    assert valve.get("unit_price") == Decimal("266.66666667")
    assert valve.get("discount_pct") == Decimal(7)
    assert valve.get("total_price") == Decimal("9920.00")
    assert valve.get("currency") == "PLN"


def test_the_read_command_reads_the_whole_export_folder() -> None:
    result = CliRunner().invoke(cli, ["read", "--format", "jsonl", str(DATA)])
    assert result.exit_code == 0
    summary = json.loads(result.output.splitlines()[-1])
    assert summary["rejects"] == 0
    assert summary["skipped"] == [
        {"file": str(DATA / "README.md"), "reason": summary["skipped"][0]["reason"]}
    ]
    assert summary["facts"] == {"counterparty": 3, "derived": 9, "opportunity": 3}
