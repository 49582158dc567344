"""The ``document-register`` adapter: a back office's register of documents, as facts.

Contracts, powers of attorney, the form each shipping document arrived in,
credit limits, contract templates, correction tasks and who collected each
delivery live in spreadsheets, not in the ERP. This adapter reads such a
register from CSV/TSV (any encoding :mod:`~handoff_rules.adapters.text`
detects, cp1251 included) or from an xlsx workbook, each sheet (or file)
through the header table of its kind (:mod:`~handoff_rules.adapters.register.kinds`),
so rules that read them can be decided from what the back office really
keeps. Layout and words: ``docs/reference/document-register.rst``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final

from handoff_rules import __version__
from handoff_rules.adapters.base import AdapterError, FormatInfo, Sample, SniffResult, Supply
from handoff_rules.adapters.native_schema import model_paths, types_for_header
from handoff_rules.adapters.register.cells import CellValue, read_text
from handoff_rules.adapters.register.columns import HeaderMap
from handoff_rules.adapters.register.journals import (
    CORRECTION_DATES,
    CORRECTION_FLAGS,
    CORRECTION_TEXTS,
    RECEIPT_FIELDS,
    TEMPLATE_FIELDS,
)
from handoff_rules.adapters.register.kinds import (
    CORRECTIONS,
    DOCUMENTS,
    KINDS,
    RECEIPTS,
    TEMPLATES,
    SheetKind,
    recognise,
)
from handoff_rules.adapters.register.rows import (
    CREDIT_LIMIT_COLUMNS,
    DOCUMENT_COLUMNS,
    RAW_LIMIT,
)
from handoff_rules.adapters.register.xlsx import (
    MAX_COLUMNS,
    OLE_MAGIC,
    ZIP_MAGIC,
    SheetRow,
    Workbook,
)
from handoff_rules.adapters.tabular import CsvDialect, open_table, sniff_dialect
from handoff_rules.adapters.text import detect_encoding, open_text
from handoff_rules.adapters.values import strip_leading_zeros
from handoff_rules.facts import Fact, Provenance, Reject
from handoff_rules.model import ContractTemplate, CorrectionTask, CreditLimit, Delivery, Document

__all__ = ["HEADER_SEARCH_ROWS", "DocumentRegisterAdapter", "register_supplies"]

#: The header is the first row among this many that maps as a register's; rows
#: above it (a title, a date, blank rows) are no records.
HEADER_SEARCH_ROWS: Final = 10
_XLSX_SUFFIXES: Final = (".xlsx", ".xlsm")
_CSV_MARKER: Final = "#handoff-rules"


def _paths(fact_type: str, columns: Iterable[str]) -> tuple[str, ...]:
    """The paths of ``fact_type`` that the given model fields fill, in the model's order."""
    wanted = set(columns)
    return tuple(
        path
        for path in model_paths(fact_type)
        if path in wanted or path.rpartition(".")[0] in wanted
    )


def register_supplies(kind: SheetKind = DOCUMENTS) -> tuple[Supply, ...]:
    """What a sheet of ``kind`` can fill: derived from the columns its row reader reads."""
    if kind is TEMPLATES:
        return (Supply(ContractTemplate.fact_type, _paths("template", ["id", *TEMPLATE_FIELDS])),)
    if kind is CORRECTIONS:
        fields = [*CORRECTION_TEXTS, *CORRECTION_DATES, *CORRECTION_FLAGS]
        return (Supply(CorrectionTask.fact_type, _paths(CorrectionTask.fact_type, fields)),)
    if kind is RECEIPTS:
        return (Supply(Delivery.fact_type, _paths(Delivery.fact_type, RECEIPT_FIELDS)),)
    limit_columns = {"credit_limit": "limit"}
    return (
        Supply(Document.fact_type, _paths(Document.fact_type, DOCUMENT_COLUMNS)),
        Supply(
            CreditLimit.fact_type,
            _paths(
                CreditLimit.fact_type,
                ["id", *(limit_columns.get(c, c) for c in CREDIT_LIMIT_COLUMNS)],
            ),
        ),
    )


_KIND_DESCRIPTIONS: Final = {
    TEMPLATES: "register of contract templates (CSV/TSV or xlsx sheets): template, version, "
    "effective from, superseded on; English or Russian headers",
    CORRECTIONS: "register of correction tasks (CSV/TSV or xlsx sheets): errors found in "
    "documents, who corrects them, when closed; English or Russian headers",
    RECEIPTS: "journal of goods receipts (CSV/TSV or xlsx sheets): who collected a delivery, "
    "as a part of its delivery fact; English or Russian headers",
}
_EVERY_SUFFIX: Final = (".csv", ".tsv", ".txt", *_XLSX_SUFFIXES)
_NO_HEADER: Final = "; ".join(kind.described for kind in KINDS)


