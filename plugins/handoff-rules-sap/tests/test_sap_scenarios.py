"""SAP table extracts reaching the default pack's rules through ``check``, on both engines.

- a VBAK contract with its VEDA validity decides LEG-CTR-001 (contract in force);
- KNKK and UKMBP_CMS_SGM credit limits decide ACC-CRD-001 (credit exposure);
- VBPA's partners reach the rules: the ship-to (WE) fills SUP-DOC-001, and a
  payment posted to the payer (RG), who is not the sold-to, reaches the order's
  ACC-PAY-001.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from handoff_rules_sap.table_adapter import CREDIT_CURRENCY_VARIABLE

from handoff_rules import check
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.pipeline import RunResult

ENGINES = [
    "reference",
    pytest.param(
        "durable",
        marks=pytest.mark.skipif(durable_available() is not None, reason=str(durable_available())),
    ),
]


def _results(run: RunResult, rule: str, checkpoint: str) -> dict[str, list[str]]:
    """Case → the results of ``rule`` at ``checkpoint``."""
    return {
        d.case: [f.result.value for f in d.findings if f.rule == rule]
        for d in run.decisions
        if d.checkpoint.value == checkpoint
    }


def _copy(tmp_path: Path, *sources: Path) -> Path:
    for source in sources:
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


# --- (a) LEG-CTR-001: a contract in force on the order date ---------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_vbak_contract_with_veda_validity_decides_contract_in_force(sap_data, tmp_path, engine):
    """Orders 13001 (10.06.2024) and 13002 (15.01.2025) of customer 5100, whose contract
    40000020 is signed and runs 01.01.2024 – 31.12.2024 (VEDA)."""
    folder = _copy(tmp_path, sap_data / "VBAK_contracts.csv", sap_data / "VEDA.txt")
    run = check([folder], at=date(2025, 2, 1), checkpoints=["H1"], engine=engine)
    results = _results(run, "LEG-CTR-001", "H1")
    assert results["13001"] == ["pass"]  # inside the validity
    assert results["13002"] == ["fail"]  # after VENDDAT
    (finding,) = [
        f for d in run.decisions if d.case == "13002" for f in d.findings if f.rule == "LEG-CTR-001"
    ]
    assert "no signed contract with counterparty 5100" in finding.message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_contract_without_its_signature_is_not_in_force(sap_data, tmp_path, engine):
    folder = _copy(tmp_path, sap_data / "VBAK_contracts.csv")  # VBAK alone: no VEDA
    run = check([folder], at=date(2025, 2, 1), checkpoints=["H1"], engine=engine)
    assert _results(run, "LEG-CTR-001", "H1")["13001"] == ["fail"]


# --- (b) ACC-CRD-001: credit limits from KNKK and UKMBP_CMS_SGM --------------------------


@pytest.fixture
def credit_exports(sap_data: Path, tmp_path: Path) -> Path:
    """Order 12345 of customer 4711 (1,500.00 PLN) and its open credit of -265.44 PLN:
    an exposure of 1,234.56 PLN. VBAK.csv's row with an impossible date is left out
    (a rejected order of the customer could add to the exposure)."""
    lines = (sap_data / "VBAK.csv").read_bytes().splitlines(keepends=True)
    (tmp_path / "VBAK.csv").write_bytes(b"".join(x for x in lines if b"20240230" not in x))
    shutil.copy(sap_data / "BSID.csv", tmp_path / "BSID.csv")
    return tmp_path


def _credit(folder: Path, engine: str) -> list[str]:
    run = check([folder], at=date(2024, 4, 15), checkpoints=["H2"], engine=engine)
    return _results(run, "ACC-CRD-001", "H2")["12345"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("limit", "result"), [("1.000,00", "fail"), ("1.234,56", "pass")])
def test_a_knkk_limit_decides_credit_exposure(credit_exports, monkeypatch, engine, limit, result):
    (credit_exports / "KNKK.txt").write_text(
        f"MANDT\tKUNNR\tKKBER\tKLIMK\tKNKLI\n800\t0000004711\t1000\t{limit}\t0000004711\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(CREDIT_CURRENCY_VARIABLE, "1000=PLN")
    assert _credit(credit_exports, engine) == [result]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("limit", "result"), [("1000.00", "fail"), ("5000.00", "pass")])
def test_an_fscm_credit_segment_limit_decides_credit_exposure(
    credit_exports, engine, limit, result
):
    (credit_exports / "UKMBP_CMS_SGM.csv").write_text(
        "CLIENT,PARTNER,CREDIT_SGMNT,CREDIT_LIMIT,CURRENCY,LIMIT_VALID_DATE\n"
        f"100,0000004711,1000,{limit},PLN,20241231\n",
        encoding="utf-8",
    )
    assert _credit(credit_exports, engine) == [result]


# --- (c) VBPA partners: the ship-to and the payer --------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_vbpa_ship_to_and_payer_complete_the_order(sap_data, engine):
    run = check(
        [sap_data / "payer_scenario"], at=date(2024, 4, 15), checkpoints=["H3"], engine=engine
    )
    assert _results(run, "SUP-DOC-001", "H3")["14001"] == ["pass"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("paid", "result", "written_off"), [("1.800,00", "fail", None), ("1.840,00", "pass", "5.00")]
)
def test_a_payment_by_the_payer_reaches_the_orders_payment_check(
    sap_data, tmp_path, engine, paid, result, written_off
):
    """Order 14001 of sold-to 5200 is paid by its payer 5290 (VBPA RG): FI posts the
    invoice 90005001 (1,845.00 PLN) and its payment to 5290. The payment joins the
    order through its payer, so ACC-PAY-001 judges the difference."""
    folder = tmp_path / "exports"
    shutil.copytree(sap_data / "payer_scenario", folder)
    bsad = folder / "BSAD.txt"
    bsad.write_bytes(bsad.read_bytes().replace(b"1.800,00", paid.encode()))
    run = check([folder], at=date(2024, 4, 15), checkpoints=["H5"], engine=engine)
    (decision,) = [d for d in run.decisions if d.case == "14001"]
    findings = [f for f in decision.findings if f.rule == "ACC-PAY-001"]
    assert [(f.result.value, f.subject) for f in findings] == [(result, "1000/1400000050/2024")]
    actions = [a for a in decision.actions if a.rule == "ACC-PAY-001"]
    assert [dict(a.params)["amount"] for a in actions] == ([written_off] if written_off else [])
