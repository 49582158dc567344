"""Facts that only the whole file can complete: links between rows of one extract.

A row of an extract is read on its own, but some facts need other rows of the
same file. A BSAD clearing (payment) line does not say which invoice it
cleared: the invoice's line does, by naming the payment's document as its
clearing document (AUGBL). A LIKP/LIPS or VBRK/VBRP join repeats the header on
every item row, and only all of them together say which order the document is
for. So the table adapter hands each row's facts to the table's links, which
give back the ones to yield at once and hold the rest until the file is read
(they keep their row's provenance).

What is held is what a link needs and no more: a BSAD file's payments and, per
clearing document, the references of the items it cleared; a join's headers,
one per document. Other tables are read row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import attrs

from handoff_rules.adapters import Provenance
from handoff_rules.model import Delivery, FactData, Invoice, Order, Payment
from handoff_rules_sap.fields import optional_id, sap_id

#: A row: SAP field name → its stripped cell ('' when the file lacks the field).
Row = Callable[[str], str]
#: A fact with the provenance of the row it came from.
Located = tuple[FactData, Provenance]
#: An FI document or a clearing: (company code BUKRS, document number, year or date).
DocumentKey = tuple[str, str, str]


class RowLinks(Protocol):
    """What a table's rows say about each other, gathered while its file is read."""

    def take(self, row: Row, facts: Sequence[FactData], provenance: Provenance) -> list[FactData]:
        """Note the row; return those of its facts to give now (the others are held)."""
        ...

    def release(self) -> Iterator[Located]:
        """The held facts, completed, once every row is read."""
        ...


@attrs.define
class _HeldPayment:
    payment: Payment
    provenance: Provenance
    clearing: DocumentKey
    invoice_document: DocumentKey | None


class ClearingLinks:
    """BSAD: the invoice each payment (clearing line) cleared.

    A payment is allocated to an invoice when its clearing document cleared
    that one invoice: the line's REBZG (the invoice's FI document, REBZJ its
    year) where the file has that document's line, else the one item of the
    file cleared by the payment's clearing document (same BUKRS, AUGBL, AUGDT)
    when that item is a debit with a billing document (VBELN, else XBLNR). A
    clearing of several items (invoices and credit memos together) leaves the
    payment unallocated: its amount is the payment of none of them alone.
    """

    def __init__(self) -> None:
        self._held: list[_HeldPayment] = []
        #: clearing → the billing documents of the items it cleared ('' for an item that
        #: is no invoice: a credit, or a debit without a billing document)
        self._cleared: dict[DocumentKey, list[str]] = {}
        #: FI document → its billing document
        self._billing: dict[DocumentKey, str] = {}

    def take(self, row: Row, facts: Sequence[FactData], provenance: Provenance) -> list[FactData]:
        company = row("BUKRS")
        billing = optional_id(row("VBELN")) or optional_id(row("XBLNR")) or ""
        if billing:
            self._billing.setdefault((company, sap_id(row("BELNR")), row("GJAHR")), billing)
        clearing = (company, optional_id(row("AUGBL")) or "", row("AUGDT"))
        payments = [f for f in facts if isinstance(f, Payment)]
        if not payments:
            if clearing[1]:
                invoice = billing if row("SHKZG").upper() == "S" else ""
                self._cleared.setdefault(clearing, []).append(invoice)
            return list(facts)
        invoice_document = optional_id(row("REBZG"))
        for payment in payments:
            self._held.append(
                _HeldPayment(
                    payment,
                    provenance,
                    clearing,
                    (company, invoice_document, row("REBZJ") or row("GJAHR"))
                    if invoice_document
                    else None,
                )
            )
        return [f for f in facts if not isinstance(f, Payment)]

    def release(self) -> Iterator[Located]:
        for held in self._held:
            invoice = None
            if held.invoice_document is not None:
                invoice = self._billing.get(held.invoice_document)
            if invoice is None:
                cleared = self._cleared.get(held.clearing, [])
                invoice = cleared[0] if len(cleared) == 1 and cleared[0] else None
            payment = held.payment
            if invoice is not None:
                payment = attrs.evolve(payment, invoice_id=invoice)
            yield payment, held.provenance


