"""``handoff-rules check`` over CRM and ERP exports links them itself, and H1 decides.

The link runs in the pipeline through the plugin's ``handoff_rules_link_facts``
hook: no separate ``handoff-rules-crm link`` step, no links file.
"""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from handoff_rules_crm.cli import cli as crm_cli
from handoff_rules_crm.options import OPTIONS_FILE

import handoff_rules
from handoff_rules.cli import cli, main
from handoff_rules.decision import Decision, Result
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.errors import InputError
from handoff_rules.model import OpportunityLink
from handoff_rules.pipeline import RunResult

AT = date(2024, 5, 6)
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])
SAP_VBAK = Path(__file__).parents[2] / "handoff-rules-sap" / "tests" / "data" / "VBAK.csv"


def _e2e_files(e2e: Path) -> list[Path]:
    return [e2e / "Account.csv", e2e / "Opportunity.csv", e2e / "erp-orders.yaml"]


def _run(files: list[Path], engine: str = "reference", at: date = AT) -> RunResult:
    return handoff_rules.check(files, at=at, engine=engine, checkpoints=["H1"])


def _crm_results(decision: Decision) -> dict[str, set[Result]]:
    found: dict[str, set[Result]] = {}
    for finding in decision.findings:
        if finding.rule.startswith(("SAL-CRM", "SAL-QUO")):
            found.setdefault(finding.rule, set()).add(finding.result)
    return found


def _by_case(run: RunResult) -> dict[str, Decision]:
    return {d.case: d for d in run.decisions}


@pytest.mark.parametrize("engine", ENGINES)
def test_check_links_a_salesforce_export_to_erp_orders(e2e: Path, engine: str) -> None:
    run = _run(_e2e_files(e2e), engine)
    decisions = _by_case(run)
    # The order entered as won: every CRM rule decides, and passes.
    assert _crm_results(decisions["5000001"]) == {
        "SAL-CRM-001": {Result.PASS},
        "SAL-CRM-002": {Result.PASS},
        "SAL-CRM-003": {Result.PASS},
        "SAL-CRM-004": {Result.PASS},
    }  # SAL-QUO-002 judges only deals with non-standard terms
    failing = {
        case: {rule for rule, results in _crm_results(d).items() if Result.FAIL in results}
        for case, d in decisions.items()
    }
    assert failing == {
        "5000001": set(),
        "5000002": {"SAL-CRM-004"},  # 10 % above the won amount
        "5000003": {"SAL-CRM-001"},  # another customer
        "5000004": {"SAL-QUO-002"},  # non-standard terms, no operations sign-off
        "5000006": set(),  # its deal is not won: no link, not judged
    }
    assert _crm_results(decisions["5000006"]) == {}
    (finding,) = [f for f in decisions["5000002"].findings if f.rule == "SAL-CRM-004"]
    assert "won opportunity 006A00000000002AAA" in finding.message
    assert any(s.adapter == "crm-link" for s in finding.sources)


def test_without_the_hook_nothing_is_linked(e2e: Path) -> None:
    """The same run with the plugin's link hook blocked: the CRM rules judge no order."""
    from handoff_rules.plugins import make_plugin_manager

    pm = make_plugin_manager()
    crm = pm.get_plugin("crm")
    pm.unregister(crm)
    pm.register(_WithoutLink(crm), name="crm")
    run = handoff_rules.check(
        _e2e_files(e2e), at=AT, engine="reference", checkpoints=["H1"], plugin_manager=pm
    )
    assert all(_crm_results(d) == {} for d in run.decisions)


class _WithoutLink:
    """The CRM plugin's adapters and deriver, without its link hook."""

    def __init__(self, plugin: object) -> None:
        from handoff_rules.hooks import hookimpl

        self.handoff_rules_adapters = hookimpl(plugin.handoff_rules_adapters)  # type: ignore[attr-defined]
        self.handoff_rules_derive_facts = hookimpl(plugin.handoff_rules_derive_facts)  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_command_line_blocks_and_names_the_rules(e2e: Path, engine: str) -> None:
    args = ["check", *map(str, _e2e_files(e2e)), "--at", "2024-05-06", "--checkpoint", "H1"]
    result = CliRunner().invoke(cli, [*args, "--engine", engine, "--format", "json"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.output)
    failed = {
        (d["case"], f["rule"])
        for d in document["decisions"]
        for f in d["findings"]
        if f["rule"].startswith("SAL-") and f["result"] == "fail"
    }
    assert failed == {
        ("5000002", "SAL-CRM-004"),
        ("5000003", "SAL-CRM-001"),
        ("5000004", "SAL-QUO-002"),
    }


def test_the_order_of_the_inputs_does_not_matter(e2e: Path) -> None:
    files = _e2e_files(e2e)
    documents = set()
    for order in itertools.permutations(files):
        run = _run(list(order))
        documents.add(json.dumps([d.to_dict() for d in run.decisions], sort_keys=True))
    assert len(documents) == 1


def _sap_crm(folder: Path, amount: str) -> list[Path]:
    """A Salesforce deal for SAP order 12345 (customer 4711, PO ZAM/2024/0311, 1500.00 PLN)."""
    folder.mkdir()
    (folder / "Account.csv").write_text(
        "Id,Name,AccountNumber,BillingCountry\n001B1,Kowalski Sp. z o.o.,4711,PL\n",
        encoding="utf-8",
    )
    (folder / "Opportunity.csv").write_text(
        "Id,AccountId,Name,StageName,IsWon,IsClosed,CloseDate,Amount,CurrencyIsoCode,"
        "PO_Number__c\n"
        f"006B1,001B1,Valves,Closed Won,true,true,2024-03-01,{amount},PLN,zam/2024/0311\n",
        encoding="utf-8",
    )
    return [folder / "Account.csv", folder / "Opportunity.csv", SAP_VBAK]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("amount", "result"), [("1500.00", Result.PASS), ("1400.00", Result.FAIL)])
