"""Salesforce CSV exports (Data Loader, Data Export, reports re-saved by Excel, Prodly).

The object is recognised from the API field names in the header (see
:mod:`handoff_rules_crm.salesforce`); the file name only breaks ties. Each row
is a record with the physical line it starts on, multi-line quoted text
included. The record key is the first present of ``Guid``/``Id`` (Prodly
exports reference records by ``Guid``); a file with neither column, like the
CSV twin of an sfdx data-tree file, keys row *n* as ``<Object>Ref<n>``, the
``referenceId`` the sfdx convention gives it, so its ``@AccountRef32``
references resolve to the same keys as the JSON's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from handoff_rules.adapters import (
    AdapterError,
    Fact,
    FormatInfo,
    ReadSettings,
    Reject,
    Sample,
    SniffResult,
)
from handoff_rules.adapters.tabular import Row, open_table, sniff_dialect
from handoff_rules.adapters.text import detect_encoding
from handoff_rules_crm import __version__
from handoff_rules_crm.cells import Cells, RecordError, with_inferred_dates
from handoff_rules_crm.emit import Emitter, broken_row
from handoff_rules_crm.options import OPTIONS_FILE, CrmOptions, options_for
from handoff_rules_crm.salesforce import (
    REPORT,
    SUPPLIES,
    SalesforceObject,
    detect_object,
    map_record,
    record_keys,
)

__all__ = ["SalesforceCsvAdapter", "csv_header"]

_FACT_TYPE: Final = {
    "Account": "counterparty",
    "Contact": "person",
    "Opportunity": "opportunity",
}


def csv_header(sample: Sample) -> tuple[list[str], str] | None:
    """The header cells of a CSV sample and its text, or None when it is not delimited text.

    Adapters call it from ``sniff``, which must never raise: a head that
    cannot be read as delimited text, for whatever reason, is simply not theirs.
    """
    try:
        return _header(sample)
    except Exception:
        return None


def _header(sample: Sample) -> tuple[list[str], str] | None:
    complete = len(sample.head) < 64 * 1024
    detected = detect_encoding(sample.head, complete=complete)
    try:
        text = sample.head.decode(detected.encoding, errors="replace")
    except LookupError:
        return None
    text = text.lstrip("\ufeff")
    dialect = sniff_dialect(text, complete=complete)
    if dialect is None:
        return None
    for cells in dialect.reader(line + "\n" for line in text.splitlines()):
        if cells:
            return [c.strip() for c in cells], text
        return None
    return None


def _key(cells: Cells, obj: SalesforceObject, ordinal: int, stem: str) -> str:
    if obj is REPORT:  # a report's rows have no Id: named by file and row
        return f"{stem}#{ordinal}"
    options = cells.options
    present = [f for f in options.key_fields if cells.has(f)]
    if present:
        key = cells.text(*present)
        if key is None or not key.strip():
            raise RecordError(
                f"the record key {present[0]} is empty; export {present[0]} with every record "
                "(a Salesforce export writes one for each)"
            )
        return key.strip()
    return f"{obj.name}Ref{ordinal}"


def _cells_of(path: Path) -> Iterator[str]:
    """Every cell of the file, for inferring its day/month order before any row is read.

    A file that cannot be read is not refused here: reading it row by row says
    where and why, after yielding what came before.
    """
    try:
        with open_table(path) as (table, _encoding):
            for row in table:
                yield from (v for v in row.values.values() if v)
    except AdapterError:
        return


class SalesforceCsvAdapter:
    """Reads one Salesforce object per CSV file into facts."""

    name = "salesforce-csv"
    version = __version__
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "salesforce-csv",
            "Salesforce CSV export with API field names: Account, Contact, Lead, Opportunity, "
            "OpportunityLineItem, OpportunityHistory, Quote/QuoteLineItem, CPQ SBQQ__Quote__c/"
            "SBQQ__QuoteLine__c, Contract, Product2, PricebookEntry; summary report rows",
            (".csv",),
            SUPPLIES,
            options_files=(OPTIONS_FILE,),
        ),
    )

    def __init__(self, options: CrmOptions | None = None) -> None:
        self.options = options

    def sniff(self, sample: Sample) -> SniffResult | None:
        found = csv_header(sample)
        if found is None:
            return None
        header, _text = found
        obj = detect_object(header, sample.path.stem)
        if obj is None:
            return None
        if obj is REPORT:
            confidence = 0.5
        else:
            confidence = 0.9 if sample.path.stem.casefold() in obj.file_names else 0.8
        return SniffResult("salesforce-csv", confidence)

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        return self.read_with_settings(path, ReadSettings())

    def read_with_settings(self, path: Path, settings: ReadSettings) -> Iterator[Fact | Reject]:
        """The file's records; ``settings.default_currency`` (``--currency``) wins over the
        options' (see :func:`~handoff_rules_crm.options.options_for`)."""
        options = with_inferred_dates(options_for(path, self.options, settings), _cells_of(path))
        emit = Emitter(self.name, path)
        with open_table(path) as (table, _encoding):
            obj = detect_object(table.header, path.stem)
            if obj is None:
                raise AdapterError(
                    str(path),
                    "the header names no Salesforce object this adapter reads "
                    f"(columns: {', '.join(table.header[:12])})",
                    f"line {table.header_line}",
                )
            fact_type = _FACT_TYPE.get(obj.name, "derived")
            for ordinal, row in enumerate(table, start=1):
                yield from self._row(emit, obj, row, ordinal, options, fact_type)

    def _row(
        self,
        emit: Emitter,
        obj: SalesforceObject,
        row: Row,
        ordinal: int,
        options: CrmOptions,
        fact_type: str,
    ) -> Iterator[Fact | Reject]:
        notes: list[str] = []
        cells = Cells(row.values, options, notes=notes)
        emit_stem = Path(emit.source).stem

        def keys() -> dict[str, str | None]:
            try:
                key: str | None = _key(cells, obj, ordinal, emit_stem)
            except RecordError:
                key = None
            return record_keys(obj, cells, key)

        if row.problem is not None:
            reason = broken_row(row.problem)
            yield emit.reject(reason, row.location, row.line, fact_type, row.raw(), keys)
            return
        yield from emit.record(
            lambda: map_record(obj, cells, _key(cells, obj, ordinal, emit_stem)),
            location=row.location,
            line=row.line,
            fact_type=fact_type,
            raw=row.raw(),
            keys=keys,
            notes=notes,
        )
