"""Each hook of the example plugin, called through a real plugin manager."""

from __future__ import annotations

from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path

import pluggy
import pytest
from handoff_rules_example import plugin
from handoff_rules_example.lead_time import lead_days

from handoff_rules.adapters import read_files
from handoff_rules.cases import Case, build_cases
from handoff_rules.decision import Decision, Finding, Outcome, PackRef, Result
from handoff_rules.engine.evaluate import make_evaluator
from handoff_rules.model import Derived
from handoff_rules.plugins import installed_adapters, make_plugin_manager
from handoff_rules.policy.diff import Level, diff_packs
from handoff_rules.policy.discovery import pack_versions, select_version
from handoff_rules.policy.pack import load_pack
from handoff_rules.testing.scenarios import run_pack_tests

DATA = Path(__file__).parent / "data"
AT = date(2026, 11, 23)


@pytest.fixture
def pm() -> pluggy.PluginManager:
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(plugin, name="example")
    return manager


@pytest.fixture
def cases(pm: pluggy.PluginManager) -> dict[str, Case]:
    result = read_files([DATA / "week47.slip", DATA / "orders.yaml"], installed_adapters(pm))
    return {case.id: case for case in build_cases(result.facts).cases}


def test_adapter_hook(pm: pluggy.PluginManager) -> None:
    names = [a.name for a in installed_adapters(pm)]
    assert "example-slips" in names


def test_derive_hook(pm: pluggy.PluginManager, cases: dict[str, Case]) -> None:
    derived = [
        fact
        for result in pm.hook.handoff_rules_derive_facts(case=cases["4712"], at=AT)
        for fact in result
    ]
    assert [f.data for f in derived] == [
        Derived("release_lead_days", "80002", {"days": 18}, order_id="4712")
    ]
    assert derived[0].provenance.location == "line 4"  # the slip line it was computed from


def test_no_order_date_gives_a_lead_time_without_days(cases: dict[str, Case]) -> None:
    without_order = Case(
        id="4712", facts=tuple(f for f in cases["4712"].facts if f.type != "order")
    )
    (fact,) = lead_days(without_order)
    assert fact.data == Derived("release_lead_days", "80002", {}, order_id="4712")
    assert fact.data.get("days") is None  # so the rule is indeterminate, not passed


def _our_pack_folder(pm: pluggy.PluginManager) -> Traversable:
    folders = [folder for result in pm.hook.handoff_rules_packs() for folder in result]
    (ours,) = [f for f in folders if f.name == "release-lead-time"]
    assert isinstance(ours, Traversable)
    return ours


def test_pack_hook_ships_two_versions(pm: pluggy.PluginManager) -> None:
    versions = [load_pack(source.folder) for source in pack_versions(_our_pack_folder(pm))]
    assert [(p.name, p.version, str(p.effective_from)) for p in versions] == [
        ("release-lead-time", "1.0.0", "2026-01-01"),
        ("release-lead-time", "2.0.0", "2027-01-01"),
    ]
    assert [[r.id for r in p.rules] for p in versions] == [["LOG-LEAD-001"], ["LOG-LEAD-001"]]


def test_version_in_force_is_picked_by_date(pm: pluggy.PluginManager) -> None:
    folder = _our_pack_folder(pm)
    assert select_version(folder, date(2026, 12, 31)).version == "1.0.0"
    assert select_version(folder, date(2027, 1, 1)).version == "2.0.0"


def test_tightened_limit_is_a_major_version(pm: pluggy.PluginManager) -> None:
    folder = _our_pack_folder(pm)
    old, new = (select_version(folder, AT, v) for v in ("1.0.0", "2.0.0"))
    diff = diff_packs(old, new)
    changes = [str(c) for c in diff.changes]
    assert "major  parameter max_lead_days: 10 -> 5 (tightened or direction unknown)" in changes
    assert diff.level == diff.bump == Level.MAJOR
    assert diff.ok


def test_pack_and_derived_fact_decide_together(
    pm: pluggy.PluginManager, cases: dict[str, Case]
) -> None:
    evaluator = make_evaluator(select_version(_our_pack_folder(pm), AT), backend="reference", pm=pm)
    (on_time,) = evaluator.evaluate(cases["4711"], AT)
    (late,) = evaluator.evaluate(cases["4712"], AT)
    assert on_time.outcome is Outcome.ALLOW
    assert late.outcome is Outcome.WARN
    (finding,) = [f for f in late.findings if f.result is Result.FAIL]
    assert finding.message == (
        "delivery 80002 released 18 days after the order (promised at most 10)"
    )
    assert [s.location for s in finding.sources] == ["line 4"]


def test_stricter_version_warns_on_both(pm: pluggy.PluginManager, cases: dict[str, Case]) -> None:
    stricter = select_version(_our_pack_folder(pm), AT, "2.0.0")
    evaluator = make_evaluator(stricter, backend="reference", pm=pm)
    outcomes = [evaluator.evaluate(cases[c], AT)[0].outcome for c in ("4711", "4712")]
    assert outcomes == [Outcome.WARN, Outcome.WARN]


def _decision(case: str, outcome_rule_result: Result) -> Decision:
    return Decision(
        case=case,
        checkpoint="H3",
        at=AT,
        pack=PackRef("release-lead-time", "1.0.0", "d"),
        findings=[Finding("LOG-POA-001", outcome_rule_result, "block", "no PoA")],
    )


def test_decision_hook_writes_blocked_decisions(
    pm: pluggy.PluginManager,
    cases: dict[str, Case],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "blocks.tsv"
    monkeypatch.setenv(plugin.BLOCK_LIST_ENV, str(target))
    pm.hook.handoff_rules_decision(decision=_decision("4711", Result.FAIL), case=cases["4711"])
    pm.hook.handoff_rules_decision(decision=_decision("4712", Result.PASS), case=cases["4712"])
    assert target.read_text(encoding="utf-8") == "4711\tH3\tLOG-POA-001\n"


def test_decision_hook_is_off_without_a_target(
    pm: pluggy.PluginManager,
    cases: dict[str, Case],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(plugin.BLOCK_LIST_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    pm.hook.handoff_rules_decision(decision=_decision("4711", Result.FAIL), case=cases["4711"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
def test_pack_scenarios_pass_with_full_coverage(pm: pluggy.PluginManager, version: str) -> None:
    """The scenarios shipped beside each version (``handoff-rules pack test``) pass."""
    source = next(s for s in pack_versions(_our_pack_folder(pm)) if s.version == version)
    pack = load_pack(source.folder)
    results, coverage = run_pack_tests(pack, source.folder)
    assert len(results) == 4
    assert [r for r in results if not r.ok] == []
    assert coverage.complete("LOG-LEAD-001")