def test_check_links_a_deal_to_a_sap_order(
    tmp_path: Path, engine: str, amount: str, result: Result
) -> None:
    run = _run(_sap_crm(tmp_path / "crm", amount), engine, at=date(2024, 3, 5))
    decision = _by_case(run)["12345"]
    results = _crm_results(decision)
    assert results["SAL-CRM-001"] == {Result.PASS}  # AccountNumber 4711 is the SAP customer
    assert results["SAL-CRM-002"] == {Result.PASS}
    assert results["SAL-CRM-004"] == {result}


def test_link_via_comes_from_the_options_file_beside_the_crm_export(tmp_path: Path) -> None:
    crm = tmp_path / "crm"
    crm.mkdir()
    (crm / "Opportunity.csv").write_text(
        "Id,AccountId,Name,StageName,IsWon,CloseDate,Amount,CurrencyIsoCode,PO_Number__c\n"
        "006C1,4711,Valves,Closed Won,true,2024-03-01,1400.00,PLN,12345\n",
        encoding="utf-8",
    )
    files = [crm / "Opportunity.csv", SAP_VBAK]
    # By default the deal's reference is a customer PO, which no order has.
    assert "SAL-CRM-004" not in _crm_results(_by_case(_run(files, at=date(2024, 3, 5)))["12345"])
    (crm / OPTIONS_FILE).write_text('[crm]\nlink_via = "erp_order_number"\n', encoding="utf-8")
    run = _run(files, at=date(2024, 3, 5))
    assert _crm_results(_by_case(run)["12345"])["SAL-CRM-004"] == {Result.FAIL}
    links = [f for c in run.case_list for f in c.facts if isinstance(f.data, OpportunityLink)]
    assert [(f.data.order_id, f.data.via) for f in links] == [("12345", "erp_order_number")]


def test_options_files_that_disagree_on_link_via_are_an_input_error(
    tmp_path: Path, e2e: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, via in ((first, "customer_po"), (second, "erp_order_number")):
        folder.mkdir()
        shutil.copy(e2e / "Opportunity.csv", folder / "Opportunity.csv")
        (folder / OPTIONS_FILE).write_text(f'[crm]\nlink_via = "{via}"\n', encoding="utf-8")
    files = [first / "Opportunity.csv", second / "Opportunity.csv", e2e / "erp-orders.yaml"]
    with pytest.raises(InputError, match=r"disagree on link_via: customer_po in .*a/"):
        _run(files)
    with pytest.raises(SystemExit) as exited:
        main(["check", *map(str, files), "--at", "2024-05-06"])
    assert exited.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {first / OPTIONS_FILE}: the CRM options disagree")
    assert line.endswith(f"erp_order_number in {second / OPTIONS_FILE}")


def test_a_links_file_from_the_link_command_changes_nothing(tmp_path: Path, e2e: Path) -> None:
    files = _e2e_files(e2e)
    written = CliRunner().invoke(crm_cli, ["link", *map(str, files)])
    assert written.exit_code == 0, written.output
    links = tmp_path / "links.jsonl"
    links.write_text(
        "".join(line + "\n" for line in written.stdout.splitlines() if line.startswith("{")),
        encoding="utf-8",
    )
    assert len(links.read_text(encoding="utf-8").splitlines()) == 9  # 4 links, 5 statuses
    alone = _run(files)
    with_file = _run([*files, links])
    assert [d.to_dict() for d in with_file.decisions] == [d.to_dict() for d in alone.decisions]
    assert _case_facts(with_file) == _case_facts(alone)  # nothing linked twice


def _case_facts(run: RunResult) -> list[tuple[str, str, str]]:
    return sorted((c.id, f.type, f.data.id) for c in run.case_list for f in c.facts)


def test_a_run_without_opportunities_gets_no_crm_facts(e2e: Path) -> None:
    run = _run([e2e / "erp-orders.yaml"])
    assert {f.type for c in run.case_list for f in c.facts} == {"order"}
