"""Compile rule IR to durable_rules JSON rules, one engine rule per clause variant.

The IR (:mod:`handoff_rules.engine.ir`) says "a comparison with an absent field
is false". durable_rules agrees for comparisons with constants and for plain
equality with another fact's field (hash-matched). It disagrees elsewhere
(measured; see ``tests/engine/test_durable_backend.py``): any other comparison
with another fact's field stops the evaluation when that fact lacks the field
(error 311), and a field of the same fact (``$m``) that is absent compares as
if it were there. So the fields those comparisons read are made explicit:

* a field read through ``$m`` gets ``$ex`` in the same pattern: equivalent,
  because the pattern's tests are ANDed;
* a field of an earlier fact read by a *positive* join gets ``$ex`` on that
  earlier fact's pattern: equivalent, because the join could not bind
  anything without it;
* a field of an earlier fact read only by *negated* joins cannot get ``$ex``:
  when it is absent, the negated join's conditions cannot hold for any fact,
  so the negation holds. Such a clause is compiled into disjoint *variants*,
  one per presence/absence combination of those fields: where a field is
  absent, the variant tests ``$nex`` and leaves out the negated joins that
  read it. At most :data:`MAX_VARIANT_FIELDS` such fields per clause; the
  evaluation date (``at.date``) is always present and needs none.

Everything else maps one to one: the subject pattern is
``t == subject`` AND ``applies`` AND the clause's subject conditions; each join
is one pattern (``<alias>$not`` when negated); a :class:`~handoff_rules.engine.ir.Ref`
to another fact becomes ``{alias: key}``, to the same fact ``{"$m": key}``, and an
offset becomes ``$add``. The driver adds the trigger, the sentinel joins and the
``__done__`` rule.

Engine rule names are positional (``r<rule>.c<clause>.v<variant>``), because
pack rule ids may contain characters the engine refuses in names; the compiled
program maps them back.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs

from handoff_rules.engine.durable.rules import MAX_PATTERNS_PER_FACT_TYPE
from handoff_rules.engine.ir import (
    SUBJECT,
    Clause,
    Compare,
    Condition,
    Const,
    Op,
    Present,
    Ref,
    RuleIR,
)
from handoff_rules.errors import DurableCompileError

__all__ = [
    "MAX_PATTERNS_PER_FACT_TYPE",
    "MAX_VARIANT_FIELDS",
    "CompiledClause",
    "DurableCompileError",
    "DurableProgram",
    "compile_program",
]

#: A clause whose negated joins read this many possibly-absent fields needs 2**n rules.
MAX_VARIANT_FIELDS: Final = 4
#: Always present: the evaluation row carries its date in every flat case.
_ALWAYS_PRESENT: Final = frozenset({("at", "date")})

_OPERATORS: Final = {
    Op.EQ: "$eq",
    Op.NE: "$neq",
    Op.LT: "$lt",
    Op.LE: "$lte",
    Op.GT: "$gt",
    Op.GE: "$gte",
}


@attrs.frozen(slots=True)
class CompiledClause:
    """What one engine rule stands for: an IR rule's clause and its positive joins."""

    rule: str
    clause: int
    bound: tuple[str, ...]


@attrs.frozen
class DurableProgram:
    """A pack's rules as durable_rules JSON, with what is needed to read firings back."""

    rules: Mapping[str, Mapping[str, Any]]
    clauses: Mapping[str, CompiledClause]


# --------------------------------------------------------------------------------------
# conditions


def _operand(value: Const | Ref, own_alias: str) -> Any:
    if isinstance(value, Const):
        return value.value
    field: Any = {"$m": value.key} if value.alias == own_alias else {value.alias: value.key}
    if value.offset:
        return {"$add": {"$l": field, "$r": value.offset}}
    return field


def _condition(condition: Condition, own_alias: str) -> dict[str, Any]:
    if isinstance(condition, Present):
        return {"$ex" if condition.present else "$nex": {condition.key: 1}}
    return {_OPERATORS[condition.op]: {condition.key: _operand(condition.value, own_alias)}}


def _references(conditions: Iterable[Condition]) -> list[tuple[str, str]]:
    """``(alias, key)`` of every field the conditions read besides their own key."""
    return [
        (c.value.alias, c.value.key)
        for c in conditions
        if isinstance(c, Compare) and isinstance(c.value, Ref)
    ]


def _existence(keys: Iterable[str], present: bool) -> list[dict[str, Any]]:
    operator = "$ex" if present else "$nex"
    return [{operator: {key: 1}} for key in sorted(set(keys))]


def _pattern(fact_type: str, tests: list[dict[str, Any]]) -> dict[str, Any]:
    type_test = {"t": fact_type}
    if not tests:
        return type_test
    return {"$and": [type_test, *tests]}


# --------------------------------------------------------------------------------------
# clauses


@attrs.frozen
class _Pattern:
    alias: str
    fact_type: str
    conditions: tuple[Condition, ...]
    negated: bool


def _patterns(rule: RuleIR, clause: Clause) -> list[_Pattern]:
    subject = _Pattern(SUBJECT, rule.subject, (*rule.applies, *clause.subject), negated=False)
    joins = [_Pattern(j.alias, j.fact_type, j.conditions, j.negated) for j in clause.joins]
    return [subject, *joins]


