"""The kinds of sheet a register has, and how a header tells which one it is.

A back office's workbook holds a sheet of documents and credit limits, and
often a sheet of contract templates, one of correction tasks and the
warehouse's journal of goods receipts. Each is read through its own header
table (:mod:`~handoff_rules.adapters.register.columns`): the kind of a sheet,
or of a CSV file, is the first whose table finds its key columns in the
header. Documents come first, so a register read before templates existed
reads as it did.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import attrs

from handoff_rules.adapters.register.cells import CellValue
from handoff_rules.adapters.register.columns import (
    CORRECTION_ALIASES,
    DOCUMENT_TABLE,
    RECEIPT_ALIASES,
    REQUIRED,
    REQUIRED_FOR_LIMITS,
    TEMPLATE_ALIASES,
    HeaderMap,
    HeaderTable,
    map_header,
)
from handoff_rules.adapters.register.journals import (
    ReceiptJournal,
    read_correction_row,
    read_template_row,
)
from handoff_rules.adapters.register.rows import read_row
from handoff_rules.facts import Fact, Provenance, Reject

__all__ = [
    "CORRECTIONS",
    "DOCUMENTS",
    "KINDS",
    "RECEIPTS",
    "TEMPLATES",
    "RowReader",
    "SheetKind",
    "recognise",
]

#: Reads one row of a sheet whose header is known: a fact or a reject.
RowReader = Callable[[HeaderMap, Sequence[CellValue], Provenance, str], Fact | Reject]


def _rows_of(reader: RowReader) -> Callable[[], RowReader]:
    return lambda: reader


def _receipts() -> RowReader:
    return ReceiptJournal().read_row


@attrs.frozen(slots=True)
class SheetKind:
    """One kind of register sheet: its header table, formats and row reader.

    ``key_columns`` are the columns (all of them) that make a header this
    kind's, ``any_of`` those of which it needs one. ``claim_sets``, when
    given, are stricter: a file is claimed when sniffing only if its header
    has one of these sets whole. ``reject_keys`` pairs a reject key with the
    column it is read from. ``rows`` gives the reader of one sheet or file
    (a fresh one each time: the journal of receipts remembers its rows).
    """

    name: str
    csv_format: str
    xlsx_format: str
    table: HeaderTable
    key_columns: tuple[str, ...]
    described: str
    rows: Callable[[], RowReader]
    any_of: tuple[str, ...] = ()
    claim_sets: tuple[tuple[str, ...], ...] = ()
    reject_keys: tuple[tuple[str, str], ...] = ()

    def reads(self, header: HeaderMap) -> bool:
        """Whether rows can be read with this header as this kind's."""
        columns = header.columns
        return all(c in columns for c in self.key_columns) and (
            not self.any_of or any(c in columns for c in self.any_of)
        )

    def claims(self, header: HeaderMap) -> bool:
        """Whether a file with this header is this kind's when sniffing."""
        if not self.claim_sets:
            return self.reads(header)
        return any(all(c in header.columns for c in names) for names in self.claim_sets)


DOCUMENTS: Final = SheetKind(
    name="documents",
    csv_format="register-csv",
    xlsx_format="register-xlsx",
    table=DOCUMENT_TABLE,
    key_columns=("counterparty_id",),
    any_of=("kind", "credit_limit"),
    claim_sets=(REQUIRED, REQUIRED_FOR_LIMITS),
    described="documents (a Counterparty/Контрагент column and a Kind/Вид or Credit limit column)",
    rows=_rows_of(read_row),
    reject_keys=(("order", "order_id"), ("counterparty", "counterparty_id")),
)
TEMPLATES: Final = SheetKind(
    name="templates",
    csv_format="register-templates",
    xlsx_format="register-templates",
    table=HeaderTable(TEMPLATE_ALIASES),
    key_columns=("template_id", "version", "effective_from"),
    described="templates (Template/Шаблон, Template version/Версия шаблона, Effective from/"
    "Действует с)",
    rows=_rows_of(read_template_row),
)
CORRECTIONS: Final = SheetKind(
    name="corrections",
    csv_format="register-corrections",
    xlsx_format="register-corrections",
    table=HeaderTable(CORRECTION_ALIASES),
    key_columns=("id", "field"),
    any_of=("order_id", "document_id"),
    described="corrections (Correction/Исправление, Field/Поле, and Order/Заказ or "
    "Document/Документ)",
    rows=_rows_of(read_correction_row),
    reject_keys=(("order", "order_id"),),
)
RECEIPTS: Final = SheetKind(
    name="receipts",
    csv_format="register-receipts",
    xlsx_format="register-receipts",
    table=HeaderTable(RECEIPT_ALIASES),
    key_columns=("delivery_id", "receiver_name"),
    described="goods receipts (Delivery/Поставка and Received by/Получил)",
    rows=_receipts,
    reject_keys=(
        ("delivery", "delivery_id"),
        ("order", "order_id"),
        ("counterparty", "counterparty_id"),
    ),
)

#: Every kind, in the order a header is tried against them.
KINDS: Final = (DOCUMENTS, TEMPLATES, CORRECTIONS, RECEIPTS)


def recognise(cells: Sequence[str], *, claim: bool = False) -> tuple[SheetKind, HeaderMap] | None:
    """The kind of the sheet this header row starts and its map, or None for another row.

    ``claim``: by the stricter test of sniffing (:meth:`SheetKind.claims`).
    """
    for kind in KINDS:
        header = map_header(cells, kind.table)
        if kind.claims(header) if claim else kind.reads(header):
            return kind, header
    return None
