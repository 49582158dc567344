"""Evidence coverage: which rules the inputs of a run can decide, and which they cannot.

A rule's needs come from its IR (:mod:`handoff_rules.engine.needs`); what
inputs can supply comes from the formats their adapters declare
(:class:`~handoff_rules.adapters.base.Supply`). Putting the two side by side
answers, before and after any decision, "could this rule have been decided
from these files at all?" A rule that cannot is reported as such, with the
missing facts in a user's words, instead of surfacing only as a block whose
reason ("no signed contract") looks like a business fact.

``pack needs`` prints the comparison for the installed adapters (or for given
inputs); every ``check`` run carries it for the formats it actually read,
together with what the rules then did (:class:`RuleCoverage.results`).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence

import attrs

from handoff_rules.adapters.base import Adapter, FormatInfo
from handoff_rules.decision import Decision, Result
from handoff_rules.engine.compiled import Pack
from handoff_rules.engine.derive import BUILTIN_DERIVERS
from handoff_rules.engine.flatten import DERIVED_PREFIX
from handoff_rules.engine.needs import Need, NeedKind, RuleNeeds, base_sources, pack_needs

__all__ = [
    "Coverage",
    "Evaluability",
    "NeedStatus",
    "RuleCoverage",
    "SupplyIndex",
    "coverage",
]


class Evaluability(enum.StrEnum):
    """Whether a rule can be decided from the inputs' formats."""

    #: every fact and field it reads can be supplied
    EVALUABLE = "evaluable"
    #: it can decide, but some fields it reads are supplied by no input
    #: (conditions on them are false, which the rule's own wording accounts for)
    PARTIAL = "partial"
    #: a fact it judges, requires or demands exists is supplied by no input:
    #: it can only be indeterminate, not applicable, or fail for want of evidence
    NOT_EVALUABLE = "not_evaluable"
    #: something it needs comes from a format or plugin that declares nothing
    UNKNOWN = "unknown"


@attrs.frozen(slots=True)
class NeedStatus:
    """One need of a rule and the formats that can supply it (empty: none)."""

    need: Need
    suppliers: tuple[str, ...]
    #: no supplier known, but a format that declares nothing might be one
    unknown: bool = False

    @property
    def supplied(self) -> bool:
        return bool(self.suppliers)


@attrs.frozen(slots=True)
class RuleCoverage:
    """A rule's needs against the supplies, and (in a run) what its findings were."""

    rule: str
    title: str
    evaluability: Evaluability
    needs: tuple[NeedStatus, ...]
    #: findings of the run by result (empty for ``pack needs``)
    results: tuple[tuple[str, int], ...] = ()

    @property
    def missing(self) -> tuple[NeedStatus, ...]:
        """Needs nothing supplies, strongest first."""
        return tuple(n for n in self.needs if not n.supplied and not n.unknown)

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "title": self.title,
            "evaluability": self.evaluability.value,
            "missing": [
                {"need": n.need.words, "kind": n.need.kind.value}
                for n in self.missing
                if n.need.kind is not NeedKind.READ or self.evaluability is Evaluability.PARTIAL
            ],
            "results": dict(self.results),
        }


@attrs.frozen(slots=True)
class Coverage:
    """The coverage of one pack by the formats of one set of inputs."""

    formats: tuple[str, ...]
    rules: tuple[RuleCoverage, ...]

    def of(self, rule: str) -> RuleCoverage:
        for item in self.rules:
            if item.rule == rule:
                return item
        raise KeyError(rule)

    def counts(self) -> dict[str, int]:
        found = Counter(r.evaluability.value for r in self.rules)
        return {e.value: found[e.value] for e in Evaluability}

    def to_dict(self) -> dict[str, object]:
        return {
            "formats": list(self.formats),
            "counts": self.counts(),
            "rules": [r.to_dict() for r in self.rules],
        }


