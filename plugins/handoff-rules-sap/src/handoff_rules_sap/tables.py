"""SAP SD/FI tables as facts: which columns each needs, and what a row becomes.

Columns are found by SAP field name (``VBELN``), whatever the order, case or a
``VBAK-`` prefix; a table's other columns are optional, since every system and
extraction tool exports a different set. What a row becomes:

=====  ====================================================================
KNA1   Counterparty (+ CompanyId from STCD1/STCD2 where the country's scheme
       is known)
VBAK   Order (sales document categories C, I, H, K, L); a contract (G) a contract
       Document, as a part completed by VEDA; other categories are rejected
VEDA   the contract Document of a contract's header data: validity, signature,
       term, cancellation
VBAP   OrderLine
VBPA   Order with only its partners (ship-to, payer, bill-to, sold-to, contact
       person), one per order: the rows of the order's header are combined
VBKD   Order with only its business data (incoterm, payment terms and their days,
       customer PO)
KONV   Order with only its discount percent (header discount conditions, summed);
       PRCD_ELEMENTS the same in S/4HANA. Both key by KNUMV: the extract must
       join VBAK's VBELN in
LIKP   Delivery; in a LIKP/LIPS join one per delivery, with the one order of its items
LIPS   ``doc_flow`` (order item → delivery item)
VBRK   Invoice; a cancellation document (SFAKN set) gives a ``doc_flow``
       instead (cancelled invoice → cancellation); in a VBRK/VBRP join one per
       invoice, with the one order of its items
VBRP   ``doc_flow`` (order item → invoice item, and delivery item → invoice
       item when the delivery is a different document)
BSID   OpenItem
BSAD   OpenItem with ``cleared_on``; the clearing (payment) line itself, the
       row whose BELNR is its own clearing document AUGBL, also a Payment,
       naming the invoice it cleared (:mod:`handoff_rules_sap.links`)
VBFA   ``doc_flow`` (any preceding → follow-on document); a contract → order row
       also an Order part with its ``contract_id``
KNKK   CreditLimit per credit control area (classic credit management)
UKMBP_CMS_SGM
       CreditLimit per credit segment (S/4HANA FSCM credit management)
=====  ====================================================================

Neither credit table has a currency column: the currency is the credit
control area's (T014-WAERS) or the credit segment's (UKM_CRED_SGM0C). It is
taken from a ``WAERS`` or ``CURRENCY`` column where the extract joined one
in, else from the adapter's area currencies (``SapTableAdapter(area_currencies=…)``
or ``HANDOFF_RULES_SAP_CREDIT_CURRENCY``); a row with neither is a reject.

``doc_flow`` facts are :class:`~handoff_rules.model.Derived` facts named
``doc_flow``: the model has no class for document links. Their values are
``from_doc``, ``from_item``, ``from_category``, ``to_doc``, ``to_item``,
``to_category`` (SAP VBTYP codes) plus quantity, unit, value, currency,
material where the row has them; ``order_id`` is set when the preceding
document is a sales order, so the link joins that order's case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Final

import attrs

from handoff_rules.model import (
    ContractStatus,
    Counterparty,
    CreditLimit,
    Delivery,
    Derived,
    Document,
    DocumentKind,
    FactData,
    Invoice,
    OpenItem,
    Order,
    OrderLine,
    Payment,
)
from handoff_rules.model.trusted import trusted_constructor
from handoff_rules_sap.fields import (
    FieldProblem,
    days,
    key_value,
    money,
    number,
    optional_id,
    sap_date,
    sap_id,
    sap_time,
    text,
)
from handoff_rules_sap.idoc_facts import company_ids
from handoff_rules_sap.links import (
    RowLinks,
    clearing_links,
    header_join,
    order_conditions,
    order_parts,
)
from handoff_rules_sap.options import DISCOUNT_CONDITIONS, Customizing

#: Sales document categories (VBTYP) read as orders.
ORDER_CATEGORIES: Final = frozenset({"C", "I", "H", "K", "L"})
#: Sales document categories read as contracts. A scheduling agreement (E) is not one:
#: it has schedule lines and is delivered directly, where a contract is called off by
#: orders that reference it; reading it as the contract of those orders would let a
#: delivery schedule stand for a signed agreement.
CONTRACT_CATEGORIES: Final = frozenset({"G"})
CATEGORY_NAMES: Final = {
    "A": "inquiry",
    "B": "quotation",
    "C": "order",
    "E": "scheduling agreement",
    "G": "contract",
    "H": "returns",
    "I": "order without charge",
    "J": "delivery",
    "K": "credit memo request",
    "L": "debit memo request",
    "M": "invoice",
    "N": "invoice cancellation",
    "O": "credit memo",
    "P": "debit memo",
    "S": "credit memo cancellation",
}


class RowValues(dict[str, str]):
    """One row's cells by SAP field name, stripped; a field the file lacks reads as ''.

    Mappers call it (``r("VBELN")``) for each field they use, most more than
    once, so the cells are stripped once when the row is made and a lookup is
    the dict's own, in C: this runs for every field of every row.
    """

    __slots__ = ()

    def __missing__(self, field: str) -> str:
        return ""

    __call__ = dict.__getitem__


Mapper = Callable[[RowValues], list[FactData]]


@attrs.frozen(slots=True)
class OtherRecords:
    """Rows of a table that are records of another kind, read as such (VBAK's contracts).

    A rejected one is a reject of that kind, naming that kind's keys: a broken
    contract row concerns its customer's orders (their contract check), not an
    order with the contract's number.
    """

    #: the column telling the kind (VBTYP) and its values for this kind
    column: str
    categories: frozenset[str]
    fact_type: str
    business_keys: Mapping[str, tuple[str, ...]]


@attrs.frozen(slots=True)
class TableSpec:
    """A table this adapter reads."""

    name: str
    description: str
    #: Columns without which no fact can be made: a file lacking one is refused.
    required: tuple[str, ...]
    #: Columns whose presence (with none of ``excluded``) identifies the table by its header.
    signature: tuple[str, ...]
    mapper: Mapper
    fact_type: str
    #: Fields naming a row in provenance; all required, so a row that gives facts has them.
    key: tuple[str, ...] = attrs.field()
    excluded: tuple[str, ...] = ()
    #: The field mapping: fact type (as packs name it) → model field → the SAP
    #: column(s) it comes from. ``supplies`` of the table's format is built from it.
    fills: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    #: Business keys a row shows even when it is rejected: reject key kind → the
    #: columns holding it, the first non-blank wins (as the mapper chooses).
    business_keys: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: (document column, category column) pairs whose key kind the category says (VBFA).
    category_keys: tuple[tuple[str, str], ...] = ()
    #: (column, categories): a row whose column names another category is a record
    #: of another kind (a quotation in VBAK), not a broken one, and names no keys.
    read_categories: tuple[str, frozenset[str]] | None = None
    #: The column naming the credit area whose currency a limit is in, for a
    #: table without a currency column of its own (KNKK, UKMBP_CMS_SGM).
    area_currency: str | None = None
    #: For a table whose rows complete each other (BSAD payments, header/item joins):
    #: the file's links, given its fields (None: the rows are read on their own).
    links: Callable[[Sequence[str]], RowLinks | None] | None = None
    #: its facts hold only some fields of a record another table has too (VBPA's
    #: and VBKD's orders): they are parts, combined with VBAK's order in a case
    parts: bool = False
    #: For a table whose reading depends on customizing (payment terms days,
    #: discount condition types): the mapper for the options a file is read with.
    configured: Callable[[Customizing], Mapper] | None = None
    #: Said after the required columns an extract lacks: how to get them.
    lacking_hint: str = ""
    #: Recognised by its file name only: its columns are another table's too, and
    #: reading it as that one would misread a value (KONV / PRCD_ELEMENTS).
    by_name_only: bool = False
    #: Model classes whose facts from this table are parts although the table's
    #: others are not (VBFA's order of a contract call-off, VBAK's contract).
    part_types: frozenset[type] = frozenset()
    #: Rows of the table that are records of another kind (VBAK's contracts).
    other_records: OtherRecords | None = None

    @property
    def key_columns(self) -> frozenset[str]:
        """Every column a business key is read from."""
        named = {column for columns in self.business_keys.values() for column in columns}
        return frozenset(named | {column for pair in self.category_keys for column in pair})

    @key.validator
    def _key_is_required(self, _attribute: object, key: tuple[str, ...]) -> None:
        if not set(key) <= set(self.required):
            raise ValueError(f"{self.name}: key fields {key} must be required fields")

    @property
    def location_format(self) -> str:
        """``{} (VBAP VBELN {} POSNR {})``: a row's provenance location, for ``str.format``
        with the row's lines and its key values."""
        return f"{{}} ({self.name} {' '.join(f'{field} {{}}' for field in self.key)})"


def _doc_flow(
    r: RowValues,
    *,
    from_doc: str,
    from_item: str,
    from_category: str | None,
    to_doc: str,
    to_item: str,
    to_category: str | None,
    extra: Mapping[str, object],
    counterparty_id: str | None = None,
) -> Derived:
    source = optional_id(from_doc)
    target = sap_id(to_doc)
    source_item = optional_id(from_item)
    target_item = optional_id(to_item)
    values: dict[str, object] = {
        "from_doc": source,
        "from_item": source_item,
        "from_category": from_category or None,
        "to_doc": target,
        "to_item": target_item,
        "to_category": to_category or None,
        **{k: v for k, v in extra.items() if v is not None},
    }
    subject = (
        f"{source or '?'}/{source_item or '-'}->{target}/{target_item or '-'}:{to_category or '?'}"
    )
    return Derived(
        name="doc_flow",
        subject=subject,
        values=values,
        order_id=source if from_category in ORDER_CATEGORIES else None,
        counterparty_id=counterparty_id,
    )


def _amount_extra(r: RowValues, value_field: str, currency_field: str) -> dict[str, object]:
    value = number(r(value_field), value_field)
    return {"value": value, "currency": text(r(currency_field)) if value is not None else None}


def _kna1(r: RowValues) -> list[FactData]:
    country = text(r("LAND1"))
    name = " ".join(p for p in (r("NAME1"), r("NAME2")) if p) or None
    return [
        Counterparty(
            id=sap_id(r("KUNNR")),
            name=name,
            country=country,
            identifiers=company_ids(country, r("STCD1"), r("STCD2")),  # type: ignore[arg-type]  # attrs converter=tuple
        )
    ]


def _vbak(r: RowValues) -> list[FactData]:
    category = r("VBTYP")
    if category and category not in ORDER_CATEGORIES:
        if category in CONTRACT_CATEGORIES:
            return _vbak_contract(r)
        meaning = CATEGORY_NAMES.get(category, "unknown category")
        raise FieldProblem(
            f"VBTYP {category!r} ({meaning}) is a sales document but not an order; "
            f"orders have {', '.join(sorted(ORDER_CATEGORIES))}, contracts "
            f"{', '.join(sorted(CONTRACT_CATEGORIES))}"
        )
    sold_to = optional_id(r("KUNNR"))
    entered = sap_date(r("ERDAT"), "ERDAT")
    return [
        Order(
            id=sap_id(r("VBELN")),
            counterparty_id=sold_to,
            sold_to=sold_to,
            order_date=sap_date(r("AUDAT"), "AUDAT") or entered,
            entered_on=entered,
            net_value=money(number(r("NETWR"), "NETWR"), r("WAERK"), "NETWR"),
            currency=text(r("WAERK")),
            customer_po_ref=text(r("BSTNK")),
            order_type=text(r("AUART")),
            sales_org=text(r("VKORG")),
            planned_delivery_date=sap_date(r("VDATU"), "VDATU"),
            delivery_block=text(r("LIFSK")),
            billing_block=text(r("FAKSK")),
            contract_id=optional_id(r("VGBEL")) if r("VGTYP") in CONTRACT_CATEGORIES else None,
        )
    ]


def _vbak_contract(r: RowValues) -> list[FactData]:
    """A contract's header in VBAK: a contract document of its sold-to.

    A part (``TableSpec.part_types``): VEDA's row of the same contract, the
    contract data itself, decides validity and signature; VBAK's GUEBG/GUEEN
    (which SAP copies from it) fill in only what no VEDA row gives. VBAK says
    nothing of a signature, so a contract read without VEDA is not known to be
    signed.
    """
    number = sap_id(r("VBELN"))
    return [
        Document(
            id=number,
            kind=DocumentKind.CONTRACT,
            counterparty_id=optional_id(r("KUNNR")),
            number=number,
            issued_on=sap_date(r("AUDAT"), "AUDAT") or sap_date(r("ERDAT"), "ERDAT"),
            valid_from=sap_date(r("GUEBG"), "GUEBG"),
            valid_until=sap_date(r("GUEEN"), "GUEEN"),
        )
    ]


#: VEDA-VLAUEZ, the unit of a contract's term: months per unit where whole.
_TERM_MONTHS: Final = {"3": 1, "4": 12}
_TERM_UNITS: Final = {"1": "day(s)", "2": "week(s)", "3": "month(s)", "4": "year(s)"}


def _veda(r: RowValues) -> list[FactData]:
    """A contract's header data (VPOSN 000000): the contract document with its validity.

    ``valid_until`` is the contract end date VENDDAT, or the requested
    cancellation date VWUNDAT when the contract was cancelled to an earlier
    date. The contract counts as signed when VEDA gives the date it was signed
    (VUNTDAT) or the agreement accepted (VABNDAT); with neither its status
    stays unknown. An end date left empty while the contract has a term
    (VLAUFZ) is refused: SAP derives that end by a rule (VENDREG) the extract
    does not carry, and an empty end would read as "open-ended".
    """
    if r("VPOSN") not in HEADER_ITEMS:
        raise FieldProblem(
            f"VPOSN {r('VPOSN')}: contract data of an item is not read, only the "
            "contract's header (VPOSN 000000)"
        )
    end = sap_date(r("VENDDAT"), "VENDDAT")
    term = days(r("VLAUFZ"), "VLAUFZ")
    unit = r("VLAUEZ")
    if end is None and term:
        raise FieldProblem(
            f"VENDDAT: empty, but the contract runs {term} {_TERM_UNITS.get(unit, 'units')} "
            "(VLAUFZ/VLAUEZ); its end date, which SAP derives by the rule VENDREG, is not "
            "in the extract"
        )
    cancelled = sap_date(r("VWUNDAT"), "VWUNDAT")
    until = cancelled if cancelled is not None and (end is None or cancelled < end) else end
    signed = sap_date(r("VUNTDAT"), "VUNTDAT")
    accepted = sap_date(r("VABNDAT"), "VABNDAT")
    per_unit = _TERM_MONTHS.get(unit)
    return [
        Document(
            id=sap_id(r("VBELN")),
            kind=DocumentKind.CONTRACT,
            valid_from=sap_date(r("VBEGDAT"), "VBEGDAT"),
            valid_until=until,
            signed_on=signed,
            status=ContractStatus.SIGNED if signed or accepted else None,
            term_months=term * per_unit if term and per_unit else None,
            cancellation_date=cancelled,
            cancellation_reason=text(r("VKUEGRU")),
            cancellation_procedure=text(r("VKUESCH")),
        )
    ]


#: Every value of a VBAP line is read by the parsers of :mod:`handoff_rules_sap.fields`.
_order_line: Final = trusted_constructor(OrderLine)


def _vbap(r: RowValues) -> list[FactData]:
    # r[...] rather than r(...): a subscript costs half a call, and VBAP is the largest table
    return [
        _order_line(
            order_id=sap_id(r["VBELN"]),
            line_no=sap_id(r["POSNR"]),
            item=optional_id(r["MATNR"]),
            description=text(r["ARKTX"]),
            quantity=number(r["KWMENG"], "KWMENG"),
            unit=text(r["VRKME"]),
            net_value=money(number(r["NETWR"], "NETWR"), r["WAERK"], "NETWR"),
        )
    ]


def _likp(r: RowValues) -> list[FactData]:
    return [
        Delivery(
            id=sap_id(r("VBELN")),
            order_id=optional_id(r("VGBEL")),  # in a LIKP/LIPS join (SQVI) only
            counterparty_id=optional_id(r("KUNAG")) or optional_id(r("KUNNR")),
            ship_to=optional_id(r("KUNNR")),
            planned_date=sap_date(r("WADAT"), "WADAT") or sap_date(r("LFDAT"), "LFDAT"),
            release_date=sap_date(r("WADAT_IST"), "WADAT_IST"),
        )
    ]


def _lips(r: RowValues) -> list[FactData]:
    return [
        _doc_flow(
            r,
            from_doc=r("VGBEL"),
            from_item=r("VGPOS"),
            from_category=(r("VGTYP") or "C") if r("VGBEL") else None,
            to_doc=r("VBELN"),
            to_item=r("POSNR"),
            to_category="J",
            extra={
                "material": optional_id(r("MATNR")),
                "quantity": number(r("LFIMG"), "LFIMG"),
                "unit": text(r("VRKME")),
            },
        )
    ]


def _vbrk(r: RowValues) -> list[FactData]:
    invoice_id = sap_id(r("VBELN"))
    cancelled = r("SFAKN")
    if cancelled:
        return [
            _doc_flow(
                r,
                from_doc=cancelled,
                from_item="",
                from_category="M",
                to_doc=r("VBELN"),
                to_item="",
                to_category=r("VBTYP") or "N",
                extra={"billing_date": sap_date(r("FKDAT"), "FKDAT")},
                counterparty_id=optional_id(r("KUNAG")) or optional_id(r("KUNRG")),
            )
        ]
    net = number(r("NETWR"), "NETWR")
    tax = number(r("MWSBK"), "MWSBK")
    gross = None if net is None else net + (tax or 0)
    return [
        Invoice(
            id=invoice_id,
            counterparty_id=optional_id(r("KUNAG")) or optional_id(r("KUNRG")),
            issued_on=sap_date(r("FKDAT"), "FKDAT"),
            total=money(gross, r("WAERK"), "NETWR+MWSBK"),
            payment_terms=text(r("ZTERM")),
            sold_to=optional_id(r("KUNAG")),
            payer=optional_id(r("KUNRG")),
        )
    ]


def _vbrp(r: RowValues) -> list[FactData]:
    extra = {
        "material": optional_id(r("MATNR")),
        "quantity": number(r("FKIMG"), "FKIMG"),
        "unit": text(r("VRKME")),
        **_amount_extra(r, "NETWR", "WAERK"),
    }
    flows: list[FactData] = []
    if r("AUBEL"):
        flows.append(
            _doc_flow(
                r,
                from_doc=r("AUBEL"),
                from_item=r("AUPOS"),
                from_category="C",
                to_doc=r("VBELN"),
                to_item=r("POSNR"),
                to_category="M",
                extra=extra,
            )
        )
    if r("VGBEL") and optional_id(r("VGBEL")) != optional_id(r("AUBEL")):
        flows.append(
            _doc_flow(
                r,
                from_doc=r("VGBEL"),
                from_item=r("VGPOS"),
                from_category=r("VGTYP") or "J",
                to_doc=r("VBELN"),
                to_item=r("POSNR"),
                to_category="M",
                extra=extra,
            )
        )
    if not flows:
        flows.append(
            _doc_flow(
                r,
                from_doc="",
                from_item="",
                from_category=None,
                to_doc=r("VBELN"),
                to_item=r("POSNR"),
                to_category="M",
                extra=extra,
            )
        )
    return flows


def _open_item(r: RowValues) -> list[FactData]:
    """BSID/BSAD: the item, signed by SHKZG (S debit +, H credit −), and a Payment for
    the line that is its own clearing document."""
    sign = r("SHKZG").upper()
    if sign not in ("S", "H"):
        raise FieldProblem(f"SHKZG: expected S (debit) or H (credit), got {sign!r}")
    value = number(r("WRBTR"), "WRBTR")
    if value is None:
        raise FieldProblem("WRBTR: the amount is empty")
    amount = money(-abs(value) if sign == "H" else abs(value), r("WAERS"), "WRBTR")
    if amount is None:  # a zero amount without currency
        raise FieldProblem("WAERS: the item has no currency")
    baseline = sap_date(r("ZFBDT"), "ZFBDT")
    term_days = days(r("ZBD1T"), "ZBD1T")
    due = baseline + timedelta(days=term_days or 0) if baseline else None
    customer = sap_id(r("KUNNR"))
    company, document, year = r("BUKRS"), sap_id(r("BELNR")), r("GJAHR")
    clearing = optional_id(r("AUGBL"))
    cleared_on = sap_date(r("AUGDT"), "AUGDT")
    posted = sap_date(r("BUDAT"), "BUDAT")
    facts: list[FactData] = [
        OpenItem(
            id=f"{company}/{document}/{year}/{sap_id(r('BUZEI'))}",
            counterparty_id=customer,
            amount=amount,
            document_ref=optional_id(r("VBELN")) or optional_id(r("XBLNR")),
            posted_on=posted,
            due_on=due,
            cleared_on=cleared_on,
        )
    ]
    if clearing is not None and clearing == document and sign == "H":
        facts.append(
            Payment(
                id=f"{company}/{clearing}/{year}",
                amount=abs(amount),
                counterparty_id=customer,
                received_on=posted or cleared_on,
                reference=text(r("XBLNR")) or text(r("ZUONR")),
            )
        )
    return facts


#: VBPA partner functions as SAP stores them (PARVW, German keys) and as SE16 shows
#: them in English (the conversion exit's output), with the order field each fills.
#: Not the English SP (sold-to): stored, SP is the forwarding agent. The order's
#: owner is its sales employee (VE, in English ES), a personnel number (PERNR);
#: the employee responsible (ZM, English ER) is not read.
PARTNER_FIELDS: Final = {
    "AG": "sold_to",
    "WE": "ship_to",
    "SH": "ship_to",
    "RE": "bill_to",
    "BP": "bill_to",
    "RG": "payer",
    "PY": "payer",
    "AP": "contact_person_id",
    "CP": "contact_person_id",
    "VE": "owner",
    "ES": "owner",
}
#: POSNR of a sales document's header row (VBPA, VBKD): item rows have their item number.
HEADER_ITEMS: Final = frozenset({"000000", "0"})


def _header_row(r: RowValues, table: str, column: str = "POSNR") -> None:
    if r(column) not in HEADER_ITEMS:
        raise FieldProblem(
            f"{column} {r(column)}: {table} data of an item is not read, only the "
            f"order's own ({column} 000000)"
        )


def _vbpa(r: RowValues) -> list[FactData]:
    """One partner of an order: an Order with only that partner (the file's rows are
    combined into one fact per order, :class:`~handoff_rules_sap.links.OrderParts`)."""
    _header_row(r, "VBPA partner")
    order_id = sap_id(r("VBELN"))
    field = PARTNER_FIELDS.get(r("PARVW").upper())
    if field is None:  # forwarding agent, employee responsible …: no field of an order
        return [Order(id=order_id)]
    if field == "owner":
        employee = optional_id(r("PERNR"))
        if employee is None or employee == "0":
            raise FieldProblem(f"PERNR: sales employee (PARVW {r('PARVW')}) without a number")
        return [Order(id=order_id, owner=employee)]
    if field == "contact_person_id":
        person = optional_id(r("PARNR"))
        if person is None:
            raise FieldProblem(f"PARNR: contact person (PARVW {r('PARVW')}) without a number")
        customer = optional_id(r("KUNNR"))
        return [
            Order(id=order_id, contact_person_id=f"{customer}/{person}" if customer else person)
        ]
    customer = optional_id(r("KUNNR"))
    if customer is None:
        raise FieldProblem(f"KUNNR: partner {r('PARVW')} without a customer number")
    if field == "sold_to":
        return [Order(id=order_id, sold_to=customer, counterparty_id=customer)]
    if field == "ship_to":
        return [Order(id=order_id, ship_to=customer)]
    if field == "bill_to":
        return [Order(id=order_id, bill_to=customer)]
    return [Order(id=order_id, payer=customer)]


def _vbkd(r: RowValues, payment_days: Mapping[str, int] | None = None) -> list[FactData]:
    """An order's business data: an Order with only the terms VBKD holds.

    The days of the payment terms are not in VBKD but in customizing (T052):
    they come from the options (``[payment_terms]``); a key without days
    leaves ``payment_days`` empty, never guessed from its name.
    """
    _header_row(r, "VBKD business")
    terms = text(r("ZTERM"))
    return [
        Order(
            id=sap_id(r("VBELN")),
            incoterm=text(r("INCO1")),
            payment_terms=terms,
            payment_days=(payment_days or {}).get(terms.upper()) if terms else None,
            customer_po_ref=text(r("BSTKD")),
        )
    ]


def _plain(value: Decimal) -> Decimal:
    """``3.000`` as ``3``, ``2.50`` as ``2.5``, without an exponent (``30`` stays ``30``)."""
    return Decimal(format(value.normalize(), "f"))


def _conditions(
    r: RowValues, *, discounts: frozenset[str], per_mille: bool, table: str
) -> list[FactData]:
    """An order's header condition: an Order with only its discount percent, if it is one.

    Discounts are negative rates (KBETR ``-3.00`` is a 3 % discount); the order's
    ``discount_pct`` is positive. A percentage's KBETR in KONV is stored in per
    mille, ten times the percent: KONV-KBETR is a CURR field whose unit "%" has
    three decimals (TCURX), so 3.000 % is stored as 30.00, and reports read it
    as ``KBETR / 1000`` for a fraction or ``/ 10`` for a percent (SAP Community,
    "Getting Condition Rate for Pricing Condition", 2007: "Condition Rate will
    be for 1000 not for 100"; ABAP reading header discounts ``kbetr / 1000``).
    S/4HANA's PRCD_ELEMENTS-KBETR is a DEC 24,9 field (VFPRC_ELEMENT_AMOUNT)
    holding rates in their natural form (SAP Note 2220005's cookbook), so a
    3 % discount is ``-3.000000000`` there and is read as it stands.
    """
    _header_row(r, f"{table} pricing", "KPOSN")
    order_id = sap_id(r("VBELN"))
    kind = r("KSCHL").upper()
    if kind not in discounts or r("KINAK") or r("KSTAT"):
        # a price, a tax, an inactive or statistical condition: no discount of the order
        return [Order(id=order_id)]
    calculation = r("KRECH").upper()
    if calculation and calculation != "A":
        raise FieldProblem(
            f"KSCHL {kind}: calculation type KRECH {calculation} is no percentage (A), "
            "so its KBETR is no discount percent"
        )
    rate = number(r("KBETR"), "KBETR")
    if rate is None:
        raise FieldProblem(f"KBETR: discount condition {kind} has no rate")
    percent = rate / 10 if per_mille else rate
    return [Order(id=order_id, discount_pct=_plain(-percent))]


def _pricing(per_mille: bool, table: str) -> Callable[[Customizing], Mapper]:
    def configured(customizing: Customizing) -> Mapper:
        return partial(
            _conditions,
            discounts=customizing.discount_conditions,
            per_mille=per_mille,
            table=table,
        )

    return configured


def _vbkd_configured(customizing: Customizing) -> Mapper:
    return partial(_vbkd, payment_days=customizing.payment_days)


def _vbfa(r: RowValues) -> list[FactData]:
    flows: list[FactData] = [
        _doc_flow(
            r,
            from_doc=r("VBELV"),
            from_item=r("POSNV"),
            from_category=r("VBTYP_V") or None,
            to_doc=r("VBELN"),
            to_item=r("POSNN"),
            to_category=r("VBTYP_N"),
            extra={
                "material": optional_id(r("MATNR")),
                "quantity": number(r("RFMNG"), "RFMNG"),
                "unit": text(r("MEINS")),
                **_amount_extra(r, "RFWRT", "WAERS"),
                "created_on": sap_date(r("ERDAT"), "ERDAT"),
                "created_at": sap_time(r("ERZET"), "ERZET"),
                "changed_on": sap_date(r("AEDAT"), "AEDAT"),
                "movement_type": text(r("BWART")),
                "billing_category": text(r("FKTYP")),
                "quantity_effect": text(r("PLMIN")),
                "level": days(r("STUFE"), "STUFE"),
            },
        )
    ]
    if r("VBTYP_V") in CONTRACT_CATEGORIES and r("VBTYP_N") in ORDER_CATEGORIES:
        # an order called off a contract: the order's contract, as a part of the order
        flows.append(Order(id=sap_id(r("VBELN")), contract_id=sap_id(r("VBELV"))))
    return flows


# -- the field mapping of each table: fact type → model field → SAP source ----------------

_FLOW_LINK: Final = {
    "subject": "from → to document/item",
    "from_doc": "",
    "from_item": "",
    "from_category": "",
    "to_doc": "VBELN",
    "to_item": "POSNR",
    "to_category": "",
}
_KNA1_FILLS: Final = {
    "counterparty": {
        "id": "KUNNR",
        "name": "NAME1 NAME2",
        "country": "LAND1",
        "identifiers": "STCD1, STCD2",
    }
}
_VBAK_FILLS: Final = {
    "order": {
        "id": "VBELN",
        "counterparty_id": "KUNNR",
        "sold_to": "KUNNR",
        "order_date": "AUDAT, else ERDAT",
        "entered_on": "ERDAT",
        "net_value": "NETWR WAERK",
        "currency": "WAERK",
        "customer_po_ref": "BSTNK",
        "order_type": "AUART",
        "sales_org": "VKORG",
        "planned_delivery_date": "VDATU",
        "delivery_block": "LIFSK",
        "billing_block": "FAKSK",
        "contract_id": "VGBEL when VGTYP is G (contract)",
    },
    "document": {
        "id": "VBELN of a contract (VBTYP G)",
        "kind": "contract",
        "counterparty_id": "KUNNR",
        "number": "VBELN",
        "issued_on": "AUDAT, else ERDAT",
        "valid_from": "GUEBG (where no VEDA row gives VBEGDAT)",
        "valid_until": "GUEEN (where no VEDA row gives VENDDAT)",
    },
}
_VEDA_FILLS: Final = {
    "document": {
        "id": "VBELN",
        "kind": "contract",
        "valid_from": "VBEGDAT",
        "valid_until": "VENDDAT, or VWUNDAT when cancelled to an earlier date",
        "signed_on": "VUNTDAT",
        "status": "signed when VUNTDAT or VABNDAT is set",
        "term_months": "VLAUFZ in VLAUEZ 3 (months) or 4 (years)",
        "cancellation_date": "VWUNDAT",
        "cancellation_reason": "VKUEGRU",
        "cancellation_procedure": "VKUESCH",
    }
}
_VBPA_FILLS: Final = {
    "order": {
        "id": "VBELN",
        "sold_to": "KUNNR of PARVW AG",
        "counterparty_id": "KUNNR of PARVW AG",
        "ship_to": "KUNNR of PARVW WE (SH)",
        "bill_to": "KUNNR of PARVW RE (BP)",
        "payer": "KUNNR of PARVW RG (PY)",
        "contact_person_id": "KUNNR/PARNR of PARVW AP (CP)",
        "owner": "PERNR of PARVW VE (ES), the sales employee",
    }
}
_VBKD_FILLS: Final = {
    "order": {
        "id": "VBELN",
        "incoterm": "INCO1",
        "payment_terms": "ZTERM",
        "payment_days": "the net days of ZTERM (T052), from the options' [payment_terms]",
        "customer_po_ref": "BSTKD",
    }
}
_CONDITION_FILLS: Final = {
    "order": {
        "id": "VBELN (joined in: the table keys by KNUMV)",
        "discount_pct": "-KBETR of the header's (KPOSN 000000) percentage discount conditions "
        "(KSCHL in the options' discount_conditions), summed",
    }
}
#: What a KONV or PRCD_ELEMENTS extract needs to name its orders.
_CONDITION_HINT: Final = (
    "; pricing conditions are keyed by KNUMV, not by order: extract them joined with "
    "VBAK (SQVI or SE16H: VBAK-KNUMV = KNUMV) so each row has the order's VBELN"
)
_VBAP_FILLS: Final = {
    "order_line": {
        "order_id": "VBELN",
        "line_no": "POSNR",
        "item": "MATNR",
        "description": "ARKTX",
        "quantity": "KWMENG",
        "unit": "VRKME",
        "net_value": "NETWR WAERK",
    }
}
_LIKP_FILLS: Final = {
    "delivery": {
        "id": "VBELN",
        "order_id": "VGBEL (a LIKP/LIPS join: the one order of all items)",
        "counterparty_id": "KUNAG, else KUNNR",
        "ship_to": "KUNNR",
        "planned_date": "WADAT, else LFDAT",
        "release_date": "WADAT_IST",
    }
}
_LIPS_FILLS: Final = {
    "derived.doc_flow": {
        **_FLOW_LINK,
        "order_id": "VGBEL",
        "from_doc": "VGBEL",
        "from_item": "VGPOS",
        "from_category": "VGTYP (C)",
        "to_category": "J",
        "material": "MATNR",
        "quantity": "LFIMG",
        "unit": "VRKME",
    }
}
_VBRK_FILLS: Final = {
    "invoice": {
        "id": "VBELN",
        "counterparty_id": "KUNAG, else KUNRG",
        "issued_on": "FKDAT",
        "total": "NETWR + MWSBK, WAERK",
        "payment_terms": "ZTERM",
        "order_id": "AUBEL (a VBRK/VBRP join: the one order of all items)",
        "sold_to": "KUNAG",
        "payer": "KUNRG",
    },
    "derived.doc_flow": {
        "subject": _FLOW_LINK["subject"],
        "counterparty_id": "KUNAG, else KUNRG",
        "from_doc": "SFAKN",
        "from_category": "M",
        "to_doc": "VBELN",
        "to_category": "VBTYP (N)",
        "billing_date": "FKDAT",
    },
}
_VBRP_FILLS: Final = {
    "derived.doc_flow": {
        **_FLOW_LINK,
        "order_id": "AUBEL",
        "from_doc": "AUBEL, VGBEL",
        "from_item": "AUPOS, VGPOS",
        "from_category": "C, VGTYP (J)",
        "to_category": "M",
        "material": "MATNR",
        "quantity": "FKIMG",
        "unit": "VRKME",
        "value": "NETWR",
        "currency": "WAERK",
    }
}
_OPEN_ITEM_FILLS: Final = {
    "open_item": {
        "id": "BUKRS/BELNR/GJAHR/BUZEI",
        "counterparty_id": "KUNNR",
        "amount": "WRBTR WAERS, signed by SHKZG",
        "document_ref": "VBELN, else XBLNR",
        "posted_on": "BUDAT",
        "due_on": "ZFBDT + ZBD1T",
        "cleared_on": "AUGDT",
    },
    "payment": {
        "id": "BUKRS/AUGBL/GJAHR",
        "invoice_id": "REBZG's billing document, else the one debit item AUGBL cleared",
        "amount": "WRBTR WAERS",
        "counterparty_id": "KUNNR",
        "received_on": "BUDAT, else AUGDT",
        "reference": "XBLNR, else ZUONR",
    },
}
_VBFA_FILLS: Final = {
    "derived.doc_flow": {
        **_FLOW_LINK,
        "order_id": "VBELV (when VBTYP_V is an order)",
        "from_doc": "VBELV",
        "from_item": "POSNV",
        "from_category": "VBTYP_V",
        "to_item": "POSNN",
        "to_category": "VBTYP_N",
        "material": "MATNR",
        "quantity": "RFMNG",
        "unit": "MEINS",
        "value": "RFWRT",
        "currency": "WAERS",
        "created_on": "ERDAT",
        "created_at": "ERZET (HH:MM:SS)",
        "changed_on": "AEDAT",
        "movement_type": "BWART",
        "billing_category": "FKTYP",
        "quantity_effect": "PLMIN (+, -)",
        "level": "STUFE",
    },
    "order": {
        "id": "VBELN of an order (VBTYP_N C …) called off a contract (VBTYP_V G)",
        "contract_id": "VBELV",
    },
}


def _credit_currency(r: RowValues, area_field: str) -> str:
    currency = r("WAERS") or r("CURRENCY")
    if not currency:
        raise FieldProblem(
            f"no currency for the limit of credit area {r(area_field) or '(blank)'}: the table "
            "has none (it is the area's); add a WAERS or CURRENCY column or set the area's "
            "currency (HANDOFF_RULES_SAP_CREDIT_CURRENCY, e.g. 1000=EUR)"
        )
    return currency


def _knkk(r: RowValues) -> list[FactData]:
    """KNKK: the limit of one customer in one credit control area.

    A customer whose credit account (KNKLI) is another customer shares that
    account's limit; its own KLIMK (usually 0) is no limit of its own, and
    reading it as one would block every order of the customer.
    """
    customer = sap_id(r("KUNNR"))
    account = optional_id(r("KNKLI"))
    if account is not None and account != customer:
        raise FieldProblem(
            f"KNKLI: customer {customer} uses the credit account of customer {account}; "
            "a limit shared by several customers is not read"
        )
    amount = number(r("KLIMK"), "KLIMK")
    if amount is None:
        raise FieldProblem("KLIMK: the credit limit is empty")
    limit = money(amount, _credit_currency(r, "KKBER"), "KLIMK")
    if limit is None:  # pragma: no cover - money() gives None only for a None amount here
        raise FieldProblem("KLIMK: no limit")
    return [CreditLimit(counterparty_id=customer, limit=limit, area=text(r("KKBER")))]


def _ukmbp_cms_sgm(r: RowValues) -> list[FactData]:
    """UKMBP_CMS_SGM: the limit of one business partner in one credit segment.

    The business partner number is taken as the customer number (the usual
    customer/vendor integration keeps them equal), so the limit joins the
    orders and open items of that customer.
    """
    amount = number(r("CREDIT_LIMIT"), "CREDIT_LIMIT")
    if amount is None:
        raise FieldProblem("CREDIT_LIMIT: the credit limit is empty")
    limit = money(amount, _credit_currency(r, "CREDIT_SGMNT"), "CREDIT_LIMIT")
    if limit is None:  # pragma: no cover - money() gives None only for a None amount here
        raise FieldProblem("CREDIT_LIMIT: no limit")
    return [
        CreditLimit(
            counterparty_id=sap_id(r("PARTNER")),
            limit=limit,
            area=text(r("CREDIT_SGMNT")),
            valid_until=sap_date(r("LIMIT_VALID_DATE"), "LIMIT_VALID_DATE"),
        )
    ]


_KNKK_FILLS: Final = {
    "credit_limit": {
        "counterparty_id": "KUNNR",
        "limit": "KLIMK in the area's currency (WAERS column or option)",
        "area": "KKBER",
    }
}
_UKMBP_CMS_SGM_FILLS: Final = {
    "credit_limit": {
        "counterparty_id": "PARTNER",
        "limit": "CREDIT_LIMIT in the segment's currency (CURRENCY column or option)",
        "area": "CREDIT_SGMNT",
        "valid_until": "LIMIT_VALID_DATE",
    }
}

_OPEN_ITEM_KEYS = ("BUKRS", "KUNNR", "GJAHR", "BELNR", "BUZEI")
_OPEN_ITEM_REQUIRED = (*_OPEN_ITEM_KEYS, "SHKZG", "WRBTR", "WAERS")
_OPEN_ITEM_BUSINESS_KEYS: Final = {"invoice": ("VBELN", "XBLNR"), "counterparty": ("KUNNR",)}

TABLES: Final[Mapping[str, TableSpec]] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "KNA1",
            "customer master",
            ("KUNNR",),
            ("KUNNR", "NAME1", "LAND1"),
            _kna1,
            "counterparty",
            ("KUNNR",),
            excluded=("BELNR", "VBELN"),
            fills=_KNA1_FILLS,
            business_keys={"counterparty": ("KUNNR",)},
        ),
        TableSpec(
            "VBAK",
            "sales document header",
            ("VBELN",),
            ("VBELN", "AUART"),
            _vbak,
            "order",
            ("VBELN",),
            excluded=("POSNR",),
            fills=_VBAK_FILLS,
            read_categories=("VBTYP", ORDER_CATEGORIES),
            business_keys={"order": ("VBELN",), "counterparty": ("KUNNR",)},
            part_types=frozenset({Document}),
            other_records=OtherRecords(
                "VBTYP", CONTRACT_CATEGORIES, "document", {"counterparty": ("KUNNR",)}
            ),
        ),
        TableSpec(
            "VEDA",
            "contract data of sales contracts",
            ("VBELN", "VPOSN"),
            ("VBELN", "VPOSN", "VBEGDAT"),
            _veda,
            "document",
            ("VBELN", "VPOSN"),
            fills=_VEDA_FILLS,
            read_categories=("VPOSN", HEADER_ITEMS),
        ),
        TableSpec(
            "VBAP",
            "sales document item",
            ("VBELN", "POSNR"),
            ("VBELN", "POSNR", "KWMENG"),
            _vbap,
            "order_line",
            ("VBELN", "POSNR"),
            fills=_VBAP_FILLS,
            business_keys={"order": ("VBELN",)},
        ),
        TableSpec(
            "VBPA",
            "sales document partners",
            ("VBELN", "POSNR", "PARVW"),
            ("VBELN", "POSNR", "PARVW"),
            _vbpa,
            "order",
            ("VBELN", "POSNR", "PARVW"),
            fills=_VBPA_FILLS,
            read_categories=("POSNR", HEADER_ITEMS),
            business_keys={"order": ("VBELN",)},
            links=order_parts,
            parts=True,
        ),
        TableSpec(
            "VBKD",
            "sales document business data",
            ("VBELN", "POSNR"),
            ("VBELN", "POSNR", "INCO1"),
            _vbkd,
            "order",
            ("VBELN", "POSNR"),
            fills=_VBKD_FILLS,
            read_categories=("POSNR", HEADER_ITEMS),
            business_keys={"order": ("VBELN",)},
            parts=True,
            configured=_vbkd_configured,
        ),
        *(
            TableSpec(
                name,
                description,
                ("VBELN", "KPOSN", "KSCHL"),
                ("KNUMV", "KPOSN", "KSCHL", "KBETR"),
                partial(
                    _conditions,
                    discounts=frozenset(DISCOUNT_CONDITIONS),
                    per_mille=per_mille,
                    table=name,
                ),
                "order",
                ("VBELN", "KPOSN", "KSCHL"),
                fills=_CONDITION_FILLS,
                read_categories=("KPOSN", HEADER_ITEMS),
                business_keys={"order": ("VBELN",)},
                links=order_conditions,
                parts=True,
                configured=_pricing(per_mille, name),
                lacking_hint=_CONDITION_HINT,
                by_name_only=True,
            )
            for name, description, per_mille in (
                ("KONV", "pricing conditions of sales documents (ECC)", True),
                ("PRCD_ELEMENTS", "pricing elements of sales documents (S/4HANA)", False),
            )
        ),
        TableSpec(
            "LIKP",
            "delivery header",
            ("VBELN",),
            ("VBELN", "LFART"),
            _likp,
            "delivery",
            ("VBELN",),
            excluded=("POSNR",),
            fills=_LIKP_FILLS,
            business_keys={
                "delivery": ("VBELN",),
                "order": ("VGBEL",),
                "counterparty": ("KUNAG", "KUNNR"),
            },
            links=header_join(Delivery, "VGBEL"),
        ),
        TableSpec(
            "LIPS",
            "delivery item",
            ("VBELN", "POSNR"),
            ("VBELN", "POSNR", "LFIMG"),
            _lips,
            "derived",
            ("VBELN", "POSNR"),
            fills=_LIPS_FILLS,
            business_keys={"delivery": ("VBELN",), "order": ("VGBEL",)},
        ),
        TableSpec(
            "VBRK",
            "billing document header",
            ("VBELN",),
            ("VBELN", "FKART"),
            _vbrk,
            "invoice",
            ("VBELN",),
            excluded=("POSNR",),
            fills=_VBRK_FILLS,
            business_keys={
                "invoice": ("VBELN",),
                "order": ("AUBEL",),
                "counterparty": ("KUNAG", "KUNRG"),
            },
            links=header_join(Invoice, "AUBEL"),
        ),
        TableSpec(
            "VBRP",
            "billing document item",
            ("VBELN", "POSNR"),
            ("VBELN", "POSNR", "FKIMG"),
            _vbrp,
            "derived",
            ("VBELN", "POSNR"),
            fills=_VBRP_FILLS,
            business_keys={"invoice": ("VBELN",), "order": ("AUBEL",), "delivery": ("VGBEL",)},
        ),
        TableSpec(
            "BSID",
            "customer open items",
            _OPEN_ITEM_REQUIRED,
            (*_OPEN_ITEM_KEYS, "SHKZG"),
            _open_item,
            "open_item",
            _OPEN_ITEM_KEYS,
            fills=_OPEN_ITEM_FILLS,
            business_keys=_OPEN_ITEM_BUSINESS_KEYS,
            links=clearing_links,
        ),
        TableSpec(
            "BSAD",
            "customer cleared items",
            _OPEN_ITEM_REQUIRED,
            (*_OPEN_ITEM_KEYS, "SHKZG", "AUGBL", "AUGDT"),
            _open_item,
            "open_item",
            _OPEN_ITEM_KEYS,
            fills=_OPEN_ITEM_FILLS,
            business_keys=_OPEN_ITEM_BUSINESS_KEYS,
            links=clearing_links,
        ),
        TableSpec(
            "VBFA",
            "sales document flow",
            ("VBELV", "VBELN", "VBTYP_N"),
            ("VBELV", "VBELN", "VBTYP_N"),
            _vbfa,
            "derived",
            ("VBELV", "VBELN"),
            fills=_VBFA_FILLS,
            category_keys=(("VBELV", "VBTYP_V"), ("VBELN", "VBTYP_N")),
            part_types=frozenset({Order}),
        ),
        TableSpec(
            "KNKK",
            "customer credit limits per credit control area",
            ("KUNNR", "KKBER", "KLIMK"),
            ("KUNNR", "KKBER", "KLIMK"),
            _knkk,
            "credit_limit",
            ("KUNNR", "KKBER"),
            fills=_KNKK_FILLS,
            business_keys={"counterparty": ("KUNNR",)},
            area_currency="KKBER",
        ),
        TableSpec(
            "UKMBP_CMS_SGM",
            "business partner credit limits per credit segment (S/4HANA)",
            ("PARTNER", "CREDIT_SGMNT", "CREDIT_LIMIT"),
            ("PARTNER", "CREDIT_SGMNT", "CREDIT_LIMIT"),
            _ukmbp_cms_sgm,
            "credit_limit",
            ("PARTNER", "CREDIT_SGMNT"),
            fills=_UKMBP_CMS_SGM_FILLS,
            business_keys={"counterparty": ("PARTNER",)},
            area_currency="CREDIT_SGMNT",
        ),
    )
}


