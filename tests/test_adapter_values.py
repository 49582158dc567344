"""Value parsers shared by adapters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.adapters.values import (
    ValueParseError,
    is_null,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_sap_date,
    strip_leading_zeros,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234\u00a0567,5", "1234567.5"),
        ("1\u202f234,00", "1234.00"),
        ("1'234.56", "1234.56"),
        ("1.234.567", "1234567"),
        ("1,234,567.89", "1234567.89"),
        ("1.234,56-", "-1234.56"),
        ("500-", "-500"),
        ("-0,5", "-0.5"),
        ("+12", "12"),
        ("  42  ", "42"),
        (".5", "0.5"),
        ("1.0983E11", "109830000000"),
        ("1,5e-2", "0.015"),
        ("0000012345", "12345"),
    ],
)
def test_decimal_forms(text: str, expected: str) -> None:
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-",
        "--1",
        "1-2",
        "abc",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "1,2,3",
        "1.23.4",
        "1 23",
        "1.234,5.6",
        "12e",
        "1e5e5",
        "€5",
        "1,,5",
        "0x10",
    ],
)
def test_decimal_refusals(text: str) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_decimal(text)
    assert "number" in str(info.value)


def test_decimal_separator_hint() -> None:
    assert parse_decimal("1.234", decimal_sep=",") == Decimal(1234)
    assert parse_decimal("1,234", decimal_sep=".") == Decimal(1234)
    assert parse_decimal("1,5", decimal_sep=",") == Decimal("1.5")
    assert parse_decimal("1.234") == Decimal("1.234")  # no hint: the one mark is the point
    with pytest.raises(ValueParseError):
        parse_decimal("1,5", decimal_sep=".")  # "1,5" cannot be grouping
    with pytest.raises(ValueParseError):
        parse_decimal("1.234,56", decimal_sep=".")


@settings(deadline=None)
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12
    )
)
def test_decimal_reads_its_own_renderings(value: Decimal) -> None:
    plain = f"{value:f}"
    german = f"{abs(value):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    sap = german + ("-" if value < 0 else "")
    assert parse_decimal(plain) == value
    assert parse_decimal(sap) == value
    assert parse_decimal(f"{value:,.2f}") == value


@settings(deadline=None)
@given(st.text())
def test_decimal_never_raises_anything_else(text: str) -> None:
    try:
        result = parse_decimal(text)
    except ValueParseError:
        return
    assert result.is_finite()


def test_sap_dates() -> None:
    assert parse_sap_date("20240229") == date(2024, 2, 29)
    assert parse_sap_date("00000000") is None
    assert parse_sap_date("  ") is None
    assert parse_sap_date(None) is None
    for bad in ("20230229", "2024-02-29", "2024022", "abcdefgh"):
        with pytest.raises(ValueParseError, match="date"):
            parse_sap_date(bad)


def test_dates_with_explicit_formats() -> None:
    assert parse_date("2024-03-04") == date(2024, 3, 4)
    assert parse_date("04.03.2024", ["%Y-%m-%d", "%d.%m.%Y"]) == date(2024, 3, 4)
    assert parse_date("03/04/2024", ["%m/%d/%Y"]) == date(2024, 3, 4)
    with pytest.raises(ValueParseError, match=r"%d\.%m\.%Y"):
        parse_date("2024/03/04", ["%d.%m.%Y"])
    with pytest.raises(ValueError):
        parse_date("2024-03-04", [])


@pytest.mark.parametrize("text", ["TRUE", "true", "X", "x", "1", "yes", " Y ", "да"])
def test_true_flags(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["FALSE", "false", "0", "no", "N", "нет"])
def test_false_flags(text: str) -> None:
    assert parse_bool(text) is False


def test_flag_blank_and_junk() -> None:
    assert parse_bool(" ", blank=False) is False
    with pytest.raises(ValueParseError, match="empty"):
        parse_bool("")
    with pytest.raises(ValueParseError, match="maybe"):
        parse_bool("maybe")


def test_nulls() -> None:
    for text in (None, "", " ", "#N/A", "NULL", " null "):
        assert is_null(text)
    assert not is_null("0")
    assert is_null("-", nulls={"-"})
    assert not is_null("NULL", nulls=())


def test_leading_zeros() -> None:
    assert strip_leading_zeros("0000012345") == "12345"
    assert strip_leading_zeros("0000") == "0"
    assert strip_leading_zeros("00A1") == "00A1"
    assert strip_leading_zeros(" 0042 ") == "42"
