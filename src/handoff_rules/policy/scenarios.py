"""Pack tests: scenario files beside a pack, run by ``pack test`` and by pytest.

A scenario file (``tests/*.yaml`` in a pack version folder)::

    base_facts:                     # optional: facts every scenario starts from
      - type: order
        data: {id: "4711", counterparty_id: C1, order_date: 2024-05-02}
    scenarios:
      - name: valid power of attorney
        at: 2024-05-10              # the evaluation date
        boundary: true              # optional: marks a boundary case (coverage)
        remove: [document:POA-1]    # optional: base facts to leave out (type:id)
        facts: [...]                # more facts, same layout as the native YAML format
        expect:
          - rule: ACC-POA-001
            result: pass            # pass | fail | indeterminate | waived | not_applicable
                                    # | none (nothing but not_applicable)
            checkpoint: H3          # optional
            subject: D1             # optional: only findings about this subject
            message_contains: text  # optional
            actions: [write_off]    # optional: the kinds of actions the rule asks for
        outcomes: {H3: allow}       # optional: outcome per checkpoint

Fact data is read as text, as in the native YAML facts format
(:mod:`handoff_rules.adapters.native`): the model's field types decide what
``0000012345`` or ``10.50`` is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final, cast

import attrs

from handoff_rules.adapters.native_schema import coerce
from handoff_rules.decision import Checkpoint, Outcome
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import FACT_TYPES, FactData, ModelDataError, from_dict
from handoff_rules.policy.pack import Pack, load_pack
from handoff_rules.yamlsrc import Y, parse_yaml, read_source

__all__ = [
    "Coverage",
    "Expectation",
    "Scenario",
    "ScenarioResult",
    "coverage_line",
    "load_scenario_file",
    "load_scenarios",
    "scenario_pack",
]

ADAPTER: Final = "pack-test"
#: Results a scenario can expect; "none" = the rule says nothing about the case
#: (no finding, or only ``not_applicable`` ones).
EXPECTABLE: Final = ("pass", "fail", "indeterminate", "waived", "not_applicable", "none")
#: What full coverage of a rule means.
COVERAGE_KINDS: Final = ("pass", "fail", "indeterminate", "boundary")


@attrs.frozen(slots=True)
class Expectation:
    rule: str
    result: str
    line: int
    checkpoint: Checkpoint | None = None
    subject: str | None = None
    message_contains: str | None = None
    actions: tuple[str, ...] | None = None


@attrs.frozen(slots=True)
class Scenario:
    name: str
    file: str
    line: int
    at: date
    facts: tuple[Fact, ...]
    expectations: tuple[Expectation, ...]
    outcomes: tuple[tuple[Checkpoint, Outcome], ...] = ()
    boundary: bool = False


@attrs.frozen(slots=True)
class ScenarioResult:
    scenario: Scenario
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


# --- loading ----------------------------------------------------------------------


def _fact(node: Y, file: str) -> Fact:
    items = node.keys("a fact", {"type", "data"}, {"type", "data"})
    fact_type = items["type"].text("fact type")
    if fact_type not in FACT_TYPES:
        raise items["type"].error(
            f"unknown fact type {fact_type!r} (known: {', '.join(sorted(FACT_TYPES))})"
        )
    provenance = Provenance(ADAPTER, file, f"line {node.line}", line=node.line)
    try:
        data = cast(
            FactData, from_dict(FACT_TYPES[fact_type], coerce(fact_type, items["data"].plain()))
        )
    except ModelDataError as exc:
        raise node.error(str(exc)) from None
    return Fact(data=data, provenance=provenance)


def _facts(node: Y | None, file: str) -> list[Fact]:
    if node is None or node.value is None:
        return []
    return [_fact(item, file) for item in node.sequence("facts")]


def _key(fact: Fact) -> str:
    return f"{fact.type}:{getattr(fact.data, 'id', '')}"


def _expectation(node: Y) -> Expectation:
    items = node.keys(
        "an expectation",
        {"rule", "result", "checkpoint", "subject", "message_contains", "actions"},
        {"rule", "result"},
    )
    result = items["result"].text("result")
    if result not in EXPECTABLE:
        raise items["result"].error(f"result {result!r}: expected one of {', '.join(EXPECTABLE)}")
    checkpoint = None
    if "checkpoint" in items:
        try:
            checkpoint = Checkpoint(items["checkpoint"].text("checkpoint"))
        except ValueError:
            raise items["checkpoint"].error("checkpoint: expected H1..H5") from None
    actions = None
    if "actions" in items:
        actions = tuple(a.text("action kind") for a in items["actions"].sequence("actions"))
    return Expectation(
        rule=items["rule"].text("rule"),
        result=result,
        line=node.line,
        checkpoint=checkpoint,
        subject=str(items["subject"].value) if "subject" in items else None,
        message_contains=(
            items["message_contains"].text("message_contains")
            if "message_contains" in items
            else None
        ),
        actions=actions,
    )


def load_scenarios(text: str, file: str) -> list[Scenario]:
    """Parse a scenario file; every mistake is a :class:`PackError` with its line."""
    typed = parse_yaml(text, file)
    texts = parse_yaml(text, file, text_scalars=True)
    top = typed.keys("a scenario file", {"base_facts", "scenarios", "description"}, {"scenarios"})
    top_text = texts.mapping("a scenario file")
    base = _facts(top_text.get("base_facts"), file)
    scenarios: list[Scenario] = []
    names: set[str] = set()
    for node, text_node in zip(
        top["scenarios"].sequence("scenarios"), top_text["scenarios"].value, strict=True
    ):
        items = node.keys(
            "a scenario",
            {"name", "at", "facts", "remove", "expect", "outcomes", "boundary", "description"},
            {"name", "at", "expect"},
        )
        name = items["name"].text("name")
        if name in names:
            raise items["name"].error(f"scenario name {name!r} is used twice in this file")
        names.add(name)
        removed = set()
        if "remove" in items:
            removed = {r.text("remove entry") for r in items["remove"].sequence("remove")}
            unknown = removed - {_key(f) for f in base}
            if unknown:
                raise items["remove"].error(f"no base fact {sorted(unknown)} to remove")
        facts = [f for f in base if _key(f) not in removed]
        facts.extend(_facts(text_node.value.get("facts"), file))
        outcomes: list[tuple[Checkpoint, Outcome]] = []
        if "outcomes" in items:
            for cp, value in items["outcomes"].mapping("outcomes").items():
                try:
                    outcomes.append((Checkpoint(cp), Outcome(value.text("outcome"))))
                except ValueError:
                    raise value.error("outcomes: expected {H1..H5: block|warn|allow}") from None
        boundary = bool(items["boundary"].value) if "boundary" in items else False
        scenarios.append(
            Scenario(
                name=name,
                file=file,
                line=node.line,
                at=items["at"].day("at"),
                facts=tuple(facts),
                expectations=tuple(_expectation(e) for e in items["expect"].sequence("expect")),
                outcomes=tuple(outcomes),
                boundary=boundary,
            )
        )
    return scenarios


def load_scenario_file(path: Path | Traversable) -> list[Scenario]:
    return load_scenarios(read_source(path, str(path)), str(path))


def pack_scenarios(pack_folder: Path | Traversable) -> list[Scenario]:
    tests = pack_folder / "tests"
    if not tests.is_dir():
        return []
    files = sorted(
        (e for e in tests.iterdir() if e.is_file() and e.name.endswith((".yaml", ".yml"))),
        key=lambda e: e.name,
    )
    return [s for f in files for s in load_scenario_file(f)]


@cache
def scenario_pack(folder: Path) -> Pack:
    """The pack of a scenario file's folder, loaded once per process."""
    return load_pack(folder)


