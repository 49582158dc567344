"""Ruleset shape checks: what a rule may say, and how it is rebuilt for the engine.

durable_rules 2.0.28 crashes on some rule shapes and silently evaluates others
wrongly (see :mod:`handoff_rules.engine.durable` for the list). Every rule
passes through :func:`compile_rules` before the engine sees it: shapes known
to misbehave raise :class:`RulesetShapeError`, naming the rule and the reason,
and the others are rebuilt (never edited: the caller's mapping stays as it
was) into what the session protocol needs: the trigger as the first
condition of every rule, every pattern joined to its case's trigger and closed
by the always-true sentinel join, and the ``__done__`` rule. Along the way it
records which keys the rules read of each fact type, so that the fact checks
send nothing else.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from handoff_rules.engine.durable.cmodule import INT64_MAX, INT64_MIN, is_exponent_float
from handoff_rules.engine.durable.protocol import (
    CASE_KEY,
    DONE_RULE,
    NAME_RE,
    RESERVED_KEYS,
    TRIGGER_ALIAS,
    TRIGGER_TYPE,
)
from handoff_rules.errors import RulesetShapeError as RulesetShapeError

#: 255 rules share the trigger's alpha node at most (error 108 beyond); one is ``__done__``.
MAX_RULES: Final = 254
#: 16 message frames per rule (``MAX_MESSAGE_FRAMES``); one is the trigger.
MAX_CONDITIONS_PER_RULE: Final = 15
#: 32 expressions per join sequence (``MAX_SEQUENCE_EXPRESSIONS``) incl. ``$and``, end,
#: the case join and the sentinel.
MAX_COMPARISONS_PER_PATTERN: Final = 23
#: One fact reaching more than 64 joins stops the engine (error 303, ``MAX_STACK_SIZE``);
#: every pattern is a join here, so this bounds the patterns over one fact type.
MAX_PATTERNS_PER_FACT_TYPE: Final = 64
#: 255 properties per fact (error 302); ``id`` and ``sid`` are added here.

_ALIAS_RE: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\$not)?")
_COMPARISONS: Final = frozenset({"$eq", "$neq", "$lt", "$lte", "$gt", "$gte"})
_REGEX_MATCHES: Final = frozenset({"$mt", "$imt"})
_EXISTENCE: Final = frozenset({"$ex", "$nex"})
_GROUPS: Final = frozenset({"$and", "$or"})
_ARITHMETIC: Final = frozenset({"$add", "$sub", "$mul"})
_REFUSED_RULE_KEYS: Final = {
    "any": "top-level 'any' fires once per combination of alternatives; write one rule each",
    "count": "'count' delivers matches in batches and drops the last, incomplete one",
    "cap": "'cap' delivers matches in batches; every match must be reported on its own",
    "dist": "'dist' changes whether one fact may bind two aliases; the default is kept",
    "run": "actions are not part of a rule; the driver reports firings",
}


@attrs.define
class _RuleChecker:
    """Checks one rule and rebuilds it as the engine must see it.

    Rebuilding (instead of editing) keeps the caller's mapping untouched, which
    the durable Python layer does not.
    """

    ruleset: str
    rule: str
    bound_aliases: list[str] = attrs.field(factory=list)
    negated_aliases: list[str] = attrs.field(factory=list)
    fact_types: list[str] = attrs.field(factory=list)  # one per pattern
    #: per fact type, the keys this rule reads of such facts (its own tests and joins to it)
    keys: dict[str, set[str]] = attrs.field(factory=dict)
    alias_types: dict[str, str] = attrs.field(factory=dict)
    _own: set[str] = attrs.field(factory=set)  # keys the current pattern reads of its fact
    _joined: list[tuple[str, str]] = attrs.field(factory=list)  # (alias, key) it reads

    def refuse(self, reason: str) -> RulesetShapeError:
        return RulesetShapeError(self.ruleset, self.rule, reason)

    def compile(self, definition: object) -> dict[str, Any]:
        if not isinstance(definition, Mapping):
            raise self.refuse("a rule is a mapping with an 'all' list")
        for key in definition:
            if key in _REFUSED_RULE_KEYS:
                raise self.refuse(_REFUSED_RULE_KEYS[key])
            if key not in ("all", "pri"):
                raise self.refuse(f"unknown rule key {key!r}; only 'all' and 'pri' are allowed")
        compiled: dict[str, Any] = {
            "all": [self._trigger_condition(), *self._conditions(definition.get("all"))]
        }
        if "pri" in definition:
            compiled["pri"] = self._priority(definition["pri"])
        return compiled

    @staticmethod
    def _trigger_condition() -> dict[str, Any]:
        return {TRIGGER_ALIAS: {"t": TRIGGER_TYPE}}

    def _priority(self, value: object) -> int:
        # pri is an unsigned short in C: a negative value wraps and fires last.
        if type(value) is not int or not 0 <= value <= 65535:
            raise self.refuse(f"'pri' must be an integer from 0 to 65535, not {value!r}")
        return value

    def _conditions(self, conditions: object) -> list[dict[str, Any]]:
        if not isinstance(conditions, list) or not conditions:
            raise self.refuse("'all' must be a non-empty list of {alias: pattern} conditions")
        if len(conditions) > MAX_CONDITIONS_PER_RULE:
            raise self.refuse(
                f"{len(conditions)} conditions; the engine takes at most "
                f"{MAX_CONDITIONS_PER_RULE} per rule besides the trigger"
            )
        return [self._condition(condition) for condition in conditions]

    def _condition(self, condition: object) -> dict[str, Any]:
        if not isinstance(condition, Mapping) or len(condition) != 1:
            raise self.refuse("each condition must be a mapping with exactly one alias")
        ((alias, pattern),) = condition.items()
        name, negated = self._alias(alias)
        compiled = self._pattern(alias, pattern)
        self.alias_types[name] = self.fact_types[-1]
        (self.negated_aliases if negated else self.bound_aliases).append(name)
        return {alias: compiled}

    def _alias(self, alias: object) -> tuple[str, bool]:
        match = _ALIAS_RE.fullmatch(alias) if isinstance(alias, str) else None
        if match is None:
            raise self.refuse(
                f"alias {alias!r} must be an identifier, optionally followed by '$not' "
                "(nested '$all'/'$any' groups are not supported)"
            )
        name = match.group(1)
        if name in self.bound_aliases or name in self.negated_aliases:
            raise self.refuse(f"alias {name!r} is used twice")
        return name, match.group(2) is not None

    def _pattern(self, alias: str, pattern: object) -> dict[str, Any]:
        traits = _PatternTraits()
        self._own, self._joined = set(), []
        self._expression(pattern, traits, depth=0)
        if traits.comparisons > MAX_COMPARISONS_PER_PATTERN:
            raise self.refuse(
                f"pattern {alias!r} has {traits.comparisons} comparisons; at most "
                f"{MAX_COMPARISONS_PER_PATTERN} are allowed"
            )
        fact_type = self._fact_type(alias, pattern)
        self.fact_types.append(fact_type)
        self.keys.setdefault(fact_type, set()).update(self._own)
        for other, key in self._joined:
            self.keys.setdefault(self.alias_types[other], set()).add(key)
        compiled: dict[str, Any] = json.loads(json.dumps(pattern))
        if traits.nested:
            # Every pattern is a join (to its case's trigger), where nesting is unsafe.
            raise self.refuse(
                f"pattern {alias!r} nests '$and'/'$or': every pattern joins the trigger of "
                "its case, and the engine ignores the conditions after a nested group in a "
                "join; split the rule instead"
            )
        return _joined_to_case(compiled)

    def _fact_type(self, alias: str, pattern: object) -> str:
        assert isinstance(pattern, Mapping)
        ((operator, operand),) = pattern.items()
        candidates = operand if operator == "$and" else [pattern]
        types = {found for item in candidates if (found := _type_test(item)) is not None}
        if len(types) != 1:
            raise self.refuse(
                f"pattern {alias!r} must test its fact type with exactly one "
                "top-level equality on 't' (a string constant)"
            )
        return types.pop()

    def _expression(self, expression: object, traits: _PatternTraits, depth: int) -> None:
        if not isinstance(expression, Mapping) or len(expression) != 1:
            raise self.refuse(
                f"expression {expression!r} must be a mapping with exactly one key "
                "(the engine ignores all but the first of several keys; use '$and')"
            )
        ((operator, operand),) = expression.items()
        if not isinstance(operator, str):
            raise self.refuse(f"operator {operator!r} is not a string")
        if operator in _GROUPS:
            self._group(operator, operand, traits, depth)
        elif operator in _COMPARISONS:
            self._comparison(operator, operand, traits)
        elif operator in _REGEX_MATCHES:
            self._regex_match(operator, operand, traits)
        elif operator in _EXISTENCE:
            self._existence(operator, operand, traits)
        elif operator.startswith("$"):
            raise self.refuse(f"operator {operator!r} is not supported")
        else:
            self._comparison("$eq", expression, traits)

    def _group(self, operator: str, items: object, traits: _PatternTraits, depth: int) -> None:
        if not isinstance(items, list) or not items:
            raise self.refuse(f"{operator!r} needs a non-empty list of expressions")
        if depth > 0 or operator == "$or":
            traits.nested = True
        for item in items:
            self._expression(item, traits, depth + 1)

    def _single_field(self, operator: str, operand: object) -> tuple[str, object]:
        if not isinstance(operand, Mapping) or len(operand) != 1:
            raise self.refuse(f"{operator!r} needs exactly one {{field: value}}")
        ((field, value),) = operand.items()
        self._field(field)
        return field, value

    def _comparison(self, operator: str, operand: object, traits: _PatternTraits) -> None:
        traits.comparisons += 1
        _field, value = self._single_field(operator, operand)
        self._value(value, traits)

    def _regex_match(self, operator: str, operand: object, traits: _PatternTraits) -> None:
        traits.comparisons += 1
        _field, value = self._single_field(operator, operand)
        if not isinstance(value, str):
            raise self.refuse(f"{operator!r} needs a string pattern, not {value!r}")

    def _existence(self, operator: str, operand: object, traits: _PatternTraits) -> None:
        traits.comparisons += 1
        _field, value = self._single_field(operator, operand)
        if type(value) is not int or value != 1:
            raise self.refuse(f"{operator!r} is written {{field: 1}}, not {value!r}")

    def _field(self, field: object) -> None:
        self._own.add(self._field_name(field))

    def _field_name(self, field: object) -> str:
        if not isinstance(field, str) or NAME_RE.fullmatch(field) is None:
            raise self.refuse(
                f"field {field!r} must be an identifier (traits are flat; no '.' paths)"
            )
        if field in RESERVED_KEYS:
            raise self.refuse(f"field {field!r} is assigned by the driver and cannot be tested")
        return field

    def _value(self, value: object, traits: _PatternTraits) -> None:
        if isinstance(value, Mapping):
            self._computed_value(value, traits)
        else:
            self._constant(value)

    def _constant(self, value: object) -> None:
        if isinstance(value, bool | str):
            return
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                raise self.refuse(f"integer {value} is beyond int64; the engine saturates it")
            return
        if isinstance(value, float):
            if not math.isfinite(value) or is_exponent_float(value):
                raise self.refuse(
                    f"float {value!r} would be written with an exponent or is not finite; "
                    "the engine cannot parse it (error 204)"
                )
            return
        if value is None:
            raise self.refuse("null constants never match an absent value; use '$nex'")
        raise self.refuse(f"constant {value!r} is not a string, integer, boolean or float")

    def _computed_value(self, value: Mapping[Any, Any], traits: _PatternTraits) -> None:
        if len(value) != 1:
            raise self.refuse(f"computed value {dict(value)!r} must have exactly one key")
        ((key, operand),) = value.items()
        if key == "$div":
            raise self.refuse(
                "'$div' is refused: an integer division by a zero value kills the process "
                "(SIGFPE); multiply the other side instead"
            )
        if key in _ARITHMETIC:
            self._arithmetic(key, operand, traits)
        elif key == "$m":
            self._field(operand)
        elif isinstance(key, str) and key.startswith("$"):
            raise self.refuse(f"value operator {key!r} is not supported")
        else:
            self._reference(key, operand)

    def _arithmetic(self, operator: str, operand: object, traits: _PatternTraits) -> None:
        if not isinstance(operand, Mapping) or set(operand) != {"$l", "$r"}:
            raise self.refuse(f"{operator!r} needs exactly '$l' and '$r'")
        self._value(operand["$l"], traits)
        self._value(operand["$r"], traits)

    def _reference(self, alias: object, field: object) -> None:
        if alias not in self.bound_aliases:
            raise self.refuse(
                f"{alias!r} is not an alias bound by an earlier, non-negated condition"
            )
        self._joined.append((alias, self._field_name(field)))


@attrs.define
class _PatternTraits:
    """What checking one pattern found out about it."""

    comparisons: int = 0
    nested: bool = False  # contains '$or' or a group inside the top-level '$and'


def _type_test(expression: object) -> str | None:
    if not isinstance(expression, Mapping) or len(expression) != 1:
        return None
    ((key, value),) = expression.items()
    if key == "$eq" and isinstance(value, Mapping) and len(value) == 1:
        ((key, value),) = value.items()
    if key == "t" and isinstance(value, str) and value and not value.startswith("$"):
        return value
    return None


def _joined_to_case(pattern: dict[str, Any]) -> dict[str, Any]:
    """The pattern, restricted to facts of the trigger's case, closed by the sentinel.

    The case join is an equality, which the engine matches through a hash index,
    so cases sharing a session do not see each other at the cost of one lookup.
    """
    # The sentinel is always true (fact types never start with "$", the trigger's is "$eval", so the
    # first bytes differ) and a non-equality join, so the engine's short-circuit scan
    # after a false join stops inside the group. It compares "t", never "id": the
    # engine leaves "id" and "sid" of a stored fact pointing into the JSON text passed
    # to assert_facts, freed when that call returns, so a later join on "id" reads
    # whatever that memory holds by then (the former {"$neq": {"id": {"$eval": "id"}}}
    # came out false, and dropped a match, once that memory happened to hold "-1").
    sentinel = {"$neq": {"t": {TRIGGER_ALIAS: "t"}}}
    same_case = {CASE_KEY: {TRIGGER_ALIAS: CASE_KEY}}
    ((operator, operand),) = pattern.items()
    items = list(operand) if operator == "$and" else [pattern]
    return {"$and": [*items, same_case, sentinel]}


def _check_rule_name(ruleset: str, rule: object) -> str:
    if not isinstance(rule, str) or not rule or not rule.isprintable():
        raise RulesetShapeError(ruleset, str(rule), "a rule name must be printable text")
    if rule == DONE_RULE or any(char in rule for char in '$"\\'):
        raise RulesetShapeError(
            ruleset, rule, f"rule names must not be {DONE_RULE!r} nor contain '$', '\"' or '\\'"
        )
    return rule


@attrs.frozen
class CompiledRule:
    """A rule's name and the aliases its firings bind, to read them back by."""

    name: str
    aliases: tuple[str, ...]


