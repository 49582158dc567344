"""Reading the cells of one CRM record, each bad one reported as a reason.

Every reader takes the field's possible column names (API names are
case-insensitive in Salesforce, and exports spell them ``CloseDate`` or
``closedate``), returns None for a null cell, and raises :class:`RecordError`
with a sentence naming the column and the value when the cell is not what
the field needs. The adapter turns that sentence into a Reject.

Text is returned exactly as written: a description holding
``<img src=x onerror=alert(1)>`` or ``1;DROP TABLE users`` is data, and only
``''`` (or a configured null such as ``#N/A``) means "no value".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from handoff_rules.adapters.values import (
    ValueParseError,
    is_null,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from handoff_rules.errors import InvalidValue
from handoff_rules.model import Money, MoneyError
from handoff_rules_crm.options import ISO, CrmOptions

__all__ = ["Cells", "RecordError", "read_date"]

_NUMERIC_DATE: Final = re.compile(r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(?:[ T].*)?")
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
)


class RecordError(InvalidValue):
    """A record that cannot become a fact; the message is the Reject's reason.

    An :class:`~handoff_rules.errors.InvalidValue`, like the SDK's own refusals
    (``MoneyError``, ``ValueParseError``) it is caught with: the adapters turn it
    into a reject, and one that escapes is reported as this plugin's failure.
    """


def _iso(text: str) -> date | None:
    if _ISO_DATE.fullmatch(text):
        return date.fromisoformat(text)
    if _ISO_DATETIME.fullmatch(text):
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.date()
    return None


def _readings(text: str) -> list[str]:
    """What a numeric day-month-year value could mean, for the reason of a Reject."""
    match = _NUMERIC_DATE.fullmatch(text)
    if match is None:
        return []
    a, b, c = (int(g) for g in match.groups())
    if len(match.group(1)) == 4:
        return []
    year = c + (2000 if c < 69 else 1900) if len(match.group(3)) <= 2 else c
    found = []
    for label, month, day in (("month first", a, b), ("day first", b, a)):
        try:
            found.append(f"{date(year, month, day).isoformat()} ({label})")
        except ValueError:
            continue
    return found


def read_date(text: str, formats: tuple[str, ...]) -> date:
    """The one date ``text`` means under ``formats``; refuse it when none or several fit.

    :raises RecordError: no format reads it, or two formats read different dates
    """
    stripped = text.strip()
    found: dict[date, str] = {}
    for fmt in formats:
        try:
            value = _iso(stripped) if fmt == ISO else parse_date(stripped, (fmt,))
        except (ValueParseError, ValueError):
            value = None
        if value is not None:
            found.setdefault(value, fmt)
    if len(found) == 1:
        return next(iter(found))
    if len(found) > 1:
        shown = ", ".join(f"{d.isoformat()} ({fmt})" for d, fmt in sorted(found.items()))
        raise RecordError(f"ambiguous date {text!r}: reads as {shown}")
    readings = _readings(stripped)
    hint = f"; it could be {' or '.join(readings)}" if readings else ""
    configured = ", ".join(formats)
    raise RecordError(
        f"date {text!r} is in none of the configured formats ({configured}){hint}; "
        "set date_formats in handoff-rules-crm.toml, the day/month order is never guessed"
    )


class Cells:
    """The cells of one record, looked up by case-insensitive column name."""

    def __init__(self, values: Mapping[str, str | None], options: CrmOptions) -> None:
        self._values = {name.casefold(): value for name, value in values.items()}
        self.options = options

    def has(self, *names: str) -> bool:
        """Whether the record has any of these columns (null or not)."""
        return any(n.casefold() in self._values for n in names)

    def _raw(self, names: tuple[str, ...]) -> tuple[str, str | None]:
        for name in names:
            key = name.casefold()
            if key in self._values:
                return name, self._values[key]
        return names[0], None

    def _typed(self, names: tuple[str, ...]) -> tuple[str, str | None]:
        name, value = self._raw(names)
        return name, None if is_null(value, self.options.nulls) else value

    def text(self, *names: str) -> str | None:
        """The text as written; None only for ``''`` or a configured null.

        Not :func:`~handoff_rules.adapters.values.is_null`: a blank or ``"null"``
        description is what someone wrote, and it must reach the fact unchanged.
        """
        _name, value = self._raw(names)
        if value is None or value == "" or value.strip() in self.options.nulls:
            return None
        return value

    def decimal(self, *names: str) -> Decimal | None:
        name, value = self._typed(names)
        if value is None:
            return None
        try:
            return parse_decimal(value, decimal_sep=self.options.decimal_sep)
        except ValueParseError as exc:
            raise RecordError(f"{name}: {exc}") from None

    def integer(self, *names: str) -> int | None:
        name, value = self._typed(names)
        if value is None:
            return None
        try:
            return parse_int(value, decimal_sep=self.options.decimal_sep)
        except ValueParseError as exc:
            raise RecordError(f"{name}: {exc}") from None

    def date(self, *names: str) -> date | None:
        name, value = self._typed(names)
        if value is None:
            return None
        try:
            return read_date(value, self.options.date_formats)
        except RecordError as exc:
            raise RecordError(f"{name}: {exc}") from None

    def boolean(self, *names: str) -> bool | None:
        name, value = self._typed(names)
        if value is None:
            return None
        try:
            return parse_bool(value, true_words=("true",), false_words=("false",))
        except ValueParseError as exc:
            raise RecordError(f"{name}: {exc}") from None

    def money(self, amount: tuple[str, ...], currency: tuple[str, ...]) -> Money | None:
        """An amount with its currency: the record's currency column, else the default.

        No currency at all is a reason to reject, never an assumption.
        """
        value = self.decimal(*amount)
        if value is None:
            return None
        code = self.text(*currency)
        code = code.strip() if code is not None else self.options.default_currency
        if code is None:
            raise RecordError(
                f"{amount[0]} {value} has no currency: the record has no "
                f"{currency[0]} and no default_currency is configured"
            )
        try:
            return Money(value, code)
        except MoneyError as exc:
            raise RecordError(f"{amount[0]}: {exc}") from None
