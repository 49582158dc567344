"""Computed ids flatten like id fields; decimals print in plain notation in messages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff_rules.engine.evaluate import _show
from handoff_rules.engine.flatten import (
    FieldKind,
    FlatField,
    FlatValue,
    field_schema,
    flatten_fact,
    flatten_value,
)
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import ContractTemplate, Derived, OpportunityLink, OrderLine

HERE = Provenance("test", "t.yaml", "line 1", line=1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            OpportunityLink(opportunity_id="OPP-1", order_id="4711", via="customer_po"),
            "OPP-1->4711",
        ),
        (OrderLine(order_id="4711", line_no="2"), "4711/2"),
        (ContractTemplate("T1", "3", date(2024, 1, 1)), "T1@3"),
    ],
)
def test_a_computed_id_flattens_like_an_id_field(data: object, expected: str) -> None:
    row = flatten_fact(Fact(data, HERE))  # type: ignore[arg-type]
    assert row["id_"] == expected
    schema = field_schema(type(data).fact_type)  # type: ignore[attr-defined]
    assert schema is not None
    assert schema["id"] == FlatField("id", FieldKind.TEXT, "id_")


def test_a_derived_fact_keeps_its_subject_as_its_id() -> None:
    # Findings about derived facts name their subject (a delivery id), which exception
    # scopes match; the computed "name:subject" id must not replace it.
    row = flatten_fact(Fact(Derived(name="goods_release", subject="D1"), HERE))
    assert row["subject"] == "D1"
    assert "id_" not in row


def _shown(value: Decimal) -> str:
    flat = flatten_value(value)
    assert flat is not None
    return _show(FlatField("pct", FieldKind.DECIMAL, "pct"), {"t": "x", "pct": flat})


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("10", "10"),
        ("10.0000", "10"),
        ("100", "100"),
        ("4400.00", "4400"),
        ("12.5", "12.5"),
        ("-10.10", "-10.1"),
        ("0.0001", "0.0001"),
        ("0", "0"),
    ],
)
def test_decimals_print_in_plain_notation(value: str, shown: str) -> None:
    assert _shown(Decimal(value)) == shown


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False))
def test_a_shown_decimal_reads_back_as_the_same_number(value: Decimal) -> None:
    text = _shown(value)
    assert "E" not in text.upper()
    assert Decimal(text) == value
    assert not text.endswith(".")
    assert "." not in text or not text.endswith("0")


def test_other_kinds_are_shown_as_before() -> None:
    row: dict[str, FlatValue] = {"t": "x", "d": date(2024, 5, 3).toordinal(), "b": 1, "n": 10}
    assert _show(FlatField("d", FieldKind.DATE, "d"), row) == "2024-05-03"
    assert _show(FlatField("b", FieldKind.BOOL, "b"), row) == "yes"
    assert _show(FlatField("n", FieldKind.INT, "n"), row) == "10"
    assert _show(FlatField("m", FieldKind.DECIMAL, "m"), row) == "(missing)"