class DocumentRegisterAdapter:
    """Reads a document register from CSV/TSV or xlsx; see the module's docstring."""

    name = "document-register"
    version = __version__
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "register-csv",
            "document register (CSV/TSV): documents, powers of attorney, credit limits; "
            "English or Russian headers",
            (".csv", ".tsv", ".txt"),
            register_supplies(),
        ),
        FormatInfo(
            "register-xlsx",
            "document register (xlsx workbook): every sheet with a register header",
            _XLSX_SUFFIXES,
            register_supplies(),
        ),
        *(
            FormatInfo(kind.csv_format, description, _EVERY_SUFFIX, register_supplies(kind))
            for kind, description in _KIND_DESCRIPTIONS.items()
        ),
    )

    # --- sniffing ---------------------------------------------------------------------

    def sniff(self, sample: Sample) -> SniffResult | None:
        try:
            if sample.head.startswith((ZIP_MAGIC, OLE_MAGIC)):
                return self._sniff_xlsx(sample)
            return self._sniff_csv(sample)
        except Exception:  # a sniff must not raise; read() names what is wrong
            return None

    def _sniff_xlsx(self, sample: Sample) -> SniffResult | None:
        named = sample.path.suffix.lower() in _XLSX_SUFFIXES
        if sample.head.startswith(OLE_MAGIC):
            # an encrypted xlsx or an .xls: claimed weakly so that reading says which
            return SniffResult("register-xlsx", 0.3) if named else None
        if not named and b"xl/" not in sample.head:
            return None  # another zip (a .docx, an archive of exports)
        kinds: list[SheetKind] = []
        try:
            with Workbook(sample.path) as book:
                for sheet in book.sheet_names:
                    found = _find_header(book.rows(sheet), claim=True)
                    if found is not None and found[1] is not None:
                        kinds.append(found[1][0])
        except AdapterError:
            return SniffResult("register-xlsx", 0.3)  # an xlsx that cannot be read: say why
        if not kinds:
            return None
        # the formats of the kinds of sheet it holds, so coverage counts what it supplies
        names = [k.xlsx_format for k in KINDS if k in kinds]
        return SniffResult(names[0], 0.8, also=names[1:])

    def _sniff_csv(self, sample: Sample) -> SniffResult | None:
        encoding = detect_encoding(sample.head, complete=False).encoding
        text = sample.head.decode(encoding, errors="replace").lstrip("\ufeff")
        if text.lstrip().startswith(_CSV_MARKER):
            return None  # a native CSV
        complete = len(sample.head) < 64 * 1024
        dialect = sniff_dialect(text, complete=complete)
        if dialect is None:
            return None
        lines = io.StringIO(text, newline="").readlines()[:HEADER_SEARCH_ROWS]
        for line in lines:
            cells = _cells_of(line, dialect)
            found = recognise(cells, claim=True)
            if found is not None:
                if types_for_header({c.strip() for c in cells} - {""}):
                    return None  # every column is a native one: native-csv's file
                return SniffResult(found[0].csv_format, 0.8)
        return None

    # --- reading ----------------------------------------------------------------------

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        with path.open("rb") as stream:
            head = stream.read(len(OLE_MAGIC))
        if head.startswith((ZIP_MAGIC, OLE_MAGIC)) or path.suffix.lower() in _XLSX_SUFFIXES:
            yield from self._read_xlsx(path)
        else:
            yield from self._read_csv(path)

    def _provenance(self, path: Path, location: str, line: int | None) -> Provenance:
        return Provenance(self.name, str(path), location, self.version, line)

    def _read_csv(self, path: Path) -> Iterator[Fact | Reject]:
        skip, dialect = _csv_header_line(path)
        with open_table(path, dialect=dialect, skip_lines=skip) as (table, _):
            where = f"line {table.header_line}"
            found = recognise(table.raw_header)
            if found is None:  # the header line was found by the same test: cannot happen
                raise AdapterError(str(path), f"no register header: {_NO_HEADER}", where)
            kind, header = found
            if header.problem is not None:
                raise AdapterError(str(path), header.problem, where)
            read_row = kind.rows()
            for row in table:
                here = self._provenance(path, row.location, row.line)
                if row.problem is not None:
                    yield _shape_reject(
                        kind, header, row.cells, row.problem, here, row.raw(RAW_LIMIT)
                    )
                    continue
                yield read_row(header, row.cells, here, row.raw(RAW_LIMIT))

    def _read_xlsx(self, path: Path) -> Iterator[Fact | Reject]:
        with Workbook(path) as book:
            for sheet in book.sheet_names:
                yield from self._read_sheet(path, book.rows(sheet), sheet)

    def _read_sheet(
        self, path: Path, rows: Iterator[SheetRow], sheet: str
    ) -> Iterator[Fact | Reject]:
        found = _find_header(rows)
        if found is None:
            return
        first, recognised = found
        if recognised is None:  # a sheet of something else: one reject, so it is not unseen
            here = self._provenance(path, first.location, first.number)
            reason = (
                f"sheet {sheet} has no register header in its first {HEADER_SEARCH_ROWS} rows "
                f"(one of: {_NO_HEADER}): not read"
            )
            yield Reject(reason, here, raw=_raw(first.cells))
            return
        kind, header = recognised
        if header.problem is not None:
            raise AdapterError(str(path), header.problem, first.location)
        read_row = kind.rows()
        for row in rows:
            if all(read_text(cell) is None for cell in row.cells) and not row.overflow:
                continue
            here = self._provenance(path, row.location, row.number)
            raw = _raw(row.cells)
            if row.overflow:
                problem = f"a value beyond column {MAX_COLUMNS}, the last one read"
                yield _shape_reject(kind, header, row.cells, problem, here, raw)
                continue
            yield read_row(header, row.cells, here, raw)