def field_name(header: str) -> str:
    """The SAP field a header cell names: ``vbak-vbeln`` → ``VBELN``, `` VBELN `` → ``VBELN``."""
    name = header.strip().lstrip("\ufeff").strip('"').upper()
    for separator in ("-", "."):
        table, sep, field = name.partition(separator)
        if sep and table in TABLES and field:
            return field
    return name


def table_of_header(headers: list[str]) -> str | None:
    """The table a ``TABLE-FIELD`` header names, if it names one consistently."""
    prefixes = {h.strip().lstrip("\ufeff").upper().partition("-")[0] for h in headers if "-" in h}
    named = prefixes & set(TABLES)
    return next(iter(named)) if len(named) == 1 else None


def table_of_name(stem: str) -> str | None:
    """The table a file name names (``VBAK.csv``, ``export_vbak_2024.tsv``, ``UKMBP_CMS_SGM``)."""
    upper = stem.upper()
    tokens = set("".join(c if c.isalnum() else " " for c in upper).split())
    named = tokens & set(TABLES)
    named |= {
        name for name in _COMPOUND_NAMES if re.search(rf"(?<![A-Z0-9]){name}(?![A-Z0-9])", upper)
    }
    return next(iter(named)) if len(named) == 1 else None


#: Table names with an underscore, which the token split of a file name would cut.
_COMPOUND_NAMES: Final = tuple(name for name in TABLES if "_" in name)


