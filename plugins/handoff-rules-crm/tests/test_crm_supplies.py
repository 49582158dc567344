"""Every format declares what it can fill, and no fixture fills anything undeclared."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from handoff_rules_crm import (
    CrmOptions,
    HubSpotCsvAdapter,
    OdooSaleOrderAdapter,
    SalesforceCsvAdapter,
    SalesforceTreeAdapter,
)
from handoff_rules_crm.supplies import field_paths

from handoff_rules.adapters import Adapter, Fact, choose_adapter
from handoff_rules.engine.flatten import field_schema
from handoff_rules.model import Counterparty, Money, Opportunity

DATA = Path(__file__).parent / "data"
#: The options the samples need between them: ISO dates, and the demo org's Excel re-save.
OPTIONS = (
    CrmOptions(),
    CrmOptions(date_formats=("%m/%d/%y", "%m/%d/%y %I:%M %p"), default_currency="USD"),
)


def _adapters(options: CrmOptions) -> list[Adapter]:
    return [
        SalesforceCsvAdapter(options),
        SalesforceTreeAdapter(options),
        HubSpotCsvAdapter(options),
        OdooSaleOrderAdapter(options),
    ]


def _declared(adapter: Adapter, format_name: str) -> dict[str, set[str]]:
    (info,) = [f for f in adapter.formats if f.name == format_name]
    return {s.fact_type: set(s.fields) for s in info.supplies}


def _fixture_facts() -> list[tuple[Path, str, dict[str, set[str]], Fact]]:
    found = []
    for path in sorted(p for p in DATA.rglob("*") if p.suffix in (".csv", ".json")):
        for options in OPTIONS:
            try:
                adapter, claim = choose_adapter(path, _adapters(options))
            except Exception:  # a file none of them reads (a report export)
                continue
            declared = _declared(adapter, claim.format)
            for item in adapter.read(path):
                if isinstance(item, Fact):
                    found.append((path, claim.format, declared, item))
    return found


FIXTURE_FACTS = _fixture_facts()


def test_the_fixtures_give_facts_of_every_format() -> None:
    formats = {fmt for _path, fmt, _declared, _fact in FIXTURE_FACTS}
    assert formats == {
        "salesforce-csv",
        "sfdx-tree",
        "hubspot-deals",
        "hubspot-companies",
        "hubspot-contacts",
        "hubspot-line-items",
        "odoo-sale-order",
        "odoo-sale-order-line",
    }
    assert len(FIXTURE_FACTS) > 500


def test_every_field_a_fixture_fills_is_declared_by_its_format() -> None:
    undeclared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _path, fmt, declared, fact in FIXTURE_FACTS:
        fact_type, paths = field_paths(fact.data)
        missing = paths - declared.get(fact_type, set())
        if missing:
            undeclared[(fmt, fact_type)].update(missing)
    assert dict(undeclared) == {}


@pytest.mark.parametrize(
    "adapter",
    [SalesforceCsvAdapter(), SalesforceTreeAdapter(), HubSpotCsvAdapter(), OdooSaleOrderAdapter()],
    ids=lambda a: a.name,
)
def test_declared_model_fields_are_paths_packs_can_name(adapter: Adapter) -> None:
    for info in adapter.formats:
        for supply in info.supplies:
            if supply.fact_type.startswith("derived."):
                assert "subject" in supply.fields
                continue
            schema = field_schema(supply.fact_type)
            assert schema is not None, supply.fact_type
            assert set(supply.fields) <= set(schema), (info.name, supply.fact_type)


def test_what_the_formats_declare() -> None:
    salesforce = _declared(SalesforceCsvAdapter(), "salesforce-csv")
    assert salesforce == _declared(SalesforceTreeAdapter(), "sfdx-tree")
    assert {"order_ref", "amount", "amount.currency", "is_won", "account_id"} <= salesforce[
        "opportunity"
    ]
    # no credit limit in a CRM; identifiers from an Account's tax id, by its country
    assert salesforce["counterparty"] == {"id", "name", "country", "identifiers.count"}
    assert {"valid_from", "valid_until", "status", "counterparty_id"} <= salesforce["document"]
    assert "unit_price" in salesforce["derived.pricebook_entry"]
    assert "erp_customer_id" in salesforce["derived.crm_details"]
    odoo = _declared(OdooSaleOrderAdapter(), "odoo-sale-order")
    assert {"customer_po_ref", "net_value", "counterparty_id"} <= odoo["order"]
    assert "ship_to" not in odoo["order"]
    deals = _declared(HubSpotCsvAdapter(), "hubspot-deals")
    assert "associated_company_ids" in deals["derived.crm_details"]  # only with several companies
    assert _declared(SalesforceTreeAdapter(), "sfdx-data-plan") == {}  # no records of its own


def test_field_paths_leave_out_defaults_and_expand_money() -> None:
    assert field_paths(Counterparty(id="C1")) == ("counterparty", frozenset({"id"}))
    _type, paths = field_paths(Opportunity(id="O1", amount=Money("1.00", "EUR"), is_won=False))
    assert paths == {"id", "amount", "amount.minor", "amount.currency", "is_won"}
