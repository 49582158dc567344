"""SAP value conventions: the fast paths agree with the SDK parsers they shortcut."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from handoff_rules_sap.fields import FieldProblem, money, number, optional_id, sap_date, sap_id
from handoff_rules_sap.idoc_facts import company_ids
from hypothesis import given
from hypothesis import strategies as st

from handoff_rules.adapters.values import ValueParseError, is_null, parse_decimal


def _sap_text(value: Decimal, comma: bool, grouped: bool, trailing: bool) -> str:
    magnitude = f"{abs(value):.2f}"
    whole, fraction = magnitude.split(".")
    if grouped:
        whole = f"{int(whole):,}".replace(",", "." if comma else ",")
    body = f"{whole}{',' if comma else '.'}{fraction}"
    if value < 0:
        return body + "-" if trailing else "-" + body
    return body


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_number_reads_every_sap_spelling_like_the_sdk(value, comma, grouped, trailing):
    text = _sap_text(value, comma, grouped, trailing)
    assert number(text, "F") == parse_decimal(text) == value


@given(st.text(alphabet="0123456789.,- ", max_size=12))
def test_number_accepts_and_refuses_exactly_what_the_sdk_does(text):
    try:
        expected: Decimal | None = parse_decimal(text) if text.strip() else None
    except ValueParseError:
        with pytest.raises(FieldProblem):
            number(text, "F")
        return
    assert number(text, "F") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240311", date(2024, 3, 11)),
        ("11.03.2024", date(2024, 3, 11)),
        ("2024-03-11", date(2024, 3, 11)),
        ("00000000", None),
        ("00.00.0000", None),
        (" ", None),
    ],
)
def test_sap_dates(text, expected):
    assert sap_date(text, "DATUM") == expected


def test_bad_date_names_the_field():
    with pytest.raises(FieldProblem, match="ERDAT"):
        sap_date("20241301", "ERDAT")


def test_ids_lose_leading_zeros_only_when_numeric():
    assert sap_id("0000012345") == "12345"
    assert sap_id("00A1") == "00A1"
    assert sap_id("000000") == "0"


@given(st.text(alphabet="0A \t#/NUL\u0663", max_size=8))
def test_optional_id_is_sap_id_unless_null(text):
    assert optional_id(text) == (None if is_null(text) else sap_id(text))


def test_money_needs_a_currency_unless_zero():
    assert money(Decimal("0.00"), " ", "NETWR") is None
    with pytest.raises(FieldProblem, match="no currency"):
        money(Decimal("1.00"), "", "NETWR")
    with pytest.raises(FieldProblem, match="NETWR"):
        money(Decimal("1.001"), "EUR", "NETWR")


def test_company_ids_take_the_first_value_that_passes_the_checksum():
    (ident,) = company_ids("RU", "7707083894", "7707083893")
    assert (ident.scheme, ident.value, ident.is_valid) == ("RU-INN", "7707083893", True)
    (kept,) = company_ids("RU", "7707083894")
    assert not kept.is_valid


def test_a_french_siret_also_gives_its_siren():
    siret, siren = company_ids("FR", "73282932000074")
    assert (siret.scheme, siren.scheme, siren.value) == ("FR-SIRET", "FR-SIREN", "732829320")
    assert siret.is_valid
    assert siren.is_valid


def test_no_company_id_for_countries_without_a_scheme():
    assert company_ids("DE", "DE123456789") == ()
