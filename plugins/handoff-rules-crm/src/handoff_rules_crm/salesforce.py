"""Salesforce objects: which one a file holds, and how a record maps to the model.

Both Salesforce formats (CSV exports and sfdx data-tree JSON) use API field
names, so recognising the object and mapping a record is shared here; the
adapters only differ in how they split a file into records.

What the core model holds becomes model facts: Account → ``Counterparty``,
Contact → ``Person``, Opportunity → ``Opportunity``. What it has no class for
becomes a ``Derived`` fact with the object's fields under stable keys:
``opportunity_line`` (OpportunityLineItem), ``opportunity_stage_change``
(OpportunityHistory), ``quote`` (Quote, CPQ ``SBQQ__Quote__c``) and
``quote_line`` (QuoteLineItem, CPQ ``SBQQ__QuoteLine__c``) and ``lead`` (Lead). Fields of an
Account or Opportunity that the model has no attribute for (description,
account number, probability …) go into one ``crm_details`` Derived fact per
record, so nothing read is lost, the hostile text of descriptions included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Final

import attrs

from handoff_rules.adapters import Supply
from handoff_rules.model import (
    SCHEME_BY_COUNTRY,
    CompanyId,
    ContractStatus,
    Counterparty,
    Derived,
    Document,
    DocumentKind,
    FactData,
    Opportunity,
    Person,
)
from handoff_rules_crm.cells import Cells, RecordError
from handoff_rules_crm.supplies import probe_supplies
from handoff_rules_crm.via import ERP_ORDER_NUMBER

__all__ = [
    "COUNTRY_NAMES",
    "OBJECTS",
    "REPORT",
    "SUPPLIES",
    "TAX_ID_FIELDS",
    "SalesforceObject",
    "account_country",
    "company_ids",
    "detect_object",
    "is_report",
    "map_record",
    "object_from_name",
    "record_keys",
    "report_row",
]

#: Columns whose value may be an ``@Ref`` reference in sfdx data-tree files.
_CURRENCY: Final = ("CurrencyIsoCode",)


def ref(cells: Cells, *names: str) -> str | None:
    """A reference to another record; sfdx ``@AccountRef32`` becomes its key ``AccountRef32``."""
    value = cells.text(*names)
    if value is None:
        return None
    value = value.strip()
    return value[1:] if value.startswith("@") and len(value) > 1 else value


def _details(
    cells: Cells, key: str, object_name: str, fields: Mapping[str, tuple[str, ...]]
) -> Derived | None:
    values: dict[str, object] = {}
    for out, names in fields.items():
        value = cells.text(*names)
        if value is not None:
            values[out] = value
    if not values:
        return None
    return Derived(name="crm_details", subject=key, values={"object": object_name, **values})


#: English country names an Account's ``BillingCountry`` may hold, for the ISO code the
#: model keeps; a 2-letter code or ``BillingCountryCode`` (State and Country Picklists)
#: needs no table. Other names leave the country empty and stay in ``crm_details``.
COUNTRY_NAMES: Final[Mapping[str, str]] = {
    "austria": "AT",
    "belgium": "BE",
    "czech republic": "CZ",
    "czechia": "CZ",
    "denmark": "DK",
    "france": "FR",
    "germany": "DE",
    "italy": "IT",
    "netherlands": "NL",
    "poland": "PL",
    "russia": "RU",
    "russian federation": "RU",
    "slovakia": "SK",
    "spain": "ES",
    "switzerland": "CH",
    "ukraine": "UA",
    "united kingdom": "GB",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
}

#: Account fields (custom; the first present of each record is read) holding the
#: company's tax or registration number.
TAX_ID_FIELDS: Final = (
    "VAT__c",
    "VATNumber__c",
    "VAT_Number__c",
    "VAT_ID__c",
    "VATID__c",
    "TaxID__c",
    "Tax_Id__c",
    "Tax_ID_Number__c",
    "TaxNumber__c",
    "Tax_Number__c",
    "Company_Registration_Number__c",
    "Registration_Number__c",
)


def account_country(cells: Cells) -> str | None:
    """The ISO 3166 code of an Account's billing (else shipping) country, when it can be told."""
    return country_code(
        cells,
        ("BillingCountryCode", "ShippingCountryCode"),
        ("BillingCountry", "ShippingCountry"),
    )


