"""Money: exact, never a float, one currency at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.model import Money, MoneyError, from_dict, minor_units, to_dict
from handoff_rules.testing.strategies import currencies, money


@settings(deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), currencies())
def test_money_never_accepts_a_float(amount: float, currency: str) -> None:
    with pytest.raises(MoneyError, match="float"):
        Money(amount, currency)  # type: ignore[arg-type]


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), currencies())
def test_rounded_refuses_floats_too(amount: float, currency: str) -> None:
    with pytest.raises(MoneyError, match="float"):
        Money.rounded(amount, currency)  # type: ignore[arg-type]


def test_dict_form_refuses_a_float_amount() -> None:
    with pytest.raises(ValueError, match="float"):
        from_dict(Money, {"amount": 1.5, "currency": "EUR"})


@settings(deadline=None)
@given(money(), money())
def test_arithmetic_refuses_mixed_currencies(a: Money, b: Money) -> None:
    if a.currency == b.currency:
        assert (a + b).amount == a.amount + b.amount
        assert (a - b) + b == a
    else:
        for operation in (a.__add__, a.__sub__, a.__lt__, a.__ge__):
            with pytest.raises(MoneyError, match="cannot combine"):
                operation(b)


@settings(deadline=None)
@given(money())
def test_minor_units_are_exact(value: Money) -> None:
    assert Money.from_minor(value.minor, value.currency) == value
    assert value.amount.as_tuple().exponent == -minor_units(value.currency)


@settings(deadline=None)
@given(money())
def test_dict_form_round_trips(value: Money) -> None:
    data = to_dict(value)
    assert isinstance(data["amount"], str)
    assert from_dict(Money, data) == value


def test_too_many_decimals_is_refused_unless_rounded_on_purpose() -> None:
    with pytest.raises(MoneyError, match="more decimals than JPY"):
        Money("10.5", "JPY")
    assert Money.rounded("10.5", "JPY") == Money(10, "JPY")
    assert Money.rounded("0.125", "EUR").amount == Decimal("0.12")  # banker's rounding
    assert Money("1.5", "KWD").amount == Decimal("1.500")


@pytest.mark.parametrize("bad", ["RUR", "eur", "XAU", ""])
def test_unknown_currency_is_refused(bad: str) -> None:
    with pytest.raises(MoneyError, match="unknown ISO 4217"):
        Money("1", bad)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", "1,5", "abc"])
def test_non_numbers_are_refused(bad: str) -> None:
    with pytest.raises(MoneyError):
        Money(bad, "EUR")


def test_multiplication_takes_exact_factors_only() -> None:
    price = Money("19.99", "EUR")
    assert price * 3 == Money("59.97", "EUR")
    assert price * Decimal("0.5") == Money("10.00", "EUR")  # 9.995 rounds half-even
    with pytest.raises(TypeError):
        price * 0.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        price + Decimal(1)  # type: ignore[operator]
