"""What each rule reads, derived from its IR: the facts and fields it needs to decide.

A rule can only be as good as the evidence under it. When no input supplies
the contracts LEG-CTR-001 looks for, every order "fails" that rule, and the
honest statement is "cannot be decided from these inputs", made before any
decision. This module lists, per compiled rule, the fact types and fields its
conditions touch, computed from the IR itself (no hand-kept list that can
drift from the pack), with derived facts traced back to the model fields
their deriver reads (``DerivedSpec.reads``), and every name in a user's words.

:mod:`handoff_rules.coverage` compares these needs with what adapters supply.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from functools import cache

import attrs

from handoff_rules.decision import Checkpoint
from handoff_rules.engine.compiled import Pack, Rule
from handoff_rules.engine.derive import BUILTIN_DERIVERS
from handoff_rules.engine.flatten import (
    DERIVED_FIXED_KEYS,
    DERIVED_PREFIX,
    EVALUATION_TYPE,
    FieldKind,
    field_schema,
)
from handoff_rules.engine.ir import SUBJECT, Compare, Condition, NeedFact, NeedField, Ref
from handoff_rules.engine.words import fact_noun, field_words

__all__ = ["Need", "NeedKind", "RuleNeeds", "base_sources", "pack_needs", "rule_needs"]


class NeedKind(enum.StrEnum):
    """How a rule uses what it reads; it says what its absence does."""

    #: the facts the rule judges: without any, the rule has nothing to decide
    SUBJECT = "subject"
    #: declared under ``requires``: without it the finding is indeterminate
    REQUIRED = "required"
    #: facts whose existence the rule demands (``fail_unless_exists``, ``not_exists``):
    #: without a source of them the rule can only fail
    EVIDENCE = "evidence"
    #: read in a condition: an absent value makes that condition false
    READ = "read"


@attrs.frozen(slots=True)
class Need:
    """One fact type (``path`` None) or one field a rule reads, and how."""

    fact_type: str
    path: str | None
    kind: NeedKind

    @property
    def words(self) -> str:
        if self.path is None:
            return f"{fact_noun(self.fact_type)} facts"
        return field_words(self.fact_type, self.path)


@attrs.frozen(slots=True)
class RuleNeeds:
    """Everything one rule reads, strongest use first, each need once."""

    rule: str
    title: str
    checkpoints: tuple[Checkpoint, ...]
    subject: str
    needs: tuple[Need, ...]

    def of_kind(self, *kinds: NeedKind) -> tuple[Need, ...]:
        return tuple(n for n in self.needs if n.kind in kinds)


_STRENGTH = {NeedKind.SUBJECT: 0, NeedKind.REQUIRED: 1, NeedKind.EVIDENCE: 2, NeedKind.READ: 3}


@cache
def _paths(
    fact_type: str, derived_key: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
) -> dict[str, str]:
    """Flat key → dotted path of one fact type (money sub-keys name the money field)."""
    derived = {name: {k: FieldKind(v) for k, v in kinds} for name, kinds in derived_key}
    schema = field_schema(fact_type, derived) or {}
    result: dict[str, str] = {}
    for path, field in sorted(schema.items(), key=lambda item: item[0].count(".")):
        if field.kind is FieldKind.MONEY:
            for key in (field.key, f"{field.key}__minor", f"{field.key}__currency"):
                result.setdefault(key, path)
        result.setdefault(field.key, path)
    return result


def _derived_key(pack: Pack) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple(
        sorted(
            (name, tuple(sorted((k, v.value) for k, v in kinds.items())))
            for name, kinds in pack.derived.items()
        )
    )


def _uses(
    conditions: Iterable[Condition], own: str, types: Mapping[str, str]
) -> Iterator[tuple[str, str]]:
    """``(fact type, flat key)`` of every field the conditions read, own and referenced."""
    for condition in conditions:
        yield types[own], condition.key
        if isinstance(condition, Compare) and isinstance(condition.value, Ref):
            ref = condition.value
            alias = own if ref.alias == own else ref.alias
            if alias in types:
                yield types[alias], ref.key


def rule_needs(rule: Rule, pack: Pack) -> RuleNeeds:
    """The needs of one rule of ``pack`` (the pack declares the derived facts' kinds)."""
    ir = rule.ir
    found: dict[tuple[str, str | None], NeedKind] = {}
    derived = _derived_key(pack)

    def add(fact_type: str, key: str | None, kind: NeedKind) -> None:
        if fact_type == EVALUATION_TYPE:
            return
        path = None if key is None else _paths(fact_type, derived).get(key, key)
        if path == "id":  # every fact has its id: needing the fact is enough
            path = None
        old = found.get((fact_type, path))
        if old is None or _STRENGTH[kind] < _STRENGTH[old]:
            found[fact_type, path] = kind

    add(ir.subject, None, NeedKind.SUBJECT)
    subject_types = {SUBJECT: ir.subject}
    for fact_type, key in _uses(ir.applies, SUBJECT, subject_types):
        add(fact_type, key, NeedKind.READ)
    for need in ir.requires:
        if isinstance(need, NeedField):
            add(ir.subject, need.key, NeedKind.REQUIRED)
        elif isinstance(need, NeedFact):
            add(need.fact_type, None, NeedKind.REQUIRED)
            types = {SUBJECT: ir.subject, "need": need.fact_type}
            for fact_type, key in _uses(need.conditions, "need", types):
                add(fact_type, key, NeedKind.READ)
    for clause in ir.violations:
        for fact_type, key in _uses(clause.subject, SUBJECT, subject_types):
            add(fact_type, key, NeedKind.READ)
        types = dict(subject_types)
        for join in clause.joins:
            types[join.alias] = join.fact_type
            add(join.fact_type, None, NeedKind.EVIDENCE if join.negated else NeedKind.READ)
            for fact_type, key in _uses(join.conditions, join.alias, types):
                add(fact_type, key, NeedKind.READ)
    needs = tuple(
        Need(fact_type, path, kind)
        for (fact_type, path), kind in sorted(
            found.items(), key=lambda item: (_STRENGTH[item[1]], item[0][0], item[0][1] or "")
        )
    )
    return RuleNeeds(rule.id, rule.title, rule.checkpoints, ir.subject, needs)


def pack_needs(pack: Pack) -> tuple[RuleNeeds, ...]:
    """:func:`rule_needs` of every rule, in pack order."""
    return tuple(rule_needs(rule, pack) for rule in pack.rules)


def base_sources(need: Need) -> tuple[tuple[str, str | None], ...]:
    """The model facts or fields that supply a need; any one of them suffices.

    A model need is its own source. A derived need is traced through its
    deriver's ``reads``; a derived fact as a whole comes from the model fact it
    is made for. A derived fact no built-in deriver makes (a plugin's) has no
    model source: it is supplied by that plugin or by nothing.
    """
    if not need.fact_type.startswith(DERIVED_PREFIX):
        if need.fact_type == "counterparty" and (need.path or "").startswith("legal_id"):
            return (("counterparty", "identifiers"),)
        return ((need.fact_type, need.path),)
    spec = BUILTIN_DERIVERS.get(need.fact_type[len(DERIVED_PREFIX) :])
    if spec is None:  # a plugin's derived fact: supplied where a format declares it
        return ((need.fact_type, need.path),)
    if need.path is None or need.path in DERIVED_FIXED_KEYS:
        return ((spec.source_type, None),)
    return spec.reads.get(need.path, ((spec.source_type, None),))