def country_code(cells: Cells, *columns: tuple[str, ...]) -> str | None:
    """The ISO 3166 code the first filled of ``columns`` gives: a 2-letter code as written,
    or an English name of :data:`COUNTRY_NAMES`; None for any other name."""
    for names in columns:
        value = cells.text(*names)
        if value is None:
            continue
        code = value.strip()
        if re.fullmatch(r"[A-Za-z]{2}", code):
            return code.upper()
        named = COUNTRY_NAMES.get(" ".join(code.split()).casefold())
        if named is not None:
            return named
    return None


def _national(country: str, value: str) -> str:
    """A VAT number without its country prefix: the legal-entity DIČ is ``CZ`` + IČO, the
    Polish VAT number ``PL`` + NIP, the French ``FR`` + 2 check characters + SIREN."""
    compact = "".join(value.split()).upper()
    if not compact.startswith(country) or not compact[2:].isalnum():
        return value.strip()
    rest = compact[2:]
    if country == "FR" and len(rest) == 11:
        return rest[2:]
    return rest


def company_ids(country: str | None, values: Iterable[str]) -> tuple[CompanyId, ...]:
    """The company identifiers of the scheme ``country`` requires, as the model validates them.

    Only for countries whose scheme the model knows (``SCHEME_BY_COUNTRY``); the
    first value that passes the scheme's checksum wins, else the first one is
    kept and flagged invalid by the model (ACC-ID-001 then names it). A French
    14-digit SIRET also gives its SIREN.
    """
    scheme = SCHEME_BY_COUNTRY.get(country or "")
    candidates = [v.strip() for v in values if v.strip()]
    if scheme is None or country is None or not candidates:
        return ()
    national = [_national(country, v) for v in candidates]
    chosen = next((v for v in national if CompanyId(scheme.value, v).is_valid), national[0])
    digits = "".join(ch for ch in chosen if ch.isdigit())
    if scheme.value == "FR-SIREN" and len(digits) == 14:
        return (CompanyId("FR-SIRET", digits), CompanyId("FR-SIREN", digits[:9]))
    return (CompanyId(scheme.value, chosen),)


def _account(cells: Cells, key: str) -> list[FactData]:
    country = account_country(cells)
    tax_ids = [v for v in (cells.text(name) for name in TAX_ID_FIELDS) if v is not None]
    facts: list[FactData] = [
        Counterparty(
            id=key,
            name=cells.text("Name"),
            country=country,
            identifiers=company_ids(country, tax_ids),  # type: ignore[arg-type]  # attrs converter=tuple
        )
    ]
    details = _details(
        cells,
        key,
        "Account",
        {
            "erp_customer_id": ("AccountNumber",),
            "type": ("Type",),
            "industry": ("Industry",),
            "billing_country": ("BillingCountry",),
            "billing_city": ("BillingCity",),
            "description": ("Description",),
        },
    )
    if tax_ids:  # as written, every field that holds one
        values = dict(details.values) if details is not None else {"object": "Account"}
        details = Derived(
            name="crm_details", subject=key, values={**values, "tax_id": "; ".join(tax_ids)}
        )
    return [*facts, details] if details is not None else facts


def _contact(cells: Cells, key: str) -> list[FactData]:
    full_name = cells.text("Name")
    if full_name is None:
        parts = [p for p in (cells.text("FirstName"), cells.text("LastName")) if p is not None]
        full_name = " ".join(parts) if parts else None
    if full_name is None:
        raise RecordError(
            "a Contact needs Name, FirstName or LastName; all are empty: export the Name "
            "or LastName column (Salesforce requires LastName)"
        )
    return [
        Person(
            id=key,
            full_name=full_name,
            counterparty_id=ref(cells, "AccountId"),
            position=cells.text("Title"),
            email=cells.text("Email"),
        )
    ]


#: Opportunity custom fields that carry what sales promised; the first present column wins.
OPPORTUNITY_PROMISE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "order_ref": ("PO_Number__c", "PONumber__c", "Customer_PO__c", "PoNumber"),
    "payment_terms": ("Payment_Terms__c", "PaymentTerms__c"),
    "payment_days": ("Payment_Days__c", "PaymentDays__c"),
    "discount_pct": ("Discount__c", "Discount_Percent__c"),
    "nonstandard_terms": ("Nonstandard_Terms__c", "Special_Terms__c"),
    "ops_signoff_by": ("Ops_Signoff_By__c",),
    "ops_signoff_on": ("Ops_Signoff_Date__c", "Ops_Signoff_On__c"),
}


