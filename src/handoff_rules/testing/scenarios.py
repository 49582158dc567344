"""Running a pack's scenarios (``tests/*.yaml``) through the engine, and their coverage.

Reading scenario files is :mod:`handoff_rules.policy.scenarios`' job; running
them needs the engine, which the policy package does not import. The command
``handoff-rules pack test`` and the pytest plugin both run scenarios from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources.abc import Traversable
from pathlib import Path

from handoff_rules.cases import Case, build_cases
from handoff_rules.decision import Decision
from handoff_rules.engine.cached import evaluate_case
from handoff_rules.engine.compiled import Pack
from handoff_rules.policy.scenarios import (
    Coverage,
    Expectation,
    Scenario,
    ScenarioResult,
    pack_scenarios,
)
from handoff_rules.yamlsrc import PackError

__all__ = ["evaluate_scenario", "run_pack_tests", "run_scenario"]


def _case(scenario: Scenario) -> Case:
    cases = build_cases(scenario.facts).cases
    if len(cases) != 1:
        raise PackError(
            f"{scenario.file}:{scenario.line}: scenario {scenario.name!r} must describe "
            f"exactly one order (case), found {len(cases)}"
        )
    return cases[0]


def evaluate_scenario(pack: Pack, scenario: Scenario, engine: str = "reference") -> list[Decision]:
    """The scenario's decisions at every checkpoint of the pack (evaluators are reused).

    With the installed plugins, as ``check`` evaluates: a pack's rules may use
    facts a plugin derives (its handoff_rules_derive_facts hook).
    """
    return evaluate_case(_case(scenario), pack, scenario.at, engine)


def _check(exp: Expectation, decisions: Sequence[Decision]) -> list[str]:
    where = f"line {exp.line}: {exp.rule}"
    chosen = [d for d in decisions if exp.checkpoint is None or d.checkpoint is exp.checkpoint]
    findings = [
        f
        for d in chosen
        for f in d.findings
        if f.rule == exp.rule and (exp.subject is None or f.subject == exp.subject)
    ]
    problems: list[str] = []
    results = sorted({f.result.value for f in findings})
    if exp.result == "none":  # the rule says nothing about the case: not applicable, if anything
        if results and results != ["not_applicable"]:
            problems.append(f"{where}: expected no finding, got {', '.join(results)}")
        return problems
    if not findings:
        problems.append(f"{where}: expected {exp.result}, but the rule gave no finding")
        return problems
    if results != [exp.result]:
        detail = "; ".join(sorted({f"{f.result.value}: {f.message}" for f in findings}))
        problems.append(f"{where}: expected {exp.result}, got {detail}")
    if exp.message_contains is not None and not any(
        exp.message_contains in f.message for f in findings
    ):
        messages = " | ".join(sorted({f.message for f in findings}))
        problems.append(f"{where}: no message contains {exp.message_contains!r} ({messages})")
    if exp.actions is not None:
        kinds = sorted(
            {(a.kind, tuple(a.params)) for d in chosen for a in d.actions if a.rule == exp.rule}
        )
        got = sorted(kind for kind, _ in kinds)
        if got != sorted(exp.actions):
            problems.append(f"{where}: expected actions {sorted(exp.actions)}, got {got}")
    return problems


def run_scenario(pack: Pack, scenario: Scenario, engine: str = "reference") -> list[str]:
    """The problems of one scenario (empty when it passes)."""
    try:
        decisions = evaluate_scenario(pack, scenario, engine)
    except PackError as exc:
        return [str(exc)]
    problems = [p for exp in scenario.expectations for p in _check(exp, decisions)]
    by_cp = {d.checkpoint: d for d in decisions}
    for checkpoint, outcome in scenario.outcomes:
        decision = by_cp.get(checkpoint)
        got = decision.outcome.value if decision is not None else "(no decision)"
        if got != outcome.value:
            problems.append(f"outcome at {checkpoint}: expected {outcome.value}, got {got}")
    return [f"{scenario.file}:{scenario.line} {scenario.name}: {p}" for p in problems]


def run_pack_tests(
    pack: Pack, folder: Path | Traversable, engine: str = "reference"
) -> tuple[list[ScenarioResult], Coverage]:
    scenarios = pack_scenarios(folder)
    results = [ScenarioResult(s, tuple(run_scenario(pack, s, engine))) for s in scenarios]
    return results, Coverage.of(pack, scenarios)
