"""Reading CSV and TSV exports: dialect, header, and one record per row with its line.

Spreadsheet and ERP exports disagree on delimiters (``,`` ``;`` tab ``|``),
quote multi-line text fields, repeat or leave blank header cells, and lose or
add a cell in a broken row. The reader here keeps all of that visible: every
record carries the physical line it starts on (a quoted field can span lines,
so the line count of the file is not the record count), and a row with the
wrong number of cells or broken quoting is yielded with a ``problem`` instead
of being dropped, so the adapter can turn it into a Reject.

A record that cannot be read is one reject, whatever broke it: broken
quoting, a field longer than the ``csv`` field limit, a line longer than
:data:`~handoff_rules.adapters.text.MAX_LINE_CHARS`, undecodable bytes, a NUL
character or a stray byte-order mark (see
:meth:`~handoff_rules.adapters.text.TextStream.report_bad_lines`). When it
broke inside a quoted field that goes on over more lines, the reader follows
the quotes to the end of the record, so the lines of that field are part of
the one reject instead of being read as records of their own.
"""

from __future__ import annotations

import _csv
import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import attrs

from handoff_rules.adapters.base import AdapterError
from handoff_rules.adapters.text import DetectedEncoding, TextStream, open_text

__all__ = [
    "DELIMITERS",
    "CsvDialect",
    "HeaderAliases",
    "Row",
    "TableReader",
    "header_key",
    "open_table",
    "sniff_dialect",
]

#: Delimiters :func:`sniff_dialect` chooses from, in order of preference on a tie.
DELIMITERS: Final = (",", ";", "\t", "|")

#: Records :func:`sniff_dialect` looks at.
_SNIFF_RECORDS: Final = 50


@attrs.frozen(slots=True)
class CsvDialect:
    """How a file separates and quotes fields. Quoting is RFC 4180: ``"`` doubled inside."""

    delimiter: str = ","
    quotechar: str = '"'

    def reader(self, lines: Iterable[str]) -> _csv.Reader:
        """A strict ``csv`` reader: broken quoting raises instead of swallowing lines."""
        return csv.reader(
            lines, delimiter=self.delimiter, quotechar=self.quotechar, doublequote=True, strict=True
        )


def _records(text: str, dialect: CsvDialect, *, complete: bool) -> list[list[str]]:
    lines = io.StringIO(text, newline="").readlines()
    if not complete and lines:
        lines.pop()  # the last line may be cut off by the sample size
    reader = dialect.reader(lines)
    records: list[list[str]] = []
    try:
        for record in reader:
            if record:
                records.append(record)
            if len(records) >= _SNIFF_RECORDS:
                break
    except csv.Error:
        pass  # a quoted field running past the sample, or junk: judge on what parsed
    return records


def sniff_dialect(
    sample: str, *, complete: bool = True, delimiters: Sequence[str] = DELIMITERS
) -> CsvDialect | None:
    """The delimiter that splits the first records of ``sample`` most consistently.

    For each candidate the records are parsed with RFC 4180 quoting; the winner
    has the largest share of records with the most common cell count, then the
    most columns, then comes first in ``delimiters``. Deterministic on purpose
    (``csv.Sniffer`` guesses from character frequencies and changes its mind
    with one more line). None when no candidate gives two or more columns.
    """
    best: tuple[float, int, int] | None = None
    chosen: CsvDialect | None = None
    for preference, delimiter in enumerate(delimiters):
        dialect = CsvDialect(delimiter=delimiter)
        counts = [len(r) for r in _records(sample, dialect, complete=complete)]
        if not counts:
            continue
        tally = Counter(counts)
        columns, hits = max(tally.items(), key=lambda item: (item[1], item[0]))
        if columns < 2:
            continue
        score = (hits / len(counts), columns, -preference)
        if best is None or score > best:
            best, chosen = score, dialect
    return chosen


def header_key(name: str) -> str:
    """The form header names are compared in: case-folded, without any whitespace."""
    return "".join(name.split()).casefold()


@attrs.frozen(slots=True)
class HeaderAliases:
    """Canonical field names and the header spellings exports use for them.

    ``HeaderAliases({"order_id": ("VBELN", "Sales Document")})`` maps a column
    headed ``sales document`` or ``VBELN`` to ``order_id``; the canonical name
    itself always matches. Comparison uses :func:`header_key`.
    """

    aliases: Mapping[str, Sequence[str]]

    def resolve(self, header: Iterable[str]) -> dict[str, str]:
        """Canonical name -> the header column that carries it.

        :raises ValueError: when two columns of ``header`` map to one canonical name
        """
        lookup: dict[str, str] = {}
        for canonical, spellings in self.aliases.items():
            for spelling in (canonical, *spellings):
                lookup.setdefault(header_key(spelling), canonical)
        found: dict[str, str] = {}
        for column in header:
            meaning = lookup.get(header_key(column))
            if meaning is None:
                continue
            if meaning in found:
                raise ValueError(f"columns {found[meaning]!r} and {column!r} both mean {meaning!r}")
            found[meaning] = column
        return found

    def unknown(self, header: Iterable[str]) -> list[str]:
        """Header columns that match no canonical name nor alias."""
        known = {header_key(s) for c, al in self.aliases.items() for s in (c, *al)}
        return [column for column in header if header_key(column) not in known]