def _won_closed(cells: Cells, stage: str | None) -> tuple[bool | None, bool | None]:
    """IsWon/IsClosed as exported; without those columns, from the configured stage names."""
    is_won = cells.boolean("IsWon")
    is_closed = cells.boolean("IsClosed")
    if stage is not None and not cells.has("IsWon"):
        is_won = cells.options.is_won_stage(stage)
    if stage is not None and not cells.has("IsClosed"):
        is_closed = cells.options.is_won_stage(stage) or cells.options.is_lost_stage(stage)
    return is_won, is_closed


def _opportunity(cells: Cells, key: str) -> list[FactData]:
    stage = cells.text("StageName")
    is_won, is_closed = _won_closed(cells, stage)
    promise = OPPORTUNITY_PROMISE_FIELDS
    opportunity = Opportunity(
        id=key,
        name=cells.text("Name"),
        account_id=ref(cells, "AccountId"),
        stage=stage,
        is_won=is_won,
        is_closed=is_closed,
        close_date=cells.date("CloseDate"),
        amount=cells.money(("Amount",), _CURRENCY),
        owner=ref(cells, "OwnerId"),
        order_ref=cells.text(*promise["order_ref"]),
        payment_terms=cells.text(*promise["payment_terms"]),
        payment_days=cells.integer(*promise["payment_days"]),
        discount_pct=cells.decimal(*promise["discount_pct"]),
        nonstandard_terms=cells.text(*promise["nonstandard_terms"]),
        ops_signoff_by=cells.text(*promise["ops_signoff_by"]),
        ops_signoff_on=cells.date(*promise["ops_signoff_on"]),
    )
    details = _details(
        cells,
        key,
        "Opportunity",
        {
            "description": ("Description",),
            "probability": ("Probability",),
            "forecast_category": ("ForecastCategoryName", "ForecastCategory"),
            "type": ("Type",),
            "lead_source": ("LeadSource",),
            "contact_id": ("ContactId",),
        },
    )
    return [opportunity, details] if details is not None else [opportunity]


def _derived(
    name: str,
    key: str,
    values: Mapping[str, object],
    *,
    order_id: str | None = None,
    counterparty_id: str | None = None,
) -> Derived:
    kept = {k: v for k, v in values.items() if v is not None}
    return Derived(
        name=name, subject=key, values=kept, order_id=order_id, counterparty_id=counterparty_id
    )


def _money_values(cells: Cells, prefix: str, names: tuple[str, ...]) -> dict[str, object]:
    money = cells.money(names, _CURRENCY)
    if money is None:
        return {}
    return {prefix: money.amount, "currency": money.currency}


def _price_values(cells: Cells, prefix: str, names: tuple[str, ...]) -> dict[str, object]:
    """A unit price with every decimal written (``266.66666667``) and its currency."""
    price = cells.price(names, _CURRENCY)
    if price is None:
        return {}
    return {prefix: price[0], "currency": price[1]}


def _line_item(cells: Cells, key: str) -> list[FactData]:
    opportunity_id = ref(cells, "OpportunityId")
    if opportunity_id is None:
        raise RecordError(
            "an OpportunityLineItem needs an OpportunityId; export the OpportunityId column "
            "with every line item"
        )
    values: dict[str, object] = {
        "opportunity_id": opportunity_id,
        "product": ref(cells, "Product2Id", "PricebookEntryId") or cells.text("Name"),
        "quantity": cells.decimal("Quantity"),
        "discount_pct": cells.decimal("Discount"),
        "service_date": cells.date("ServiceDate"),
        "sort_order": cells.integer("SortOrder"),
    }
    for out, names in (("unit_price", ("UnitPrice",)), ("list_price", ("ListPrice",))):
        values.update(_price_values(cells, out, names))
    values.update(_money_values(cells, "total_price", ("TotalPrice",)))
    return [_derived("opportunity_line", key, values)]


def _history(cells: Cells, key: str) -> list[FactData]:
    opportunity_id = ref(cells, "OpportunityId")
    if opportunity_id is None:
        raise RecordError(
            "an OpportunityHistory row needs an OpportunityId; export the OpportunityId "
            "column with every row"
        )
    values: dict[str, object] = {
        "opportunity_id": opportunity_id,
        "stage": cells.text("StageName"),
        "close_date": cells.date("CloseDate"),
        "probability": cells.decimal("Probability"),
        "forecast_category": cells.text("ForecastCategory"),
        "changed_on": cells.date("CreatedDate"),
        **_money_values(cells, "amount", ("Amount",)),
    }
    return [_derived("opportunity_stage_change", key, values)]


