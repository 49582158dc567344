"""HubSpot CRM UI exports: deals, companies, contacts and line items.

A UI export (``hubspot-crm-exports-<view>-<date>.csv``) heads its columns with
property *labels* (``Deal Name``, ``Close Date``), starts with ``Record ID``,
and joins several associations with ``;``. Deals become ``Opportunity``
facts, companies ``Counterparty``, contacts ``Person``, and line items
``opportunity_line`` Derived facts with the keys Salesforce line items have
(the model has no line class for a deal). Dates are ``2024-08-27 14:03`` as
HubSpot writes them; an Excel re-save (``4/8/2025 17:19``) is read in the
day/month order the file's own values prove (:func:`handoff_rules_crm.cells.with_inferred_dates`).

A deal's customer is its associated company when there is exactly one (or a
``(Primary)`` association column names one); with several and no primary the
customer is left empty rather than picked, and the ids are kept in a
``crm_details`` fact, so rules that need the customer see it is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Final

from handoff_rules.adapters import (
    AdapterError,
    Fact,
    FormatInfo,
    ReadSettings,
    Reject,
    Sample,
    SniffResult,
)
from handoff_rules.adapters.tabular import open_table
from handoff_rules.model import Counterparty, Derived, FactData, Opportunity, Person
from handoff_rules_crm import __version__
from handoff_rules_crm.cells import Cells, RecordError, with_inferred_dates
from handoff_rules_crm.emit import Emitter, broken_row
from handoff_rules_crm.options import CURRENCY_FIX, OPTIONS_FILE, CrmOptions, options_for
from handoff_rules_crm.salesforce import company_ids, country_code
from handoff_rules_crm.salesforce_csv import csv_header
from handoff_rules_crm.supplies import probe_supplies
from handoff_rules_crm.via import ERP_ORDER_NUMBER

__all__ = ["HubSpotCsvAdapter", "hubspot_kind"]

_DEAL_IDS: Final = ("Associated Deal IDs", "Associated Deal ID", "Associated Deal IDs (Primary)")

_CURRENCY: Final = ("Currency", "Deal currency code", "Deal Currency Code")
_COMPANY_IDS: Final = (
    "Associated Company IDs (Primary)",
    "Associated Company ID (Primary)",
    "Associated Company IDs",
    "Associated Company ID",
)


#: Deal properties holding the reference that links the deal to its ERP order.
_ORDER_REF: Final = ("PO Number", "Customer PO", "Customer PO Number")


def hubspot_kind(header: Sequence[str]) -> str | None:
    """``deals``, ``companies``, ``contacts`` or ``line-items`` for a HubSpot header, else None."""
    columns = {h.strip().casefold() for h in header}
    if "record id" not in columns:
        return None
    if "unit price" in columns and {"quantity", "name"} <= columns:
        return "line-items"
    if {"deal name", "deal stage"} & columns:
        return "deals"
    if {"company name", "company domain name"} & columns:
        return "companies"
    if {"first name", "last name", "email"} & columns:
        return "contacts"
    return None


def _key(cells: Cells) -> str:
    key = cells.text("Record ID")
    if key is None or not key.strip():
        raise RecordError(
            "Record ID is empty; export the records from HubSpot again (every record has one)"
        )
    return key.strip()


def _company_ids(cells: Cells) -> list[str]:
    for name in _COMPANY_IDS:
        if cells.has(name):
            value = cells.text(name)
            if value is not None:
                return [p.strip() for p in value.split(";") if p.strip()]
    return []


def _deal(cells: Cells) -> list[FactData]:
    key = _key(cells)
    stage = cells.text("Deal Stage")
    options = cells.options
    companies = _company_ids(cells)
    won = options.is_won_stage(stage) if stage is not None else None
    closed = won or options.is_lost_stage(stage) if stage is not None else None
    facts: list[FactData] = [
        Opportunity(
            id=key,
            name=cells.text("Deal Name"),
            account_id=companies[0] if len(companies) == 1 else None,
            stage=stage,
            is_won=won,
            is_closed=closed,
            close_date=cells.date("Close Date"),
            amount=cells.money(("Amount",), _CURRENCY),
            owner=cells.text("Deal owner", "Deal Owner"),
            order_ref=cells.text(*_ORDER_REF),
            payment_terms=cells.text("Payment Terms"),
            payment_days=cells.integer("Payment Days"),
            discount_pct=cells.decimal("Discount", "Discount (%)"),
            nonstandard_terms=cells.text("Non-standard Terms", "Special Terms"),
            ops_signoff_by=cells.text("Ops Sign-off By", "Ops Signoff By"),
            ops_signoff_on=cells.date("Ops Sign-off Date", "Ops Signoff Date"),
        )
    ]
    details: dict[str, object] = {"object": "deal"}
    for out, names in (
        ("pipeline", ("Pipeline",)),
        ("associated_company", ("Associated Company (Primary)", "Associated Company")),
        ("deal_type", ("Deal Type",)),
        ("associated_contact_ids", ("Associated Contact IDs",)),
    ):
        value = cells.text(*names)
        if value is not None:
            details[out] = value
    associated = _ids(cells, ("Associated Company IDs", "Associated Company ID"))
    if len(associated) > 1 or len(companies) > 1:  # the customer is one of them, or unknown
        listed = associated if len(associated) >= len(companies) else companies
        details["associated_company_ids"] = ";".join(listed)
    if len(details) > 1:
        facts.append(Derived(name="crm_details", subject=key, values=details))
    return facts


#: Company properties (custom: HubSpot has no default one) holding the tax or registration
#: number, by their labels; every filled one is a candidate, as for a Salesforce Account.
_TAX_ID_LABELS: Final = (
    "VAT Number",
    "VAT ID",
    "VAT",
    "Tax ID",
    "Tax Number",
    "Company Registration Number",
    "Registration Number",
)


def _company(cells: Cells) -> list[FactData]:
    """A company; ``Country/Region`` is a code or an English name (``United Kingdom``)."""
    key = _key(cells)
    country = country_code(cells, ("Country/Region", "Country"))
    tax_ids = [v for v in (cells.text(label) for label in _TAX_ID_LABELS) if v is not None]
    facts: list[FactData] = [
        Counterparty(
            id=key,
            name=cells.text("Company name", "Name"),
            country=country,
            identifiers=company_ids(country, tax_ids),  # type: ignore[arg-type]  # attrs converter=tuple
        )
    ]
    details: dict[str, object] = {"object": "company"}
    for out, names in (
        ("domain", ("Company Domain Name",)),
        ("country", ("Country/Region", "Country")),
        ("industry", ("Industry",)),
        ("owner", ("Company owner",)),
    ):
        value = cells.text(*names)
        if value is not None:
            details[out] = value
    if tax_ids:
        details["tax_id"] = "; ".join(tax_ids)
    if len(details) > 1:
        facts.append(Derived(name="crm_details", subject=key, values=details))
    return facts


def _contact(cells: Cells) -> list[FactData]:
    parts = [p for p in (cells.text("First Name"), cells.text("Last Name")) if p is not None]
    full_name = " ".join(parts) if parts else cells.text("Email")
    if full_name is None:
        raise RecordError(
            "a contact needs First Name, Last Name or Email; all are empty: fill one in "
            "HubSpot, or export those columns"
        )
    companies = _company_ids(cells)
    return [
        Person(
            id=_key(cells),
            full_name=full_name,
            counterparty_id=companies[0] if len(companies) == 1 else None,
            position=cells.text("Job Title"),
            email=cells.text("Email"),
        )
    ]


def _ids(cells: Cells, names: tuple[str, ...]) -> list[str]:
    value = cells.text(*names)
    return [p.strip() for p in value.split(";") if p.strip()] if value is not None else []


def _line_item(cells: Cells) -> list[FactData]:
    """A deal's line item; its unit price keeps the precision written (a price is no amount)."""
    key = _key(cells)
    deals = _ids(cells, _DEAL_IDS)
    if len(deals) != 1:
        found = "none" if not deals else ", ".join(deals)
        raise RecordError(
            f"line item {key} must belong to exactly one deal; Associated Deal IDs "
            f"names {found}: export line items with their deal association"
        )
    unit_price = cells.decimal("Unit price")
    currency = cells.text(*_CURRENCY)
    code = currency.strip() if currency is not None else cells.options.default_currency
    if unit_price is not None and code is None:
        where = (
            "its Currency is empty"
            if cells.has(*_CURRENCY)
            else "the export has no Currency column"
        )
        raise RecordError(f"Unit price {unit_price} has no currency: {where}; {CURRENCY_FIX}")
    total = cells.money(("Net price", "Amount"), _CURRENCY)
    values: dict[str, object] = {
        "opportunity_id": deals[0],
        "product": cells.text("Product ID", "SKU") or cells.text("Name"),
        "name": cells.text("Name"),
        "quantity": cells.decimal("Quantity"),
        "discount_pct": cells.decimal("Discount percentage", "Discount (%)"),
        "unit_price": unit_price,
        "total_price": total.amount if total is not None else None,
        "currency": code if unit_price is not None or total is not None else None,
    }
    kept = {k: v for k, v in values.items() if v is not None}
    return [Derived(name="opportunity_line", subject=key, values=kept)]