@attrs.frozen(slots=True)
class Row:
    """One record: where it starts, its cells by header name, and what is wrong with its shape.

    ``values`` maps every header name to its cell ('' where the row is short);
    ``extra`` holds cells beyond the header. ``problem`` is None for a well-formed
    row, else a sentence for a Reject ("4 cells, the header has 6").
    """

    line: int
    end_line: int
    values: Mapping[str, str]
    cells: tuple[str, ...]
    extra: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def location(self) -> str:
        if self.end_line != self.line:
            return f"lines {self.line}-{self.end_line}"
        return f"line {self.line}"

    def raw(self, limit: int = 200) -> str:
        """The cells as one short string, for a Reject's ``raw`` excerpt."""
        text = " | ".join(self.cells)
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _unique_header(cells: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """Make header names usable as keys: blank ones become ``column_<n>``, repeats get ``~2``."""
    names: list[str] = []
    notes: list[str] = []
    seen: Counter[str] = Counter()
    for index, cell in enumerate(cells, start=1):
        name = cell.strip()
        if not name:
            name = f"column_{index}"
            notes.append(f"column {index} has no header; called it {name!r}")
        seen[name] += 1
        if seen[name] > 1:
            renamed = f"{name}~{seen[name]}"
            notes.append(f"header {name!r} repeats in column {index}; called it {renamed!r}")
            name = renamed
        names.append(name)
    return tuple(names), notes


# How a line leaves the csv parser (strict, doubled quotes, no escape character).
_START_FIELD: Final = 0
_IN_FIELD: Final = 1
_IN_QUOTED: Final = 2
_QUOTE_IN_QUOTED: Final = 3
_BROKEN: Final = 4


class _QuoteTracker:
    """Whether a line, as the ``csv`` parser reads it, ends inside a quoted field.

    Only needed after a record broke: ``csv`` then starts a new record on the
    next line, which is wrong when the line ended inside a quoted field. The
    states are those of ``csv``'s own parser; ``find`` skips runs of plain
    text, so the work per line is one step per quote.
    """

    def __init__(self, dialect: CsvDialect) -> None:
        self._delimiter = dialect.delimiter
        self._quote = dialect.quotechar

    def scan(self, text: str, state: int) -> int:
        """The parser's state after ``text`` (no line breaks in it), from ``state``."""
        pos, size = 0, len(text)
        while pos < size:
            if state == _IN_QUOTED:
                at = text.find(self._quote, pos)
                if at < 0:
                    return _IN_QUOTED
                state, pos = _QUOTE_IN_QUOTED, at + 1  # a doubled quote: the next one reopens
            elif state == _QUOTE_IN_QUOTED:
                char = text[pos]
                if char == self._quote:
                    state = _IN_QUOTED
                elif char == self._delimiter:
                    state = _START_FIELD
                else:
                    return _BROKEN  # strict: text after a closing quote
                pos += 1
            elif state == _START_FIELD and text[pos] == self._quote:
                state, pos = _IN_QUOTED, pos + 1
            elif state in (_START_FIELD, _IN_FIELD):
                opening = self._opening_quote(text, pos)
                if opening < 0:
                    return _START_FIELD if text.endswith(self._delimiter) else _IN_FIELD
                state, pos = _IN_QUOTED, opening + 1
            else:
                return _BROKEN
        return state

    def _opening_quote(self, text: str, pos: int) -> int:
        """Where the first quote after ``pos`` that opens a field is (after a delimiter), or -1.

        Quotes inside an unquoted field are text; ``find`` skips to each quote.
        """
        at = text.find(self._quote, pos)
        while at >= 0 and not (at > pos and text[at - 1] == self._delimiter):
            at = text.find(self._quote, at + 1)
        return at

    def ends_quoted(self, text: str, *, quoted: bool) -> bool:
        """True when the line ``text`` (ending included) leaves the record open."""
        start = _IN_QUOTED if quoted else _START_FIELD
        return self.scan(text.rstrip("\r\n"), start) == _IN_QUOTED


class _LongLineWatcher:
    """Follows the quotes of a line too long to keep, for both states it may start in."""

    def __init__(self, tracker: _QuoteTracker) -> None:
        self._tracker = tracker
        self._outside = _START_FIELD
        self._inside = _IN_QUOTED

    def feed(self, text: str) -> None:
        self._outside = self._tracker.scan(text, self._outside)
        self._inside = self._tracker.scan(text, self._inside)

    def ends_quoted(self, *, quoted: bool) -> bool:
        return (self._inside if quoted else self._outside) == _IN_QUOTED


class TableReader:
    """Rows of a delimited text with a header line, each with its physical line numbers.

    Iterate it for :class:`Row` objects, or :meth:`records` for the same
    records as plain tuples (cheaper where cells are looked up by position).
    ``header`` holds unique names (see ``header_notes`` for renamed blank or
    repeated ones); ``raw_header`` the cells as written; ``header_line`` and
    ``header_end_line`` where the header starts and ends (a quoted header cell
    may span lines). A blank line is skipped (it is no record).

    Over a :class:`~handoff_rules.adapters.text.TextStream` the reader asks
    the stream to replace bad lines (see the module's docstring) by a line no
    ``csv`` parser accepts, so the record holding one fails and becomes a
    reject with the stream's reason.
    """

    def __init__(
        self,
        lines: Iterable[str],
        *,
        source: str,
        dialect: CsvDialect,
        first_line: int = 1,
    ) -> None:
        self.source = source
        self.dialect = dialect
        self._offset = first_line - 1  # file line of the csv reader's line 0
        self._tracker = _QuoteTracker(dialect)
        self._stream = lines if isinstance(lines, TextStream) else None
        if self._stream is not None:
            tracker = self._tracker
            self._stream.report_bad_lines(
                _unreadable_line(dialect), watcher=lambda: _LongLineWatcher(tracker)
            )
        self._lines = iter(lines)
        self._reader = dialect.reader(self._lines)
        self._previous_end = 0
        self.raw_header: tuple[str, ...] = ()
        self.header: tuple[str, ...] = ()
        self.header_notes: list[str] = []
        self.header_line = self.header_end_line = 0
        for row in self._rows():
            if row.problem is not None:
                raise AdapterError(source, f"unreadable header: {row.problem}", row.location)
            self.raw_header = row.cells
            self.header, self.header_notes = _unique_header(row.cells)
            self.header_line, self.header_end_line = row.line, row.end_line
            break
        else:
            raise AdapterError(source, "empty file: no header line")

    def _rows(self) -> Iterator[Row]:
        """Raw records with line numbers; broken records become rows with a problem.

        ``csv`` counts the physical lines it consumed (``line_num``), so a record
        starts one line after the previous record ended; nothing is re-scanned.
        """
        reader = self._reader
        while True:
            start = self._offset + self._previous_end + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                _start, end, _cells, problem = self._broken(start, exc)
                yield Row(line=start, end_line=end, values={}, cells=(), problem=problem)
                continue
            self._previous_end = reader.line_num
            if cells:  # a blank line is no record
                yield Row(
                    line=start,
                    end_line=self._offset + reader.line_num,
                    values={},
                    cells=tuple(cells),
                )

    def records(self) -> Iterator[tuple[int, int, list[str], str | None]]:
        """``(line, end_line, cells, problem)`` per record, cells in the header's order.

        The same records as iterating the reader, without a :class:`Row` each:
        for an adapter that looks cells up by position, building a Row and its
        header-to-cell dict costs more than parsing the record. ``problem`` is
        what the Row would carry; ``cells`` are as parsed (fewer or more than the
        header has when ``problem`` says so, or more with blank extras and no
        problem; empty for a record that could not be read). The list is the
        caller's to keep.
        """
        # This loop runs once per record of every tabular export: a plain for loop
        # over the csv reader (a csv.Error ends it; the while loop resumes it).
        reader = self._reader
        width = len(self.header)
        while True:
            offset = self._offset
            try:
                for cells in reader:
                    start = offset + self._previous_end + 1
                    end = self._previous_end = reader.line_num
                    if len(cells) == width:
                        yield start, offset + end, cells, None
                    elif cells:  # a blank line is no record
                        yield start, offset + end, cells, _shape_problem(cells, width)
                return
            except csv.Error as exc:
                yield self._broken(offset + self._previous_end + 1, exc)

    def __iter__(self) -> Iterator[Row]:
        header = self.header
        width = len(header)
        for start, end, cells, problem in self.records():
            if len(cells) == width:
                # equal lengths; zip's strict= costs its keyword parsing per row
                yield Row(start, end, dict(zip(header, cells)), tuple(cells))  # noqa: B905
            elif cells:
                yield _misshapen_row(header, start, end, tuple(cells), problem)
            else:
                yield Row(line=start, end_line=end, values={}, cells=(), problem=problem)

    def _broken(self, start: int, exc: csv.Error) -> tuple[int, int, list[str], str]:
        """The record from line ``start`` that ``csv`` gave up on, as a record with a problem.

        ``csv`` drops the rest of the line it failed on and starts a new record
        on the next one. Where that line ends inside a quoted field the record
        goes on: its lines are read here, following the quotes, so they do not
        become records of their own.
        """
        failed = self._offset + self._reader.line_num
        self._previous_end = self._reader.line_num
        stream = self._stream
        flag = stream.flags.get(failed) if stream is not None else None
        problem = flag.reason if flag is not None else _quoting_problem(exc)
        if stream is None:
            return start, failed, [], problem
        quoted = start < failed  # only a quoted field carries a record over a line end
        if flag is not None and isinstance(flag.watcher, _LongLineWatcher):
            going_on = flag.watcher.ends_quoted(quoted=quoted)
        else:
            text = flag.text if flag is not None else stream.recent_line(failed)
            going_on = text is not None and self._tracker.ends_quoted(text, quoted=quoted)
        end = failed
        while going_on:
            line = next(self._lines, None)
            if line is None:
                if problem != _NEVER_CLOSED:
                    problem = f"{_NEVER_CLOSED}; {problem}"
                break
            end += 1
            self._offset += 1  # a line the csv reader does not count
            going_on = self._continues(end, line)
        return start, end, [], problem

    def _continues(self, number: int, line: str) -> bool:
        """Whether the record still open before line ``number`` goes on after it."""
        assert self._stream is not None
        flag = self._stream.flags.get(number)
        if flag is not None:
            if isinstance(flag.watcher, _LongLineWatcher):
                return flag.watcher.ends_quoted(quoted=True)
            line = flag.text or ""
        return self._tracker.ends_quoted(line, quoted=True)


def _unreadable_line(dialect: CsvDialect) -> str:
    """A line on which ``csv`` fails in any state: a line break, a quote, then text.

    Outside quotes the ``\r`` ends the record and the quote after it is an
    error; inside a quoted field the quote closes it and a character that is
    not the delimiter follows.
    """
    other = "X" if dialect.delimiter != "X" else "Y"
    return f"\r{dialect.quotechar}{other}\n"


_NEVER_CLOSED: Final = "a quoted field is never closed (it runs to the end of the file)"


def _quoting_problem(exc: csv.Error) -> str:
    message = str(exc)
    if message == "unexpected end of data":
        return _NEVER_CLOSED
    if message.startswith("field larger than field limit"):
        return f"a field longer than {csv.field_size_limit():,} characters, the limit"
    return message


def _shape_problem(cells: Sequence[str], width: int) -> str | None:
    """Why a record with other than ``width`` cells is no row; None for blank extra cells."""
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        return None  # spreadsheets add empty trailing cells
    return f"{len(cells)} cells, the header has {width}"


def _misshapen_row(
    header: tuple[str, ...], start: int, end: int, cells: tuple[str, ...], problem: str | None
) -> Row:
    """A record with fewer or more cells than the header: short rows are padded with ''."""
    width = len(header)
    values = dict(zip(header, cells, strict=False))
    extra: tuple[str, ...] = ()
    if len(cells) < width:
        for name in header[len(cells) :]:
            values[name] = ""
    else:
        extra = cells[width:]
    return Row(start, end, values, cells, extra, problem)


@contextmanager
def open_table(
    path: Path,
    *,
    encoding: str | None = None,
    dialect: CsvDialect | None = None,
    skip_lines: int = 0,
) -> Iterator[tuple[TableReader, DetectedEncoding]]:
    """Open a delimited file: detect its encoding and dialect, read its header.

    ``skip_lines`` lines before the header (a marker line, a title) are consumed
    and counted, so row line numbers stay those of the file.

    :raises ~handoff_rules.adapters.AdapterError: when no delimiter splits the file
        into columns, or the header cannot be read
    """
    stream: TextStream
    stream, detected = open_text(path, encoding=encoding)
    with stream:
        # Bad lines are rejects from here on (the reader sets its own replacement line).
        stream.report_bad_lines(_unreadable_line(dialect or CsvDialect()))
        for _ in range(skip_lines):
            stream.readline()
        if dialect is None:
            sample = stream.peek(64 * 1024)
            dialect = sniff_dialect(sample, complete=stream.fully_buffered)
            if dialect is None:
                raise AdapterError(
                    str(path),
                    "no delimiter (, ; tab |) splits this file into columns",
                    f"line {skip_lines + 1}",
                )
        yield (
            TableReader(stream, source=str(path), dialect=dialect, first_line=skip_lines + 1),
            detected,
        )
