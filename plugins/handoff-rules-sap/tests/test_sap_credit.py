"""Credit limits as SAP stores them: KNKK (classic) and UKMBP_CMS_SGM (S/4HANA FSCM).

Neither table carries the limit's currency (it is the credit control area's,
T014-WAERS, or the credit segment's): a currency column joined into the
extract, the adapter's ``area_currencies`` or ``HANDOFF_RULES_SAP_CREDIT_CURRENCY``
supply it, and a row with none is a reject saying so. The last tests run
``handoff-rules check`` to show a KNKK limit deciding ACC-CRD-001.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_sap import SapTableAdapter
from handoff_rules_sap.table_adapter import CREDIT_CURRENCY_VARIABLE, parse_area_currencies

from handoff_rules.adapters import AdapterError, Fact, Reject, Sample
from handoff_rules.cli import main
from handoff_rules.model import CreditLimit, Money


def _read(adapter: SapTableAdapter, path: Path) -> tuple[list[CreditLimit], list[Reject]]:
    items = list(adapter.read(path))
    limits = [i.data for i in items if isinstance(i, Fact)]
    assert all(isinstance(limit, CreditLimit) for limit in limits)
    return limits, [i for i in items if isinstance(i, Reject)]  # type: ignore[misc]


def test_credit_tables_are_recognised_by_name_and_by_columns(sap_data, tmp_path):
    adapter = SapTableAdapter()
    assert adapter.sniff(Sample.of(sap_data / "KNKK.txt")).format == "knkk"
    assert adapter.sniff(Sample.of(sap_data / "UKMBP_CMS_SGM.csv")).format == "ukmbp_cms_sgm"
    unnamed = tmp_path / "export.csv"
    shutil.copy(sap_data / "UKMBP_CMS_SGM.csv", unnamed)
    assert adapter.sniff(Sample.of(unnamed)).format == "ukmbp_cms_sgm"


def test_knkk_limits_per_credit_control_area(sap_data):
    adapter = SapTableAdapter(area_currencies={"1000": "PLN"})
    limits, rejects = _read(adapter, sap_data / "KNKK.txt")
    assert limits == [
        CreditLimit(counterparty_id="4711", limit=Money(Decimal("1000.00"), "PLN"), area="1000"),
        CreditLimit(counterparty_id="9901", limit=Money(Decimal("250000.00"), "PLN"), area="1000"),
    ]
    shared, no_currency = rejects
    assert "credit account of customer 9901" in shared.reason
    assert dict(shared.keys) == {"counterparty": "9902"}
    assert "no currency for the limit of credit area 2000" in no_currency.reason
    assert "HANDOFF_RULES_SAP_CREDIT_CURRENCY" in no_currency.reason
    assert dict(no_currency.keys) == {"counterparty": "4711"}


def test_one_currency_for_every_area_and_a_currency_column_wins(sap_data, tmp_path):
    limits, rejects = _read(SapTableAdapter(area_currencies={"*": "EUR"}), sap_data / "KNKK.txt")
    assert [(limit.area, limit.limit.currency) for limit in limits] == [
        ("1000", "EUR"),
        ("1000", "EUR"),
        ("2000", "EUR"),
    ]
    assert len(rejects) == 1  # the shared credit account
    joined = tmp_path / "KNKK.csv"
    joined.write_text("KUNNR;KKBER;KLIMK;WAERS\n0000004711;1000;1.000,00;CZK\n", encoding="utf-8")
    (limit,), _ = _read(SapTableAdapter(area_currencies={"*": "EUR"}), joined)
    assert limit.limit == Money(Decimal("1000.00"), "CZK")


def test_the_environment_variable_sets_area_currencies(sap_data, monkeypatch):
    monkeypatch.setenv(CREDIT_CURRENCY_VARIABLE, "1000=PLN, 2000=eur")
    limits, _ = _read(SapTableAdapter(), sap_data / "KNKK.txt")
    assert [limit.limit.currency for limit in limits] == ["PLN", "PLN", "EUR"]
    monkeypatch.setenv(CREDIT_CURRENCY_VARIABLE, "1000=PLNX")
    with pytest.raises(AdapterError, match="HANDOFF_RULES_SAP_CREDIT_CURRENCY: '1000=PLNX'"):
        list(SapTableAdapter().read(sap_data / "KNKK.txt"))


def test_parse_area_currencies():
    assert parse_area_currencies("") == {}
    assert parse_area_currencies("EUR") == {"*": "EUR"}
    assert parse_area_currencies("1000=EUR,A2=usd") == {"1000": "EUR", "A2": "USD"}
    with pytest.raises(ValueError, match="not AREA=CURRENCY"):
        parse_area_currencies("=EUR")


def test_fscm_credit_segments_with_validity(sap_data):
    limits, rejects = _read(SapTableAdapter(), sap_data / "UKMBP_CMS_SGM.csv")
    assert limits == [
        CreditLimit(
            counterparty_id="4711",
            limit=Money(Decimal("1000.00"), "PLN"),
            area="1000",
            valid_until=date(2024, 12, 31),
        ),
        CreditLimit(counterparty_id="9901", limit=Money(Decimal("250000.00"), "PLN"), area="1000"),
    ]
    (bad_date,) = rejects
    assert "LIMIT_VALID_DATE" in bad_date.reason
    assert dict(bad_date.keys) == {"counterparty": "4712"}


def _check(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    """``handoff-rules check`` at H2: exit status and ACC-CRD-001's result per order."""
    try:
        main(
            [
                "check",
                str(folder),
                "--at",
                "2024-03-20",
                "--checkpoint",
                "H2",
                "--engine",
                "reference",
                "--format",
                "json",
            ]
        )
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, _err = capsys.readouterr()
    results = {
        decision["case"]: finding["result"]
        for decision in json.loads(out)["decisions"]
        for finding in decision["findings"]
        if finding["rule"] == "ACC-CRD-001"
    }
    return code, results