# --- running -----------------------------------------------------------------------


@attrs.frozen(slots=True)
class Coverage:
    """Which kinds of expectation each rule has, against the kinds it needs.

    Full coverage is pass, fail and a boundary scenario, plus indeterminate for
    every rule that can be indeterminate (one with ``requires`` or
    ``subject_required``); a rule that cannot lack a fact need not test it.
    """

    kinds: Mapping[str, frozenset[str]]
    needed: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, pack: Pack, scenarios: Iterable[Scenario]) -> Coverage:
        kinds: dict[str, set[str]] = {rule.id: set() for rule in pack.rules}
        needed: dict[str, frozenset[str]] = {}
        for rule in pack.rules:
            can_lack = bool(rule.ir.requires) or rule.ir.subject_required
            needed[rule.id] = frozenset(
                k for k in COVERAGE_KINDS if k != "indeterminate" or can_lack
            )
        for scenario in scenarios:
            for exp in scenario.expectations:
                seen = kinds.setdefault(exp.rule, set())
                if exp.result in COVERAGE_KINDS:
                    seen.add(exp.result)
                if scenario.boundary:
                    seen.add("boundary")
        return cls({rule: frozenset(v) for rule, v in kinds.items()}, needed)

    def expected(self, rule: str) -> frozenset[str]:
        return self.needed.get(rule, frozenset(COVERAGE_KINDS))

    def complete(self, rule: str) -> bool:
        return self.expected(rule) <= self.kinds.get(rule, frozenset())


def coverage_line(rule: str, kinds: frozenset[str], expected: frozenset[str]) -> str:
    """One line: the kinds a rule's scenarios cover and what that amounts to."""
    if not kinds:
        status = "never exercised"
    elif expected <= kinds:
        status = "complete"
    elif kinds == {"pass"}:
        status = "only passing"
    elif kinds == {"fail"}:
        status = "only failing"
    else:
        missing = [k for k in COVERAGE_KINDS if k in expected and k not in kinds]
        status = "missing " + ", ".join(missing)
    shown = ", ".join(k for k in COVERAGE_KINDS if k in kinds) or "-"
    return f"{rule:<14} {shown:<36} {status}"
