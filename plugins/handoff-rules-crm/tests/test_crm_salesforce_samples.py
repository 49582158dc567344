"""The real Salesforce samples read completely, with counts taken independently of the adapter."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_crm import CrmOptions, SalesforceCsvAdapter, SalesforceTreeAdapter

from handoff_rules.adapters import Fact, Reject
from handoff_rules.model import Counterparty, Derived, Money, Opportunity, Person
from handoff_rules.testing import check_adapter

DEMO_FILES = [
    "Account.csv",
    "Contact.csv",
    "Lead.csv",
    "Opportunity.csv",
    "OpportunityHistory.csv",
]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("name", DEMO_FILES)
def test_demo_org_every_row_is_a_fact(
    name: str,
    demo_org: Path,
    excel_options: CrmOptions,
    count_csv_records: Callable[[Path], int],
) -> None:
    path = demo_org / name
    report = check_adapter(
        SalesforceCsvAdapter(excel_options), path, expected_records=count_csv_records(path)
    )
    assert report.rejects == ()
    assert report.format == "salesforce-csv"


def test_demo_org_opportunities_map_to_the_model(demo_org: Path, excel_options: CrmOptions) -> None:
    path = demo_org / "Opportunity.csv"
    rows = {row["Id"]: row for row in _rows(path)}
    facts = [i for i in SalesforceCsvAdapter(excel_options).read(path) if isinstance(i, Fact)]
    opportunities = {f.data.id: f.data for f in facts if isinstance(f.data, Opportunity)}
    assert set(opportunities) == set(rows)
    won = {i for i, r in rows.items() if r["IsWon"] == "TRUE"}
    assert won, "the sample has won opportunities"
    assert {i for i, o in opportunities.items() if o.is_won} == won
    express = opportunities["006bm00000LKJNPAA5"]
    assert express.stage == "Closed Won"
    assert express.amount == Money("220000", "USD")
    assert express.close_date == date(2024, 2, 3)
    assert express.account_id == "001bm00001ZL8UFAA1"
    for fact in facts:
        assert fact.provenance.line is not None
        assert fact.provenance.location == f"line {fact.provenance.line}"


def test_demo_org_day_month_order_is_inferred_from_the_file(demo_org: Path) -> None:
    """No date setting: ``02/23/26`` in the file proves month-first for its ``02/03/24``."""
    path = demo_org / "Opportunity.csv"
    items = list(SalesforceCsvAdapter(CrmOptions(default_currency="USD")).read(path))
    assert [i for i in items if isinstance(i, Reject)] == []
    opportunities = {
        i.data.id: i.data for i in items if isinstance(i, Fact) and isinstance(i.data, Opportunity)
    }
    assert len(opportunities) == len(_rows(path)) == 36
    assert opportunities["006bm00000LKJNPAA5"].close_date == date(2024, 2, 3)


def test_demo_org_dates_are_rejected_when_the_file_proves_no_order(
    demo_org: Path, tmp_path: Path
) -> None:
    """Only ambiguous dates left: each is rejected, saying which setting decides."""
    rows = _rows(demo_org / "Opportunity.csv")
    path = tmp_path / "Opportunity.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Id", "StageName", "CloseDate", "Amount"])
        writer.writerows(
            [r["Id"], r["StageName"], r["CloseDate"], r["Amount"]]
            for r in rows
            if int(r["CloseDate"].split("/")[1]) <= 12  # keep only the ambiguous ones
        )
    items = list(SalesforceCsvAdapter(CrmOptions(default_currency="USD")).read(path))
    assert items
    assert all(isinstance(i, Reject) for i in items)
    first = items[0]
    assert isinstance(first, Reject)
    assert first.provenance.line == 2
    assert "CloseDate" in first.reason
    assert "2024-02-03 (month first)" in first.reason
    assert "2024-03-02 (day first)" in first.reason
    assert 'date_formats = ["month-first"] or ["day-first"]' in first.reason
    assert "handoff-rules-crm.toml" in first.reason


def test_demo_org_amount_without_currency_is_rejected(demo_org: Path) -> None:
    options = CrmOptions(date_formats=("%m/%d/%y", "%m/%d/%y %I:%M %p"))
    items = list(SalesforceCsvAdapter(options).read(demo_org / "Opportunity.csv"))
    reasons = {i.reason for i in items if isinstance(i, Reject)}
    assert any("has no currency" in r for r in reasons)
    # An opportunity without an amount needs no currency.
    no_amount = [r["Id"] for r in _rows(demo_org / "Opportunity.csv") if not r["Amount"]]
    kept = {i.data.id for i in items if isinstance(i, Fact)}
    assert set(no_amount) <= kept


def test_demo_org_history_and_leads_become_derived_facts(
    demo_org: Path, excel_options: CrmOptions
) -> None:
    adapter = SalesforceCsvAdapter(excel_options)
    history = list(adapter.read(demo_org / "OpportunityHistory.csv"))
    first = history[0]
    assert isinstance(first, Fact)
    assert isinstance(first.data, Derived)
    assert first.data.name == "opportunity_stage_change"
    assert first.data.get("opportunity_id") == "006bm00000LKJNNAA5"
    assert first.data.get("close_date") == date(2021, 1, 27)
    assert first.data.get("amount") == Decimal("15000")
    leads = [
        i.data
        for i in adapter.read(demo_org / "Lead.csv")
        if isinstance(i, Fact) and isinstance(i.data, Derived)
    ]
    converted = [r for r in _rows(demo_org / "Lead.csv") if r["IsConverted"] == "TRUE"]
    assert len([d for d in leads if d.get("is_converted") is True]) == len(converted)


def test_demo_org_accounts_and_contacts(demo_org: Path, excel_options: CrmOptions) -> None:
    adapter = SalesforceCsvAdapter(excel_options)
    accounts = [i.data for i in adapter.read(demo_org / "Account.csv") if isinstance(i, Fact)]
    parties = {a.id: a for a in accounts if isinstance(a, Counterparty)}
    assert parties["001bm00001ZL8U9AAL"].name == "Edge Communications"
    contacts = [i.data for i in adapter.read(demo_org / "Contact.csv") if isinstance(i, Fact)]
    rose = next(p for p in contacts if isinstance(p, Person) and p.id == "003bm00000zapthAAA")
    assert rose.full_name == "Rose Gonzalez"
    assert rose.counterparty_id == "001bm00001ZL8U9AAL"
    assert rose.position == "SVP, Procurement"


def test_report_summary_rows_are_kept_as_facts(
    demo_org: Path, count_csv_records: Callable[[Path], int]
) -> None:
    """``OpportunityHistoryGroup.csv`` (a grouped report) is claimed, never stops a run."""
    path = demo_org / "OpportunityHistoryGroup.csv"
    report = check_adapter(SalesforceCsvAdapter(), path, expected_records=count_csv_records(path))
    assert report.rejects == ()
    facts = [i.data for i in SalesforceCsvAdapter().read(path) if isinstance(i, Fact)]
    first = facts[0]
    assert isinstance(first, Derived)
    assert first.name == "crm_report_row"
    assert first.subject == "OpportunityHistoryGroup#1"
    assert json.loads(str(first.get("cells"))) == {
        "StageName": "Qualification",
        "Count": "1",
        "StageName (groups)": "4 - Prospecting",
    }


@pytest.mark.parametrize("name", ["Accounts.json", "Contacts.json", "Opportunities.json"])
def test_apex_tree_files_read_completely(
    name: str, apex_recipes: Path, count_tree_records: Callable[[Path], int]
) -> None:
    path = apex_recipes / name
    options = CrmOptions(default_currency="USD")
    report = check_adapter(
        SalesforceTreeAdapter(options), path, expected_records=count_tree_records(path)
    )
    assert report.rejects == ()
    assert report.format == "sfdx-tree"


@pytest.mark.parametrize("name", ["Accounts.csv", "Contacts.csv", "Opportunities.csv"])
def test_apex_csv_files_read_completely(
    name: str, apex_recipes: Path, count_csv_records: Callable[[Path], int]
) -> None:
    path = apex_recipes / name
    options = CrmOptions(default_currency="USD")
    report = check_adapter(
        SalesforceCsvAdapter(options), path, expected_records=count_csv_records(path)
    )
    assert report.rejects == ()


def test_apex_data_plan_is_claimed_and_has_no_records(apex_recipes: Path) -> None:
    report = check_adapter(
        SalesforceTreeAdapter(), apex_recipes / "data-plan.json", expected_records=0
    )
    assert report.format == "sfdx-data-plan"


def test_apex_tree_references_resolve_to_account_keys(apex_recipes: Path) -> None:
    adapter = SalesforceTreeAdapter(CrmOptions(default_currency="USD"))
    accounts = {
        i.data.id
        for i in adapter.read(apex_recipes / "Accounts.json")
        if isinstance(i, Fact) and isinstance(i.data, Counterparty)
    }
    raw = json.loads((apex_recipes / "Opportunities.json").read_text(encoding="utf-8"))
    expected = {
        r["attributes"]["referenceId"]: r["accountId"].removeprefix("@") for r in raw["records"]
    }
    opportunities = {
        i.data.id: i.data
        for i in adapter.read(apex_recipes / "Opportunities.json")
        if isinstance(i, Fact) and isinstance(i.data, Opportunity)
    }
    assert {k: o.account_id for k, o in opportunities.items()} == expected
    assert set(expected.values()) <= accounts
    first = opportunities["OpportunityRef1"]
    assert first.close_date == date(2020, 12, 22)  # 2020-12-22T21:16:01Z
    assert first.amount == Money("119373.34", "USD")


def test_apex_csv_twin_gives_the_same_opportunities(apex_recipes: Path) -> None:
    options = CrmOptions(default_currency="USD")

    def opportunities(items: list[Fact | Reject]) -> dict[str, tuple[object, ...]]:
        return {
            i.data.id: (i.data.name, i.data.amount, i.data.close_date, i.data.account_id)
            for i in items
            if isinstance(i, Fact) and isinstance(i.data, Opportunity)
        }

    from_json = opportunities(
        list(SalesforceTreeAdapter(options).read(apex_recipes / "Opportunities.json"))
    )
    from_csv = opportunities(
        list(SalesforceCsvAdapter(options).read(apex_recipes / "Opportunities.csv"))
    )
    assert len(from_json) == 50
    assert from_csv == from_json


def test_apex_tree_line_numbers_point_at_the_record(apex_recipes: Path) -> None:
    path = apex_recipes / "Opportunities.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    adapter = SalesforceTreeAdapter(CrmOptions(default_currency="USD"))
    for item in adapter.read(path):
        assert item.provenance.line is not None
        assert lines[item.provenance.line - 1].strip() == "{"
