"""The ``sap-table`` adapter: SE16 / SQVI / data-services extracts of SAP tables.

The table is recognised from the file name (``VBAK.csv``), a ``VBAK-VBELN``
style header, or the header's columns. The encoding (UTF-8 with or without
BOM, cp1251, latin-1) and the delimiter (tab, semicolon, comma, pipe) are
detected by the SDK's readers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Final

from handoff_rules.adapters import (
    AdapterError,
    Fact,
    FormatInfo,
    Provenance,
    Reject,
    Sample,
    SniffResult,
)
from handoff_rules.adapters.tabular import TableReader, open_table, sniff_dialect
from handoff_rules.adapters.text import detect_encoding
from handoff_rules.model.trusted import trusted_constructor
from handoff_rules_sap import __version__
from handoff_rules_sap.fields import FieldProblem
from handoff_rules_sap.links import RowLinks
from handoff_rules_sap.options import (
    ANY_AREA,
    CREDIT_CURRENCY_VARIABLE,
    OPTIONS_FILE,
    PAYMENT_DAYS_VARIABLE,
    Customizing,
    SapOptions,
    parse_area_currencies,
    parse_payment_days,
    resolve,
)
from handoff_rules_sap.supplies import supplies_of
from handoff_rules_sap.tables import (
    TABLES,
    RowValues,
    TableSpec,
    business_keys,
    field_name,
    reject_type,
    rows_to_facts,
    table_of_columns,
    table_of_header,
    table_of_name,
)

#: Sniff confidence by how the table was recognised.
_BY_NAME_AND_COLUMNS: Final = 0.9
_BY_COLUMNS: Final = 0.8
_BY_NAME_ONLY: Final = 0.6


def _header_cells(head: bytes) -> list[str] | None:
    detected = detect_encoding(head, complete=False)
    try:
        sample = head.decode(detected.encoding, errors="replace")
    except LookupError:  # pragma: no cover - detect_encoding names real codecs
        return None
    sample = sample.lstrip("\ufeff")
    dialect = sniff_dialect(sample, complete=False)
    if dialect is None:
        return None
    first = sample.split("\n", 1)[0].rstrip("\r")
    return [cell.strip().strip('"') for cell in first.split(dialect.delimiter)]


def identify(path: Path, headers: list[str]) -> tuple[str | None, float]:
    """(table name, confidence) for a file with these header cells."""
    fields = {field_name(h) for h in headers}
    by_name = table_of_name(path.stem) or table_of_header(headers)
    by_columns = table_of_columns(fields)
    if by_name is not None:
        spec = TABLES[by_name]
        complete = set(spec.signature) <= fields or set(spec.required) <= fields
        return by_name, _BY_NAME_AND_COLUMNS if complete else _BY_NAME_ONLY
    if by_columns is not None:
        return by_columns, _BY_COLUMNS
    return None, 0.0


class SapTableAdapter:
    """Reads extracts of KNA1, VBAK, VEDA, VBAP, VBPA, VBKD, KONV, PRCD_ELEMENTS, LIKP, LIPS, VBRK,
    VBRP, BSID, BSAD, VBFA, KNKK and UKMBP_CMS_SGM.

    What SAP keeps in customizing rather than in these tables is given here or
    found as :mod:`handoff_rules_sap.options` says: ``area_currencies`` the
    currency of each credit control area or credit segment (``{"1000": "EUR"}``,
    ``{"*": "EUR"}`` for all), ``payment_days`` the net days of each payment
    terms key (``{"ZB30": 30}``, T052), ``discount_conditions`` the condition
    types read as discounts (default K007, RA00, RA01, HA00).
    """

    name = "sap-table"
    version = __version__
    formats: Sequence[FormatInfo] = tuple(
        FormatInfo(
            spec.name.lower(),
            f"SAP table {spec.name} ({spec.description}) as CSV/TSV",
            (".csv", ".tsv", ".txt"),
            supplies=supplies_of(spec.fills),
            options_files=(OPTIONS_FILE,),
        )
        for spec in TABLES.values()
    )

    def __init__(
        self,
        area_currencies: Mapping[str, str] | None = None,
        *,
        payment_days: Mapping[str, int] | None = None,
        discount_conditions: Sequence[str] | None = None,
    ) -> None:
        self._options = SapOptions(
            area_currencies=dict(area_currencies) if area_currencies is not None else None,
            payment_days=dict(payment_days) if payment_days is not None else None,
            discount_conditions=tuple(discount_conditions)
            if discount_conditions is not None
            else None,
        )

    def _customizing(self, path: Path, spec: TableSpec, fields: Sequence[str]) -> Customizing:
        """The options this file is read with (looked up only for tables that use them)."""
        return resolve(
            self._options,
            path,
            currencies=spec.area_currency is not None
            and "WAERS" not in fields
            and "CURRENCY" not in fields,
            days=spec.configured is not None,
        )

    def sniff(self, sample: Sample) -> SniffResult | None:
        try:
            headers = _header_cells(sample.head)
        except Exception:  # sniffing must never raise
            return None
        if not headers:
            return None
        table, confidence = identify(sample.path, headers)
        return SniffResult(table.lower(), confidence) if table else None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        try:
            with open_table(path) as (reader, _encoding):
                yield from self._rows(path, reader)
        except OSError as exc:
            raise AdapterError(str(path), f"cannot be read: {exc.strerror or exc}") from None

    @staticmethod
    def _area_currency(
        spec: TableSpec, fields: Sequence[str], customizing: Customizing
    ) -> Callable[[RowValues], str] | None:
        """For a credit table without a currency column: the area's currency of a row."""
        if spec.area_currency is None or "WAERS" in fields or "CURRENCY" in fields:
            return None
        return _area_currency_of(spec.area_currency, customizing.area_currencies)

    def _rows(self, path: Path, reader: TableReader) -> Iterator[Fact | Reject]:
        source = str(path)
        headers = list(reader.header)
        table, _confidence = identify(path, headers)
        if table is None:
            pricing = {"KNUMV", "KSCHL", "KBETR"} <= {field_name(h) for h in headers}
            raise AdapterError(
                source,
                "not a known SAP table extract: the file name names none of "
                f"{', '.join(TABLES)} and the header has none of their column sets"
                + (
                    "; pricing conditions are told apart by the file name only (KONV.csv, "
                    "PRCD_ELEMENTS.csv): KONV stores a percentage ten-fold, PRCD_ELEMENTS "
                    "as it is"
                    if pricing
                    else ""
                ),
                f"line {reader.header_line}",
            )
        spec = TABLES[table]
        fields, pick = _column_plan(headers)
        columns = [field_name(header) for header in headers]
        missing = [f for f in spec.required if f not in fields]
        if missing:
            raise AdapterError(
                source,
                f"{spec.name} extract lacks required column(s) {', '.join(missing)} "
                f"(has: {', '.join(headers[:30])}){spec.lacking_hint}",
                f"line {reader.header_line}",
            )
        # Per row only what differs between rows is done: the cells are picked by
        # position, stripped once, and the provenance location is filled into a
        # template; a reject's raw excerpt is built only for a reject.
        customizing = (
            self._customizing(path, spec, fields)
            if spec.area_currency is not None or spec.configured is not None
            else None
        )
        currency_of = (
            self._area_currency(spec, fields, customizing) if customizing is not None else None
        )
        mapper = (
            spec.configured(customizing)
            if spec.configured is not None and customizing is not None
            else spec.mapper
        )
        name, version = self.name, self.version
        parts = spec.parts
        part_types = spec.part_types
        mapper_errors = (FieldProblem, ValueError, ArithmeticError)
        links = spec.links(fields) if spec.links is not None else None
        if links is not None and links.first_pass:
            _first_pass(path, links, fields, pick)
        located_at = _location_of(spec)
        required = spec.required
        make_fact = _fact
        strip = str.strip
        try:
            for line, end_line, cells, problem in reader.records():
                values = None
                if problem is None:
                    # pick gives one cell per field; zip's strict= costs its keyword parsing per row
                    values = RowValues(zip(fields, map(strip, pick(cells))))  # noqa: B905
                    if currency_of is not None:
                        values["WAERS"] = currency_of(values)
                    try:
                        # rows_to_facts checks the required fields too, and names the empty ones
                        facts = (
                            mapper(values)
                            if all(map(values, required))
                            else rows_to_facts(spec, values, mapper)
                        )
                    except mapper_errors as exc:
                        problem = f"{spec.name}: {exc}"
                    else:
                        located = located_at(line, end_line, values)
                        keyed = _provenance(name, source, located, version, line)
                        if links is not None:
                            facts = links.take(values, facts, keyed)
                        for data in facts:
                            yield make_fact(data, keyed, part=parts or type(data) in part_types)
                        continue
                location = f"line {line}" if end_line == line else f"lines {line}-{end_line}"
                provenance = _provenance(name, source, location, version, line)
                shown = values or _cells_in_place(spec, columns, cells)
                yield Reject(
                    problem,
                    provenance,
                    type=reject_type(spec, shown),
                    raw=_excerpt(cells),
                    keys=business_keys(spec, shown),
                )
        except (AdapterError, OSError):
            # what was read before the file stops is kept: held facts too
            if links is not None:
                for data, held in links.release():
                    yield Fact(data, held, part=parts)
            raise
        if links is not None:
            for data, held in links.release():
                yield Fact(data, held, part=parts)


