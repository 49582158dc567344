"""Each file's day/month order is inferred from its own unambiguous dates, never guessed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from handoff_rules_crm import CrmOptions, SalesforceCsvAdapter, SalesforceTreeAdapter
from handoff_rules_crm.cells import (
    DateOrder,
    RecordError,
    infer_date_order,
    numeric_date,
    read_date,
    with_inferred_dates,
)
from handoff_rules_crm.options import CURRENCY_VARIABLE, DAY_FIRST, ISO, MONTH_FIRST
from hypothesis import given
from hypothesis import strategies as st

from handoff_rules.adapters import Fact, Reject
from handoff_rules.model import Derived, Opportunity

SHARED = Path("/work/shared/domain/samples/salesforce-demo-org")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("02/23/26", MONTH_FIRST, date(2026, 2, 23)),
        ("02/23/26 08:55 PM", MONTH_FIRST, date(2026, 2, 23)),
        ("3/15/2021 6:49", MONTH_FIRST, date(2021, 3, 15)),
        ("23.02.2026 20:55:01", DAY_FIRST, date(2026, 2, 23)),
        ("02/23/26", DAY_FIRST, None),  # no 23rd month
        ("02/23/26 13:55 PM", MONTH_FIRST, None),  # no 13 PM
        ("02/23/26 08:61", MONTH_FIRST, None),
        ("2024-04-29", MONTH_FIRST, None),  # ISO is not a numeric day/month date
        ("02/23-26", MONTH_FIRST, None),  # mixed separators
        ("01/02/69", MONTH_FIRST, date(1969, 1, 2)),  # two-digit years as %y reads them
        ("01/02/68", MONTH_FIRST, date(2068, 1, 2)),
    ],
)
def test_numeric_date_forms(text: str, order: str, expected: date | None) -> None:
    assert numeric_date(text, order) == expected


def test_iso_datetime_of_data_loader_is_its_utc_date() -> None:
    assert read_date("2024-04-29T10:12:44.000Z", (ISO,)) == date(2024, 4, 29)
    assert read_date("2024-04-29T23:30:00.000-05:00", (ISO,)) == date(2024, 4, 30)


def test_a_date_that_reads_the_same_either_way_needs_no_order() -> None:
    assert read_date("05/05/24", (ISO,)) == date(2024, 5, 5)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["02/03/24", "02/23/26 08:55 PM"], DateOrder(MONTH_FIRST, "02/23/26 08:55 PM")),
        (["02/03/24", "23/02/26"], DateOrder(DAY_FIRST, "23/02/26")),
        (["02/03/24", "2024-01-01", "Qualification", ""], DateOrder(None)),
        (["02/23/26", "23/02/26"], DateOrder(None, conflict=("02/23/26", "23/02/26"))),
    ],
)
def test_infer_date_order(values: list[str], expected: DateOrder) -> None:
    assert infer_date_order(values) == expected


def test_configured_formats_are_never_second_guessed() -> None:
    configured = CrmOptions(date_formats=("%d/%m/%y",))
    assert with_inferred_dates(configured, ["02/23/26"]) is configured
    inferred = with_inferred_dates(CrmOptions(), ["02/23/26"])
    assert inferred.date_formats == (ISO, MONTH_FIRST)
    assert read_date("02/03/24", inferred.date_formats) == date(2024, 2, 3)


@given(
    st.dates(min_value=date(1970, 1, 1), max_value=date(2068, 12, 31)),
    st.lists(st.dates(min_value=date(1970, 1, 1), max_value=date(2068, 12, 31)), max_size=20),
    st.sampled_from([MONTH_FIRST, DAY_FIRST]),
)
def test_any_one_proving_date_decides_and_every_date_then_reads_back(
    proving: date, others: list[date], order: str
) -> None:
    """Written in one order, a file's dates read back as written once one proves the order."""

    def write(value: date) -> str:
        first, second = (
            (value.month, value.day) if order == MONTH_FIRST else (value.day, value.month)
        )
        return f"{first:02d}/{second:02d}/{value.year % 100:02d}"

    if proving.day <= 12:
        proving = proving.replace(day=13)
    texts = [write(d) for d in (*others, proving)]
    found = infer_date_order(texts)
    assert found.order == order
    formats = with_inferred_dates(CrmOptions(), texts).date_formats
    assert [read_date(t, formats) for t in texts] == [*others, proving]