@attrs.frozen
class CompiledRules:
    """A checked ruleset as the engine loads it, with what is needed to feed and read it."""

    definition: dict[str, Any]  # what the engine loads
    rules: tuple[CompiledRule, ...]
    #: per fact type, the keys the rules read (``t`` first); facts of other types
    #: cannot match and are not sent, nor are other keys
    keys: Mapping[str, tuple[str, ...]]


def compile_rules(ruleset: str, rules: Mapping[str, Mapping[str, Any]]) -> CompiledRules:
    """``rules`` checked and rebuilt for the engine; :class:`RulesetShapeError` if refused."""
    if not isinstance(rules, Mapping):
        raise RulesetShapeError(ruleset, None, "rules must be a mapping of rule name to rule")
    if len(rules) > MAX_RULES:
        raise RulesetShapeError(
            ruleset, None, f"{len(rules)} rules; a ruleset holds at most {MAX_RULES}"
        )
    definition: dict[str, Any] = {}
    compiled_rules = []
    patterns: dict[str, int] = {}
    keys: dict[str, set[str]] = {}
    for rule_name, rule in rules.items():
        name = _check_rule_name(ruleset, rule_name)
        checker = _RuleChecker(ruleset, name)
        definition[name] = checker.compile(rule)
        compiled_rules.append(CompiledRule(name, tuple(checker.bound_aliases)))
        for fact_type in checker.fact_types:
            patterns[fact_type] = patterns.get(fact_type, 0) + 1
            if patterns[fact_type] > MAX_PATTERNS_PER_FACT_TYPE:
                raise RulesetShapeError(
                    ruleset,
                    name,
                    f"more than {MAX_PATTERNS_PER_FACT_TYPE} patterns over fact type "
                    f"{fact_type!r}; the engine fails (error 303) when one fact reaches more "
                    f"than {MAX_PATTERNS_PER_FACT_TYPE} joins: split the ruleset",
                )
        for fact_type, read in checker.keys.items():
            keys.setdefault(fact_type, set()).update(read)
    # Fires once per session, on the first case's trigger.
    definition[DONE_RULE] = {
        "all": [{TRIGGER_ALIAS: {"$and": [{"t": TRIGGER_TYPE}, {CASE_KEY: 0}]}}]
    }
    sent = {fact_type: ("t", *sorted(read - {"t"})) for fact_type, read in keys.items()}
    return CompiledRules(definition, tuple(compiled_rules), MappingProxyType(sent))
