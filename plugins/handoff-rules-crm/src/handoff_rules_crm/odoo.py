"""Odoo ``sale.order`` and ``sale.order.line`` exports, with related-field columns.

Odoo's Export writes an order's lines as extra rows under it: the first row
of an order carries the order (``id`` = an external id such as
``__export__.sale_order_898``, ``name`` = ``SO21-000829`` …) and its first
line; the following rows leave the order columns blank and carry one more
line each. So a row with an empty ``id`` and ``name`` continues the order
above it, and lines are numbered 1, 2, … within their order in file order.

Users often pick the order's fields *through the line relation*
(``order_line/order_id/name``, ``order_line/order_id/date_order``,
``order_line/order_partner_id/display_name``): those are fields of the line,
so Odoo repeats them on every row, and the file may have no top-level
``name`` at all. They are read as the order's fields, and a continuation row
whose related order number names another order than the one above it cannot
be placed: it is rejected naming the column. An export of ``sale.order.line``
itself (``order_id/name``, ``product_uom_qty``, ``price_unit`` …) has one line
per row; its rows are grouped by the order they name.

Headers may be technical paths (``order_line/product_uom_qty``) or labels
(``Order Lines/Quantity``); both are read. The order's id is its number
(``name``, else ``order_line/order_id/name``), else its external id. An
export with no column for the order's date nor its customer would give orders
that say nothing: it is refused naming the columns to add.

Odoo writes dates in the user's locale (``3/15/2021 6:49``); the day/month
order is taken from the file's own unambiguous values
(:func:`handoff_rules_crm.cells.with_inferred_dates`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Final

import attrs

from handoff_rules.adapters import (
    AdapterError,
    Fact,
    FormatInfo,
    ReadSettings,
    Reject,
    Sample,
    SniffResult,
)
from handoff_rules.adapters.tabular import Row, open_table
from handoff_rules.model import Derived, FactData, Order, OrderLine
from handoff_rules_crm import __version__
from handoff_rules_crm.cells import Cells, RecordError, with_inferred_dates
from handoff_rules_crm.emit import Emitter, Keys, broken_row
from handoff_rules_crm.options import CURRENCY_SETTINGS, OPTIONS_FILE, CrmOptions, options_for
from handoff_rules_crm.salesforce_csv import csv_header
from handoff_rules_crm.supplies import probe_supplies

__all__ = ["OdooSaleOrderAdapter", "is_odoo_sale_order", "odoo_kind"]

ORDERS: Final = "odoo-sale-order"
LINES: Final = "odoo-sale-order-line"

_LINE_PREFIXES: Final = ("order_line/", "order lines/")

#: Columns of the order itself: a non-empty one starts a new order in a sale.order export.
_ORDER_TOP: Final = ("id", "External ID", "name", "Order Reference", "Number")
_ORDER_EXTERNAL_ID: Final = ("id", "External ID")
#: The order's number, its own column first, then through the line relation.
_ORDER_NUMBER: Final = (
    "name",
    "Order Reference",
    "Number",
    "order_line/order_id/name",
    "order_line/order_id",
    "Order Lines/Order Reference",
)
_RELATED_NUMBER: Final = _ORDER_NUMBER[3:]


def _related(*fields: str) -> tuple[str, ...]:
    """A field of the order as its own column, then through the line relation."""
    return (*fields, *(f"order_line/order_id/{f}" for f in fields))


_DATE: Final = (*_related("date_order"), "Order Date", "Order Lines/Order Reference/Order Date")
_CUSTOMER: Final = (
    "partner_id/id",
    "Customer/External ID",
    "partner_id",
    "Customer",
    "partner_id/display_name",
    "partner_id/name",
    "order_line/order_partner_id/display_name",
    "order_line/order_partner_id/name",
    "order_line/order_partner_id",
    "order_line/order_id/partner_id/display_name",
    "order_line/order_id/partner_id",
    "Order Lines/Customer",
)
_STATE: Final = (*_related("state"), "Status", "order_line/state", "Order Lines/Status")
_PAYMENT_TERMS: Final = (
    *_related("payment_term_id", "payment_term_id/name", "payment_term_id/display_name"),
    "Payment Terms",
)
_CUSTOMER_REF: Final = (
    *_related("client_order_ref", "customer_reference"),
    "Customer Reference",
)
_SALESPERSON: Final = (
    *_related("user_id", "user_id/name"),
    "Salesperson",
    "order_line/salesman_id",
)
_UNTAXED: Final = (*_related("amount_untaxed"), "Untaxed Amount")
_TOTAL: Final = (*_related("amount_total"), "Total")
_CURRENCY: Final = (
    *_related("currency_id", "currency_id/name", "pricelist_id/currency_id"),
    "Currency",
    "order_line/currency_id",
)
#: Date columns read from the order, for the file's day/month order.
_DATES: Final = (*_DATE, *_related("confirmation_date", "validity_date", "commitment_date"))

#: Line fields (in a sale.order export, after the ``order_line/`` prefix).
_PRODUCT: Final = (
    "product_id/id",
    "product_id",
    "product_id/display_name",
    "product_id/name",
    "Product",
)
_QUANTITY: Final = ("product_uom_qty", "Quantity", "Ordered Quantity")
_UOM: Final = (
    "product_uom",
    "product_uom/display_name",
    "product_uom/name",
    "Unit of Measure",
)
_PRICE_UNIT: Final = ("price_unit", "Unit Price")
_SUBTOTAL: Final = ("price_subtotal", "Subtotal")
_DISCOUNT: Final = ("discount", "Discount (%)")
_LINE_FIELDS: Final = (*_PRODUCT, *_QUANTITY, *_PRICE_UNIT, *_SUBTOTAL, "name", "Description")


def _folded(header: Iterable[str]) -> set[str]:
    return {h.strip().casefold() for h in header}


def odoo_kind(header: Sequence[str]) -> str | None:
    """:data:`ORDERS` or :data:`LINES` for an Odoo export header, else None.

    A sale.order export has ``order_line/…`` columns and the order's id or
    number; a sale.order.line export names its order (``order_id/name``) and
    has line fields without a prefix.
    """
    columns = _folded(header)
    if any(c.startswith(_LINE_PREFIXES) for c in columns):
        keys = {c.casefold() for c in (*_ORDER_TOP, *_RELATED_NUMBER)}
        return ORDERS if keys & columns else None
    names_order = bool({"order_id", "order_id/name"} & columns)
    has_line = bool({f.casefold() for f in _LINE_FIELDS if f != "name"} & columns)
    return LINES if names_order and has_line else None


def is_odoo_sale_order(header: Sequence[str]) -> bool:
    return odoo_kind(header) is not None


def _order_view(values: Mapping[str, str], kind: str) -> Mapping[str, str]:
    """A row as a sale.order export has it: a line export's order fields are the line's.

    ``order_id/name`` of a sale.order.line row is what ``order_line/order_id/name``
    is in a sale.order export, so one set of column names reads both.
    """
    if kind == ORDERS:
        return values
    return {f"order_line/{k}": v for k, v in values.items()}


def _first(cells: Cells, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` whose cell holds a value (not merely the first column present)."""
    for name in names:
        if cells.text(name) is not None:
            return name
    return None