def table_of_columns(fields: set[str]) -> str | None:
    """The table whose signature columns the header has (the most specific one).

    BSID and BSAD have the same columns; only the file name tells them apart,
    so a header alone gives BSID (cleared rows are still read as cleared).
    """
    matches = [
        spec
        for spec in TABLES.values()
        if spec.name != "BSAD"
        and not spec.by_name_only
        and set(spec.signature) <= fields
        and not set(spec.excluded) & fields
    ]
    if not matches:
        return None
    return max(matches, key=lambda s: len(s.signature)).name


#: The business key a document of a sales document category (VBTYP) is.
KEY_OF_CATEGORY: Final = {
    **dict.fromkeys(ORDER_CATEGORIES, "order"),
    **dict.fromkeys(("J", "T"), "delivery"),
    **dict.fromkeys(("M", "N", "O", "P", "S", "U"), "invoice"),
}


def business_keys(spec: TableSpec, r: RowValues) -> dict[str, str]:
    """The business keys a row shows, in the form the facts use (no leading zeros).

    Read for a rejected row, so nothing here may fail: a cell that is no id is
    left out rather than stopping the reject.
    """
    keys: dict[str, str] = {}
    columns_of = spec.business_keys
    if spec.read_categories is not None:
        column, categories = spec.read_categories
        if r(column) and r(column) not in categories:
            other = spec.other_records
            if other is None or r(other.column) not in other.categories:
                return keys
            columns_of = other.business_keys
    for kind, columns in columns_of.items():
        for column in columns:
            value = key_value(r(column))
            if value is not None:
                keys[kind] = value
                break
    for document, category in spec.category_keys:
        named = KEY_OF_CATEGORY.get(r(category).strip().upper())
        found = key_value(r(document))
        if named is not None and found is not None:
            keys.setdefault(named, found)
    return keys


def reject_type(spec: TableSpec, r: RowValues) -> str:
    """The fact type a rejected row would have given: the table's, or its other kind's."""
    other = spec.other_records
    if other is not None and r(other.column) in other.categories:
        return other.fact_type
    return spec.fact_type


def rows_to_facts(spec: TableSpec, r: RowValues, mapper: Mapper | None = None) -> list[FactData]:
    """The facts of one row; :class:`FieldProblem` (or a model ValueError) for a bad row.

    ``mapper`` is the table's mapper for the file's options (``spec.configured``);
    without it, the table's mapper with none.
    """
    if not all(map(r, spec.required)):
        missing = [f for f in spec.required if not r(f)]
        raise FieldProblem(f"empty required field(s) {', '.join(missing)}")
    return (mapper or spec.mapper)(r)


__all__ = [
    "KEY_OF_CATEGORY",
    "TABLES",
    "RowValues",
    "TableSpec",
    "business_keys",
    "field_name",
    "reject_type",
    "rows_to_facts",
    "table_of_columns",
    "table_of_header",
    "table_of_name",
]