def _quote(cells: Cells, key: str) -> list[FactData]:
    values: dict[str, object] = {
        "object": "SBQQ__Quote__c" if cells.has("SBQQ__Opportunity2__c") else "Quote",
        "opportunity_id": ref(cells, "OpportunityId", "SBQQ__Opportunity2__c"),
        "account_id": ref(cells, "AccountId", "SBQQ__Account__c"),
        "number": cells.text("QuoteNumber", "Name"),
        "status": cells.text("Status", "SBQQ__Status__c"),
        "primary": cells.boolean("IsSyncing", "SBQQ__Primary__c"),
        "expiration_date": cells.date("ExpirationDate", "SBQQ__ExpirationDate__c"),
        "payment_terms": cells.text("SBQQ__PaymentTerms__c", "Payment_Terms__c"),
        "discount_pct": cells.decimal("Discount", "SBQQ__CustomerDiscount__c"),
        **_money_values(cells, "net_amount", ("SBQQ__NetAmount__c", "TotalPrice", "GrandTotal")),
    }
    return [_derived("quote", key, values)]


def _quote_line(cells: Cells, key: str) -> list[FactData]:
    quote_id = ref(cells, "QuoteId", "SBQQ__Quote__c")
    if quote_id is None:
        raise RecordError(
            "a quote line needs QuoteId or SBQQ__Quote__c; export that column with every quote line"
        )
    values: dict[str, object] = {
        "object": "SBQQ__QuoteLine__c" if cells.has("SBQQ__Quote__c") else "QuoteLineItem",
        "quote_id": quote_id,
        "product": ref(cells, "Product2Id", "SBQQ__Product__c"),
        "quantity": cells.decimal("Quantity", "SBQQ__Quantity__c"),
        "discount_pct": cells.decimal("Discount", "SBQQ__Discount__c"),
        "line_number": cells.integer("LineNumber", "SBQQ__Number__c"),
        **_price_values(cells, "unit_price", ("UnitPrice", "SBQQ__NetPrice__c")),
    }
    return [_derived("quote_line", key, values)]


def _lead(cells: Cells, key: str) -> list[FactData]:
    values: dict[str, object] = {
        "name": cells.text("Name")
        or " ".join(p for p in (cells.text("FirstName"), cells.text("LastName")) if p),
        "company": cells.text("Company"),
        "status": cells.text("Status"),
        "is_converted": cells.boolean("IsConverted"),
        "converted_on": cells.date("ConvertedDate"),
        "converted_account_id": ref(cells, "ConvertedAccountId"),
        "converted_contact_id": ref(cells, "ConvertedContactId"),
        "converted_opportunity_id": ref(cells, "ConvertedOpportunityId"),
    }
    return [_derived("lead", key, values)]


#: Contract ``StatusCode`` (and the standard ``Status`` labels) → the model's contract status.
#: An expired contract was signed: its end date, not its status, says it ended.
CONTRACT_STATUS: Final[Mapping[str, ContractStatus]] = {
    "draft": ContractStatus.DRAFT,
    "inapproval": ContractStatus.DRAFT,
    "in approval process": ContractStatus.DRAFT,
    "activated": ContractStatus.SIGNED,
    "expired": ContractStatus.SIGNED,
    "terminated": ContractStatus.TERMINATED,
}


