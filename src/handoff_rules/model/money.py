"""Exact money: a Decimal amount in one ISO 4217 currency.

Accounting asks for figures "exact to the kopeck", so money never touches a
float: a float is refused outright (``0.1 + 0.2`` is not ``0.3``), and an amount
with more decimals than the currency has is refused too unless the caller
rounds on purpose with :meth:`Money.rounded`. Arithmetic across currencies is an
error rather than a silent conversion.

An amount must be a representable decimal (:mod:`handoff_rules.model.bounds`),
so that its minor units fit the integers the rule engines compare. The bound
applies to amounts given to Money, not to the results of its arithmetic: a sum
of money is exact whatever its size, and whether it can be compared is for
whoever computes it to decide.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Final

import attrs

from handoff_rules.errors import MoneyError as MoneyError
from handoff_rules.model.bounds import MAX_DECIMAL_DIGITS, NumberRangeError, check_decimal, shown
from handoff_rules.model.currencies import MINOR_UNITS, minor_units


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise MoneyError(
            f"money amounts must be Decimal, int or str, not {type(value).__name__} "
            f"({value!r}): floats cannot hold cents exactly"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(f"not a decimal amount: {shown(value)}") from None
    else:
        raise MoneyError(f"money amounts must be Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise MoneyError(f"money amounts must be finite, got {shown(value)}")
    return result


def _amount(value: object) -> Decimal:
    """An amount given to Money: a representable decimal (:mod:`~handoff_rules.model.bounds`)."""
    result = _to_decimal(value)
    try:
        return check_decimal(result, value if isinstance(value, str) else None)
    except NumberRangeError as exc:
        raise MoneyError(f"amount {exc}") from None


def _exponent(currency: str) -> Decimal:
    # Every Money is quantized to this on construction: computed once per currency.
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        exponent = _EXPONENTS[currency] = Decimal(1).scaleb(-minor_units(currency))
    return exponent


_EXPONENTS: dict[str, Decimal] = {}


def _check_currency(currency: str) -> str:
    try:
        minor_units(currency)
    except ValueError as exc:
        raise MoneyError(str(exc)) from None
    return currency


@attrs.frozen(slots=True, order=False, eq=True)
class Money:
    """An exact amount of one currency, quantized to the currency's minor unit."""

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(validator=lambda _i, _a, v: _check_currency(v))

    def __attrs_post_init__(self) -> None:
        # the amount is representable (its converter checked): quantizing cannot overflow
        quantized = self.amount.quantize(_exponent(self.currency))
        if quantized != self.amount:
            raise MoneyError(
                f"{self.amount} has more decimals than {self.currency} allows "
                f"({minor_units(self.currency)}); use Money.rounded() to round on purpose"
            )
        object.__setattr__(self, "amount", quantized)

    @classmethod
    def rounded(
        cls, amount: Decimal | int | str, currency: str, rounding: str = ROUND_HALF_EVEN
    ) -> Money:
        """Build money from an amount that may carry more decimals, rounding explicitly.

        Any number of decimals may be rounded away; the rounded amount must be in range.
        """
        try:
            value = _to_decimal(amount).quantize(_exponent(_check_currency(currency)), rounding)
        except InvalidOperation:  # more digits than the decimal context holds (1e400)
            raise MoneyError(f"amount {shown(amount)} is out of range") from None
        return cls(value, currency)

    @classmethod
    def from_parsed(cls, amount: Decimal, currency: str) -> Money:
        """Money from an amount an adapter has read: what ``Money(amount, currency)`` gives.

        The amount a parser reads nearly always has exactly the currency's decimals
        (``79.19`` EUR) and a few digits: such an amount is already what the
        constructor would make of it, and is stored without its checks and its
        quantizing. Any other amount or currency goes through the constructor, so
        what it refuses is refused here with the same error.
        """
        exponent = _EXPONENTS.get(currency)
        if (
            exponent is not None
            and type(amount) is Decimal
            and amount.same_quantum(exponent)  # finite, with the currency's decimals
            and amount.adjusted() < _SURELY_IN_RANGE
        ):
            result = _new_object(cls)
            _set_amount(result, amount)
            _set_currency(result, currency)
            return result
        return cls(amount, currency)

    @classmethod
    def _result(cls, amount: Decimal, currency: str) -> Money:
        """Money computed from money of ``currency``, not an input: no bounds apply.

        Built without ``__init__``, whose converter applies the bounds of input amounts.
        """
        try:
            quantized = amount.quantize(_exponent(currency), ROUND_HALF_EVEN)
        except InvalidOperation:  # more digits than the decimal context holds
            raise MoneyError(f"amount {shown(amount)} is too large to compute with") from None
        result = object.__new__(cls)
        object.__setattr__(result, "amount", quantized)
        object.__setattr__(result, "currency", currency)
        return result

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Build money from integer minor units (cents, kopecks), as the rule engine stores it."""
        return cls(Decimal(minor).scaleb(-minor_units(_check_currency(currency))), currency)

    @property
    def minor(self) -> int:
        """The amount in integer minor units: what rules compare, exactly."""
        return int(self.amount.scaleb(minor_units(self.currency)))

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money._result(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money._result(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money._result(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money._result(abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            kind = type(factor).__name__
            raise TypeError(f"money can be multiplied by Decimal or int, not {kind}")
        return Money._result(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: the amount as a string so no reader turns it into a float."""
        return {"amount": str(self.amount), "currency": self.currency}


# Every known currency's exponent, so that Money.from_parsed finds any valid code.
for _code in MINOR_UNITS:
    _exponent(_code)

#: A leading digit below 10**12: within the bounds, and never rounded over them.
_SURELY_IN_RANGE: Final = MAX_DECIMAL_DIGITS - 1
_new_object: Final = object.__new__
_set_amount: Final[Callable[[Money, Decimal], None]] = vars(Money)["amount"].__set__
_set_currency: Final[Callable[[Money, str], None]] = vars(Money)["currency"].__set__
