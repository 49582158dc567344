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
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import attrs

from handoff_rules.adapters.values import (
    ValueParseError,
    is_null,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from handoff_rules.errors import InvalidValue
from handoff_rules.model import Money, MoneyError, is_currency, minor_units
from handoff_rules_crm.options import (
    CURRENCY_FIX,
    DAY_FIRST,
    ISO,
    MONTH_FIRST,
    OPTIONS_FILE,
    CrmOptions,
)

__all__ = [
    "NOISE_FRACTION",
    "Cells",
    "DateOrder",
    "RecordError",
    "infer_date_order",
    "numeric_date",
    "read_date",
    "with_inferred_dates",
]

#: The largest residue, as a fraction of the currency's minor unit, that rounding an
#: amount drops as storage noise. Salesforce keeps currency fields with 8 decimals
#: and computes them in binary floating point, so a won deal of 32395.00 USD is
#: exported as ``32395.00000002``: a residue of a few units of the 8th decimal.
#: One ten-thousandth of a cent (0.000001 USD) is 100 such units, room for the
#: noise of a sum of many 8-decimal line totals, and still 5,000 times smaller
#: than the half cent that a real sub-cent amount (``0.005``) carries.
NOISE_FRACTION: Final = Decimal("0.0001")

#: A numeric date with an optional time: ``02/23/26``, ``3/15/2021 6:49``,
#: ``02/23/26 08:55 PM``, ``23.02.2026 20:55:01``.
_DAY_MONTH: Final = re.compile(
    r"(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*([AaPp][Mm]))?)?"
)

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


def _year(text: str) -> int:
    value = int(text)
    return value + (2000 if value < 69 else 1900) if len(text) == 2 else value


def numeric_date(text: str, order: str) -> date | None:
    """The date of ``02/23/26``-style text read in ``order`` (:data:`MONTH_FIRST` or
    :data:`DAY_FIRST`); None when the text is no numeric date or no valid one in that order.

    A time after the date (``08:55 PM``, ``6:49``) is checked and dropped: exports
    write it in the org's time zone, so the date as written is the date meant.
    Two-digit years are read as ``%y`` reads them (69-99 → 1900s).
    """
    if len(text) > 64:  # no date is this long; keeps a hostile cell's check short
        return None
    match = _DAY_MONTH.fullmatch(text.strip())
    if match is None:
        return None
    first, _sep, second, year, hour, minute, second_of_minute, half = match.groups()
    month, day = (first, second) if order == MONTH_FIRST else (second, first)
    if hour is not None:
        limit = 12 if half else 23
        low = 1 if half else 0
        if not low <= int(hour) <= limit or int(minute) > 59:
            return None
        if second_of_minute is not None and int(second_of_minute) > 59:
            return None
    try:
        return date(_year(year), int(month), int(day))
    except ValueError:
        return None


@attrs.frozen(slots=True)
class DateOrder:
    """What a file's numeric dates prove about their day/month order.

    ``order`` is :data:`MONTH_FIRST` or :data:`DAY_FIRST` when some value
    proves it and none proves the other; ``proof`` is the first such value.
    ``conflict`` holds one value proving each order when the file holds both.
    """

    order: str | None
    proof: str | None = None
    conflict: tuple[str, str] | None = None


def infer_date_order(values: Iterable[str]) -> DateOrder:
    """The day/month order that a file's numeric dates prove, from all its date cells at once.

    ``02/23/26`` can only be month first, ``23/02/26`` only day first;
    ``02/03/24`` proves nothing. One proving value settles the order for the
    whole file (an export writes every date the same way); a file that proves
    both orders, or neither, is left undecided and its ambiguous values are
    rejected. Values that are no numeric date (ISO dates, text) are ignored.
    """
    proofs: dict[str, str] = {}
    for value in values:
        month_first = numeric_date(value, MONTH_FIRST)
        day_first = numeric_date(value, DAY_FIRST)
        if month_first is not None and day_first is None:
            proofs.setdefault(MONTH_FIRST, value)
        elif day_first is not None and month_first is None:
            proofs.setdefault(DAY_FIRST, value)
        if len(proofs) == 2:
            return DateOrder(None, conflict=(proofs[MONTH_FIRST], proofs[DAY_FIRST]))
    if not proofs:
        return DateOrder(None)
    order, proof = next(iter(proofs.items()))
    return DateOrder(order, proof)


def with_inferred_dates(options: CrmOptions, values: Iterable[str]) -> CrmOptions:
    """``options`` with the day/month order ``values`` prove, when ``date_formats`` is left
    at its default; configured formats are used as they are, never second-guessed."""
    if options.date_formats != (ISO,):
        return options
    found = infer_date_order(values)
    if found.order is None:
        return options
    return attrs.evolve(options, date_formats=(ISO, found.order))


def _one_format(text: str, fmt: str) -> date | None:
    if fmt == ISO:
        return _iso(text)
    if fmt in (MONTH_FIRST, DAY_FIRST):
        return numeric_date(text, fmt)
    return parse_date(text, (fmt,))


def read_date(text: str, formats: tuple[str, ...]) -> date:
    """The one date ``text`` means under ``formats``; refuse it when none or several fit.

    :raises RecordError: no format reads it, or two formats read different dates
    """
    stripped = text.strip()
    found: dict[date, str] = {}
    for fmt in formats:
        try:
            value = _one_format(stripped, fmt)
        except (ValueParseError, ValueError):
            value = None
        if value is not None:
            found.setdefault(value, fmt)
    if len(found) == 1:
        return next(iter(found))
    if len(found) > 1:
        shown = ", ".join(f"{d.isoformat()} ({fmt})" for d, fmt in sorted(found.items()))
        raise RecordError(
            f"ambiguous date {text!r}: reads as {shown}; keep only the format the export "
            f"uses in date_formats under [crm] in {OPTIONS_FILE} beside the export"
        )
    same = numeric_date(stripped, MONTH_FIRST)
    if same is not None and same == numeric_date(stripped, DAY_FIRST):
        return same  # 05/05/24 is the same date whichever comes first
    readings = _readings(stripped)
    hint = f"; it could be {' or '.join(readings)}" if readings else ""
    configured = ", ".join(formats)
    if len(readings) > 1:
        setting = f'date_formats = ["{MONTH_FIRST}"] or ["{DAY_FIRST}"]'
        raise RecordError(
            f"date {text!r} could be {' or '.join(readings)}; the configured formats "
            f"({configured}) read neither and no date in this file shows which comes first; "
            f"set {setting} under [crm] in {OPTIONS_FILE} beside the export"
        )
    raise RecordError(
        f"date {text!r} is in none of the configured formats ({configured}){hint}; "
        f"set date_formats under [crm] in {OPTIONS_FILE} beside the export"
    )


class Cells:
    """The cells of one record, looked up by case-insensitive column name."""

    def __init__(
        self,
        values: Mapping[str, str | None],
        options: CrmOptions,
        *,
        notes: list[str] | None = None,
    ) -> None:
        self._values = {name.casefold(): value for name, value in values.items()}
        self._written = {name: value for name, value in values.items() if value is not None}
        self.options = options
        #: What reading changed on purpose (an amount rounded), for the facts' provenance;
        #: None when the adapter keeps no such notes, and then nothing is rounded.
        self.notes = notes

    def as_written(self) -> dict[str, str]:
        """Every non-empty cell, by its column name as the header writes it."""
        return {name: value for name, value in self._written.items() if value}

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
            fix = self._number_fix(name, value, "a number such as 1234.56")
            raise RecordError(f"{name}: {exc}; {fix}") from None

    def integer(self, *names: str) -> int | None:
        name, value = self._typed(names)
        if value is None:
            return None
        try:
            return parse_int(value, decimal_sep=self.options.decimal_sep)
        except ValueParseError as exc:
            fix = self._number_fix(name, value, "a whole number such as 30")
            raise RecordError(f"{name}: {exc}; {fix}") from None

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
            raise RecordError(
                f"{name}: {exc}; correct {name} in the CRM (true or false, as exports write it)"
            ) from None

    def _number_fix(self, name: str, value: str, example: str) -> str:
        """What to change about a cell that is no number: the separator setting, or the cell."""
        other = "," if self.options.decimal_sep == "." else "."
        if other in value and any(ch.isdigit() for ch in value):
            return (
                f'set decimal_sep = "{other}" under [crm] in {OPTIONS_FILE} beside the export '
                f"if the export writes {other!r} as its decimal separator, else correct {name} "
                "in the CRM"
            )
        return f"correct {name} in the CRM ({example})"

    def _currency_of(self, amount: str, value: Decimal, currency: tuple[str, ...]) -> str:
        code = self.text(*currency)
        if code is not None and code.strip():
            return code.strip()
        if self.options.default_currency is not None:
            return self.options.default_currency
        where = (
            f"its {currency[0]} is empty"
            if self.has(*currency)
            else f"the export has no {currency[0]} column"
        )
        raise RecordError(f"{amount} {value} has no currency: {where}; {CURRENCY_FIX}")

    def money(self, amount: tuple[str, ...], currency: tuple[str, ...]) -> Money | None:
        """An amount with its currency: the record's currency column, else the default.

        No currency at all is a reason to reject, never an assumption. An amount
        finer than the currency's minor unit is rounded half-even when what
        rounding drops is storage noise (below :data:`NOISE_FRACTION` of a minor
        unit), and the text as written is kept in :attr:`notes`, which the
        adapter puts on the facts' provenance (``Emitter.record(notes=…)``); a
        larger residue is a reject, and so is any residue when the adapter
        keeps no notes (``notes=None``): the written text is never dropped.
        """
        value = self.decimal(*amount)
        if value is None:
            return None
        name = self._raw(amount)[0]
        return self.money_in(name, value, self._currency_of(name, value, currency))

    def money_in(self, name: str, value: Decimal, code: str) -> Money:
        """``value`` of column ``name`` as money in ``code``, rounded as :meth:`money` rounds.

        For an amount whose currency is not in its own record (an Odoo line's is
        on its order's row).
        """
        if not is_currency(code):
            raise RecordError(
                f"{name} {value}: {code!r} is not an ISO 4217 currency code; correct the "
                "currency in the CRM (a code such as USD, EUR, CZK)"
            )
        try:
            money = Money.rounded(value, code, ROUND_HALF_EVEN)
        except MoneyError as exc:
            raise RecordError(f"{name}: {exc}; correct {name} in the CRM") from None
        if money.amount == value:
            return money
        places = minor_units(money.currency)
        unit = Decimal(1).scaleb(-places)
        if self.notes is None or abs(value - money.amount) >= NOISE_FRACTION * unit:
            raise RecordError(
                f"{name} {value} has more decimals than {money.currency} has ({places}); "
                f"only a residue below {NOISE_FRACTION * unit} is rounded away as storage "
                "noise: correct the amount in the CRM"
            )
        if money.amount.is_zero():  # -0.00000001 is no debt: 0.00, not -0.00
            money = Money(money.amount.copy_abs(), money.currency)
        written = self._raw((name,))[1]
        self.notes.append(f"{name} {(written or str(value)).strip()} rounded to {money.amount}")
        return money

    def price(
        self, amount: tuple[str, ...], currency: tuple[str, ...]
    ) -> tuple[Decimal, str] | None:
        """A unit price and its currency, with every decimal it was written with.

        ``266.66666667`` is a legitimate unit price: a price is not an amount of
        money to pay, so it is not rounded to the currency's minor unit.
        """
        value = self.decimal(*amount)
        if value is None:
            return None
        code = self._currency_of(self._raw(amount)[0], value, currency)
        if not is_currency(code):
            raise RecordError(
                f"{currency[0]}: {code!r} is not an ISO 4217 currency code; correct it in "
                "the CRM (a code such as USD, EUR, CZK)"
            )
        return value, code
