"""``--currency`` on ``check`` and ``read``: one setting, and which setting wins.

Precedence for amounts whose record states no currency: the run's setting
(``--currency``, ``ReadSettings``) > ``default_currency`` in
``handoff-rules-crm.toml`` beside the export > ``HANDOFF_RULES_CRM_CURRENCY``.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from handoff_rules_crm import SalesforceCsvAdapter
from handoff_rules_crm.cli import main
from handoff_rules_crm.options import CURRENCY_VARIABLE, OPTIONS_FILE

import handoff_rules
from handoff_rules.adapters import ReadSettings, Reject
from handoff_rules.cli import cli
from handoff_rules.engine.evaluate import durable_available

ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])


@pytest.fixture
def org(data_dir: Path, tmp_path: Path) -> Path:
    """A copy of the hand-written single-currency org, to put options files beside it."""
    folder = tmp_path / "org"
    shutil.copytree(data_dir / "sf-single-currency", folder)
    return folder


def _read_jsonl(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(cli, ["read", "--format", "jsonl", *args])
    return result.exit_code, [json.loads(line) for line in result.output.splitlines()]


def _currencies(records: list[dict[str, object]]) -> set[str]:
    found = set()
    for record in records:
        data = record.get("data")
        if record.get("type") == "opportunity" and isinstance(data, dict):
            amount = data.get("amount")
            if isinstance(amount, dict):
                found.add(str(amount["currency"]))
            elif isinstance(amount, str):
                found.add(amount.split()[-1])
    return found


def test_the_reject_names_every_fix_in_command_line_terms(org: Path) -> None:
    rejects = [
        r for r in SalesforceCsvAdapter().read(org / "Opportunity.csv") if isinstance(r, Reject)
    ]
    assert len(rejects) == 4
    reason = rejects[0].reason
    assert reason.startswith("Amount 32395.00000002 has no currency: the export has no ")
    assert "run with --currency USD" in reason
    assert f'default_currency = "USD" under [crm] in {OPTIONS_FILE} beside the export' in reason
    assert f"{CURRENCY_VARIABLE}=USD" in reason


def test_read_with_currency_reads_the_single_currency_org(org: Path) -> None:
    status, before = _read_jsonl(str(org / "Opportunity.csv"))
    assert status == 0
    assert before[-1]["rejects"] == 4
    status, after = _read_jsonl("--currency", "usd", str(org / "Opportunity.csv"))
    assert status == 0
    assert after[-1]["rejects"] == 1  # only the real half cent (100.005) is left
    assert _currencies(after) == {"USD"}


@pytest.mark.parametrize(
    ("option", "in_file", "variable", "expected"),
    [
        ("GBP", "EUR", "USD", "GBP"),  # the command line wins over both
        (None, "EUR", "USD", "EUR"),  # the file beside the export wins over the variable
        (None, None, "USD", "USD"),  # the variable applies when nothing else says
        ("GBP", None, None, "GBP"),
    ],
)
def test_precedence_command_line_then_options_file_then_variable(
    org: Path,
    monkeypatch: pytest.MonkeyPatch,
    option: str | None,
    in_file: str | None,
    variable: str | None,
    expected: str,
) -> None:
    if in_file is not None:
        (org / OPTIONS_FILE).write_text(f'[crm]\ndefault_currency = "{in_file}"\n', "utf-8")
    if variable is not None:
        monkeypatch.setenv(CURRENCY_VARIABLE, variable)
    args = ["--currency", option] if option is not None else []
    status, records = _read_jsonl(*args, str(org / "Opportunity.csv"))
    assert status == 0
    assert _currencies(records) == {expected}


def test_the_option_never_overrides_a_currency_the_record_names(tmp_path: Path) -> None:
    path = tmp_path / "Opportunity.csv"
    path.write_text(
        "Id,Name,StageName,IsWon,IsClosed,CloseDate,Amount,CurrencyIsoCode\n"
        "006A1,Deal,Closed Won,true,true,2024-05-02,100.00,EUR\n"
        "006A2,Deal,Closed Won,true,true,2024-05-02,200.00,\n",
        encoding="utf-8",
    )
    status, records = _read_jsonl("--currency", "USD", str(path))
    assert status == 0
    amounts = sorted(
        str(r["data"]["amount"])  # type: ignore[index]
        for r in records
        if r.get("type") == "opportunity"
    )
    assert len(amounts) == 2
    assert "EUR" in amounts[0]
    assert "100" in amounts[0]
    assert "USD" in amounts[1]
    assert "200" in amounts[1]


@pytest.mark.parametrize("command", ["read", "check"])
def test_a_bad_currency_is_a_usage_error(org: Path, command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--currency", "dollars", str(org)])
    assert result.exit_code == 2
    assert "'dollars' is not an ISO 4217 currency code" in result.output


@pytest.mark.parametrize("engine", ENGINES)
def test_check_with_currency_decides_the_org_orders(org: Path, engine: str) -> None:
    args = ["check", str(org), "--at", "2024-06-01", "--engine", engine, "--checkpoint", "H1"]
    without = CliRunner().invoke(cli, [*args, "--format", "json"])
    with_option = CliRunner().invoke(cli, [*args, "--format", "json", "--currency", "USD"])
    assert without.exit_code == 1
    assert with_option.exit_code == 1
    before = json.loads(without.stdout)
    after = json.loads(with_option.stdout)
    assert len(after["inputs"]["rejects"]) < len(before["inputs"]["rejects"])
    assert not any("no currency" in r["reason"] for r in after["inputs"]["rejects"])
    assert any("no currency" in r["reason"] for r in before["inputs"]["rejects"])


@pytest.mark.parametrize("engine", ENGINES)
def test_the_library_check_takes_the_same_setting(org: Path, engine: str) -> None:
    run = handoff_rules.check(
        [org],
        at=date(2024, 6, 1),
        engine=engine,
        checkpoints=["H1"],
        settings=ReadSettings(default_currency="USD"),
    )
    assert not any("no currency" in r.reason for r in run.reject_list)
    decisions = {d.case: d.outcome.value for d in run.decisions}
    assert decisions["5000001"] == "allow"  # 32395.00000002 won = 32395.00 ordered
    plain = handoff_rules.check([org], at=date(2024, 6, 1), engine=engine, checkpoints=["H1"])
    assert any("no currency" in r.reason for r in plain.reject_list)  # nothing left behind


def test_the_demo_org_reads_with_no_setting_but_the_currency_it_cannot_state(
    demo_org: Path,
) -> None:
    """No date setting ever (the file proves month first); the one thing the export
    cannot say is its currency, and that is the only reason anything is rejected."""
    path = str(demo_org / "Opportunity.csv")
    status, bare = _read_jsonl(path)
    assert status == 0
    rejects = [r for r in bare if r["record"] == "reject"]
    assert len(rejects) == 31  # the 31 opportunities with an amount
    for reject in rejects:
        reason = str(reject["reason"])
        assert " has no currency: the export has no CurrencyIsoCode column;" in reason
        assert "run with --currency USD" in reason
    assert bare[-1]["facts"] == {"derived": 5, "opportunity": 5}  # the 5 without an amount
    status, configured = _read_jsonl("--currency", "USD", path)
    assert status == 0
    assert configured[-1]["rejects"] == 0
    assert configured[-1]["facts"] == {"derived": 36, "opportunity": 36}
    assert _currencies(configured) == {"USD"}


def test_the_link_command_takes_the_same_currency(
    org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(p) for p in sorted(org.glob("*.csv"))] + [str(org / "erp-orders.yaml")]
    main(["link", *files])
    without = json.loads(capsys.readouterr().err.splitlines()[-1])
    main(["link", "--currency", "USD", *files])
    with_option = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert without["links"] == 0  # every won deal was rejected for its currency
    assert with_option["links"] == 3  # the half-cent deal stays a reject
    with pytest.raises(SystemExit) as info:
        main(["link", "--currency", "dollars", *files])
    assert info.value.code == 2
    assert "'DOLLARS' (--currency) is not an ISO 4217" in capsys.readouterr().err