def _probe_line_item(cells: Cells) -> list[FactData]:
    """:func:`_line_item` for the supplies probe, whose two-value run names two deals."""
    try:
        return _line_item(cells)
    except RecordError:
        return []


def _record_keys(kind: str, cells: Cells) -> dict[str, str | None]:
    """The business keys a row shows even when it cannot become a fact; never raises.

    ``counterparty``: a company's Record ID, else the row's one associated
    company; ``order``: a deal's ERP order number when it is written back into
    the CRM (``link_via = "erp_order_number"``).
    """
    record_id = cells.text("Record ID")
    companies = _company_ids(cells)
    keys: dict[str, str | None] = {
        "counterparty": record_id
        if kind == "companies"
        else (companies[0] if len(companies) == 1 else None)
    }
    if kind == "deals" and cells.options.link_via == ERP_ORDER_NUMBER.name:
        keys["order"] = cells.text(*_ORDER_REF)
    return keys


def _date_values(path: Path, columns: list[str]) -> list[str]:
    """Every value of the file's date columns, for its day/month order."""
    found: list[str] = []
    with open_table(path) as (table, _encoding):
        for row in table:
            found.extend(v for c in columns if (v := row.values.get(c)))
    return found


_MAPPERS: Final[dict[str, tuple[Callable[[Cells], list[FactData]], str]]] = {
    "deals": (_deal, "opportunity"),
    "companies": (_company, "counterparty"),
    "contacts": (_contact, "person"),
    "line-items": (_line_item, "derived"),
}