def _add_months(start: date, months: int) -> date:
    """``start`` plus whole months, on the last day of a shorter month (Jan 31 + 1 → Feb 28/29)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))


def _contract(cells: Cells, key: str) -> list[FactData]:
    """A Contract as a contract document: Salesforce's ``EndDate`` is ``StartDate`` plus
    ``ContractTerm`` months, less one day; it is computed so when the export omits it."""
    status_text = cells.text("StatusCode", "Status")
    status = CONTRACT_STATUS.get(" ".join(status_text.split()).casefold()) if status_text else None
    start = cells.date("StartDate")
    term = cells.integer("ContractTerm")
    end = cells.date("EndDate")
    if end is None and start is not None and term is not None and 0 < term <= 1200:
        end = _add_months(start, term) - timedelta(days=1)
    document = Document(
        id=key,
        kind=DocumentKind.CONTRACT,
        counterparty_id=ref(cells, "AccountId"),
        number=cells.text("ContractNumber"),
        valid_from=start,
        valid_until=end,
        signed_on=cells.date("CustomerSignedDate", "CompanySignedDate"),
        status=status,
    )
    details = _details(
        cells,
        key,
        "Contract",
        {
            "status": ("Status",),
            "status_code": ("StatusCode",),
            "contract_term": ("ContractTerm",),
            "activated_date": ("ActivatedDate",),
            "description": ("Description",),
        },
    )
    return [document, details] if details is not None else [document]


def _product(cells: Cells, key: str) -> list[FactData]:
    values: dict[str, object] = {
        "name": cells.text("Name"),
        "product_code": cells.text("ProductCode"),
        "family": cells.text("Family"),
        "sku": cells.text("StockKeepingUnit"),
        "unit_of_measure": cells.text("QuantityUnitOfMeasure"),
        "is_active": cells.boolean("IsActive"),
        "description": cells.text("Description"),
    }
    return [_derived("product", key, values)]


def _pricebook_entry(cells: Cells, key: str) -> list[FactData]:
    values: dict[str, object] = {
        "pricebook_id": ref(cells, "Pricebook2Id"),
        "product_id": ref(cells, "Product2Id"),
        "product_code": cells.text("ProductCode"),
        "is_active": cells.boolean("IsActive"),
        "use_standard_price": cells.boolean("UseStandardPrice"),
        **_price_values(cells, "unit_price", ("UnitPrice",)),
    }
    return [_derived("pricebook_entry", key, values)]


def report_row(cells: Cells, key: str) -> list[FactData]:
    """A row of a report export (a summary such as ``StageName,Count``): no record of an
    object, so its cells are kept together, as written, in one ``crm_report_row`` fact."""
    return [_derived("crm_report_row", key, {"cells": json.dumps(cells.as_written())})]


@attrs.frozen(slots=True)
class SalesforceObject:
    """One sObject this package reads: how to recognise its columns and map a record."""

    name: str
    #: Every one of these columns must be present (case-insensitive).
    requires: frozenset[str]
    #: At least one of these must be present, when given.
    any_of: frozenset[str]
    #: None of these may be present (they mark another object).
    excludes: frozenset[str]
    mapper: Callable[[Cells, str], list[FactData]]
    file_names: frozenset[str]

    def fits(self, columns: frozenset[str]) -> bool:
        return (
            self.requires <= columns
            and (not self.any_of or bool(self.any_of & columns))
            and not (self.excludes & columns)
        )


def _obj(
    name: str,
    mapper: Callable[[Cells, str], list[FactData]],
    *,
    requires: Iterable[str] = (),
    any_of: Iterable[str] = (),
    excludes: Iterable[str] = (),
    file_names: Iterable[str] = (),
) -> SalesforceObject:
    def fold(values: Iterable[str]) -> frozenset[str]:
        return frozenset(v.casefold() for v in values)

    return SalesforceObject(
        name=name,
        requires=fold(requires),
        any_of=fold(any_of),
        excludes=fold(excludes),
        mapper=mapper,
        file_names=fold((name, *file_names)),
    )


#: The objects, most specific first: the first one whose columns fit wins.
OBJECTS: Final = (
    _obj(
        "SBQQ__QuoteLine__c",
        _quote_line,
        requires=("SBQQ__Quote__c",),
        any_of=("SBQQ__Quantity__c", "SBQQ__Product__c", "SBQQ__NetPrice__c"),
        file_names=("QuoteLine",),
    ),
    _obj(
        "SBQQ__Quote__c",
        _quote,
        any_of=("SBQQ__Opportunity2__c", "SBQQ__Primary__c", "SBQQ__NetAmount__c"),
        excludes=("SBQQ__Quote__c",),
        file_names=("Quote",),
    ),
    _obj(
        "QuoteLineItem",
        _quote_line,
        requires=("QuoteId",),
        any_of=("Quantity", "UnitPrice"),
        file_names=("QuoteLine",),
    ),
    _obj(
        "Quote",
        _quote,
        requires=("OpportunityId",),
        any_of=("QuoteNumber", "ExpirationDate", "GrandTotal"),
    ),
    _obj("OpportunityHistory", _history, requires=("OpportunityId", "StageName")),
    _obj(
        "PricebookEntry",
        _pricebook_entry,
        requires=("Pricebook2Id", "UnitPrice"),
        excludes=("OpportunityId", "QuoteId"),
    ),
    _obj(
        "OpportunityLineItem",
        _line_item,
        requires=("OpportunityId",),
        any_of=("Quantity", "UnitPrice", "TotalPrice"),
        excludes=("QuoteId",),
    ),
    _obj(
        "Opportunity",
        _opportunity,
        requires=("StageName", "CloseDate"),
        excludes=("OpportunityId",),
        file_names=("Opportunities",),
    ),
    _obj(
        "Contract",
        _contract,
        requires=("AccountId",),
        any_of=("ContractTerm", "ContractNumber", "StartDate", "StatusCode"),
        excludes=("OpportunityId", "StageName", "LastName", "SBQQ__Quote__c"),
        file_names=("Contracts",),
    ),
    _obj(
        "Lead",
        _lead,
        requires=("LastName", "Company"),
        any_of=("Status", "IsConverted"),
        file_names=("Leads",),
    ),
    _obj(
        "Contact",
        _contact,
        requires=("LastName",),
        any_of=("AccountId", "Email", "FirstName"),
        excludes=("Company", "IsConverted"),
        file_names=("Contacts",),
    ),
    _obj(
        "Account",
        _account,
        requires=("Name",),
        any_of=(
            "AccountNumber",
            "BillingCity",
            "BillingCountry",
            "Industry",
            "AnnualRevenue",
            "NumberOfEmployees",
            "Website",
        ),
        excludes=("StageName", "LastName", "AccountId", "OpportunityId"),
        file_names=("Accounts",),
    ),
    _obj(
        "Product2",
        _product,
        requires=("Name",),
        any_of=("ProductCode", "Family", "StockKeepingUnit", "QuantityUnitOfMeasure"),
        excludes=("Pricebook2Id", "OpportunityId", "AccountId", "StageName"),
        file_names=("Product", "Products"),
    ),
)

#: A report export (``StageName,Count,StageName (groups)``): rows of a summary, not records.
REPORT: Final = _obj("Report", report_row)

#: API field names a report's columns may carry; one of them marks a Salesforce report.
_REPORT_FIELDS: Final = frozenset(
    f.casefold()
    for f in ("StageName", "CloseDate", "Amount", "AccountId", "OwnerId", "LeadSource", "Type")
)


def is_report(columns: frozenset[str]) -> bool:
    """A summary report's header: a Salesforce field and a count or a ``(groups)`` column."""
    counted = any(c in {"count", "record count"} or c.endswith(" (groups)") for c in columns)
    return counted and bool(columns & _REPORT_FIELDS)


