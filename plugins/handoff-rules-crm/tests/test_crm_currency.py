"""A single-currency org reads with one setting, and 8-decimal storage noise loses no deal."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from handoff_rules_crm import CrmOptions, SalesforceCsvAdapter, SalesforceTreeAdapter
from handoff_rules_crm.cells import NOISE_FRACTION, Cells, RecordError
from handoff_rules_crm.options import CURRENCY_VARIABLE, OPTIONS_FILE
from hypothesis import given
from hypothesis import strategies as st

from handoff_rules.adapters import AdapterError, Fact, Reject
from handoff_rules.cli import cli
from handoff_rules.model import Derived, Money, Opportunity

SHARED = Path("/work/shared/domain/samples")


@pytest.fixture
def single(data_dir: Path) -> Path:
    """The hand-written single-currency org (see its README)."""
    return data_dir / "sf-single-currency"


def _facts(items: list[Fact | Reject]) -> list[Fact]:
    return [i for i in items if isinstance(i, Fact)]


def _rejects(items: list[Fact | Reject]) -> list[Reject]:
    return [i for i in items if isinstance(i, Reject)]


def _shared_or_copy(demo_org: Path, name: str) -> list[Path]:
    """The file in the test data and, when the machine has it, the shared sample it copies."""
    paths = [demo_org / name]
    shared = SHARED / demo_org.name / name
    if shared.is_file():
        paths.append(shared)
    return paths


# -- the one setting ------------------------------------------------------------------------


def test_no_currency_reject_names_the_setting_in_command_line_terms(single: Path) -> None:
    items = list(SalesforceCsvAdapter().read(single / "Opportunity.csv"))
    rejects = _rejects(items)
    assert len(rejects) == 4  # every opportunity has an amount
    reason = rejects[0].reason
    assert reason.startswith("Amount 32395.00000002 has no currency")
    assert "the export has no CurrencyIsoCode column" in reason
    assert "default_currency" in reason
    assert "[crm]" in reason
    assert OPTIONS_FILE in reason
    assert CURRENCY_VARIABLE in reason
    assert "Money" not in reason
    assert "()" not in reason


def test_an_empty_currency_cell_is_named_as_such() -> None:
    cells = Cells({"Amount": "10", "CurrencyIsoCode": ""}, CrmOptions())
    with pytest.raises(RecordError, match="its CurrencyIsoCode is empty"):
        cells.money(("Amount",), ("CurrencyIsoCode",))


@pytest.mark.parametrize("name", ["Opportunity.csv", "OpportunityHistory.csv"])
def test_demo_org_reads_with_the_environment_variable_alone(
    demo_org: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in _shared_or_copy(demo_org, name):
        assert _rejects(list(SalesforceCsvAdapter().read(path)))  # no currency: rejects
        monkeypatch.setenv(CURRENCY_VARIABLE, "USD")
        items = list(SalesforceCsvAdapter().read(path))
        monkeypatch.delenv(CURRENCY_VARIABLE)
        assert _rejects(items) == []
        with path.open(encoding="utf-8", newline="") as stream:
            ids = {row["Id"] for row in csv.DictReader(stream)}
        main = {
            f.data.id if isinstance(f.data, Opportunity) else f.data.subject  # type: ignore[union-attr]
            for f in _facts(items)
            if isinstance(f.data, Opportunity)
            or (isinstance(f.data, Derived) and f.data.name == "opportunity_stage_change")
        }
        assert main == ids


@pytest.mark.parametrize("name", ["Opportunities.csv", "Opportunities.json"])
def test_apex_recipes_opportunities_read_with_the_variable(
    apex_recipes: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = SalesforceTreeAdapter() if name.endswith(".json") else SalesforceCsvAdapter()
    for path in _shared_or_copy(apex_recipes, name):
        assert len(_rejects(list(adapter.read(path)))) == 50
        monkeypatch.setenv(CURRENCY_VARIABLE, "usd")
        items = list(adapter.read(path))
        monkeypatch.delenv(CURRENCY_VARIABLE)
        opportunities = [f.data for f in _facts(items) if isinstance(f.data, Opportunity)]
        assert _rejects(items) == []
        assert len(opportunities) == 50
        assert all(o.amount is not None and o.amount.currency == "USD" for o in opportunities)


def test_options_file_setting_wins_over_the_variable(
    single: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "org"
    shutil.copytree(single, folder)
    (folder / OPTIONS_FILE).write_text('[crm]\ndefault_currency = "EUR"\n', encoding="utf-8")
    monkeypatch.setenv(CURRENCY_VARIABLE, "USD")
    items = list(SalesforceCsvAdapter().read(folder / "Opportunity.csv"))
    amounts = {f.data.amount for f in _facts(items) if isinstance(f.data, Opportunity)}
    assert Money("32395.00", "EUR") in amounts


def test_a_bad_variable_is_an_error_naming_it(
    single: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CURRENCY_VARIABLE, "dollars")
    with pytest.raises(AdapterError, match=f"{CURRENCY_VARIABLE}='dollars' is not an ISO 4217"):
        list(SalesforceCsvAdapter().read(single / "Opportunity.csv"))


def test_read_command_names_the_setting_and_reads_with_it(
    single: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    path = str(single / "Opportunity.csv")
    before = runner.invoke(cli, ["read", path, "--format", "jsonl"])
    assert '"rejects": 4' in before.output
    assert CURRENCY_VARIABLE in before.output
    monkeypatch.setenv(CURRENCY_VARIABLE, "USD")
    after = runner.invoke(cli, ["read", path, "--format", "jsonl"])
    assert '"rejects": 1' in after.output  # only the real half cent is left


# -- 8-decimal amounts --------------------------------------------------------------------


def test_storage_noise_is_rounded_and_the_written_amount_kept(
    single: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CURRENCY_VARIABLE, "USD")
    items = list(SalesforceCsvAdapter().read(single / "Opportunity.csv"))
    won = {f.data.id: f for f in _facts(items) if isinstance(f.data, Opportunity)}
    pumps = won["006A0000001OppAA1"]
    assert isinstance(pumps.data, Opportunity)
    assert pumps.data.amount == Money("32395.00", "USD")
    assert pumps.provenance.location == "line 2 (Amount 32395.00000002 rounded to 32395.00)"
    assert pumps.provenance.line == 2
    (reject,) = _rejects(items)
    assert reject.provenance.line == 5
    assert reject.reason.startswith("Amount 100.005 has more decimals than USD has (2)")
    assert "0.000001" in reject.reason


def test_unit_prices_keep_every_decimal(single: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURRENCY_VARIABLE, "USD")
    lines = [
        f.data
        for f in _facts(list(SalesforceCsvAdapter().read(single / "OpportunityLineItem.csv")))
        if isinstance(f.data, Derived)
    ]
    valves = next(d for d in lines if d.subject == "00kA0000001LinAA1")
    assert valves.get("unit_price") == Decimal("266.66666667")
    assert valves.get("list_price") == Decimal("266.66666667")
    assert valves.get("total_price") == Decimal("800.00")  # money: noise rounded away
    assert valves.get("currency") == "USD"
    entries = list(SalesforceCsvAdapter().read(single / "PricebookEntry.csv"))
    assert _rejects(entries) == []
    prices = {f.data.subject: f.data.get("unit_price") for f in _facts(entries)}  # type: ignore[union-attr]
    assert prices["01uA0000001PbeAA1"] == Decimal("266.66666667")


def test_cpq_net_prices_keep_every_decimal(tmp_path: Path) -> None:
    path = tmp_path / "SBQQ__QuoteLine__c.csv"
    path.write_text(
        "Id,SBQQ__Quote__c,SBQQ__Quantity__c,SBQQ__NetPrice__c\na0X1,a0Q1,3,266.66666667\n",
        encoding="utf-8",
    )
    (line,) = _facts(list(SalesforceCsvAdapter(CrmOptions(default_currency="EUR")).read(path)))
    assert isinstance(line.data, Derived)
    assert line.data.get("unit_price") == Decimal("266.66666667")


def test_a_price_without_a_currency_is_rejected_like_an_amount(single: Path) -> None:
    (reject, _second) = _rejects(list(SalesforceCsvAdapter().read(single / "PricebookEntry.csv")))
    assert reject.reason.startswith("UnitPrice 266.66666667 has no currency")


_CENTS = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2)


@given(_CENTS, st.integers(min_value=-99, max_value=99))
def test_residue_below_the_threshold_rounds_to_the_cent(cents: Decimal, noise: int) -> None:
    """Up to 99 units of the 8th decimal (< 0.000001 USD) are storage noise."""
    written = cents + Decimal(noise).scaleb(-8)
    cells = Cells({"Amount": str(written)}, CrmOptions(default_currency="USD"), notes=[])
    assert cells.money(("Amount",), ("CurrencyIsoCode",)) == Money(cents, "USD")
    assert cells.notes == ([] if noise == 0 else [f"Amount {written} rounded to {cents}"])


@given(_CENTS, st.integers(min_value=100, max_value=499_999), st.sampled_from([1, -1]))
def test_residue_at_or_above_the_threshold_is_rejected(
    cents: Decimal, noise: int, sign: int
) -> None:
    written = cents + sign * Decimal(noise).scaleb(-8)
    cells = Cells({"Amount": str(written)}, CrmOptions(default_currency="USD"), notes=[])
    with pytest.raises(RecordError, match=f"Amount {written} has more decimals than USD"):
        cells.money(("Amount",), ("CurrencyIsoCode",))


def test_without_notes_nothing_is_rounded() -> None:
    """An adapter that keeps no notes could not keep the written amount: it is rejected."""
    cells = Cells({"Amount": "32395.00000002"}, CrmOptions(default_currency="USD"))
    with pytest.raises(RecordError, match=r"32395\.00000002 has more decimals than USD"):
        cells.money(("Amount",), ("CurrencyIsoCode",))


def test_the_threshold_follows_the_minor_unit() -> None:
    yen = Cells({"Amount": "1500.00002"}, CrmOptions(default_currency="JPY"), notes=[])
    # 0.00002 is below 0.0001 yen
    assert yen.money(("Amount",), ("CurrencyIsoCode",)) == Money("1500", "JPY")
    assert Decimal("0.0001") == NOISE_FRACTION
    dinar = Cells({"Amount": "1.0000002"}, CrmOptions(default_currency="KWD"), notes=[])
    with pytest.raises(RecordError, match="more decimals than KWD has"):
        dinar.money(("Amount",), ("CurrencyIsoCode",))  # 0.0000002 is not below 0.0000001
