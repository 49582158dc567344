"""The H1 CRM rules in the default pack, and the link command feeding ``handoff-rules check``."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner
from handoff_rules_crm.cli import cli as crm_cli
from handoff_rules_crm.cli import main

from handoff_rules.cli import cli as core_cli
from handoff_rules.policy.pack import load_pack
from handoff_rules.policy.scenarios import load_scenario_file
from handoff_rules.testing.scenarios import run_scenario

PACK = files("handoff_rules") / "packs" / "o2c-standard" / "1.0.0"
CRM_RULES = ("SAL-CRM-001", "SAL-CRM-002", "SAL-CRM-003", "SAL-CRM-004", "SAL-QUO-002")


def test_the_rules_are_in_the_default_pack() -> None:
    pack = load_pack(PACK)
    rules = pack.rule_map
    for rule_id in CRM_RULES:
        assert rules[rule_id].checkpoints == ("H1",)
        assert rules[rule_id].source.startswith(str(PACK / "rules" / "h1-crm.yaml"))


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_the_crm_scenarios_pass(engine: str) -> None:
    if engine == "durable":
        from handoff_rules.engine.evaluate import durable_available

        if durable_available() is not None:
            pytest.skip("durable_rules does not run here")
    pack = load_pack(PACK)
    scenarios = load_scenario_file(PACK / "tests" / "h1-crm.yaml")
    assert len(scenarios) >= 15
    problems = [p for s in scenarios for p in run_scenario(pack, s, engine)]
    assert problems == []
    covered = {e.rule: set() for s in scenarios for e in s.expectations}  # type: ignore[var-annotated]
    for scenario in scenarios:
        for expectation in scenario.expectations:
            covered[expectation.rule].add(expectation.result)
    for rule_id in CRM_RULES:
        assert {"pass", "fail"} <= covered[rule_id], rule_id


def test_link_command_output_feeds_the_check_command(data_dir: Path, tmp_path: Path) -> None:
    e2e = data_dir / "e2e"
    exports = [str(e2e / n) for n in ("Opportunity.csv", "Account.csv", "erp-orders.yaml")]
    linked = CliRunner().invoke(crm_cli, ["link", "--via", "customer_po", *exports])
    assert linked.exit_code == 0, linked.output
    lines = [json.loads(line) for line in linked.stdout.splitlines()]
    assert sum(1 for r in lines if r["type"] == "link") == 4
    assert "unmatched: " in linked.stderr
    links = tmp_path / "links.jsonl"
    links.write_text(linked.stdout, encoding="utf-8")
    checked = CliRunner().invoke(
        core_cli,
        [
            "check",
            "--checkpoint",
            "H1",
            "--at",
            "2024-05-06",
            "--engine",
            "reference",
            "--format",
            "json",
            *exports,
            str(links),
        ],
    )
    assert checked.exit_code == 1, checked.output  # something blocks
    report = json.loads(checked.stdout)
    failed = {
        (d["case"], f["rule"])
        for d in report["decisions"]
        for f in d["findings"]
        if f["rule"] in CRM_RULES and f["result"] == "fail"
    }
    assert failed == {
        ("5000002", "SAL-CRM-004"),
        ("5000003", "SAL-CRM-001"),
        ("5000004", "SAL-QUO-002"),
    }


def test_link_command_names_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(SystemExit) as info:
        main(["link", str(missing)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "nope.csv" in err
    assert "no such file" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("engine", ["reference", "durable"])
@pytest.mark.parametrize(
    ("order_value", "expected"),
    [
        ("1010.00", "pass"),  # 1.0 % above: exactly the pack's crm_amount_tolerance_pct
        ("990.00", "pass"),  # 1.0 % below
        ("1010.01", "fail"),
        ("989.99", "fail"),
    ],
)
def test_the_default_pack_holds_the_order_value_to_the_tolerance(
    engine: str, order_value: str, expected: str
) -> None:
    """The plugin's crm_order_match fact, judged by SAL-CRM-004 at its boundary."""
    from datetime import date

    from handoff_rules_crm import link_opportunities

    from handoff_rules.adapters import Fact, Provenance
    from handoff_rules.cases import build_cases
    from handoff_rules.decision import Checkpoint
    from handoff_rules.engine.evaluate import durable_available, make_evaluator
    from handoff_rules.model import Money, Opportunity, Order
    from handoff_rules.plugins import make_plugin_manager

    if engine == "durable" and durable_available() is not None:
        pytest.skip("durable_rules does not run here")
    here = Provenance("test", "crm.csv", "line 2", line=2)
    opp = Opportunity(
        id="OPP-1",
        name="Pumps",
        account_id="C1",
        is_won=True,
        amount=Money("1000.00", "EUR"),
        order_ref="PO-1",
    )
    order = Order(
        id="4711", counterparty_id="C1", net_value=Money(order_value, "EUR"), customer_po_ref="PO-1"
    )
    facts = [Fact(opp, here), Fact(order, here)]
    (case,) = build_cases([*facts, *link_opportunities(facts).facts()]).cases
    pm = make_plugin_manager()
    evaluator = make_evaluator(load_pack(PACK), engine, pm)
    (decision,) = evaluator.evaluate(case, date(2024, 5, 6), [Checkpoint.H1])
    (finding,) = [f for f in decision.findings if f.rule == "SAL-CRM-004"]
    assert finding.result.value == expected, finding.message
    assert finding.subject == "OPP-1->4711"
