"""Parsers for the values exports actually contain, shared by every adapter.

ERP and spreadsheet exports write numbers and dates the way the person who
configured them liked: ``1.234,56`` in a German SAP, ``1 234,56`` in a Russian
1C, ``1,234.56`` in Salesforce, ``1.234,56-`` for a credit in SAP list output,
``1.0983E11`` where Excel touched a column of ids. Each adapter re-implementing
that is how amounts end up off by a factor of a thousand, so the parsing lives
here once, refuses what it cannot read unambiguously, and raises one error type
(:class:`ValueParseError`) an adapter turns into a Reject.

A number is also refused when the rule engines could not compare it exactly
(:mod:`handoff_rules.model.bounds`: at most 18 digits for a whole number, 14
before and 28 after the point for a decimal, never NaN or infinity), so such a
value becomes a reject with its file and line instead of failing a check later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

from handoff_rules.errors import ValueParseError
from handoff_rules.model.bounds import (
    MAX_DECIMAL_DIGITS,
    MAX_DIGITS,
    NumberRangeError,
    check_decimal,
    shown,
    whole_number,
)

__all__ = [
    "DEFAULT_DATE_FORMATS",
    "DEFAULT_NULLS",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "ValueParseError",
    "is_null",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "parse_int",
    "parse_sap_date",
    "strip_leading_zeros",
]


#: Cells that mean "no value" in the exports we read. Compared after stripping spaces.
DEFAULT_NULLS: Final = frozenset({"", "#N/A", "N/A", "NULL", "null", "None", "#NV"})

#: Words read as true / false (compared case-insensitively). SAP flags are ``X`` or blank.
TRUE_WORDS: Final = frozenset({"true", "t", "yes", "y", "x", "1", "ja", "да", "oui", "ano", "tak"})
FALSE_WORDS: Final = frozenset({"false", "f", "no", "n", "0", "nein", "нет", "non", "ne", "nie"})

#: Formats tried by :func:`parse_date` when the caller gives none: ISO, the unambiguous one.
DEFAULT_DATE_FORMATS: Final = ("%Y-%m-%d",)

# Spaces used as thousands separators: plain, no-break, narrow no-break, thin.
_GROUP_SPACES: Final = " \u00a0\u202f\u2009"
_APOSTROPHES: Final = "'\u2019"
_GROUP_MARKS: Final = _GROUP_SPACES + _APOSTROPHES
_SCIENTIFIC: Final = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)[eE][+-]?\d+")
_LITERAL: Final = re.compile(r"\d+(\.\d*)?|\.\d+")
_GROUPED: Final = re.compile(r"\d{1,3}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*")
# For an ASCII body the character checks of parse_decimal reduce to these two patterns
# (str.isdigit also admits non-ASCII digits, so other bodies take the general checks).
_ASCII_NUMBER_CHARS: Final = re.compile(r"[0-9.,' ]*")
_ASCII_DIGIT: Final = re.compile(r"[0-9]")
#: What most cells hold: unsigned ASCII digits, maybe a point and decimals. Read directly.
_PLAIN_UNSIGNED: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
#: What most whole-number cells hold: ASCII digits, maybe a sign.
_PLAIN_INTEGER: Final = re.compile(r"[+-]?[0-9]+")


def is_null(value: str | None, nulls: Iterable[str] = DEFAULT_NULLS) -> bool:
    """Tell whether a cell means "no value": None, blank, or one of ``nulls`` after stripping."""
    if value is None:
        return True
    stripped = value.strip()
    return stripped == "" or stripped in frozenset(nulls)


def _split_sign(text: str) -> tuple[bool, str]:
    """Take one leading or one trailing sign off (SAP writes ``1.234,56-``)."""
    signs = ("+", "-")
    negative = False
    if text.startswith(signs):
        negative = text[0] == "-"
        text = text[1:].lstrip()
    elif text.endswith(signs):
        negative = text[-1] == "-"
        text = text[:-1].rstrip()
    if text.startswith(signs) or text.endswith(signs):
        raise ValueParseError("more than one sign")
    return negative, text


def _normalise_separators(body: str, decimal_sep: str | None) -> str:
    """Turn the digits-and-separators ``body`` into a Decimal literal with a ``.`` point."""
    for space in _GROUP_MARKS:
        if space in body:
            groups = body.split(space)
            head, *rest = groups
            last = rest[-1] if rest else ""
            # "1 234,56": each group after the first has three digits (the last may add decimals).
            for group in rest[:-1]:
                if not (len(group) == 3 and group.isdigit()):
                    raise ValueParseError(f"bad digit grouping around {space!r}")
            if not head.isdigit() or len(head) > 3 or not (last[:3].isdigit() and len(last) >= 3):
                raise ValueParseError(f"bad digit grouping around {space!r}")
            if len(last) > 3 and last[3] not in ".,":
                raise ValueParseError(f"bad digit grouping around {space!r}")
            body = "".join(groups)
    has_dot, has_comma = "." in body, "," in body
    if has_dot and has_comma:
        point = "." if body.rfind(".") > body.rfind(",") else ","
        group = "," if point == "." else "."
        if decimal_sep is not None and decimal_sep != point:
            raise ValueParseError(f"decimal separator {decimal_sep!r} expected")
        integer, _, fraction = body.rpartition(point)
        if not _GROUPED.fullmatch(integer) or group not in integer:
            raise ValueParseError(f"bad digit grouping with {group!r}")
        return integer.replace(group, "") + "." + fraction
    if has_dot or has_comma:
        sep = "." if has_dot else ","
        if body.count(sep) > 1:
            # Only thousands grouping can repeat: "1.234.567".
            if decimal_sep == sep or not _GROUPED.fullmatch(body):
                raise ValueParseError(f"{sep!r} appears more than once")
            return body.replace(sep, "")
        if decimal_sep is not None and sep != decimal_sep:
            # The caller knows the locale: the other mark can only be grouping.
            if not _GROUPED.fullmatch(body):
                raise ValueParseError(f"{sep!r} is not a decimal separator here")
            return body.replace(sep, "")
        # One mark and no locale given: a decimal separator. "1.234" is 1.234, never
        # 1234 — exports that group thousands also write the decimals ("1.234,00").
        return body.replace(",", ".")
    return body


def parse_decimal(text: str, *, decimal_sep: str | None = None) -> Decimal:
    """Read a number as exports write it; refuse anything ambiguous or out of range.

    Accepted: ``1234.56``, ``1234,56``, ``1,234.56``, ``1.234,56``, ``1 234,56``
    (also with no-break or thin spaces, or ``1'234.56``), a leading or a SAP-style
    trailing sign (``1.234,56-``), surrounding spaces, and scientific notation
    (``1.0983E11``). With one separator and no ``decimal_sep`` it is the decimal
    point; pass ``decimal_sep`` when a column is known to group thousands without
    decimals (``1.234`` meaning 1234). Refused besides: a value the rule engines
    cannot compare exactly (:func:`~handoff_rules.model.bounds.check_decimal`:
    more than 14 digits before the point or 28 after it, NaN, infinity).
    """
    stripped = _stripped(text, decimal_sep)
    if _PLAIN_UNSIGNED.fullmatch(stripped) and (decimal_sep != "," or "." not in stripped):
        # what the general path below makes of it, without the checks
        value = Decimal(stripped)
        if len(stripped) <= MAX_DECIMAL_DIGITS:  # too short to be out of range
            return value
    else:
        value = _read_number(text, stripped, decimal_sep)
    try:
        return check_decimal(value, stripped)
    except NumberRangeError as exc:
        raise ValueParseError(str(exc)) from None


def parse_int(text: str, *, decimal_sep: str | None = None) -> int:
    """Read a whole number: what :func:`parse_decimal` reads, when its value is whole.

    ``30``, ``+30``, ``30-``, ``1 234``, ``30.00`` and ``3E1`` are all 30 (or -30). A
    value of more than 18 digits (:func:`~handoff_rules.model.bounds.whole_number`) is
    refused before it is converted, so no text makes :func:`int` do unbounded work.
    """
    stripped = _stripped(text, decimal_sep)
    if _PLAIN_INTEGER.fullmatch(stripped):
        digits = stripped.lstrip("+-").lstrip("0")  # int() counts leading zeros too
        if len(digits) <= MAX_DIGITS:
            magnitude = int(digits) if digits else 0
            return -magnitude if stripped[0] == "-" else magnitude
        value = Decimal(stripped)
    else:
        value = _read_number(text, stripped, decimal_sep)
    try:
        return whole_number(value, stripped)
    except NumberRangeError as exc:
        raise ValueParseError(str(exc)) from None


def _stripped(text: str, decimal_sep: str | None) -> str:
    """``text`` without surrounding spaces, once the arguments are known to make sense."""
    if decimal_sep not in (None, ".", ","):
        raise ValueError(f"decimal_sep must be '.', ',' or None, not {decimal_sep!r}")
    if not isinstance(text, str):
        raise ValueParseError(f"expected a number as text, not {type(text).__name__} {text!r}")
    stripped = text.strip(" \t\r\n" + _GROUP_SPACES)
    if not stripped:
        raise ValueParseError("expected a number, got an empty cell")
    return stripped


def _read_number(text: str, stripped: str, decimal_sep: str | None) -> Decimal:
    """The finite number ``stripped`` writes, in any of the accepted forms; not yet bounded."""
    scientific = False
    try:
        negative, body = _split_sign(stripped)
        if not body:
            raise ValueParseError("a sign without digits")
        if _SCIENTIFIC.fullmatch(body):
            scientific = True
            literal = body.replace(",", ".")
        else:
            if body.isascii():
                if not _ASCII_NUMBER_CHARS.fullmatch(body):
                    raise ValueParseError("unexpected characters")
                if not _ASCII_DIGIT.search(body):
                    raise ValueParseError("no digits")
            else:
                if not all(ch.isdigit() or ch in ".," + _GROUP_MARKS for ch in body):
                    raise ValueParseError("unexpected characters")
                if not any(ch.isdigit() for ch in body):
                    raise ValueParseError("no digits")
            literal = _normalise_separators(body, decimal_sep)
            if not _LITERAL.fullmatch(literal):
                raise ValueParseError("unexpected characters")
        value = Decimal(literal)
    except ValueParseError as exc:
        raise ValueParseError(f"not a number: {shown(text)} ({exc})") from None
    except InvalidOperation:
        if scientific:  # the digits are fine: the exponent is beyond any decimal's
            raise ValueParseError(f"{shown(stripped)} is out of range") from None
        raise ValueParseError(f"not a number: {shown(text)}") from None
    # copy_negate is exact (``-value`` rounds to the context and can overflow); a zero
    # stays unsigned, as ``-value`` left it, so "0,00-" does not print as "-0.00"
    return value.copy_negate() if negative and value else value


def parse_sap_date(text: str | None) -> date | None:
    """Read a SAP ``DATS`` value (``YYYYMMDD``); ``00000000`` and blank mean "no date"."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped in ("", "00000000"):
        return None
    if len(stripped) != 8 or not stripped.isdigit():
        raise ValueParseError(f"expected a SAP date YYYYMMDD, got {shown(text)}")
    try:
        return date(int(stripped[:4]), int(stripped[4:6]), int(stripped[6:]))
    except ValueError as exc:
        raise ValueParseError(f"not a calendar date: {shown(text)} ({exc})") from None


def parse_date(text: str, formats: Sequence[str] = DEFAULT_DATE_FORMATS) -> date:
    """Read a date with the first of ``formats`` (strptime patterns) that matches the whole text.

    The formats are explicit on purpose: ``03/04/2024`` is March in one export
    and April in another, and guessing would silently swap them.
    """
    if not formats:
        raise ValueError("parse_date needs at least one format")
    stripped = text.strip()
    if not stripped:
        raise ValueParseError("expected a date, got an empty cell")
    for fmt in formats:
        try:
            return datetime.strptime(stripped, fmt).date()
        except ValueError:
            continue
    raise ValueParseError(f"not a date in format {' or '.join(formats)}: {shown(text)}")


def parse_bool(
    text: str,
    *,
    true_words: Iterable[str] = TRUE_WORDS,
    false_words: Iterable[str] = FALSE_WORDS,
    blank: bool | None = None,
) -> bool:
    """Read a flag: ``TRUE``/``true``/``X``/``1``/``yes`` … and their opposites.

    A blank cell is an error unless ``blank`` says what it means (SAP flags: a
    blank is ``False``, so pass ``blank=False``).
    """
    stripped = text.strip().casefold()
    if not stripped:
        if blank is None:
            raise ValueParseError("expected a yes/no flag, got an empty cell")
        return blank
    trues, falses = tuple(true_words), tuple(false_words)
    if stripped in {w.casefold() for w in trues}:
        return True
    if stripped in {w.casefold() for w in falses}:
        return False
    if set(trues) == TRUE_WORDS and set(falses) == FALSE_WORDS:
        accepted = "true/false, X, 1/0"
    else:  # name the words this caller accepts, not the defaults it does not
        accepted = f"{'/'.join(sorted(trues))} or {'/'.join(sorted(falses))}"
    raise ValueParseError(f"expected a yes/no flag ({accepted}), got {shown(text)}")


def strip_leading_zeros(text: str) -> str:
    """A SAP number without its leading zeros (``0000012345`` → ``12345``), ``0`` stays ``0``.

    Only all-digit values are changed: ``00A1`` is an alphanumeric key whose
    zeros matter. Keep the raw value alongside when a message must quote it.
    """
    stripped = text.strip()
    if stripped.isdigit():
        return stripped.lstrip("0") or "0"
    return stripped
