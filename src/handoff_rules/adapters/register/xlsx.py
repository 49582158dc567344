"""Rows of an xlsx workbook, read with openpyxl within limits a hostile file cannot pass.

openpyxl reads a workbook whole before the first row (shared strings,
styles), and fills the gaps a sheet's XML leaves: a row numbered a billion
or a cell in column XFD would make it produce that many empty values. So
the package is checked before openpyxl opens it (a zip, not encrypted, at
most :data:`MAX_UNPACKED` bytes unpacked), rows are read in read-only mode,
values only (the cached result of a formula), at most :data:`MAX_COLUMNS`
columns wide and :data:`MAX_ROWS` rows deep. Whatever openpyxl raises on a
malformed package is the file's fault: an :class:`AdapterError` of one line,
never a traceback. The XML is parsed through defusedxml (openpyxl uses it
when it is installed, and the core depends on it): no entity expansion.

openpyxl warns about features it drops (data validation, conditional
formats); they do not change any value, so its warnings are silenced while
it works, and only then (never while a row is with the caller).
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs

from handoff_rules.adapters.base import AdapterError
from handoff_rules.adapters.register.cells import CellValue

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UNPACKED",
    "OLE_MAGIC",
    "ZIP_MAGIC",
    "SheetRow",
    "Workbook",
    "check_package",
]

#: Columns read per row; a value in the next column makes its row a reject.
MAX_COLUMNS: Final = 256
#: Rows per sheet, as many as Excel itself allows.
MAX_ROWS: Final = 1_048_576
#: Bytes the whole package may unpack to (a 50,000-row register unpacks to ~30 MB).
MAX_UNPACKED: Final = 256 * 1024 * 1024
#: How a zip archive (every xlsx) starts.
ZIP_MAGIC: Final = b"PK\x03\x04"
#: How an OLE compound file starts: an encrypted xlsx, or a legacy .xls.
OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Rows fetched from openpyxl per call while its warnings are silenced.
_BATCH: Final = 512

T = TypeVar("T")


@attrs.frozen(slots=True)
class SheetRow:
    """One row of a sheet: the sheet's name, the row's number (1-based) and its values.

    ``cells`` holds :data:`MAX_COLUMNS` values at most, up to the last one that
    is not empty; ``overflow`` tells that the row has a value beyond them.
    """

    sheet: str
    number: int
    cells: tuple[CellValue, ...]
    overflow: bool = False

    @property
    def location(self) -> str:
        return f"sheet {self.sheet} row {self.number}"


def check_package(path: Path) -> None:
    """Refuse what is no xlsx package, or one openpyxl must not be given.

    :raises AdapterError: not a zip (an encrypted workbook and a legacy .xls are
        OLE files, named as such), an encrypted zip member, or too much unpacked
    """
    source = str(path)
    with path.open("rb") as stream:
        head = stream.read(len(OLE_MAGIC))
    if head.startswith(OLE_MAGIC):
        raise AdapterError(
            source,
            "a password-protected workbook or a legacy .xls file, not an xlsx; "
            "save it as .xlsx without a password",
        )
    if not head.startswith(ZIP_MAGIC):
        raise AdapterError(source, "not an xlsx workbook (an xlsx file is a zip archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise AdapterError(source, f"not a readable xlsx workbook: {exc}") from None
    if any(info.flag_bits & 0x1 for info in members):
        raise AdapterError(source, "an encrypted zip archive, not an xlsx workbook")
    unpacked = sum(info.file_size for info in members)
    if unpacked > MAX_UNPACKED:
        raise AdapterError(
            source,
            f"the workbook unpacks to {unpacked:,} bytes, more than the "
            f"{MAX_UNPACKED:,} this reader takes; split it",
        )
    names = {info.filename for info in members}
    if "xl/workbook.xml" not in names:
        raise AdapterError(source, "not an xlsx workbook (no xl/workbook.xml in the archive)")


def _quietly(work: Callable[[], T]) -> T:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return work()


class Workbook:
    """An open workbook's sheets and rows; use as a context manager (it holds the file)."""

    def __init__(self, path: Path) -> None:
        check_package(path)
        self.path = path
        self._source = str(path)
        try:
            from openpyxl import load_workbook

            self._book: Any = _quietly(
                lambda: load_workbook(path, read_only=True, data_only=True, keep_links=False)
            )
        except MemoryError:
            raise
        except Exception as exc:  # openpyxl raises anything on a malformed package
            raise AdapterError(self._source, _unreadable(exc)) from None

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._book.close()

    @property
    def sheet_names(self) -> list[str]:
        return [str(sheet.title) for sheet in self._book.worksheets]

    def rows(self, sheet_name: str) -> Iterator[SheetRow]:
        """The sheet's rows from row 1, blank ones included (their numbers count)."""
        sheet = self._book[sheet_name]
        sheet.reset_dimensions()  # a file's own dimensions may claim XFD1048576
        values = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        number = 0
        while True:
            where = f"sheet {sheet_name} row {number + 1}"
            try:
                batch = _quietly(lambda: _take(values, _BATCH))
            except MemoryError:
                raise
            except Exception as exc:  # as in __init__
                raise AdapterError(self._source, _unreadable(exc), where) from None
            for cells in batch:
                number += 1
                if number > MAX_ROWS:
                    raise AdapterError(
                        self._source, f"more than {MAX_ROWS:,} rows in one sheet", where
                    )
                overflow = len(cells) > MAX_COLUMNS and cells[MAX_COLUMNS] is not None
                width = min(len(cells), MAX_COLUMNS)
                while width and cells[width - 1] is None:  # openpyxl pads to max_col
                    width -= 1
                yield SheetRow(sheet_name, number, tuple(cells[:width]), overflow)
            if len(batch) < _BATCH:
                return


def _take(values: Iterator[tuple[Any, ...]], count: int) -> list[tuple[Any, ...]]:
    batch = []
    for row in values:
        batch.append(row)
        if len(batch) == count:
            break
    return batch


def _unreadable(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:199] + "…"
    return f"not a readable xlsx workbook: {type(exc).__name__}: {text}"
