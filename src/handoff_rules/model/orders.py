"""The order and what follows from it: lines, deliveries, invoices, payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import ClassVar

import attrs

from handoff_rules.model.bounds import bounded_int, check_decimal, shown
from handoff_rules.model.money import Money


def decimal_or_none(value: object) -> Decimal | None:
    """A decimal field's value: a representable Decimal (see :mod:`~handoff_rules.model.bounds`)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return check_decimal(value)
    if isinstance(value, float | bool):
        raise TypeError(f"expected Decimal, int or str, not {type(value).__name__} ({value!r})")
    if isinstance(value, int):
        return check_decimal(Decimal(value))
    text = str(value)
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {shown(text)}") from None
    return check_decimal(result, text)


def _decimal(value: object) -> Decimal:
    result = decimal_or_none(value)
    if result is None:
        raise TypeError("a quantity is required")
    return result


@attrs.frozen(slots=True)
class Order:
    """A sales order as entered in the ERP: the subject of every case."""

    fact_type: ClassVar[str] = "order"

    id: str
    counterparty_id: str | None = None
    order_date: date | None = None
    net_value: Money | None = None
    currency: str | None = None
    customer_po_ref: str | None = None
    sold_to: str | None = None
    ship_to: str | None = None
    bill_to: str | None = None
    payer: str | None = None
    incoterm: str | None = None
    payment_terms: str | None = None
    payment_days: int | None = attrs.field(default=None, validator=bounded_int)
    discount_pct: Decimal | None = attrs.field(default=None, converter=decimal_or_none)
    contract_id: str | None = None
    quote_id: str | None = None
    owner: str | None = None
    entered_by: str | None = None
    contact_person_id: str | None = None
    planned_delivery_date: date | None = None
    customer_confirmed_on: date | None = None
    entered_on: date | None = None
    order_type: str | None = None
    sales_org: str | None = None
    state: str | None = None
    delivery_block: str | None = None
    billing_block: str | None = None

    @property
    def order_id(self) -> str:
        return self.id


@attrs.frozen(slots=True)
class OrderLine:
    fact_type: ClassVar[str] = "order_line"

    order_id: str
    line_no: str
    item: str | None = None
    description: str | None = None
    quantity: Decimal | None = attrs.field(default=None, converter=decimal_or_none)
    unit: str | None = None
    net_value: Money | None = None
    is_standard: bool | None = None
    #: Where this line goes when it differs from the order's ship-to (SAP item partner WE).
    ship_to: str | None = None
    #: The net price per ``price_unit`` of ``unit`` (SAP quotes prices per 1, 10, 1000 …).
    unit_price: Money | None = None
    price_unit: Decimal | None = attrs.field(default=None, converter=decimal_or_none)
    delivery_date: date | None = None

    @property
    def id(self) -> str:
        return f"{self.order_id}/{self.line_no}"


@attrs.frozen(slots=True)
class Delivery:
    """A delivery or goods-release request: the moment goods leave the warehouse."""

    fact_type: ClassVar[str] = "delivery"

    id: str
    order_id: str | None = None
    counterparty_id: str | None = None
    ship_to: str | None = None
    planned_date: date | None = None
    release_date: date | None = None
    receiver_name: str | None = None
    receiver_person_id: str | None = None
    receiver_id_document_number: str | None = None
    value: Money | None = None
    pickup: bool | None = None


@attrs.frozen(slots=True)
class Invoice:
    fact_type: ClassVar[str] = "invoice"

    id: str
    order_id: str | None = None
    delivery_id: str | None = None
    counterparty_id: str | None = None
    issued_on: date | None = None
    due_on: date | None = None
    tax_point_on: date | None = None
    registered_on: date | None = None
    total: Money | None = None
    open_amount: Money | None = None
    form: str | None = None
    payment_terms: str | None = None
    buyer_legal_id: str | None = None
    #: The parties by role; ``counterparty_id`` stays the single legacy party (sold-to first).
    sold_to: str | None = None
    ship_to: str | None = None
    bill_to: str | None = None
    payer: str | None = None
    incoterm: str | None = None


@attrs.frozen(slots=True)
class Payment:
    """Money received, allocated to an invoice or an order (or not yet allocated)."""

    fact_type: ClassVar[str] = "payment"

    id: str
    amount: Money
    counterparty_id: str | None = None
    invoice_id: str | None = None
    order_id: str | None = None
    received_on: date | None = None
    reference: str | None = None


@attrs.frozen(slots=True)
class OpenItem:
    """An accounts-receivable item (SAP BSID/BSAD): what the customer still owes."""

    fact_type: ClassVar[str] = "open_item"

    id: str
    counterparty_id: str
    amount: Money
    document_ref: str | None = None
    posted_on: date | None = None
    due_on: date | None = None
    cleared_on: date | None = None
    disputed: bool = False
    dunning_level: int | None = attrs.field(default=None, validator=bounded_int)


@attrs.frozen(slots=True)
class CorrectionTask:
    """An error found in a document and who is to correct it (SAL-ERR-001)."""

    fact_type: ClassVar[str] = "correction"

    id: str
    document_id: str | None = None
    order_id: str | None = None
    field: str | None = None
    customer_facing: bool | None = None
    detected_by: str | None = None
    detected_on: date | None = None
    assignee: str | None = None
    closed_on: date | None = None
    corrected_by: str | None = None
    via_correction_document: bool | None = None