def test_ambiguous_value_names_the_setting_when_the_file_proves_nothing() -> None:
    with pytest.raises(RecordError) as info:
        read_date("02/03/24", (ISO,))
    message = str(info.value)
    assert "could be 2024-02-03 (month first) or 2024-03-02 (day first)" in message
    assert 'set date_formats = ["month-first"] or ["day-first"] under [crm]' in message
    assert "handoff-rules-crm.toml" in message


@pytest.mark.parametrize("folder", ["test data", "shared sample"])
def test_demo_org_opportunities_need_no_date_setting(
    demo_org: Path, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = (demo_org if folder == "test data" else SHARED) / "Opportunity.csv"
    if not path.is_file():
        pytest.skip("the shared samples are not on this machine")
    monkeypatch.setenv(CURRENCY_VARIABLE, "USD")  # the one setting; no date setting
    items = list(SalesforceCsvAdapter().read(path))
    assert [i for i in items if isinstance(i, Reject)] == []
    opportunities = [
        i.data for i in items if isinstance(i, Fact) and isinstance(i.data, Opportunity)
    ]
    assert len(opportunities) == 36
    assert {o.close_date for o in opportunities} >= {date(2024, 2, 3)}


@pytest.mark.parametrize("folder", ["test data", "shared sample"])
def test_demo_org_leads_and_history_read_with_inferred_dates(
    demo_org: Path, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = demo_org if folder == "test data" else SHARED
    if not base.is_dir():
        pytest.skip("the shared samples are not on this machine")
    monkeypatch.setenv(CURRENCY_VARIABLE, "USD")
    history = list(SalesforceCsvAdapter().read(base / "OpportunityHistory.csv"))
    assert [i for i in history if isinstance(i, Reject)] == []
    first = history[0]
    assert isinstance(first, Fact)
    assert isinstance(first.data, Derived)
    assert first.data.get("close_date") == date(2021, 1, 27)  # 01/27/21
    leads = list(SalesforceCsvAdapter().read(base / "Lead.csv"))
    assert [i for i in leads if isinstance(i, Reject)] == []
    assert len(leads) == 22


def test_a_file_proving_both_orders_rejects_its_ambiguous_dates(tmp_path: Path) -> None:
    path = tmp_path / "Opportunity.csv"
    path.write_text(
        "Id,StageName,CloseDate,CreatedDate\n"
        "006A,Prospecting,02/03/24,02/23/26\n"
        "006B,Prospecting,02/03/24,23/02/26\n",
        encoding="utf-8",
    )
    items = list(SalesforceCsvAdapter().read(path))
    assert [type(i) for i in items] == [Reject, Reject]
    assert all("CloseDate" in i.reason for i in items if isinstance(i, Reject))


def test_tree_files_infer_the_order_too(tmp_path: Path) -> None:
    records = [
        {
            "attributes": {"type": "Opportunity", "referenceId": f"OpportunityRef{n}"},
            "Name": f"deal {n}",
            "StageName": "Prospecting",
            "CloseDate": close,
        }
        for n, close in ((1, "02/03/24"), (2, "3/15/2024 6:49"))
    ]
    path = tmp_path / "Opportunities.json"
    path.write_text(json.dumps({"records": records}, indent=2), encoding="utf-8")
    items = list(SalesforceTreeAdapter().read(path))
    closes = [i.data.close_date for i in items if isinstance(i, Fact)]  # type: ignore[union-attr]
    assert closes == [date(2024, 2, 3), date(2024, 3, 15)]