_BY_NAME: Final = {o.name.casefold(): o for o in OBJECTS}


def _probed(mapper: Callable[[Cells, str], list[FactData]]) -> Callable[[Cells], list[FactData]]:
    return lambda cells: mapper(cells, "XX")


#: What a Salesforce file (CSV or data tree) can fill: every object's mapper, probed.
SUPPLIES: Final[tuple[Supply, ...]] = probe_supplies(_probed(o.mapper) for o in (*OBJECTS, REPORT))


def object_from_name(name: str) -> SalesforceObject | None:
    """The object an sfdx ``attributes.type`` names, if this package reads it."""
    return _BY_NAME.get(name.casefold())


def detect_object(columns: Iterable[str], file_stem: str = "") -> SalesforceObject | None:
    """The object whose columns fit; the file name decides only between objects that fit."""
    folded = frozenset(c.strip().casefold() for c in columns)
    fitting = [o for o in OBJECTS if o.fits(folded)]
    stem = file_stem.casefold()
    for candidate in fitting:
        if stem in candidate.file_names:
            return candidate
    if fitting:
        return fitting[0]
    return REPORT if is_report(folded) else None


def map_record(obj: SalesforceObject, cells: Cells, key: str) -> list[FactData]:
    """The facts one record becomes; :class:`RecordError` when it cannot become any."""
    return obj.mapper(cells, key)


#: Columns naming the account a record belongs to.
_ACCOUNT_REFS: Final = ("AccountId", "SBQQ__Account__c")


def record_keys(obj: SalesforceObject, cells: Cells, key: str | None) -> dict[str, str | None]:
    """The business keys a record shows even when it cannot become a fact.

    ``counterparty`` is the account: an Account's own key, else the record's
    ``AccountId``. ``order`` is the ERP order number a deal carries when the
    ERP order number is written back into the CRM (``link_via =
    "erp_order_number"``); under the other links the deal's reference is no
    order number. Reads only text, so it never raises.
    """
    keys: dict[str, str | None] = {
        "counterparty": key if obj.name == "Account" else ref(cells, *_ACCOUNT_REFS)
    }
    if obj.name == "Opportunity" and cells.options.link_via == ERP_ORDER_NUMBER.name:
        keys["order"] = cells.text(*OPPORTUNITY_PROMISE_FIELDS["order_ref"])
    return keys