def _find_header(
    rows: Iterator[SheetRow], *, claim: bool = False
) -> tuple[SheetRow, tuple[SheetKind, HeaderMap] | None] | None:
    """The header row of a sheet, its kind and map; ``(first row, None)`` for another sheet.

    None for an empty sheet. Consumes the rows up to the header, or the first
    :data:`HEADER_SEARCH_ROWS` of a sheet without one (its other rows are not
    looked at).
    """
    first: SheetRow | None = None
    for row in rows:
        if row.number > HEADER_SEARCH_ROWS and first is not None:
            break
        texts = [read_text(cell) or "" for cell in row.cells]
        if not any(texts):
            continue
        first = first or row
        if row.number <= HEADER_SEARCH_ROWS:
            recognised = recognise(texts, claim=claim)
            if recognised is not None:
                return row, recognised
    return None if first is None else (first, None)


def _csv_header_line(path: Path) -> tuple[int, CsvDialect]:
    """How many lines come before the register's header, and the file's dialect."""
    stream, _ = open_text(path)
    with stream:
        sample = stream.peek(64 * 1024)
        dialect = sniff_dialect(sample.lstrip("\ufeff"), complete=stream.fully_buffered)
        if dialect is None:
            raise AdapterError(str(path), "no delimiter (, ; tab |) splits this file into columns")
        for index in range(HEADER_SEARCH_ROWS):
            line = stream.readline()
            if not line:
                break
            if recognise(_cells_of(line.lstrip("\ufeff"), dialect)) is not None:
                return index, dialect
    raise AdapterError(
        str(path),
        f"no register header in the first {HEADER_SEARCH_ROWS} lines, one of: {_NO_HEADER} "
        "(see docs/reference/document-register.rst)",
    )


def _cells_of(line: str, dialect: CsvDialect) -> list[str]:
    try:
        return next(dialect.reader([line]), [])
    except Exception:  # broken quoting: not a header
        return []


def _raw(cells: Sequence[CellValue]) -> str:
    texts = [read_text(cell) or "" for cell in cells]
    while texts and not texts[-1]:
        texts.pop()
    text = " | ".join(texts)
    return text if len(text) <= RAW_LIMIT else text[: RAW_LIMIT - 1] + "…"


def _shape_reject(
    kind: SheetKind,
    header: HeaderMap,
    cells: Sequence[CellValue],
    problem: str,
    here: Provenance,
    raw: str,
) -> Reject:
    """A row that cannot be read as a whole, still named by the keys it shows (its order …)."""
    keys = {}
    for key, column in kind.reject_keys:
        index = header.columns.get(column)
        if index is not None and index < len(cells):
            text = read_text(cells[index])
            keys[key] = strip_leading_zeros(text) if key == "delivery" and text else text
    return Reject(problem, here, raw=raw, keys=keys)