# Provenance and Fact check nothing: their trusted constructors build the same objects.
_provenance: Final = trusted_constructor(Provenance)
_fact: Final = trusted_constructor(Fact)


def _first_pass(
    path: Path,
    links: RowLinks,
    fields: tuple[str, ...],
    pick: Callable[[list[str]], Sequence[str]],
) -> None:
    """Show the links every row that can be read, before the rows are mapped.

    Where the file stops (an unreadable record, an I/O error), the notes stop
    too: the second pass stops there as well, after the rows before it.
    """
    try:
        with open_table(path) as (reader, _encoding):
            for _line, _end, cells, problem in reader.records():
                if problem is None:
                    links.note(RowValues(zip(fields, map(str.strip, pick(cells)))))  # noqa: B905
    except (AdapterError, OSError):
        return


#: Columns holding codes and numbers without separators: in a row with extra
#: cells, the cells before the first other column are still in their place.
_CODE_COLUMNS: Final = frozenset({"MANDT", "BUKRS", "GJAHR", "BUZEI", "POSNR", "POSNV", "POSNN"})


def _area_currency_of(area_field: str, currencies: Mapping[str, str]) -> Callable[[RowValues], str]:
    default = currencies.get(ANY_AREA, "")
    return lambda values: currencies.get(values(area_field), default)


