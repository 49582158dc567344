"""What a number in a fact may be: the range both rule engines compare exactly.

Every number of a fact reaches the engines as an integer
(:mod:`handoff_rules.engine.flatten`): a whole number as it is, money as
integer minor units, a decimal (a quantity, a percent) scaled by 10**4 and
rounded half-even. The C engine behind the ``durable`` backend holds 64-bit
integers only and saturates anything beyond, while the ``reference`` backend
computes with Python's unbounded ones, so a larger value would make the two
disagree, or stop a whole run. Values also meet in sums and offsets (a
credit exposure adds up open items, a rule compares ``due_on + 30``), so the
bound leaves room above a single value.

A number is *representable* when its flat value has at most
:data:`MAX_DIGITS` (18) digits; int64 holds every such value and the sum of
nine of them. For a decimal that means at most :data:`MAX_DECIMAL_DIGITS`
(14) digits before the decimal point; money, quantized to at most four
decimals, keeps its minor units within the bound when its amount is a
representable decimal. A decimal may also have at most
:data:`MAX_DECIMAL_PLACES` digits after the point, far more than exports
write: a value such as ``1E-999999999`` or ``0.`` and 10,000 digits only
costs time and memory in every calculation it reaches. Infinity and NaN are
not numbers here.

This module is the one definition; the value parsers of
:mod:`handoff_rules.adapters.values`, the model's converters and Money apply
it, so an out-of-range value is refused where it is read, with the file and
line of its record, and never reaches an engine.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import attrs

from handoff_rules.errors import NumberRangeError

__all__ = [
    "DECIMAL_SCALE_DIGITS",
    "MAX_DECIMAL_DIGITS",
    "MAX_DECIMAL_PLACES",
    "MAX_DIGITS",
    "MAX_INT",
    "NumberRangeError",
    "bounded_int",
    "check_decimal",
    "check_int",
    "shown",
    "whole_number",
]

#: Digits of the largest flat value: every 18-digit integer fits int64 (9.2 * 10**18).
MAX_DIGITS: Final = 18
#: The largest magnitude of a whole number (and of any flat value).
MAX_INT: Final = 10**MAX_DIGITS - 1
#: Decimals are compared scaled by 10**4 (``engine.flatten.DECIMAL_SCALE``; a test keeps
#: the two equal) and money by at most 10**4 (the most minor units of a currency).
DECIMAL_SCALE_DIGITS: Final = 4
#: Digits a decimal may have before its point.
MAX_DECIMAL_DIGITS: Final = MAX_DIGITS - DECIMAL_SCALE_DIGITS
#: Digits a decimal may have after its point.
MAX_DECIMAL_PLACES: Final = 28

_SCALE: Final = 10**DECIMAL_SCALE_DIGITS
#: Characters of a value quoted in a message.
_SHOWN: Final = 40


def shown(value: object) -> str:
    """A value as a message quotes it: its ``repr``, or, when that is long, its start and size.

    A reject's reason is one line a person reads; a number of 10,000 digits must not
    make it 10,000 characters long.
    """
    if isinstance(value, int) and not -(10**_SHOWN) < value < 10**_SHOWN:
        # str() of an int of more than 4,300 digits raises; its size says enough
        return f"a whole number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    plain = value if isinstance(value, str) else str(value)
    text = repr(plain)
    if len(text) <= _SHOWN:
        return text
    return f"{text[: _SHOWN - 10]}…' ({len(plain):,} characters)"


def check_int(value: int) -> int:
    """``value`` itself when it is a representable whole number.

    :raises NumberRangeError: it has more than :data:`MAX_DIGITS` digits
    """
    if -MAX_INT <= value <= MAX_INT:
        return value
    raise NumberRangeError(
        f"{shown(value)} is out of range: a whole number may have at most {MAX_DIGITS} digits"
    )


def check_decimal(value: Decimal, text: str | None = None) -> Decimal:
    """``value`` itself when it is a representable decimal; ``text``: how it was written.

    The flat value is computed exactly as :mod:`handoff_rules.engine.flatten` computes
    it, but only once the magnitude is known to be small enough for that to be cheap and
    free of overflow.

    :raises NumberRangeError: it is not finite, has more than :data:`MAX_DECIMAL_DIGITS`
        digits before the point (also once rounded to four decimals) or more than
        :data:`MAX_DECIMAL_PLACES` after it
    """
    if not value.is_finite():
        raise NumberRangeError(f"{_written(value, text)} is not a finite number")
    adjusted = value.adjusted()  # the power of ten of the leading digit
    if adjusted >= MAX_DECIMAL_DIGITS:
        raise NumberRangeError(
            f"{_written(value, text)} is out of range: a decimal may have at most "
            f"{MAX_DECIMAL_DIGITS} digits before the decimal point"
        )
    _check_places(value, text)
    if adjusted == MAX_DECIMAL_DIGITS - 1:  # the last digits may still round over the bound
        flat = int((value * _SCALE).to_integral_value(ROUND_HALF_EVEN))
        if not -MAX_INT <= flat <= MAX_INT:
            raise NumberRangeError(
                f"{_written(value, text)} is out of range: rounded to {DECIMAL_SCALE_DIGITS} "
                f"decimals, it has more than {MAX_DECIMAL_DIGITS} digits before the decimal point"
            )
    return value


def whole_number(value: Decimal, text: str | None = None) -> int:
    """The representable whole number ``value`` is (``30``, ``30.00``, ``3E1``).

    The magnitude is checked before :func:`int` sees the value, so ``1E+999999999``
    costs nothing.

    :raises NumberRangeError: not finite, not whole, or more than :data:`MAX_DIGITS` digits
    """
    if not value.is_finite():
        raise NumberRangeError(f"{_written(value, text)} is not a finite number")
    if value.adjusted() >= MAX_DIGITS:
        raise NumberRangeError(
            f"{_written(value, text)} is out of range: a whole number may have at most "
            f"{MAX_DIGITS} digits"
        )
    _check_places(value, text)
    if value != value.to_integral_value():
        raise NumberRangeError(f"expected a whole number, got {_written(value, text)}")
    return int(value)


def _written(value: Decimal, text: str | None) -> str:
    return shown(value if text is None else text)


def _check_places(value: Decimal, text: str | None) -> None:
    plain = str(value)  # plain notation unless the exponent is positive or the value tiny
    if "E" in plain:
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) else 0
    else:
        point = plain.find(".")
        places = 0 if point < 0 else len(plain) - point - 1
    if places > MAX_DECIMAL_PLACES:
        raise NumberRangeError(
            f"{_written(value, text)} is out of range: a number may have at most "
            f"{MAX_DECIMAL_PLACES} digits after the decimal point"
        )


def bounded_int(
    _instance: object, attribute: attrs.Attribute[int | None], value: int | None
) -> None:
    """attrs validator of a whole-number field: a representable value, or None.

    Only ints are checked (attrs does not check types: another type is not this
    validator's concern).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            check_int(value)
        except NumberRangeError as exc:
            raise NumberRangeError(f"{attribute.name}: {exc}") from None