@pytest.fixture
def exports(sap_data: Path, tmp_path: Path) -> Path:
    """Order 12345 of customer 4711 (1,500.00 PLN) and its open credit of -265.44 PLN.

    VBAK.csv's row with the impossible date 2024-02-30 is left out: a rejected order
    of the customer could add to its exposure, so with it the rule cannot decide.
    """
    lines = (sap_data / "VBAK.csv").read_bytes().splitlines(keepends=True)
    (tmp_path / "VBAK.csv").write_bytes(b"".join(x for x in lines if b"20240230" not in x))
    shutil.copy(sap_data / "BSID.csv", tmp_path / "BSID.csv")
    return tmp_path


def test_a_knkk_limit_below_the_exposure_blocks_at_credit_release(
    exports, sap_data, monkeypatch, capsys
):
    shutil.copy(sap_data / "KNKK.txt", exports / "KNKK.txt")
    monkeypatch.setenv(CREDIT_CURRENCY_VARIABLE, "1000=PLN,2000=PLN")
    code, results = _check(exports, capsys)
    # exposure 1,500.00 - 265.44 = 1,234.56 PLN; the lowest limit of 4711 is 1,000.00 PLN
    assert results["12345"] == "fail"
    assert code == 1


def test_a_knkk_limit_above_the_exposure_lets_it_pass(exports, monkeypatch, capsys):
    (exports / "KNKK.txt").write_text(
        "KUNNR\tKKBER\tKLIMK\n0000004711\t1000\t1.234,56\n", encoding="utf-8"
    )
    monkeypatch.setenv(CREDIT_CURRENCY_VARIABLE, "PLN")
    _code, results = _check(exports, capsys)
    assert results["12345"] == "pass"  # exactly at the limit is within it


def test_without_a_limit_the_rule_is_undecided_never_passed(exports, capsys):
    code, results = _check(exports, capsys)
    assert results["12345"] == "indeterminate"
    assert code == 1