def _text(cells: Cells, names: tuple[str, ...]) -> str | None:
    name = _first(cells, names)
    return cells.text(name) if name is not None else None


def _present(header: Iterable[str], names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that is a column of the header."""
    columns = _folded(header)
    return next((n for n in names if n.casefold() in columns), None)


def _check_header(path: Path, header: Sequence[str], line: int) -> None:
    """Refuse an export whose orders would carry nothing but their number.

    :raises AdapterError: naming the columns to add in Odoo's Export dialog
    """
    if _present(header, _DATE) is None and _present(header, _CUSTOMER) is None:
        raise AdapterError(
            str(path),
            "this Odoo export has no column for the order's date nor its customer, so its "
            "orders would carry nothing to check; add 'Order Date' (date_order, or "
            "order_line/order_id/date_order) and 'Customer' (partner_id, or "
            "order_line/order_partner_id/display_name) in Odoo's Export dialog",
            f"line {line}",
        )


@attrs.frozen(slots=True)
class _Current:
    """An order the following line rows belong to."""

    id: str | None
    line: int
    currency: str | None
    lines: int = 0
    #: The order a rejected first row still named, for the keys of its lines' rejects.
    shown: str | None = None

    @property
    def key(self) -> str | None:
        return self.id if self.id is not None else self.shown


def _currency(cells: Cells) -> str | None:
    code = _text(cells, _CURRENCY)
    return code.strip() if code is not None else cells.options.default_currency


def _order(cells: Cells) -> list[FactData]:
    """The order a row starts, and its details the model has no field for."""
    number = _text(cells, _ORDER_NUMBER)
    external = _text(cells, _ORDER_EXTERNAL_ID)
    order_id = (number or external or "").strip()
    if not order_id:
        raise RecordError(
            "an order needs a name or an id; both columns are empty: export the Order "
            "Reference (name) with every order row"
        )
    date_column = _first(cells, _DATE)
    customer = _text(cells, _CUSTOMER)
    if date_column is None and customer is None:
        raise RecordError(
            f"order {order_id} has no order date and no customer: the row's "
            f"{_present_names(cells, _DATE)} and {_present_names(cells, _CUSTOMER)} are empty; "
            "fill the order date or the customer in Odoo and export again"
        )
    untaxed = _first(cells, _UNTAXED)
    net = cells.money((untaxed,), _currency_columns(cells)) if untaxed is not None else None
    currency = net.currency if net is not None else _currency(cells)
    order = Order(
        id=order_id,
        counterparty_id=customer,
        order_date=cells.date(date_column) if date_column is not None else None,
        net_value=net,
        currency=currency,
        customer_po_ref=_text(cells, _CUSTOMER_REF),
        payment_terms=_text(cells, _PAYMENT_TERMS),
        owner=_text(cells, _SALESPERSON),
        state=_text(cells, _STATE),
    )
    details: dict[str, object] = {"object": "sale.order"}
    if external is not None:
        details["external_id"] = external.strip()
    total = _first(cells, _TOTAL)
    if total is not None:
        details["amount_total"] = cells.decimal(total)
        details["currency"] = currency
    for out, names in (
        ("confirmation_date", _related("confirmation_date")),
        ("validity_date", _related("validity_date")),
    ):
        column = _first(cells, names)
        if column is not None:
            details[out] = cells.date(column)
    for out, names in (
        ("invoice_status", _related("invoice_status")),
        ("delivery_status", _related("picking_state", "delivery_status")),
    ):
        value = _text(cells, names)
        if value is not None:
            details[out] = value
    kept = {k: v for k, v in details.items() if v is not None}
    if len(kept) == 1:
        return [order]
    return [order, Derived(name="order_details", subject=order_id, values=kept, order_id=order_id)]


def _present_names(cells: Cells, names: tuple[str, ...]) -> str:
    shown = [n for n in names if cells.has(n)]
    return "/".join(shown) if shown else names[0]


def _currency_columns(cells: Cells) -> tuple[str, ...]:
    name = _first(cells, _CURRENCY)
    return (name,) if name is not None else _CURRENCY[:1]


def _shown_order(cells: Cells) -> str | None:
    """The order a row names (its number, else its external id), as the order facts key it."""
    return _text(cells, _ORDER_NUMBER) or _text(cells, _ORDER_EXTERNAL_ID)


def _order_keys(cells: Cells, order: str | None) -> dict[str, str | None]:
    """The business keys of a row that cannot become facts: its order and customer."""
    return {"order": order, "counterparty": _text(cells, _CUSTOMER)}


def _line(cells: Cells, order_id: str, line_no: int, currency: str | None) -> list[FactData]:
    """A line, and its unit price at the precision written (a price is not an amount)."""
    currency = currency or _currency(cells)
    subtotal_column = _first(cells, _SUBTOTAL)
    net = None
    if subtotal_column is not None:
        subtotal = cells.decimal(subtotal_column)
        if subtotal is not None:
            if currency is None:
                raise RecordError(
                    f"{subtotal_column} {subtotal} has no currency: the order has no "
                    f"currency_id; add the Currency (currency_id) column to the export, or "
                    f"{CURRENCY_SETTINGS}"
                )
            net = cells.money_in(subtotal_column, subtotal, currency)
    line = OrderLine(
        order_id=order_id,
        line_no=str(line_no),
        item=_text(cells, _PRODUCT),
        description=_text(cells, ("name", "Description")),
        quantity=_decimal(cells, _QUANTITY),
        unit=_text(cells, _UOM),
        net_value=net,
    )
    values: dict[str, object] = {
        "line_no": str(line_no),
        "unit_price": _decimal(cells, _PRICE_UNIT),
        "discount_pct": _decimal(cells, _DISCOUNT),
    }
    if values["unit_price"] is not None:
        values["currency"] = currency
    kept = {k: v for k, v in values.items() if v is not None}
    if len(kept) == 1:
        return [line]
    subject = f"{order_id}/{line_no}"
    return [line, Derived(name="order_line_price", subject=subject, values=kept, order_id=order_id)]


def _decimal(cells: Cells, names: tuple[str, ...]) -> Decimal | None:
    name = _first(cells, names)
    return cells.decimal(name) if name is not None else None


def _probe(cells: Cells) -> list[FactData]:
    """An order row with its first line: every fact an export row can become."""
    facts = _order(cells)
    order = facts[0]
    assert isinstance(order, Order)
    return [*facts, *_line(cells, order.id, 1, order.currency)]


def _line_cells(row: Row, options: CrmOptions, prefixed: bool) -> tuple[Cells, bool]:
    """The line's cells (without their ``order_line/`` prefix) and whether any holds a value."""
    if not prefixed:
        cells = Cells(row.values, options)
        return cells, _first(cells, _LINE_FIELDS) is not None
    values: dict[str, str | None] = {}
    for column, value in row.values.items():
        folded = column.strip().casefold()
        for prefix in _LINE_PREFIXES:
            if folded.startswith(prefix):
                values[folded[len(prefix) :]] = value
    cells = Cells(values, options)
    return cells, any(cells.text(name) is not None for name in values)


class _LineExportEmitter(Emitter):
    """Reasons name a sale.order.line export's own columns (``order_id/name``).

    Its rows are read under sale.order names (:func:`_order_view`); no column of
    such a file starts with ``order_line/``, so the prefix comes off every reason.
    """

    def reject(
        self,
        reason: str,
        location: str,
        line: int | None,
        fact_type: str | None,
        raw: str,
        keys: Keys = None,
    ) -> Reject:
        shown = reason.replace(_LINE_PREFIXES[0], "")
        return super().reject(shown, location, line, fact_type, raw, keys)


class _Reading:
    """Where the rows of one file go: the order above, and (line exports) every order seen."""

    def __init__(self, emit: Emitter, kind: str, header: Sequence[str]) -> None:
        self.emit = emit
        self.kind = kind
        self.prefixed = kind == ORDERS
        self.has_top = _present(header, _ORDER_TOP) is not None
        self.related = _present(header, _RELATED_NUMBER)
        self.current: _Current | None = None
        self.seen: dict[str, _Current] = {}

    def row(self, row: Row, options: CrmOptions) -> list[Fact | Reject]:
        cells = Cells(_order_view(row.values, self.kind), options)
        if row.problem is not None:
            shown = _shown_order(cells)
            keys = _order_keys(cells, shown or (self.current.key if self.current else None))
            reject = self.emit.reject(
                broken_row(row.problem), row.location, row.line, "order", row.raw(), lambda: keys
            )
            # A broken row may have been an order's first row: its lines must not
            # be attached to the order above.
            self.current = _Current(id=None, line=row.line, currency=None, shown=shown)
            return [reject]
        line_cells, has_line = _line_cells(row, options, self.prefixed)
        named = _text(cells, _RELATED_NUMBER)
        if self.has_top:
            if _text(cells, _ORDER_TOP) is not None:
                return self._start(row, cells, line_cells, has_line)
            return self._continue(row, cells, line_cells, has_line, named)
        if named is None:
            column = self.related or _RELATED_NUMBER[0]
            reason = f"the row names no order: {column} is empty; fill it (the order's name)"
            return [self._reject(row, cells, reason, None)]
        earlier = self.seen.get(named.strip())
        if earlier is None:
            return self._start(row, cells, line_cells, has_line)
        self.current = earlier
        return self._continue(row, cells, line_cells, has_line, named)

    def _reject(self, row: Row, cells: Cells, reason: str, order: str | None) -> Reject:
        keys = _order_keys(cells, order)
        return self.emit.reject(
            reason, row.location, row.line, "order_line", row.raw(), lambda: keys
        )

    def _start(
        self, row: Row, cells: Cells, line_cells: Cells, has_line: bool
    ) -> list[Fact | Reject]:
        built: list[FactData] = []

        def build() -> list[FactData]:
            built.extend(_order(cells))
            order = built[0]
            assert isinstance(order, Order)
            if has_line:
                built.extend(_line(line_cells, order.id, 1, order.currency))
            return built

        shown = _shown_order(cells)
        items = list(
            self.emit.record(
                build,
                location=row.location,
                line=row.line,
                fact_type="order",
                raw=row.raw(),
                keys=lambda: _order_keys(cells, shown),
            )
        )
        if built and isinstance(built[0], Order) and items and isinstance(items[0], Fact):
            order = built[0]
            self.current = _Current(order.id, row.line, order.currency, 1 if has_line else 0)
        else:
            self.current = _Current(id=None, line=row.line, currency=None, shown=shown)
        if shown is not None:
            self.seen.setdefault(shown.strip(), self.current)
        return items

    def _continue(
        self, row: Row, cells: Cells, line_cells: Cells, has_line: bool, named: str | None
    ) -> list[Fact | Reject]:
        current = self.current
        if current is None:
            columns = " and ".join(c for c in ("id", "name") if cells.has(c)) or "order"
            reason = (
                f"a line row before any order: its {columns} are empty, no order row is above "
                "it; export the orders with their lines (Odoo writes the order's row first)"
            )
            return [self._reject(row, cells, reason, named)]
        if current.id is None:
            reason = (
                f"continues the order on line {current.line}, which was rejected; correct "
                f"line {current.line} as its reject says"
            )
            return [self._reject(row, cells, reason, current.key)]
        if named is not None and named.strip() != current.id and self.has_top:
            column = _first(cells, _RELATED_NUMBER)
            reason = (
                f"{column} names order {named.strip()}, but the row is under order {current.id} "
                f"(line {current.line}); an order's lines must follow its first row: export "
                "the orders sorted by order, or export sale.order.line instead"
            )
            return [self._reject(row, cells, reason, named.strip())]
        if not has_line:
            reason = (
                "a row with neither an order nor an order line; remove the empty row or "
                "export the order_line columns"
            )
            return [self._reject(row, cells, reason, current.key)]
        number = current.lines + 1
        order_id, currency = current.id, current.currency
        items = list(
            self.emit.record(
                lambda: _line(line_cells, order_id, number, currency),
                location=row.location,
                line=row.line,
                fact_type="order_line",
                raw=row.raw(),
                keys=lambda: _order_keys(cells, order_id),
            )
        )
        # A rejected line still takes its number: line 3 of the export stays line 3.
        self.current = attrs.evolve(current, lines=number)
        self.seen[order_id] = self.current
        return items


def _date_values(path: Path, kind: str) -> list[str]:
    """Every value of the order's date columns, for the file's day/month order."""
    found: list[str] = []
    dates = _folded(_DATES)
    with open_table(path) as (table, _encoding):
        for row in table:
            view = _order_view(row.values, kind)
            found.extend(v for c, v in view.items() if v and c.strip().casefold() in dates)
    return found


class OdooSaleOrderAdapter:
    """Reads Odoo sale.order and sale.order.line exports into Order and OrderLine facts."""

    name = "odoo-csv"
    version = __version__
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            ORDERS,
            "Odoo sale.order export with order_line/... continuation rows",
            (".csv",),
            probe_supplies([_probe]),
            options_files=(OPTIONS_FILE,),
        ),
        FormatInfo(
            LINES,
            "Odoo sale.order.line export naming its order (order_id/name …)",
            (".csv",),
            probe_supplies([_probe]),
            options_files=(OPTIONS_FILE,),
        ),
    )

    def __init__(self, options: CrmOptions | None = None) -> None:
        self.options = options

    def sniff(self, sample: Sample) -> SniffResult | None:
        found = csv_header(sample)
        kind = odoo_kind(found[0]) if found is not None else None
        return SniffResult(kind, 0.9) if kind is not None else None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        return self.read_with_settings(path, ReadSettings())

    def read_with_settings(self, path: Path, settings: ReadSettings) -> Iterator[Fact | Reject]:
        """The file's records; ``settings.default_currency`` (``--currency``) wins over the
        options' (see :func:`~handoff_rules_crm.options.options_for`)."""
        options = options_for(path, self.options, settings)
        with open_table(path) as (table, _encoding):
            kind = odoo_kind(table.header)
            if kind is None:
                raise AdapterError(
                    str(path),
                    "not an Odoo sale.order export: expected order columns (id, name) and "
                    "order_line/... columns",
                    f"line {table.header_line}",
                )
            header = list(_order_view(dict.fromkeys(table.header, ""), kind))
            _check_header(path, header, table.header_line)
        options = with_inferred_dates(options, _date_values(path, kind))
        emit = Emitter(self.name, path) if kind == ORDERS else _LineExportEmitter(self.name, path)
        with open_table(path) as (table, _encoding):
            reading = _Reading(emit, kind, header)
            for row in table:
                yield from reading.row(row, options)