class HeaderJoin:
    """A header/item join (LIKP/LIPS, VBRK/VBRP): one header fact per document.

    Every item row repeats its document's header, so each gives the same fact;
    the first row's is kept, with ``order_id`` set to the one sales order all
    its rows name (``order_column``: LIPS VGBEL, VBRP AUBEL). A document for
    several orders names none: it joins its customer's orders, as a header
    read alone does. Its location names every line it was read from, so each
    row is accounted for. A file without the order column is no join and is
    read row by row (:func:`header_join`).
    """

    def __init__(self, kind: type[Delivery] | type[Invoice], order_column: str) -> None:
        self._kind = kind
        self._order_column = order_column
        self._first: dict[str, Located] = {}
        self._orders: dict[str, set[str]] = {}
        self._lines: dict[str, list[int | None]] = {}

    def take(self, row: Row, facts: Sequence[FactData], provenance: Provenance) -> list[FactData]:
        now: list[FactData] = []
        for fact in facts:
            if not isinstance(fact, self._kind):
                now.append(fact)
                continue
            self._first.setdefault(fact.id, (fact, provenance))
            self._lines.setdefault(fact.id, []).append(provenance.line)
            orders = self._orders.setdefault(fact.id, set())
            order = optional_id(row(self._order_column))
            if order is not None:
                orders.add(order)
        return now

    def release(self) -> Iterator[Located]:
        for document, (fact, provenance) in self._first.items():
            orders = self._orders[document]
            order = next(iter(orders)) if len(orders) == 1 else None
            if isinstance(fact, Delivery | Invoice) and fact.order_id != order:
                fact = attrs.evolve(fact, order_id=order)
            lines = self._lines[document]
            if len(lines) > 1:
                read_from = ", ".join(str(line) for line in lines)
                location = f"{provenance.location}, with its rows on lines {read_from}"
                provenance = attrs.evolve(provenance, location=location)
            yield fact, provenance


class OrderParts:
    """VBPA: one Order per sales document, from the rows of its header partners.

    Each row gives an Order with the one field its partner function fills; the
    rows of one order are combined (a field keeps its first value) and located
    at the first, naming every line. A contact person whose row has no
    customer is numbered under the order's sold-to party (``<customer>/<PARNR>``,
    as contact persons are numbered in the customer master), when the file has it.
    """

    def __init__(self) -> None:
        self._parts: dict[str, list[Located]] = {}

    def take(self, row: Row, facts: Sequence[FactData], provenance: Provenance) -> list[FactData]:
        now: list[FactData] = []
        for fact in facts:
            if isinstance(fact, Order):
                self._parts.setdefault(fact.id, []).append((fact, provenance))
            else:  # pragma: no cover - VBPA rows give orders only
                now.append(fact)
        return now

    def release(self) -> Iterator[Located]:
        for parts in self._parts.values():
            (first, provenance), *rest = parts
            values = attrs.asdict(first, recurse=False)
            for part, _provenance in rest:
                for name, value in attrs.asdict(part, recurse=False).items():
                    if values.get(name) is None and value is not None:
                        values[name] = value
            contact, sold_to = values.get("contact_person_id"), values.get("sold_to")
            if isinstance(contact, str) and "/" not in contact and sold_to:
                values["contact_person_id"] = f"{sold_to}/{contact}"
            if rest:
                lines = ", ".join(str(p.line) for _, p in parts)
                location = f"{provenance.location}, with its rows on lines {lines}"
                provenance = attrs.evolve(provenance, location=location)
            yield Order(**values), provenance


def clearing_links(_fields: Sequence[str]) -> RowLinks:
    """The links of a BSAD (or BSID) file."""
    return ClearingLinks()


def order_parts(_fields: Sequence[str]) -> RowLinks:
    """The links of a VBPA file."""
    return OrderParts()


def header_join(
    kind: type[Delivery] | type[Invoice], order_column: str
) -> Callable[[Sequence[str]], RowLinks | None]:
    """The links of a header table's file when it is a join with the item's order column."""

    def links(fields: Sequence[str]) -> RowLinks | None:
        return HeaderJoin(kind, order_column) if order_column in fields else None

    return links


__all__ = [
    "ClearingLinks",
    "HeaderJoin",
    "Located",
    "OrderParts",
    "RowLinks",
    "clearing_links",
    "header_join",
    "order_parts",
]
