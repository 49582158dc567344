"""SAP field values turned into model values, with a clear message when they cannot be.

Built on the SDK's value parsers; what is SAP-specific stays here: numbers in
either decimal convention with SAP's trailing minus, dates as ``YYYYMMDD``
(``00000000`` = none) or as the German list format ``DD.MM.YYYY`` SE16
downloads use, document numbers whose leading zeros are dropped so an order
read from an IDoc, a table and a CRM export has one id.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Final, TypeVar

from handoff_rules.adapters.values import (
    ValueParseError,
    is_null,
    parse_date,
    parse_decimal,
    parse_int,
    parse_sap_date,
    strip_leading_zeros,
)
from handoff_rules.errors import InvalidValue
from handoff_rules.model import Money, MoneyError
from handoff_rules.model.bounds import MAX_DECIMAL_DIGITS

_Value = TypeVar("_Value")


class FieldProblem(InvalidValue):
    """A field whose value cannot be used; the message names the field and the value.

    An :class:`~handoff_rules.errors.InvalidValue`, like the SDK's own refusals
    (``MoneyError``, ``ValueParseError``) it is caught with: the adapters turn it
    into a reject, and one that escapes is reported as this plugin's failure.
    """


def sap_id(raw: str) -> str:
    """A document, customer or item number in the form model ids use (no leading zeros)."""
    if raw.isdigit():  # the usual document number, already without blanks
        return raw.lstrip("0") or "0"
    return strip_leading_zeros(raw)


def optional_id(raw: str) -> str | None:
    """:func:`sap_id`, or None for a blank or null cell (``is_null``)."""
    stripped = raw.strip()
    if stripped.isdigit():  # the usual document number, read without the general checks
        return stripped.lstrip("0") or "0"
    return None if is_null(stripped) else sap_id(stripped)


#: A value longer than this, or with a blank inside, is no SAP key (VBELN, KUNNR: CHAR10).
_KEY_LENGTH: Final = 35


def key_value(raw: str) -> str | None:
    """A business key for a reject (order, customer number …) in the form the facts use.

    Read from records that are being rejected, so it never raises: a value that
    cannot be a key is None rather than a second failure.
    """
    stripped = raw.strip()
    if not stripped or len(stripped) > _KEY_LENGTH or any(c.isspace() for c in stripped):
        return None
    return optional_id(stripped)


def text(raw: str) -> str | None:
    stripped = raw.strip()
    return stripped or None


#: What IDocs and most extracts write: digits, a point, maybe a leading minus.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: SAP list output in a decimal-comma locale: ``1.234,56-``, ``265,44``.
_SAP_COMMA_NUMBER = re.compile(r"-?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+-?")


#: Values this short are within the SDK's bounds whatever their digits (``-1234567890.12``).
_SHORT: Final = MAX_DECIMAL_DIGITS


def number(raw: str, field: str) -> Decimal | None:
    """A quantity or amount: ``1234.56``, ``1.234,56``, ``1234.56-``; blank is None.

    The two spellings nearly every value has are read directly when they are too
    short to be out of range; anything else goes through the SDK's
    :func:`parse_decimal`, which the direct paths agree with (tested), and which
    refuses a number the rule engines cannot compare (``1E+999999999``). A value
    read directly is remembered (:data:`_NUMBERS`): quantities and prices repeat.
    """
    known = _NUMBERS.get(raw)
    if known is not None:
        return known
    stripped = raw.strip()
    if not stripped:
        return None
    if len(stripped) <= _SHORT:
        value = None
        if "," in stripped:
            if _SAP_COMMA_NUMBER.fullmatch(stripped):
                if stripped[-1] != "-":
                    value = Decimal(stripped.replace(".", "").replace(",", "."))
                elif stripped[0] != "-":  # both signs: parse_decimal says why that is refused
                    value = Decimal("-" + stripped[:-1].replace(".", "").replace(",", "."))
        elif _PLAIN_NUMBER.fullmatch(stripped):
            value = Decimal(stripped)  # the common case, read the way parse_decimal reads it
        if value is not None:
            if len(_NUMBERS) >= _MEMO_SIZE:
                _NUMBERS.clear()
            _NUMBERS[raw] = value
            return value
    if is_null(stripped):
        return None
    try:
        return parse_decimal(raw)
    except ValueParseError as exc:
        raise FieldProblem(f"{field}: {exc}") from None


#: Values read, by their text: a bounded memo (cleared when full, so memory stays flat).
_NUMBERS: Final[dict[str, Decimal]] = {}
_DATES: Final[dict[str, date]] = {}
_MEMO_SIZE: Final = 4096


def _remember(memo: dict[str, _Value], raw: str, value: _Value) -> None:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[raw] = value


def sap_date(raw: str, field: str) -> date | None:
    """``YYYYMMDD``, ``DD.MM.YYYY`` or ``YYYY-MM-DD``; ``00000000`` and blank are None."""
    known = _DATES.get(raw)
    if known is not None:
        return known
    stripped = raw.strip()
    if not stripped or stripped.strip("0.-") == "":
        return None
    value: date | None
    try:
        if len(stripped) == 10 and stripped[2] == "." and stripped[5] == ".":
            value = parse_date(stripped, ("%d.%m.%Y",))
        elif len(stripped) == 10 and stripped[4] == "-":
            value = parse_date(stripped, ("%Y-%m-%d",))
        else:
            value = parse_sap_date(stripped)
    except ValueParseError as exc:
        raise FieldProblem(f"{field}: {exc}") from None
    if value is not None:
        _remember(_DATES, raw, value)
    return value


def sap_time(raw: str, field: str) -> str | None:
    """A time of day, ``HHMMSS`` or ``HH:MM:SS``, as ``HH:MM:SS``; blank is None."""
    stripped = raw.strip()
    if not stripped:
        return None
    digits = stripped.replace(":", "") if len(stripped) == 8 else stripped
    if (
        len(digits) != 6
        or not digits.isdigit()
        or (len(stripped) == 8 and stripped[2::3] != "::")
        or int(digits[:2]) > 23
        or int(digits[2:4]) > 59
        or int(digits[4:]) > 59
    ):
        raise FieldProblem(f"{field}: expected a time HHMMSS or HH:MM:SS, got {stripped!r}")
    return f"{digits[:2]}:{digits[2:4]}:{digits[4:]}"


def money(amount: Decimal | None, currency: str, field: str) -> Money | None:
    """Money from an amount and its currency; an amount without a currency is a problem.

    A zero amount without a currency is taken as "no amount": SAP writes 0.00
    into value fields of documents that carry none.
    """
    if amount is None:
        return None
    code = currency.strip().upper()
    if not code:
        if amount == 0:
            return None
        raise FieldProblem(f"{field}: amount {amount} has no currency")
    try:
        return Money.from_parsed(amount, code)
    except MoneyError as exc:
        raise FieldProblem(f"{field}: {exc}") from None


def days(raw: str, field: str) -> int | None:
    """A number of days (``30``, ``30.0``, SAP's ``30-``); blank is None."""
    stripped = raw.strip()
    if is_null(stripped):
        return None
    try:
        return parse_int(stripped)
    except ValueParseError as exc:
        raise FieldProblem(f"{field}: {exc}") from None
