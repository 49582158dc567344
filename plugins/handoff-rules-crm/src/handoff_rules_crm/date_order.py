"""The day/month order one export file proves, so ``3/15/2021 6:49`` reads without a setting.

An Odoo Export follows the user's locale and an Excel re-save of a HubSpot
export writes ``4/8/2025 17:19``: ``4/8`` alone is April or August. But the same
file usually holds a value such as ``3/15/2021`` or ``2/22/2025`` that only one
order can read, and one export is written in one order. So the order is taken
from the file's own unambiguous values, never from a single cell: when the
file proves month first (or day first) and nothing contradicts it, its numeric
dates are read that way; when it proves neither, or both, nothing is added and
the values stay rejected with their possible readings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["DAY_FIRST", "MONTH_FIRST", "file_date_formats", "proven_order"]

MONTH_FIRST: Final = "month first"
DAY_FIRST: Final = "day first"

_NUMERIC: Final = re.compile(
    r"\s*(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T](\d{1,2}):\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?\s*"
)
_TIMES: Final = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")


def proven_order(values: Iterable[str]) -> str | None:
    """:data:`MONTH_FIRST` or :data:`DAY_FIRST` when the values prove one and only one."""
    found: set[str] = set()
    for value in values:
        match = _NUMERIC.fullmatch(value)
        if match is None:
            continue
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 >= second >= 1:
            found.add(DAY_FIRST)
        elif second > 12 >= first >= 1:
            found.add(MONTH_FIRST)
    return found.pop() if len(found) == 1 else None


def file_date_formats(values: Iterable[str], configured: tuple[str, ...]) -> tuple[str, ...]:
    """``configured`` plus the strptime formats of the order the file's values prove.

    Only the separators and year widths the file uses are added, each with the
    time forms exports write (``6:49``, ``06:49:12``, ``08:55 PM``).
    """
    kept = [v for v in values if _NUMERIC.fullmatch(v)]
    order = proven_order(kept)
    if order is None:
        return configured
    shapes: set[tuple[str, str]] = set()
    for value in kept:
        match = _NUMERIC.fullmatch(value)
        if match is not None:
            shapes.add((match.group(2), "%Y" if len(match.group(4)) == 4 else "%y"))
    added: list[str] = []
    for sep, year in sorted(shapes):
        day_month = f"%m{sep}%d" if order == MONTH_FIRST else f"%d{sep}%m"
        added.extend(f"{day_month}{sep}{year}{time}" for time in _TIMES)
    return (*configured, *(f for f in added if f not in configured))