def _guarded_references(conditions: Iterable[Condition]) -> list[tuple[str, str]]:
    """The references the engine mis-evaluates when the field is absent.

    A plain equality with *another* fact's field is hash-matched and does not
    match an absent field, on either side, as the IR wants; every other
    comparison with another fact, and any offset, needs the field to exist.
    """
    return [
        (c.value.alias, c.value.key)
        for c in conditions
        if isinstance(c, Compare)
        and isinstance(c.value, Ref)
        and (c.op is not Op.EQ or c.value.offset != 0)
    ]


def _own_guards(pattern: _Pattern) -> set[str]:
    # ``$m`` compares an absent field of the fact itself as if it were there (even
    # for equality), so every field read through it gets ``$ex``.
    return {key for alias, key in _references(pattern.conditions) if alias == pattern.alias}


def _other_references(pattern: _Pattern) -> set[tuple[str, str]]:
    return {
        (alias, key)
        for alias, key in _guarded_references(pattern.conditions)
        if alias != pattern.alias and (alias, key) not in _ALWAYS_PRESENT
    }


@attrs.frozen
class _Variant:
    """One presence/absence combination of the fields only negated joins read."""

    present: frozenset[tuple[str, str]]
    absent: frozenset[tuple[str, str]]


def _variants(patterns: list[_Pattern]) -> tuple[set[tuple[str, str]], list[_Variant]]:
    required: set[tuple[str, str]] = set()
    optional: set[tuple[str, str]] = set()
    for pattern in patterns:
        (optional if pattern.negated else required).update(_other_references(pattern))
    choices = sorted(optional - required)
    variants = []
    for presence in itertools.product((True, False), repeat=len(choices)):
        present = frozenset(f for f, p in zip(choices, presence, strict=True) if p)
        variants.append(_Variant(present, frozenset(choices) - present))
    return required, variants


def _compile_variant(
    patterns: list[_Pattern], required: set[tuple[str, str]], variant: _Variant
) -> list[dict[str, Any]]:
    conditions: list[dict[str, Any]] = []
    for pattern in patterns:
        reads = _other_references(pattern)
        if pattern.negated and reads & variant.absent:
            # A field it compares with is absent: no fact can satisfy it, the negation holds.
            continue
        tests = [_condition(c, pattern.alias) for c in pattern.conditions]
        tests += _existence(_own_guards(pattern), present=True)
        mine = {key for alias, key in required | variant.present if alias == pattern.alias}
        tests += _existence(mine, present=True)
        tests += _existence(
            (key for alias, key in variant.absent if alias == pattern.alias), present=False
        )
        alias = pattern.alias + "$not" if pattern.negated else pattern.alias
        conditions.append({alias: _pattern(pattern.fact_type, tests)})
    return conditions


def _positive_aliases(clause: Clause) -> tuple[str, ...]:
    return tuple(join.alias for join in clause.joins if not join.negated)


def _check_alpha_fanout(
    ruleset: str, rules: Mapping[str, Mapping[str, Any]], clauses: Mapping[str, CompiledClause]
) -> None:
    # The driver's own limit (engine error 303), checked here first so that the error names
    # the pack rule instead of an engine rule.
    counts: dict[str, int] = {}
    for name, rule in rules.items():
        for condition in rule["all"]:
            ((_alias, pattern),) = condition.items()
            fact_type = pattern["t"] if "t" in pattern else pattern["$and"][0]["t"]
            counts[fact_type] = counts.get(fact_type, 0) + 1
            if counts[fact_type] > MAX_PATTERNS_PER_FACT_TYPE:
                raise DurableCompileError(
                    ruleset,
                    clauses[name].rule,
                    f"more than {MAX_PATTERNS_PER_FACT_TYPE} patterns over fact type "
                    f"{fact_type!r} in the compiled rules; the engine fails when one fact "
                    f"reaches more than {MAX_PATTERNS_PER_FACT_TYPE} of them: split the pack",
                )


# --------------------------------------------------------------------------------------
# entry point


def compile_program(ruleset: str, rules: Sequence[RuleIR]) -> DurableProgram:
    """The durable_rules program of ``rules``; refuses what the engine cannot run safely."""
    engine_rules: dict[str, Mapping[str, Any]] = {}
    clauses: dict[str, CompiledClause] = {}
    for rule_number, rule in enumerate(rules):
        for clause_number, clause in enumerate(rule.violations):
            patterns = _patterns(rule, clause)
            required, variants = _variants(patterns)
            if len(variants) > 2**MAX_VARIANT_FIELDS:
                raise DurableCompileError(
                    ruleset,
                    rule.id,
                    f"clause {clause_number}: its negated joins compare with more than "
                    f"{MAX_VARIANT_FIELDS} fields of other facts that may be absent; "
                    "require those fields (requires: field) or compute a derived fact",
                )
            compiled = CompiledClause(rule.id, clause_number, _positive_aliases(clause))
            for variant_number, variant in enumerate(variants):
                name = f"r{rule_number}.c{clause_number}.v{variant_number}"
                engine_rules[name] = {"all": _compile_variant(patterns, required, variant)}
                clauses[name] = compiled
    _check_alpha_fanout(ruleset, engine_rules, clauses)
    return DurableProgram(rules=MappingProxyType(engine_rules), clauses=MappingProxyType(clauses))