def _cells_in_place(spec: TableSpec, columns: Sequence[str], cells: Sequence[str]) -> RowValues:
    """The cells of a misshapen row that are surely under their header.

    A short row was cut at its end, so every cell it has is in place; a row with
    extra cells has a separator inside a value, which shifts every cell after
    it, so only the leading code columns (ids, numbers) are trusted.
    """
    width = len(cells)
    if width > len(columns):
        trusted = spec.key_columns | set(spec.key) | _CODE_COLUMNS
        width = next((i for i, c in enumerate(columns) if c not in trusted), len(columns))
    values = RowValues()
    for column, cell in zip(columns[:width], cells[:width], strict=False):
        values.setdefault(column, cell.strip())  # where two columns name one field, the first
    return values


def _column_plan(
    headers: Sequence[str],
) -> tuple[tuple[str, ...], Callable[[list[str]], Sequence[str]]]:
    """The SAP fields the header's columns carry, and a function picking their cells from a row.

    Where two columns name one field (``VBELN`` and ``VBAK-VBELN``) the first wins.
    """
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(field_name(header), index)
    fields = tuple(positions)
    indices = tuple(positions.values())
    if len(indices) == 1:
        (only,) = indices
        return fields, lambda cells: (cells[only],)
    return fields, itemgetter(*indices)


def _location_of(spec: TableSpec) -> Callable[[int, int, RowValues], str]:
    """A function giving a row's provenance location, ``spec.location_format`` filled in.

    ``line 17 (VBAP VBELN 0000004711 POSNR 000010)`` is made for every fact of a
    file; compiled once per file into an f-string, it costs a third of
    ``str.format``. The text between the fields is passed in as values, never
    compiled, and gives the same string as ``location_format.format``.
    """
    pieces = spec.location_format.split("{}")
    if len(pieces) != len(spec.key) + 2 or any("{" in p or "}" in p for p in pieces):
        location_format, key = spec.location_format, spec.key
        return lambda line, end, values: location_format.format(
            f"line {line}" if end == line else f"lines {line}-{end}", *map(values, key)
        )
    namespace: dict[str, object] = {f"_text{i}": piece for i, piece in enumerate(pieces)}
    namespace.update({f"_field{i}": field for i, field in enumerate(spec.key)})
    # after the line(s): the text before the first field, then each field and the text after it
    tail = "{_text1}" + "".join(
        f"{{values[_field{i}]}}{{_text{i + 2}}}" for i in range(len(spec.key))
    )
    source = (
        "def located(line, end, values):\n"
        "    if end == line:\n"
        f'        return f"{{_text0}}line {{line}}{tail}"\n'
        f'    return f"{{_text0}}lines {{line}}-{{end}}{tail}"\n'
    )
    exec(compile(source, f"<location of {spec.name} rows>", "exec"), namespace)
    function: Callable[[int, int, RowValues], str] = namespace["located"]  # type: ignore[assignment]
    return function


def _excerpt(cells: Sequence[str], limit: int = 200) -> str:
    """The cells as one short string, for a Reject's ``raw`` (as the SDK's ``Row.raw``)."""
    text = " | ".join(cells)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "ANY_AREA",
    "CREDIT_CURRENCY_VARIABLE",
    "PAYMENT_DAYS_VARIABLE",
    "SapTableAdapter",
    "identify",
    "parse_area_currencies",
    "parse_payment_days",
]
