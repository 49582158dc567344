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

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Final

import attrs

from handoff_rules.adapters import Supply
from handoff_rules.model import Counterparty, Derived, FactData, Opportunity, Person
from handoff_rules_crm.cells import Cells, RecordError
from handoff_rules_crm.supplies import probe_supplies
from handoff_rules_crm.via import ERP_ORDER_NUMBER

__all__ = [
    "OBJECTS",
    "SUPPLIES",
    "SalesforceObject",
    "detect_object",
    "map_record",
    "object_from_name",
    "record_keys",
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


def _account(cells: Cells, key: str) -> list[FactData]:
    country = cells.text("BillingCountry", "ShippingCountry")
    code = country.strip().upper() if country is not None else None
    facts: list[FactData] = [
        Counterparty(
            id=key,
            name=cells.text("Name"),
            country=code if code is not None and re.fullmatch(r"[A-Z]{2}", code) else None,
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
    return [*facts, details] if details is not None else facts


def _contact(cells: Cells, key: str) -> list[FactData]:
    full_name = cells.text("Name")
    if full_name is None:
        parts = [p for p in (cells.text("FirstName"), cells.text("LastName")) if p is not None]
        full_name = " ".join(parts) if parts else None
    if full_name is None:
        raise RecordError("a Contact needs Name, FirstName or LastName; all are empty")
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


def _line_item(cells: Cells, key: str) -> list[FactData]:
    opportunity_id = ref(cells, "OpportunityId")
    if opportunity_id is None:
        raise RecordError("an OpportunityLineItem needs an OpportunityId")
    values: dict[str, object] = {
        "opportunity_id": opportunity_id,
        "product": ref(cells, "Product2Id", "PricebookEntryId") or cells.text("Name"),
        "quantity": cells.decimal("Quantity"),
        "discount_pct": cells.decimal("Discount"),
        "service_date": cells.date("ServiceDate"),
        "sort_order": cells.integer("SortOrder"),
    }
    for out, names in (
        ("unit_price", ("UnitPrice",)),
        ("list_price", ("ListPrice",)),
        ("total_price", ("TotalPrice",)),
    ):
        values.update(_money_values(cells, out, names))
    return [_derived("opportunity_line", key, values)]


def _history(cells: Cells, key: str) -> list[FactData]:
    opportunity_id = ref(cells, "OpportunityId")
    if opportunity_id is None:
        raise RecordError("an OpportunityHistory row needs an OpportunityId")
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
        raise RecordError("a quote line needs QuoteId or SBQQ__Quote__c")
    values: dict[str, object] = {
        "object": "SBQQ__QuoteLine__c" if cells.has("SBQQ__Quote__c") else "QuoteLineItem",
        "quote_id": quote_id,
        "product": ref(cells, "Product2Id", "SBQQ__Product__c"),
        "quantity": cells.decimal("Quantity", "SBQQ__Quantity__c"),
        "discount_pct": cells.decimal("Discount", "SBQQ__Discount__c"),
        "line_number": cells.integer("LineNumber", "SBQQ__Number__c"),
        **_money_values(cells, "unit_price", ("UnitPrice", "SBQQ__NetPrice__c")),
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
)

_BY_NAME: Final = {o.name.casefold(): o for o in OBJECTS}


def _probed(mapper: Callable[[Cells, str], list[FactData]]) -> Callable[[Cells], list[FactData]]:
    return lambda cells: mapper(cells, "XX")


#: What a Salesforce file (CSV or data tree) can fill: every object's mapper, probed.
SUPPLIES: Final[tuple[Supply, ...]] = probe_supplies(_probed(o.mapper) for o in OBJECTS)


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
    return fitting[0] if fitting else None


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
