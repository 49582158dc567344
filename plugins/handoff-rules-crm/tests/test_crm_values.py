"""Dates, options and cells: configured, never guessed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_crm import CrmOptions, SalesforceCsvAdapter
from handoff_rules_crm.cells import Cells, RecordError, read_date
from handoff_rules_crm.options import CURRENCY_VARIABLE, ISO, OPTIONS_FILE
from hypothesis import given
from hypothesis import strategies as st

from handoff_rules.adapters import AdapterError, Fact, Reject
from handoff_rules.model import Money, Opportunity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-03", date(2024, 2, 3)),
        ("2020-12-22T21:16:01Z", date(2020, 12, 22)),
        ("2020-12-22T21:16:01.000Z", date(2020, 12, 22)),
        ("2020-12-23T01:30:00+05:00", date(2020, 12, 22)),  # its UTC date
    ],
)
def test_iso_dates_and_datetimes(text: str, expected: date) -> None:
    assert read_date(text, (ISO,)) == expected


def test_a_slash_date_without_a_format_is_refused_with_both_readings() -> None:
    with pytest.raises(RecordError, match=r"2024-02-03 \(month first\) or 2024-03-02"):
        read_date("02/03/24", (ISO,))


def test_a_date_two_formats_read_differently_is_ambiguous() -> None:
    with pytest.raises(RecordError, match="ambiguous date '02/03/24'"):
        read_date("02/03/24", ("%m/%d/%y", "%d/%m/%y"))
    # Where only one of them reads it, there is nothing to choose between.
    assert read_date("02/24/26", ("%m/%d/%y", "%d/%m/%y")) == date(2026, 2, 24)
    # Both formats reading the same date is no ambiguity either.
    assert read_date("03/03/24", ("%m/%d/%y", "%d/%m/%y")) == date(2024, 3, 3)


@given(st.dates(min_value=date(1970, 1, 1), max_value=date(2068, 12, 31)))
def test_month_first_dates_read_back(day: date) -> None:
    assert read_date(day.strftime("%m/%d/%y"), ("%m/%d/%y",)) == day


def test_cells_nulls_numbers_and_flags() -> None:
    cells = Cells(
        {
            "Amount": "1.0983E11",
            "Qty": "#N/A",
            "Flag": "TRUE",
            "Other": "true",
            "Text": "  ",
            "Bad": "12,5.0",
        },
        CrmOptions(default_currency="EUR"),
    )
    assert cells.decimal("amount") == Decimal("109830000000")
    assert cells.decimal("Qty") is None
    assert cells.boolean("Flag") is True
    assert cells.boolean("other") is True
    assert cells.text("Text") == "  "  # whitespace is text, not null
    assert cells.money(("Amount",), ("CurrencyIsoCode",)) == Money("109830000000", "EUR")
    with pytest.raises(RecordError, match="Bad"):
        cells.decimal("Bad")
    with pytest.raises(RecordError, match="expected a yes/no flag"):
        cells.boolean("Amount")


def test_too_many_decimals_for_the_currency_is_a_reason() -> None:
    cells = Cells({"Amount": "10.001", "CurrencyIsoCode": "EUR"}, CrmOptions())
    with pytest.raises(RecordError, match=r"10\.001 has more decimals than EUR has"):
        cells.money(("Amount",), ("CurrencyIsoCode",))


def test_options_file_beside_the_export_configures_the_command_line(
    demo_org: Path, copy_dir: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CURRENCY_VARIABLE, raising=False)
    folder = copy_dir(demo_org)  # type: ignore[operator]
    path = folder / "Opportunity.csv"
    rejects = [i for i in SalesforceCsvAdapter().read(path) if isinstance(i, Reject)]
    assert rejects
    assert all("default_currency" in r.reason for r in rejects)
    (folder / OPTIONS_FILE).write_text('[crm]\ndefault_currency = "USD"\n', encoding="utf-8")
    items = list(SalesforceCsvAdapter().read(path))
    assert all(isinstance(i, Fact) for i in items)
    assert any(isinstance(i.data, Opportunity) and i.data.is_won for i in items)  # type: ignore[union-attr]
    # Explicit options win over the file.
    explicit = SalesforceCsvAdapter(CrmOptions())
    assert any(isinstance(i, Reject) for i in explicit.read(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[crm\n", "cannot read CRM options"),
        ('[crm]\ncolour = "blue"\n', "unknown CRM option"),
        ('[crm]\ndate_formats = "%m/%d/%y"\n', "wrong type"),
        ('[crm]\ndefault_currency = "XXQ"\n', "not an ISO 4217"),
    ],
)
def test_bad_options_file_names_the_file(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / OPTIONS_FILE).write_text(content, encoding="utf-8")
    path = tmp_path / "Opportunity.csv"
    path.write_text("Id,StageName,CloseDate\n1,Prospecting,2024-01-01\n", encoding="utf-8")
    with pytest.raises(AdapterError, match=message) as info:
        list(SalesforceCsvAdapter().read(path))
    assert OPTIONS_FILE in str(info.value)
