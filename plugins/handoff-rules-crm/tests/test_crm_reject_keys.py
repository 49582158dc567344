"""A rejected CRM record keeps the business keys it still shows: its account and order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from handoff_rules_crm import (
    CrmOptions,
    HubSpotCsvAdapter,
    OdooSaleOrderAdapter,
    SalesforceCsvAdapter,
    SalesforceTreeAdapter,
)
from handoff_rules_crm.options import OPTIONS_FILE

from handoff_rules.adapters import Adapter, Reject

WRITE_BACK = CrmOptions(link_via="erp_order_number")


def _rejects(adapter: Adapter, path: Path) -> list[Reject]:
    return [item for item in adapter.read(path) if isinstance(item, Reject)]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


OPPORTUNITIES = (
    "Id,AccountId,Name,StageName,CloseDate,Amount,CurrencyIsoCode,PO_Number__c\n"
    "006A1,001A1,Pumps,Closed Won,03/02/24,100.00,EUR,5000001\n"
    "006A2,001A2,Seals,Closed Won,2024-05-02,100.00,EUR,5000002,one cell too many\n"
)


def test_a_rejected_opportunity_names_its_account(tmp_path: Path) -> None:
    path = _write(tmp_path / "Opportunity.csv", OPPORTUNITIES)
    bad_date, long_row = _rejects(SalesforceCsvAdapter(), path)
    assert "03/02/24" in bad_date.reason
    assert bad_date.keys == (("counterparty", "001A1"),)
    assert long_row.keys == (("counterparty", "001A2"),)  # a malformed row still shows it


def test_the_erp_order_number_written_back_is_the_order_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "Opportunity.csv", OPPORTUNITIES)
    bad_date, long_row = _rejects(SalesforceCsvAdapter(WRITE_BACK), path)
    assert dict(bad_date.keys) == {"counterparty": "001A1", "order": "5000001"}
    assert dict(long_row.keys) == {"counterparty": "001A2", "order": "5000002"}


def test_the_options_file_beside_the_export_says_it_is_written_back(tmp_path: Path) -> None:
    path = _write(tmp_path / "Opportunity.csv", OPPORTUNITIES)
    _write(tmp_path / OPTIONS_FILE, '[crm]\nlink_via = "erp_order_number"\n')
    bad_date, _long_row = _rejects(SalesforceCsvAdapter(), path)
    assert bad_date.key("order") == "5000001"
    record = bad_date.to_record()
    assert record["keys"] == {"counterparty": "001A1", "order": "5000001"}


def test_a_rejected_account_names_itself_as_the_counterparty(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "Account.csv",
        "Id,Name,AccountNumber,BillingCountry\n001A1,Cobalt,C100,CZ,extra\n",
    )
    (reject,) = _rejects(SalesforceCsvAdapter(), path)
    assert reject.keys == (("counterparty", "001A1"),)


def test_a_rejected_tree_record_names_its_referenced_account(tmp_path: Path) -> None:
    records = {
        "records": [
            {
                "attributes": {"type": "Opportunity", "referenceId": "OpportunityRef1"},
                "Name": "Pumps",
                "StageName": "Closed Won",
                "CloseDate": "03/02/24",
                "AccountId": "@AccountRef7",
                "PO_Number__c": "5000001",
            }
        ]
    }
    path = _write(tmp_path / "Opportunities.json", json.dumps(records))
    (reject,) = _rejects(SalesforceTreeAdapter(WRITE_BACK), path)
    assert dict(reject.keys) == {"counterparty": "AccountRef7", "order": "5000001"}


@pytest.mark.parametrize(
    ("name", "text", "keys"),
    [
        (
            "deals.csv",
            "Record ID,Deal Name,Deal Stage,Close Date,Associated Company IDs,PO Number\n"
            "18,Pumps,closedwon,03/02/24,99,5000001\n",
            {"counterparty": "99", "order": "5000001"},
        ),
        (
            "deals.csv",  # several companies and no primary: no counterparty is picked
            "Record ID,Deal Name,Deal Stage,Close Date,Associated Company IDs,PO Number\n"
            "18,Pumps,closedwon,03/02/24,98;99,5000001\n",
            {"order": "5000001"},
        ),
        (
            "companies.csv",
            "Record ID,Company name,Country/Region\n99,Cobalt,CZ,extra\n",
            {"counterparty": "99"},
        ),
    ],
)
def test_hubspot_rejects_name_their_company(
    tmp_path: Path, name: str, text: str, keys: dict[str, str]
) -> None:
    (reject,) = _rejects(HubSpotCsvAdapter(WRITE_BACK), _write(tmp_path / name, text))
    assert dict(reject.keys) == keys


def test_a_rejected_odoo_order_and_its_lines_name_the_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "sale.order.csv",
        "id,name,date_order,partner_id,currency_id,order_line/name,order_line/price_subtotal\n"
        "x1,SO-1,2024-05-02,C-42,EUR,Pump,10.00\n"
        ",,,,,Seal,ten\n"  # a bad line of a good order
        "x2,SO-2,03/02/24,C-43,EUR,Pump,10.00\n"  # a bad order
        ",,,,,Seal,5.00\n",  # a line of the rejected order
    )
    bad_line, bad_order, orphan_line = _rejects(OdooSaleOrderAdapter(), path)
    assert bad_line.key("order") == "SO-1"
    assert dict(bad_order.keys) == {"order": "SO-2", "counterparty": "C-43"}
    assert "which was rejected" in orphan_line.reason
    assert orphan_line.key("order") == "SO-2"
