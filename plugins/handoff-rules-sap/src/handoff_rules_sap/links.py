"""Facts that only the whole file can complete: links between rows of one extract.

A row of an extract is read on its own, but some facts need other rows of the
same file. A BSAD clearing (payment) line does not say which invoice it
cleared: the invoice's line does, by naming the payment's document as its
clearing document (AUGBL). A LIKP/LIPS or VBRK/VBRP join repeats the header on
every item row, and only all of them together say which order the document is
for. So the table adapter hands each row's facts to the table's links, which
give back the ones to yield at once and hold the rest until the file is read
(they keep their row's provenance), or complete them from what a first pass
over the file noted.

What is held is what a link needs and no more: a join's headers, one per
document, and VBPA's orders. A BSAD file, which may be large and whose
payments are many, is read twice instead: the first pass notes the invoice
each clearing cleared, the second gives every fact in file order. Other
tables are read row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import attrs

from handoff_rules.adapters import Provenance
from handoff_rules.model import Delivery, FactData, Invoice, Order, Payment
from handoff_rules_sap.fields import key_value, optional_id

#: A row: SAP field name → its stripped cell ('' when the file lacks the field).
Row = Callable[[str], str]
#: A fact with the provenance of the row it came from.
Located = tuple[FactData, Provenance]


class RowLinks(Protocol):
    """What a table's rows say about each other, gathered while its file is read."""

    #: Whether the file is read twice, :meth:`note` seeing every row on the first pass.
    first_pass: bool

    def note(self, row: Row) -> None:
        """See a row on the first pass (read without a problem, but not yet mapped)."""
        ...

    def take(self, row: Row, facts: Sequence[FactData], provenance: Provenance) -> list[FactData]:
        """Note the row; return those of its facts to give now (the others are held)."""
        ...

    def release(self) -> Iterator[Located]:
        """The held facts, completed, once every row is read."""
        ...


class ClearingLinks:
    """BSAD: the invoice each payment (clearing line) cleared.

    A payment is allocated to an invoice when its clearing document cleared
    that one invoice: the line's REBZG (the invoice's FI document, REBZJ its
    year) where the file has that document's line, else the one item of the
    file cleared by the payment's clearing document (same BUKRS, AUGBL, AUGDT)
    when that item is a debit with a billing document (VBELN, else XBLNR). A
    clearing of several items (invoices and credit memos together) leaves the
    payment unallocated: its amount is the payment of none of them alone.

    The file is read twice (``first_pass``): the first pass notes, per clearing
    document, the one billing document it cleared (a string per clearing, and per
    FI document when the file has REBZG), so that the second gives every fact in
    file order, payments complete, and holds none back.
    """

    first_pass = True

    def __init__(self, *, references: bool = True) -> None:
        #: clearing → the billing document of the one item it cleared ('' for an item
        #: that is no invoice), None once it is seen to clear several
        self._cleared: dict[str, str | None] = {}
        #: FI document → its billing document; kept only when the file has REBZG
        self._billing: dict[str, str] | None = {} if references else None

    def note(self, row: Row) -> None:
        company, document = row("BUKRS"), _key(row("BELNR"))
        billing = _key(row("VBELN")) or _key(row("XBLNR"))
        if billing and self._billing is not None:
            self._billing.setdefault(f"{company} {document} {row('GJAHR')}", billing)
        clearing = _key(row("AUGBL"))
        debit = row("SHKZG").upper() == "S"
        if clearing is None or (clearing == document and not debit):
            return  # not cleared, or the payment line itself
        key = f"{company} {clearing} {row('AUGDT')}"
        invoice = billing if debit and billing else ""
        self._cleared[key] = None if key in self._cleared else invoice

    def take(self, row: Row, facts: Sequence[FactData], provenance: Provenance) -> list[FactData]:
        if len(facts) == 1:  # an item; a clearing line gives its Payment after it
            return list(facts)
        company = row("BUKRS")
        invoice = None
        reference = _key(row("REBZG"))
        if reference is not None and self._billing is not None:
            year = row("REBZJ") or row("GJAHR")
            invoice = self._billing.get(f"{company} {reference} {year}")
        if invoice is None:
            invoice = self._cleared.get(f"{company} {_key(row('AUGBL'))} {row('AUGDT')}") or None
        if invoice is None:
            return list(facts)
        return [
            attrs.evolve(fact, invoice_id=invoice) if isinstance(fact, Payment) else fact
            for fact in facts
        ]

    def release(self) -> Iterator[Located]:
        return iter(())


def _key(raw: str) -> str | None:
    """A document number as the facts write it, or None (never raises: notes are read
    from every row, rejected ones too)."""
    try:
        return key_value(raw)
    except ValueError:  # pragma: no cover - key_value refuses what is no key
        return None


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

    first_pass = False

    def note(self, row: Row) -> None:
        """Nothing: read in one pass."""

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

    def __init__(self, summed: frozenset[str] = frozenset()) -> None:
        self._parts: dict[str, list[Located]] = {}
        #: fields whose values add up over the rows instead (KONV's discounts)
        self._summed = summed

    first_pass = False

    def note(self, row: Row) -> None:
        """Nothing: read in one pass."""

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
                    elif name in self._summed and value is not None:
                        values[name] += value
            contact, sold_to = values.get("contact_person_id"), values.get("sold_to")
            if isinstance(contact, str) and "/" not in contact and sold_to:
                values["contact_person_id"] = f"{sold_to}/{contact}"
            if rest:
                lines = ", ".join(str(p.line) for _, p in parts)
                location = f"{provenance.location}, with its rows on lines {lines}"
                provenance = attrs.evolve(provenance, location=location)
            yield Order(**values), provenance


def clearing_links(fields: Sequence[str]) -> RowLinks:
    """The links of a BSAD (or BSID) file: FI documents are kept only if REBZG names them."""
    return ClearingLinks(references="REBZG" in fields)


def order_parts(_fields: Sequence[str]) -> RowLinks:
    """The links of a VBPA file."""
    return OrderParts()


def order_conditions(_fields: Sequence[str]) -> RowLinks:
    """The links of a KONV or PRCD_ELEMENTS file: an order's discounts add up."""
    return OrderParts(summed=frozenset({"discount_pct"}))


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
    "order_conditions",
    "order_parts",
]
