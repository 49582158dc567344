"""The readers' fast paths give what the plain ones give.

Rows and IDoc items become facts through trusted constructors, a location
compiled per file and remembered values (see ``bench/sap_readers.py``). Each
shortcut must build exactly what the public constructors, ``str.format`` and a
fresh parse build, for odd values as much as for the usual ones.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from handoff_rules_sap import SapIdocAdapter, SapTableAdapter
from handoff_rules_sap import fields as sap_fields
from handoff_rules_sap.fields import FieldProblem, number, sap_date
from handoff_rules_sap.table_adapter import _location_of
from handoff_rules_sap.tables import TABLES, RowValues
from hypothesis import given
from hypothesis import strategies as st

from handoff_rules.adapters import Fact, Provenance, Reject
from handoff_rules.adapters.values import ValueParseError, parse_decimal

_AMOUNTS = (
    "1.234,567",
    "1,5",
    "12,50",
    "-5,00-",
    "5,00-",
    "1E5",
    " 12,50 ",
    "123456789012345,00",
    "12345678901234,00",
    "0,00",
    "-0,00",
    "0,001",
    "12.50",
    "1,2,3",
    "abc",
    "",
)
_CURRENCIES = ("EUR", "JPY", "XXX", "", "KWD", " eur")
_QUANTITIES = ("2,000", "abc", "", "1.0E3", "-1", "12345678901234567", "3")


def _quirky_vbap(path: Path) -> Path:
    rows = ["VBELN;POSNR;MATNR;ARKTX;KWMENG;VRKME;NETWR;WAERK;PSTYV;ERDAT"]
    count = 0
    for amount in _AMOUNTS:
        for currency in _CURRENCIES:
            count += 1
            material = "" if count % 5 == 0 else f"MAT{count}"
            quantity = _QUANTITIES[count % len(_QUANTITIES)]
            rows.append(
                f"{count:010d};{count % 7 * 10:06d};{material};Text {{0}} {count};{quantity};ST;"
                f"{amount};{currency};TAN;20240101"
            )
    rows.append('0000000099;000030;X;"two\nlines";1;ST;1,00;EUR;TAN;20240101')
    rows.append("0000000099 ; 000040 ;X; Y ; 1,000 ;ST; 1,00 ; EUR ;TAN;20240101")
    target = path / "VBAP.csv"
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target


def _item(position: str, quantity: str, price: str, inner: str = "") -> str:
    return (
        f"<E1EDP01 SEGMENT='1'><POSEX>{position}</POSEX><MENGE>{quantity}</MENGE>"
        f"<MENEE>PCE</MENEE><NETWR>7.50</NETWR><VPREI>{price}</VPREI><PEINH>1</PEINH>"
        f"{inner}</E1EDP01>"
    )


def _quirky_orders(path: Path) -> Path:
    items = "".join(
        (
            _item(
                "000010",
                "2.000",
                "12.50",
                "<E1EDP19 SEGMENT='1'><QUALF>001</QUALF><IDTNR>C1</IDTNR><KTEXT>t</KTEXT></E1EDP19>"
                "<E1EDP20 SEGMENT='1'><EDATU>20240310</EDATU></E1EDP20>"
                "<E1EDP20 SEGMENT='1'><EDATU>20240305</EDATU></E1EDP20>"
                "<E1EDPA1 SEGMENT='1'><PARVW>WE</PARVW><PARTN>0000000777</PARTN></E1EDPA1>",
            ),
            _item("000020", "abc", "x1"),
            _item("000030", "1", "12.555"),
            _item("000050", "1", "", "<Z1FOO SEGMENT='1'><A>1</A></Z1FOO>"),
            _item("000060", "1", "1", "<E1EDP20 SEGMENT='1'><EDATU>20241399</EDATU></E1EDP20>"),
        )
    )
    idoc = (
        "<IDOC BEGIN='1'><EDI_DC40 SEGMENT='1'><DOCNUM>0000000000000042</DOCNUM>"
        "<IDOCTYP>ORDERS05</IDOCTYP><MESTYP>ORDERS</MESTYP><CREDAT>20240301</CREDAT></EDI_DC40>"
        "<E1EDK01 SEGMENT='1'><CURCY>EUR</CURCY><BELNR>0000000042</BELNR></E1EDK01>"
        "<E1EDK18 SEGMENT='1'><QUALF>001</QUALF><TAGE>30</TAGE></E1EDK18>"
        "<E1EDKA1 SEGMENT='1'><PARVW>AG</PARVW><PARTN>0000004711</PARTN></E1EDKA1>"
        f"{items}<E1EDS01 SEGMENT='1'><SUMID>002</SUMID><SUMME>100.00</SUMME></E1EDS01></IDOC>"
    )
    target = path / "orders.xml"
    target.write_text(f"<ZORDERS05>{idoc}</ZORDERS05>", encoding="utf-8")
    return target


def _assert_public_constructors_agree(items: list[Fact | Reject]) -> None:
    """Every fact is one the public constructors build equal from its own values."""
    facts = [item for item in items if isinstance(item, Fact)]
    assert facts
    for fact in facts:
        assert attrs.evolve(fact.data) == fact.data  # runs converters, validators, post-init
        if fact.data.fact_type == "order_line" and fact.data.net_value is not None:
            money = fact.data.net_value
            assert attrs.evolve(money) == money
            assert str(attrs.evolve(money).amount) == str(money.amount)
        assert Provenance(**attrs.asdict(fact.provenance)) == fact.provenance
        assert Fact(fact.data, fact.provenance, part=fact.part) == fact


def test_rows_with_odd_values_give_facts_the_public_constructors_agree_with(
    tmp_path: Path,
) -> None:
    items = list(SapTableAdapter().read(_quirky_vbap(tmp_path)))
    assert any(isinstance(item, Reject) for item in items)
    _assert_public_constructors_agree(items)
    located = {item.provenance.location for item in items if isinstance(item, Fact)}
    assert "lines 98-99 (VBAP VBELN 0000000099 POSNR 000030)" in located


def test_idoc_items_with_odd_values_give_facts_the_public_constructors_agree_with(
    tmp_path: Path,
) -> None:
    items = list(SapIdocAdapter().read(_quirky_orders(tmp_path)))
    assert sum(isinstance(item, Reject) for item in items) == 3
    _assert_public_constructors_agree(items)


@pytest.mark.parametrize("table", sorted(TABLES))
@given(
    values=st.lists(st.text(max_size=12), min_size=3, max_size=3),
    line=st.integers(1, 10**6),
    span=st.integers(0, 3),
)
def test_the_compiled_location_is_the_formatted_one(
    table: str, values: list[str], line: int, span: int
) -> None:
    spec = TABLES[table]
    row = RowValues(zip(spec.key, values, strict=False))
    where = f"line {line}" if span == 0 else f"lines {line}-{line + span}"
    expected = spec.location_format.format(where, *map(row, spec.key))
    assert _location_of(spec)(line, line + span, row) == expected


def test_a_location_format_that_cannot_be_compiled_is_formatted() -> None:
    spec = attrs.evolve(TABLES["VBAP"], name="VB}}AP")
    row = RowValues({"VBELN": "1", "POSNR": "10"})
    assert _location_of(spec)(3, 3, row) == "line 3 (VB}AP VBELN 1 POSNR 10)"


def test_remembered_values_stay_bounded_and_equal_to_fresh_ones() -> None:
    size = sap_fields._MEMO_SIZE
    for index in range(3 * size):
        text = f"{index},{index % 100:02d}"
        assert number(text, "F") == parse_decimal(text)
        assert number(text, "F") == parse_decimal(text)  # the remembered one
        assert len(sap_fields._NUMBERS) <= size
    for index in range(3 * size):
        day = f"{1900 + index % 200}{index % 12 + 1:02d}{index % 28 + 1:02d}"
        assert sap_date(day, "F") == sap_date(f" {day} ", "F")
        assert len(sap_fields._DATES) <= size


@given(st.text(alphabet="0123456789.,- ", max_size=12))
def test_a_remembered_number_is_read_again_as_the_sdk_reads_it(text: str) -> None:
    for _ in range(2):
        try:
            expected: Decimal | str | None = parse_decimal(text)
        except ValueParseError:
            expected = "refused"
        try:
            got: Decimal | str | None = number(text, "F")
        except FieldProblem:
            got = "refused"
        if text.strip() == "":
            assert got is None
        else:
            assert got == expected
