"""Odoo ``sale.order`` exports with their one-to-many ``order_line/…`` rows.

Odoo's Export writes an order's lines as extra rows under it: the first row
of an order carries the order (``id`` = an external id such as
``__export__.sale_order_898``, ``name`` = ``SO21-000829`` …) and its first
line; the following rows leave the order columns blank and carry one more
line each. So a row with an empty ``id`` and ``name`` continues the order
above it, and lines are numbered 1, 2, … within their order in file order.

Headers may be technical paths (``order_line/product_uom_qty``) or labels
(``Order Lines/Quantity``); both are read. The order's id is its ``name``
(what people and messages use), else its external id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import attrs

from handoff_rules.adapters import AdapterError, Fact, FormatInfo, Reject, Sample, SniffResult
from handoff_rules.adapters.tabular import Row, open_table
from handoff_rules.model import FactData, Money, Order, OrderLine
from handoff_rules_crm import __version__
from handoff_rules_crm.cells import Cells, RecordError
from handoff_rules_crm.emit import Emitter
from handoff_rules_crm.options import OPTIONS_FILE, CrmOptions, options_for
from handoff_rules_crm.salesforce_csv import csv_header
from handoff_rules_crm.supplies import probe_supplies

__all__ = ["OdooSaleOrderAdapter", "is_odoo_sale_order"]

_LINE_PREFIXES: Final = ("order_line/", "order lines/")
_ORDER_ID: Final = ("id", "External ID")
_ORDER_NAME: Final = ("name", "Order Reference", "Number")
_CURRENCY: Final = ("currency_id", "Currency")
_PARTNER: Final = ("partner_id/id", "Customer/External ID", "partner_id", "Customer")


def is_odoo_sale_order(header: Sequence[str]) -> bool:
    columns = [h.strip().casefold() for h in header]
    has_lines = any(c.startswith(_LINE_PREFIXES) for c in columns)
    has_order = bool({"name", "order reference", "number", "id"} & set(columns))
    return has_lines and has_order


def _line_cells(row: Row, options: CrmOptions) -> tuple[Cells, bool]:
    """The ``order_line/`` cells without their prefix, and whether any holds a value."""
    values: dict[str, str | None] = {}
    for column, value in row.values.items():
        folded = column.strip().casefold()
        for prefix in _LINE_PREFIXES:
            if folded.startswith(prefix):
                values[folded[len(prefix) :]] = value
    cells = Cells(values, options)
    return cells, any(cells.text(name) is not None for name in values)


@attrs.frozen(slots=True)
class _Current:
    """The order the continuation rows below belong to."""

    id: str | None
    line: int
    currency: str | None
    lines: int = 0
    #: The order a rejected first row still named, for the keys of its lines' rejects.
    shown: str | None = None

    @property
    def key(self) -> str | None:
        return self.id if self.id is not None else self.shown


def _order(cells: Cells) -> Order:
    name = cells.text(*_ORDER_NAME)
    external = cells.text(*_ORDER_ID)
    order_id = (name or external or "").strip()
    if not order_id:
        raise RecordError("an order needs a name or an id")
    net = cells.money(("amount_untaxed", "Untaxed Amount"), _CURRENCY)
    return Order(
        id=order_id,
        counterparty_id=cells.text(*_PARTNER),
        order_date=cells.date("date_order", "Order Date"),
        net_value=net,
        currency=net.currency if net is not None else _currency(cells),
        customer_po_ref=cells.text("client_order_ref", "Customer Reference"),
        payment_terms=cells.text("payment_term_id", "Payment Terms"),
        owner=cells.text("user_id", "Salesperson"),
        state=cells.text("state", "Status"),
    )


def _shown_order(cells: Cells) -> str | None:
    """The order a row names (its name, else its external id), as the order facts key it."""
    return cells.text(*_ORDER_NAME) or cells.text(*_ORDER_ID)


def _order_keys(cells: Cells, order: str | None) -> dict[str, str | None]:
    """The business keys of a row that cannot become facts: its order and customer."""
    return {"order": order, "counterparty": cells.text(*_PARTNER)}


def _currency(cells: Cells) -> str | None:
    code = cells.text(*_CURRENCY)
    return code.strip() if code is not None else cells.options.default_currency


def _line(cells: Cells, order_id: str, line_no: int, currency: str | None) -> OrderLine:
    subtotal = cells.decimal("price_subtotal", "Subtotal")
    net = None
    if subtotal is not None:
        code = currency
        if code is None:
            raise RecordError(
                f"order line subtotal {subtotal} has no currency: the order has no "
                "currency_id and no default_currency is configured"
            )
        net = Money(subtotal, code)
    return OrderLine(
        order_id=order_id,
        line_no=str(line_no),
        item=cells.text("product_id/id", "product_id", "Product"),
        description=cells.text("name", "Description"),
        quantity=cells.decimal("product_uom_qty", "Quantity"),
        unit=cells.text("product_uom", "Unit of Measure"),
        net_value=net,
    )


def _probe(cells: Cells) -> list[FactData]:
    """An order row with its first line: every fact an export row can become."""
    order = _order(cells)
    return [order, _line(cells, order.id, 1, order.currency)]


class OdooSaleOrderAdapter:
    """Reads an Odoo sale.order export into Order and OrderLine facts."""

    name = "odoo-csv"
    version = __version__
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "odoo-sale-order",
            "Odoo sale.order export with order_line/... continuation rows",
            (".csv",),
            probe_supplies([_probe]),
            options_files=(OPTIONS_FILE,),
        ),
    )

    def __init__(self, options: CrmOptions | None = None) -> None:
        self.options = options

    def sniff(self, sample: Sample) -> SniffResult | None:
        found = csv_header(sample)
        if found is None or not is_odoo_sale_order(found[0]):
            return None
        return SniffResult("odoo-sale-order", 0.9)

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        options = options_for(path, self.options)
        emit = Emitter(self.name, path)
        with open_table(path) as (table, _encoding):
            if not is_odoo_sale_order(table.header):
                raise AdapterError(
                    str(path),
                    "not an Odoo sale.order export: expected order columns (id, name) and "
                    "order_line/... columns",
                    f"line {table.header_line}",
                )
            current: _Current | None = None
            for row in table:
                items, current = self._row(emit, row, options, current)
                yield from items

    def _row(
        self, emit: Emitter, row: Row, options: CrmOptions, current: _Current | None
    ) -> tuple[list[Fact | Reject], _Current | None]:
        cells = Cells(row.values, options)
        if row.problem is not None:
            shown = _shown_order(cells)
            keys = _order_keys(cells, shown or (current.key if current is not None else None))
            reject = emit.reject(
                row.problem, row.location, row.line, "order", row.raw(), lambda: keys
            )
            # A broken row may have been an order's first row: its lines must not
            # be attached to the order above.
            return [reject], _Current(id=None, line=row.line, currency=None, shown=shown)
        line_cells, has_line = _line_cells(row, options)
        starts_order = cells.text(*_ORDER_ID) is not None or cells.text(*_ORDER_NAME) is not None
        if starts_order:
            built: list[FactData] = []

            def build() -> list[FactData]:
                order = _order(cells)
                built.append(order)
                if has_line:
                    built.append(_line(line_cells, order.id, 1, order.currency))
                return built

            shown = _shown_order(cells)
            items = list(
                emit.record(
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
                return items, _Current(order.id, row.line, order.currency, 1 if has_line else 0)
            return items, _Current(id=None, line=row.line, currency=None, shown=shown)
        line_keys = _order_keys(cells, current.key if current is not None else None)
        if current is None or current.id is None:
            reason = (
                "a continuation row (no id, no name) before any order"
                if current is None
                else f"continues the order on line {current.line}, which was rejected"
            )
            reject = emit.reject(
                reason, row.location, row.line, "order_line", row.raw(), lambda: line_keys
            )
            return [reject], current
        if not has_line:
            reason = "a row with neither an order nor an order line"
            reject = emit.reject(
                reason, row.location, row.line, "order_line", row.raw(), lambda: line_keys
            )
            return [reject], current
        number = current.lines + 1
        order_id, currency = current.id, current.currency
        items = list(
            emit.record(
                lambda: [_line(line_cells, order_id, number, currency)],
                location=row.location,
                line=row.line,
                fact_type="order_line",
                raw=row.raw(),
                keys=lambda: line_keys,
            )
        )
        # A rejected line still takes its number: line 3 of the export stays line 3.
        return items, attrs.evolve(current, lines=number)