class HubSpotCsvAdapter:
    """Reads HubSpot deal, company and contact exports."""

    name = "hubspot-csv"
    version = __version__
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "hubspot-deals",
            "HubSpot deals export (Record ID, Deal Name, Deal Stage …)",
            supplies=probe_supplies([_deal]),
            options_files=(OPTIONS_FILE,),
        ),
        FormatInfo(
            "hubspot-companies",
            "HubSpot companies export (Record ID, Company name …)",
            supplies=probe_supplies([_company]),
            options_files=(OPTIONS_FILE,),
        ),
        FormatInfo(
            "hubspot-contacts",
            "HubSpot contacts export (Record ID, First Name, Email …)",
            supplies=probe_supplies([_contact]),
            options_files=(OPTIONS_FILE,),
        ),
        FormatInfo(
            "hubspot-line-items",
            "HubSpot line items export (Record ID, Name, Quantity, Unit price …)",
            supplies=probe_supplies([_probe_line_item]),
            options_files=(OPTIONS_FILE,),
        ),
    )

    def __init__(self, options: CrmOptions | None = None) -> None:
        self.options = options

    def sniff(self, sample: Sample) -> SniffResult | None:
        found = csv_header(sample)
        kind = hubspot_kind(found[0]) if found is not None else None
        return SniffResult(f"hubspot-{kind}", 0.9) if kind is not None else None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        return self.read_with_settings(path, ReadSettings())

    def read_with_settings(self, path: Path, settings: ReadSettings) -> Iterator[Fact | Reject]:
        """The file's records; ``settings.default_currency`` (``--currency``) wins over the
        options' (see :func:`~handoff_rules_crm.options.options_for`)."""
        options = options_for(path, self.options, settings)
        emit = Emitter(self.name, path)
        with open_table(path) as (table, _encoding):
            kind = hubspot_kind(table.header)
            if kind is None:
                raise AdapterError(
                    str(path),
                    "not a HubSpot deals, companies, contacts or line items export "
                    "(expected 'Record ID' and e.g. 'Deal Name')",
                    f"line {table.header_line}",
                )
            dates = [c for c in table.header if "date" in c.casefold()]
        found = _date_values(path, dates)
        options = with_inferred_dates(options, found)
        mapper, fact_type = _MAPPERS[kind]
        with open_table(path) as (table, _encoding):
            for row in table:
                cells = Cells(row.values, options)
                keys = partial(_record_keys, kind, cells)
                if row.problem is not None:
                    yield emit.reject(
                        broken_row(row.problem), row.location, row.line, fact_type, row.raw(), keys
                    )
                    continue
                yield from emit.record(
                    partial(mapper, cells),
                    location=row.location,
                    line=row.line,
                    fact_type=fact_type,
                    raw=row.raw(),
                    keys=keys,
                )
