"""Cell values of a register, typed by a spreadsheet or written as text, to model values.

An xlsx cell arrives typed (a number, a date, a flag); a CSV cell is text.
Both go through the shared parsers of :mod:`handoff_rules.adapters.values`,
so ``1 234,56``, ``да`` and ``2024-06-03`` mean what they mean everywhere else.

Dates: a date cell of a workbook is its date. Text is read as ISO
``2024-06-03`` or ``03.06.2024``; a slashed date only month first, as US
exports write it, and only where no day-first reading exists (``06/13/2024``,
or ``06/06/2024``). ``03/06/2024`` is March in one office and June in
another, so it is a reject unless the column's header declares its order
(``Received on (dd/mm/yyyy)``; see :data:`~.columns.DATE_HINTS`). A number in
a date column (an Excel serial in a column not formatted as dates) is a
reject, not a guess.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Final, TypeAlias

from handoff_rules.adapters.values import (
    ValueParseError,
    is_null,
    parse_bool,
    parse_date,
    parse_decimal,
)
from handoff_rules.model import is_currency
from handoff_rules.model.bounds import shown

__all__ = [
    "CellValue",
    "read_currency",
    "read_date",
    "read_flag",
    "read_list",
    "read_text",
    "split_money",
]

#: What a cell holds: text from a CSV, or a value openpyxl typed.
CellValue: TypeAlias = str | int | float | bool | Decimal | datetime | date | time | None

_TEXT_DATE_FORMATS: Final = ("%Y-%m-%d", "%d.%m.%Y")
#: What those formats read, matched directly (``strptime`` is the slow part of a row).
_ISO: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED: Final = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_SLASHED: Final = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
#: Currency words of Russian registers; every other currency is written as its ISO code.
_CURRENCY_WORDS: Final = {"руб": "RUB", "р": "RUB", "₽": "RUB", "rur": "RUB"}
#: Greedy on purpose: a lazy amount followed by ``\s*`` backtracked quadratically
#: over a long run of spaces (a minute for 500 KB); the amount is stripped after.
_AMOUNT_WITH_CURRENCY: Final = re.compile(
    r"(?P<pre>[A-Za-z]{3}|₽)?\s*(?P<amount>[^A-Za-zА-Яа-яЁё₽]*)(?P<post>[A-Za-zА-Яа-яЁё₽.]+)?"
)


def read_text(value: CellValue) -> str | None:
    """A cell as text, or None when it holds no value (blank, ``#N/A``, ``NULL`` …).

    A whole number typed by a spreadsheet is written without ``.0`` (a document
    number ``17`` stays ``17``).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    text = value if isinstance(value, str) else str(value)
    return None if is_null(text) else text.strip()


def read_date(value: CellValue, declared: str | None = None) -> date:
    """A date cell or a date written as text, as the module's docstring says."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool | int | float | Decimal):
        raise ValueParseError(
            f"a number ({value}), not a date: format the column as dates or write 2024-06-03"
        )
    text = read_text(value)
    if text is None:
        raise ValueParseError("expected a date, got an empty cell")
    if declared is not None:
        return parse_date(text, (declared,))
    plain = _ISO.fullmatch(text) or _DOTTED.fullmatch(text)
    if plain is not None:
        numbers = [int(group) for group in plain.groups()]
        year, month, day = numbers if len(plain[1]) == 4 else numbers[::-1]
        try:
            return date(year, month, day)
        except ValueError:
            pass  # parse_date below words the error as for any other text
    slashed = _SLASHED.fullmatch(text)
    if slashed is None:
        return parse_date(text, _TEXT_DATE_FORMATS)
    first, second = int(slashed[1]), int(slashed[2])
    if first == second or second > 12:
        return parse_date(text, ("%m/%d/%Y",))
    if first > 12:
        raise ValueParseError(
            f"{shown(text)} is not month first (mm/dd/yyyy); declare the column's order "
            "in its header, e.g. 'Received on (dd/mm/yyyy)'"
        )
    raise ValueParseError(
        f"ambiguous date {shown(text)}: month {first} day {second}, or day {first} month "
        f"{second}; declare the column's order in its header, e.g. 'Received on (dd/mm/yyyy)'"
    )


def read_flag(value: CellValue) -> bool:
    """A yes/no cell: a spreadsheet flag, ``1``/``0``, or the words of :func:`parse_bool`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = read_text(value)
    return parse_bool(text or "")


def read_list(value: CellValue) -> list[str]:
    """Items separated by ``|`` or by line breaks within the cell (Alt+Enter in Excel)."""
    text = read_text(value) or ""
    return [item.strip() for item in re.split(r"[|\r\n]+", text) if item.strip()]


def read_currency(value: CellValue) -> str:
    """An ISO 4217 code in any case, or a Russian rouble word (руб., р., ₽)."""
    text = read_text(value)
    if text is None:
        raise ValueParseError("expected a currency, got an empty cell")
    word = text.strip().rstrip(".").casefold()
    code = _CURRENCY_WORDS.get(word, text.strip().upper())
    if not is_currency(code):
        raise ValueParseError(f"not a currency: {shown(text)} (an ISO 4217 code, or руб.)")
    return code


def split_money(value: CellValue) -> tuple[Decimal, str | None]:
    """The amount of a money cell and the currency written in it, if any.

    ``150000``, ``1 234,56``, ``1 234,56 руб.``, ``EUR 1,234.56``: the amount is
    read by :func:`parse_decimal`; a typed number is exact as the spreadsheet
    shows it (the shortest decimal of a float).
    """
    if isinstance(value, bool | datetime | date | time):
        raise ValueParseError(f"expected an amount, got {value!r}")
    if isinstance(value, int | Decimal):
        return Decimal(value), None
    if isinstance(value, float):
        return parse_decimal(repr(value)), None
    text = read_text(value)
    if text is None:
        raise ValueParseError("expected an amount, got an empty cell")
    match = _AMOUNT_WITH_CURRENCY.fullmatch(text)
    if match is None or not match["amount"].strip():
        raise ValueParseError(f"expected an amount, got {shown(text)}")
    if match["pre"] and match["post"]:
        raise ValueParseError(f"two currencies in {shown(text)}")
    written = match["pre"] or match["post"]
    currency = read_currency(written) if written else None
    return parse_decimal(match["amount"].strip()), currency