class SupplyIndex:
    """What a set of formats can supply, by fact type, with the format that supplies it."""

    def __init__(self, formats: Iterable[tuple[str, FormatInfo]]) -> None:
        self.labels: list[str] = []
        self._by_type: dict[str, list[tuple[str, frozenset[str]]]] = {}
        self.undeclared: list[str] = []
        for adapter_name, info in formats:
            label = f"{adapter_name} ({info.name})"
            if label in self.labels:
                continue
            self.labels.append(label)
            if not info.supplies:
                self.undeclared.append(label)
            for supply in info.supplies:
                self._by_type.setdefault(supply.fact_type, []).append(
                    (label, frozenset(supply.fields))
                )

    @classmethod
    def of_adapters(cls, adapters: Sequence[Adapter]) -> SupplyIndex:
        """Every format of every adapter: what the installed adapters could supply."""
        return cls((adapter.name, info) for adapter in adapters for info in adapter.formats)

    def suppliers(self, fact_type: str, path: str | None) -> tuple[str, ...]:
        found = []
        for label, fields in self._by_type.get(fact_type, ()):
            if path is None or _covers(fields, path):
                found.append(label)
        return tuple(found)


def _covers(fields: frozenset[str], path: str) -> bool:
    """A declared field covers its own path, its sub-fields and the fields it is part of."""
    if path in fields:
        return True
    return any(path.startswith(f + ".") or f.startswith(path + ".") for f in fields)


def _made(need: Need, index: SupplyIndex) -> bool:
    """Whether the inputs can make the derived fact a subject need asks for at all."""
    if need.kind is not NeedKind.SUBJECT or not need.fact_type.startswith(DERIVED_PREFIX):
        return True
    spec = BUILTIN_DERIVERS.get(need.fact_type[len(DERIVED_PREFIX) :])
    return spec is None or all(index.suppliers(t, p) for t, p in spec.made_from)


def _need_status(need: Need, index: SupplyIndex, plugin_made: frozenset[str]) -> NeedStatus:
    if not _made(need, index):
        return NeedStatus(need, (), unknown=bool(index.undeclared))
    sources = base_sources(need)
    suppliers: list[str] = []
    for fact_type, path in sources:
        for label in index.suppliers(fact_type, path):
            if label not in suppliers:
                suppliers.append(label)
    unknown = not suppliers and (bool(index.undeclared) or need.fact_type in plugin_made)
    return NeedStatus(need, tuple(suppliers), unknown=unknown)


def rule_coverage(
    needs: RuleNeeds, index: SupplyIndex, plugin_made: frozenset[str] = frozenset()
) -> RuleCoverage:
    """One rule's coverage; ``plugin_made``: derived fact types a plugin may make."""
    statuses = tuple(_need_status(n, index, plugin_made) for n in needs.needs)
    strong = [s for s in statuses if s.need.kind is not NeedKind.READ]
    if any(not s.supplied and not s.unknown for s in strong):
        evaluability = Evaluability.NOT_EVALUABLE
    elif any(s.unknown for s in statuses):
        evaluability = Evaluability.UNKNOWN
    elif any(not s.supplied for s in statuses):
        evaluability = Evaluability.PARTIAL
    else:
        evaluability = Evaluability.EVALUABLE
    return RuleCoverage(needs.rule, needs.title, evaluability, statuses)


def coverage(
    pack: Pack,
    index: SupplyIndex,
    decisions: Sequence[Decision] = (),
    *,
    plugin_derivers: bool = False,
) -> Coverage:
    """The coverage of ``pack`` by ``index``; with ``decisions``, the results per rule.

    ``plugin_derivers`` says whether an installed plugin derives facts: then a
    need of a derived fact the pack declares for plugins is ``unknown`` (a
    plugin may make it), else missing.
    """
    plugin_made = frozenset(
        f"{DERIVED_PREFIX}{name}" for name in pack.derived if plugin_derivers
    ) - {f"{DERIVED_PREFIX}{name}" for name in BUILTIN_DERIVERS}
    results: dict[str, Counter[str]] = {}
    for decision in decisions:
        for finding in decision.findings:
            results.setdefault(finding.rule, Counter())[finding.result.value] += 1
    rules = []
    for needs in pack_needs(pack):
        item = rule_coverage(needs, index, plugin_made)
        counted = results.get(needs.rule, Counter())
        ordered = tuple((r.value, counted[r.value]) for r in Result if counted[r.value])
        rules.append(attrs.evolve(item, results=ordered))
    return Coverage(tuple(index.labels), tuple(rules))
