"""The only door to the durable_rules C engine, built so that it cannot crash or mislead us.

durable_rules 2.0.28 is fast, but unmaintained, and its C core kills the process
or returns wrong results for inputs that look harmless (see
``engine/durable_rules.md`` in the design notes for what was measured). This
module drives the C extension ``durable_rules_engine`` directly and refuses,
before anything reaches C, every input known to trigger one of those defects.
Nothing else in the library imports durable_rules.

Why the C module and not ``durable.engine.Host``: ``Host`` starts two timer
threads per process that may run actions on a foreign thread, re-serialises the
session state after every fired rule, calls ``datetime.utcfromtimestamp``
(a DeprecationWarning on Python 3.12) and runs about half as fast. We need none
of its features: a rule's only effect here is to be reported.

One session follows a fixed protocol, chosen because it is the only one found
to be independent of the order in which facts arrive. A session evaluates
several cases at once (up to :data:`MAX_SESSION_FACTS` facts), because setting
one up costs about as much as matching a case:

1. every fact gets ``id`` = its position in the session (0..n-1), ``_case`` = its
   case's number in the session (0..k-1) and the ruleset's current session id
   ``sid``; all facts go in with one ``assert_facts`` call;
2. then one trigger fact per case, ``{"t": "$eval", "_case": c, "id": n + c}``, all
   in one further call. The trigger is the FIRST condition of every rule, so no
   rule can (partially) match before all facts are in - the engine never
   withdraws a partial match that passed a negation when the negated fact
   arrives later - and every other pattern of a rule joins its trigger on
   ``_case`` (an equality, matched through a hash index), so a case never sees
   the facts of another;
3. every pending action is started and completed in turn; the actions only
   report which facts matched, and the trigger's id tells the case;
4. an extra rule ``__done__``, whose only condition is the first case's trigger,
   must have fired; only then is the session deleted (deleting a session in
   which no action ever ran frees uninitialised pointers).

``evaluate(facts)`` is a session of one case; ``evaluate_many(cases)`` gives, case
by case, the same firings (``tests/engine/test_durable_batches.py``).

Defects and the guard that avoids each (each has a test in
``tests/engine/test_durable_*.py``; the crashing inputs run raw in a subprocess
there, to show the defect, and then through this driver):

=============================================  ===============================================
defect of durable_rules 2.0.28                 guard here
=============================================  ===============================================
SIGSEGV: ``delete_state`` of a session         ``__done__`` always fires; a session is deleted
without any action                             only after it ran, otherwise it is left alone
                                               and its id retired ("quarantined")
SIGSEGV: float written with an exponent        :class:`FactValueError` for floats whose JSON
(``1e-05``) in a fact; error 204 in a rule     has an exponent; :class:`RulesetShapeError` for
                                               such rule constants
SIGSEGV (heap-layout dependent): last          an always-true join to the trigger,
non-equality join of an ``$and`` is false      ``{"$neq": {"t": {"$eval": "t"}}}``, closes
                                               every pattern (each is a join: to its
                                               case's trigger at least), wrapped in
                                               ``$and`` if needed
SIGFPE: integer ``$div`` by zero               ``$div`` is refused
wrong result: conditions after a nested        patterns must be a flat ``$and`` of
``$and``/``$or`` in a join pattern ignored     comparisons
wrong result: negation depends on arrival      the trigger-first protocol above
order
wrong result: several keys in one expression   one key per expression object; use ``$and``
object - all but the first ignored
wrong result: ints beyond int64 saturate       :class:`FactValueError` / RulesetShapeError
identity by 32-bit FNV-1a hash (content hash   ids 0..n-1 assigned here to facts and
for facts without ``id``)                      triggers, at most 40 000 per session (decimal
                                               ids up to 40 188 are collision-free); session
                                               ids "1", "2", ...
``MessageNotHandledException`` for a batch     the result code is read, not raised; facts of
when one fact matches nothing                  a type no pattern names are not sent at all
negative ``pri`` wraps; ``count`` drops the    refused
last batch; top-level ``any`` fires per
alternative combination
wrong result, depending on heap history: a     no join reads ``id`` or ``sid``: rules may not
stored fact's ``id`` and ``sid`` point into    name them, and the sentinel join above compares
the JSON text passed to ``assert_facts``,      the fact type ``t``, which the engine copies
freed when that call returns, so a later join  with the fact
on them reads stale memory
``Could not create ruleset`` after 255 rules   at most 254 rules per ruleset
on one alpha node
error 303 at run time when one fact reaches    at most 64 patterns per fact type in a
more than 64 joins (or sibling alpha tests;    ruleset (:data:`MAX_PATTERNS_PER_FACT_TYPE`):
identical patterns of different rules count)   every pattern is a join here
a ruleset name cannot be registered twice;     one engine ruleset per name per process; the
``$state``/``$flow`` names are reserved        same name with the same rules is reused, with
                                               other rules refused; ``$`` refused in names
1 024 live sessions per ruleset, ~700 KB each  one session at a time per ruleset, under a lock
exceptions in actions are swallowed            any exception is re-raised after the session
                                               is cleaned up, as DurableEvaluationError
=============================================  ===============================================

Not guarded because it depends on data the rules cannot see, and documented
here instead:

* a join or arithmetic that reads a field the other fact (or, for ``$m``, the
  fact itself) lacks makes the engine fail with error 311 instead of not
  matching (an equality join to a missing field simply does not match); also a
  :class:`DurableEvaluationError`. Test such fields with ``$ex`` in the pattern
  of the fact that carries them, so facts without them never take part;
* comparisons of mixed types compare text: ``10 == "10"`` and
  ``true == "true"`` are true; strings compare bytewise, and a string that is a
  prefix of another may compare wrongly (``"ab" < "ab!"`` is false). Give facts
  consistent types; compare dates as ``date.toordinal()`` integers and money as
  integer minor units.

Facts (checked on every evaluation, before C sees anything; a refusal is a
:class:`FactValueError` naming the case (in a batch), the fact's index, the key
and the value): flat
mappings of at most 250 keys; keys are identifiers (no ``$``, no ``.``), not
``id``, ``sid`` or ``_case``, which the driver assigns; ``t``, the fact type, is a
non-empty string not starting with ``$``. Values are ``str``, ``int`` within
int64, ``bool``, finite ``float`` whose shortest repr has no exponent
(``0.0001`` and ``123.5`` are fine, ``1e-05`` and ``1e16`` are not), or
``None``, which means "absent": the key is not passed to the engine, so
``$nex`` matches it. Everything else (``Decimal``, ``date``, nested dicts or
lists, ...) is refused. At most 39 999 facts per case. Only facts of a type
some pattern names, and only the keys some rule reads of that type, are sent;
only the values sent are checked (a value the engine never sees cannot harm
it), but every key is.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from types import MappingProxyType, ModuleType
from typing import Any, Final

import attrs

from handoff_rules.errors import HandoffError

__all__ = [
    "CompiledRuleset",
    "DurableEvaluationError",
    "DurableUnavailable",
    "FactValueError",
    "Firing",
    "RulesetConflictError",
    "RulesetShapeError",
    "available",
]

#: Type and alias of the trigger fact; ``$`` keeps them apart from anything a pack names.
TRIGGER_TYPE: Final = "$eval"
TRIGGER_ALIAS: Final = "$eval"
#: The key, assigned here, that tells the cases of one session apart (0, 1, ...).
CASE_KEY: Final = "_case"
#: The always-firing rule whose action proves a session may be deleted.
DONE_RULE: Final = "__done__"

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
MAX_FACT_PROPERTIES: Final = 250
#: Decimal ids 0..40188 have distinct 32-bit FNV-1a hashes: facts and triggers of a session.
MAX_FACTS: Final = 40_000
#: Cases share a session (and its set-up cost) up to this many facts and triggers in all.
#: Measured on the default pack: asserting facts gets cheaper per case up to a few cases
#: per session, while each trigger's joins get dearer as the session grows (64 cases cost
#: more than 8); every stored fact also holds about 10 KB of engine memory.
MAX_SESSION_FACTS: Final = 128
#: Sessions left open because they could not be closed safely; past this the ruleset stops.
MAX_QUARANTINED_SESSIONS: Final = 32
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALIAS_RE: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\$not)?")
_RESERVED_KEYS: Final = frozenset({"id", "sid", CASE_KEY})
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
# Result codes of assert_fact(s): RULES_OK, ERR_EVENT_NOT_HANDLED, ERR_EVENT_OBSERVED.
_HANDLED: Final = 0
_NOT_HANDLED: Final = 1


# --------------------------------------------------------------------------------------
# errors


class DurableUnavailable(HandoffError, RuntimeError):
    """durable_rules cannot be imported here, typically on Python 3.13+ or without a build."""


class RulesetShapeError(HandoffError, ValueError):
    """A rule the driver refuses because durable_rules would crash on it or evaluate it wrongly."""

    def __init__(self, ruleset: str, rule: str | None, reason: str) -> None:
        self.ruleset = ruleset
        self.rule = rule
        self.reason = reason
        where = f"ruleset {ruleset!r}" + (f", rule {rule!r}" if rule is not None else "")
        super().__init__(f"{where}: {reason}")


class RulesetConflictError(HandoffError, ValueError):
    """A ruleset name already registered in this process with different rules.

    The C engine cannot replace or re-register a ruleset, and a versioned name
    must mean one set of rules: publish changed rules under a new version.
    """


class FactValueError(HandoffError, ValueError):
    """A fact, or a value in it, that must not reach the C engine."""

    def __init__(
        self,
        index: int | None,
        key: str | None,
        value: object,
        reason: str,
        case: int | None = None,
    ) -> None:
        self.index = index
        self.key = key
        self.value = value
        self.reason = reason
        self.case = case
        where = "facts" if index is None else f"fact {index}"
        if case is not None:
            where = f"case {case}, {where}"
        if key is not None:
            where += f", key {key!r}"
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{where}: {reason} (value {shown})")


class DurableEvaluationError(HandoffError, RuntimeError):
    """The engine failed during one evaluation; raised after its session was cleaned up."""


# --------------------------------------------------------------------------------------
# the C module


@functools.cache
def _import_engine() -> ModuleType | ImportError:
    try:
        return importlib.import_module("durable_rules_engine")
    except ImportError as error:
        return error


def available() -> bool:
    """Whether the durable_rules C engine can be imported in this interpreter."""
    return isinstance(_import_engine(), ModuleType)


def _engine_module() -> ModuleType:
    engine = _import_engine()
    if isinstance(engine, ImportError):
        version = ".".join(str(part) for part in sys.version_info[:3])
        raise DurableUnavailable(
            f"the durable_rules engine cannot be imported on Python {version} ({engine}); "
            "durable-rules==2.0.28 builds only for Python < 3.13 with gcc and Python headers; "
            "use --engine reference instead"
        )
    return engine


class _CEngine:
    """Typed calls into ``durable_rules_engine`` for one ruleset handle."""

    def __init__(self, module: ModuleType, name: str, definition: str) -> None:
        self._module = module
        self.handle = int(module.create_ruleset(name, definition))

    def assert_facts(self, facts: str) -> tuple[int, int]:
        code, state = self._module.assert_facts(self.handle, facts)
        return int(code), int(state)

    def start_action(self, state: int) -> str | None:
        result = self._module.start_action_for_state(self.handle, state)
        return None if result is None else str(result[1])

    def complete_and_start_action(self, state: int) -> str | None:
        result = self._module.complete_and_start_action(self.handle, state)
        return None if result is None else str(result)

    def delete_state(self, sid: str) -> None:
        self._module.delete_state(self.handle, sid)


# --------------------------------------------------------------------------------------
# firings


@attrs.frozen(slots=True)
class Firing:
    """One match of one rule.

    ``positions`` maps each positive alias of the rule to the index of the fact
    it bound in the evaluated sequence, so the caller can find provenance and
    other data kept beside the fact; ``matches`` maps it to the fact object the
    caller passed (the very same mapping, without anything the driver added).
    """

    rule: str
    positions: Mapping[str, int]
    _facts: Sequence[Mapping[str, Any]] = attrs.field(repr=False, eq=False, alias="facts")

    @property
    def matches(self) -> Mapping[str, Mapping[str, Any]]:
        # Built on demand: most callers need positions only, and a firing is made per match.
        return MappingProxyType({alias: self._facts[i] for alias, i in self.positions.items()})


# --------------------------------------------------------------------------------------
# rule checks and compilation


def _is_exponent_float(value: float) -> bool:
    # json.dumps writes floats with repr(); the C parser crashes (fact) or fails
    # (rule) on an exponent. repr() uses one exactly when |x| < 1e-4 or >= 1e16.
    return "e" in repr(value)


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
        if not isinstance(field, str) or _NAME_RE.fullmatch(field) is None:
            raise self.refuse(
                f"field {field!r} must be an identifier (traits are flat; no '.' paths)"
            )
        if field in _RESERVED_KEYS:
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
            if not math.isfinite(value) or _is_exponent_float(value):
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


def _check_ruleset_name(name: object) -> str:
    if not isinstance(name, str) or not name or not name.isprintable() or len(name) > 200:
        raise RulesetShapeError(str(name), None, "the name must be 1-200 printable characters")
    if "$" in name:
        raise RulesetShapeError(
            name, None, "'$' is refused in names ('$state'/'$flow' are special)"
        )
    return name


def _check_rule_name(ruleset: str, rule: object) -> str:
    if not isinstance(rule, str) or not rule or not rule.isprintable():
        raise RulesetShapeError(ruleset, str(rule), "a rule name must be printable text")
    if rule == DONE_RULE or any(char in rule for char in '$"\\'):
        raise RulesetShapeError(
            ruleset, rule, f"rule names must not be {DONE_RULE!r} nor contain '$', '\"' or '\\'"
        )
    return rule


@attrs.frozen
class _CompiledRule:
    name: str
    aliases: tuple[str, ...]


@attrs.frozen
class _CompiledRules:
    definition: dict[str, Any]  # what the engine loads
    rules: tuple[_CompiledRule, ...]
    #: per fact type, the keys the rules read (``t`` first); facts of other types
    #: cannot match and are not sent, nor are other keys
    keys: Mapping[str, tuple[str, ...]]


def _compile_rules(ruleset: str, rules: Mapping[str, Mapping[str, Any]]) -> _CompiledRules:
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
        compiled_rules.append(_CompiledRule(name, tuple(checker.bound_aliases)))
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
    return _CompiledRules(definition, tuple(compiled_rules), MappingProxyType(sent))


# --------------------------------------------------------------------------------------
# facts


def _check_value(index: int, key: str, value: object) -> None:
    if isinstance(value, str):
        if not value.isascii():
            _check_encodable(index, key, value)
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise FactValueError(
                index, key, value, "integer beyond int64; the engine would saturate it"
            )
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FactValueError(index, key, value, "not a finite number")
        if _is_exponent_float(value):
            raise FactValueError(
                index,
                key,
                value,
                "float written with an exponent crashes the engine; use integers "
                "(minor units, scaled rates)",
            )
        return
    raise FactValueError(index, key, value, _unsupported_reason(value))


def _check_encodable(index: int, key: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise FactValueError(index, key, value, "text is not valid Unicode") from error


def _unsupported_reason(value: object) -> str:
    name = type(value).__name__
    if name == "Decimal":
        return "Decimal is not supported; pass money as integer minor units (cents)"
    if name in ("date", "datetime"):
        return f"{name} is not supported; pass date.toordinal() or epoch seconds as int"
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return f"{name} values are not supported; facts are flat"
    return f"{name} values are not supported; use str, int, bool or float"


def _check_key(index: int, key: object, value: object) -> str:
    if not isinstance(key, str) or _NAME_RE.fullmatch(key) is None:
        raise FactValueError(
            index, str(key), value, "keys must be identifiers (no '$', '.', spaces)"
        )
    if key in _RESERVED_KEYS:
        raise FactValueError(
            index, key, value, "'id', 'sid' and '_case' are assigned by the driver"
        )
    if len(_CHECKED_KEYS) < _CHECKED_KEYS_LIMIT:
        _CHECKED_KEYS.add(key)
    return key


# Keys repeat from fact to fact: remembering the good ones halves the checking time.
_CHECKED_KEYS: set[str] = set()
_CHECKED_KEYS_LIMIT: Final = 100_000


def _engine_fact(
    index: int, fact: object, keys: Mapping[str, tuple[str, ...]]
) -> dict[str, Any] | None:
    """The fact as the engine sees it (without ``sid``), after every check; None: not sent.

    Every key is checked, but only the values the engine will see: those of
    the keys the rules read of this fact type (the others cannot change a
    result, and cost parsing and hashing in C). A value that is not sent cannot
    crash the engine, so it is not refused either.
    """
    if type(fact) is not dict and not isinstance(fact, Mapping):  # the ABC check is slow
        raise FactValueError(index, None, fact, "a fact must be a mapping")
    if len(fact) > MAX_FACT_PROPERTIES:
        raise FactValueError(
            index, None, len(fact), f"more than {MAX_FACT_PROPERTIES} keys in one fact"
        )
    if not _CHECKED_KEYS.issuperset(fact):
        for key in fact:
            if key not in _CHECKED_KEYS:
                _check_key(index, key, fact[key])
    kind = fact.get("t")
    if not isinstance(kind, str) or not kind or kind.startswith("$"):
        raise FactValueError(index, "t", kind, "every fact needs a type 't' not starting with '$'")
    read = keys.get(kind)
    if read is None:
        return None
    entry: dict[str, Any] = {"id": index}  # first: see _read_ids
    for key in read:
        value: Any = fact.get(key)
        # This loop runs for every value of every evaluation: common cases inline.
        value_type = type(value)
        if value_type is str:
            if not value.isascii():
                _check_encodable(index, key, value)
        elif value_type is int:
            if not INT64_MIN <= value <= INT64_MAX:
                _check_value(index, key, value)
        elif value is None:
            continue
        elif value_type is not bool:
            _check_value(index, key, value)
        entry[key] = value
    return entry


@attrs.define
class _Session:
    """The engine facts of the cases that share one session, and where each came from.

    Fact ids run over the whole session (0, 1, ...), so ``owner[id]`` and
    ``local[id]`` give back the case and the fact's index within it.
    """

    first_case: int
    cases: int = 0
    facts: list[dict[str, Any]] = attrs.field(factory=list)
    owner: list[int] = attrs.field(factory=list)
    local: list[int] = attrs.field(factory=list)

    @property
    def size(self) -> int:
        """Facts and triggers, including facts of types no pattern names (not sent)."""
        return len(self.owner) + self.cases

    def triggers(self, sid: str) -> list[dict[str, Any]]:
        # Ids after every fact's: one id space, all below MAX_FACTS, so no hash collides.
        return [
            {"id": len(self.owner) + n, "t": TRIGGER_TYPE, CASE_KEY: n, "sid": sid}
            for n in range(self.cases)
        ]


def _sessions(
    cases: Sequence[Sequence[object]], keys: Mapping[str, tuple[str, ...]]
) -> list[_Session]:
    """Every case's facts checked and grouped into sessions of at most MAX_SESSION_FACTS.

    A case is never split; a case larger than that limit gets a session of its
    own, up to MAX_FACTS. Every fact's shape and keys are checked, sent or not.
    """
    many = len(cases) > 1
    sessions: list[_Session] = []
    session = _Session(first_case=0)
    for number, facts in enumerate(cases):
        if len(facts) + 1 > MAX_FACTS:
            raise FactValueError(
                None,
                None,
                len(facts),
                f"at most {MAX_FACTS - 1} facts per case (id hashing)",
                number if many else None,
            )
        if session.cases and session.size + len(facts) + 1 > MAX_SESSION_FACTS:
            sessions.append(session)
            session = _Session(first_case=number)
        case = session.cases
        for index, fact in enumerate(facts):
            try:
                entry = _engine_fact(len(session.owner), fact, keys)
            except FactValueError as error:
                raise FactValueError(
                    index, error.key, error.value, error.reason, number if many else None
                ) from None
            if entry is not None:
                entry[CASE_KEY] = case
                session.facts.append(entry)
            session.owner.append(case)
            session.local.append(index)
        session.cases += 1
    if session.cases:
        sessions.append(session)
    return sessions


# --------------------------------------------------------------------------------------
# one registered engine ruleset


@attrs.define
class _SessionProgress:
    """How far one session got, so that cleanup never does something that crashes."""

    first_trigger: dict[str, Any]  # the one that fires __done__
    state: int | None = None  # state handle, known once the triggers are in
    action_open: bool = False  # an action was started and not completed yet
    done_ran: bool = False


class _EngineRuleset:
    """One ruleset in the C engine: its handle, its lock and its session ids.

    Evaluations run one at a time (the C engine never releases the GIL, so
    parallel calls would not be faster) and reuse one session id, deleted after
    each evaluation, so at most a few sessions are ever alive.
    """

    def __init__(self, name: str, definition: str) -> None:
        self.name = name
        self.definition = definition
        try:
            self._engine = _CEngine(_engine_module(), name, definition)
        except DurableUnavailable:
            raise
        except Exception as error:
            raise RulesetShapeError(
                name, None, f"the engine refused the ruleset: {error}"
            ) from error
        self._lock = threading.Lock()
        self._sid_number = 1
        self._quarantined: list[str] = []

    @property
    def sid(self) -> str:
        return str(self._sid_number)

    @property
    def quarantined_sessions(self) -> int:
        return len(self._quarantined)

    def run(self, session: _Session) -> list[str]:
        """Evaluate one session's cases in a fresh engine session; the fired actions' messages."""
        with self._lock:
            if len(self._quarantined) >= MAX_QUARANTINED_SESSIONS:
                raise DurableEvaluationError(
                    f"ruleset {self.name!r}: {len(self._quarantined)} sessions could not be "
                    "closed safely; restart the process"
                )
            return self._run_session(self.sid, session)

    def _run_session(self, sid: str, session: _Session) -> list[str]:
        triggers = session.triggers(sid)
        progress = _SessionProgress(first_trigger=triggers[0])
        messages: list[str] = []
        try:
            if session.facts:
                self._assert_facts(sid, session.facts)
            self._assert_triggers(triggers, progress)
            self._drain(progress, messages)
        except Exception as error:
            self._close(sid, progress)
            raise DurableEvaluationError(
                f"ruleset {self.name!r}: evaluation failed: {error}{_hint(error)}"
            ) from error
        except BaseException:
            self._close(sid, progress)
            raise
        self._close(sid, progress)
        if not progress.done_ran:
            raise DurableEvaluationError(f"ruleset {self.name!r}: {DONE_RULE} did not fire")
        return messages

    def _assert_facts(self, sid: str, facts: list[dict[str, Any]]) -> None:
        for fact in facts:
            fact["sid"] = sid
        code, _state = self._engine.assert_facts(_to_json(facts))
        # NOT_HANDLED: some fact passed no pattern; the others are stored all the same.
        if code not in (_HANDLED, _NOT_HANDLED):
            raise DurableEvaluationError(f"facts were refused with result code {code}")

    def _assert_triggers(self, triggers: list[dict[str, Any]], progress: _SessionProgress) -> None:
        # All in one call: the engine takes a batch fact by fact, in list order.
        code, state = self._engine.assert_facts(_to_json(triggers))
        if code != _HANDLED:
            raise DurableEvaluationError(f"a trigger was refused with result code {code}")
        progress.state = state

    def _drain(self, progress: _SessionProgress, messages: list[str] | None) -> None:
        assert progress.state is not None
        if progress.action_open:
            message = self._engine.complete_and_start_action(progress.state)
        else:
            message = self._engine.start_action(progress.state)
        while message is not None:
            progress.action_open = True
            if message.startswith('{"' + DONE_RULE + '":'):
                progress.done_ran = True
            elif messages is not None:
                messages.append(message)
            message = self._engine.complete_and_start_action(progress.state)
            progress.action_open = message is not None

    def _close(self, sid: str, progress: _SessionProgress) -> None:
        """Delete the session if that is safe, else retire its id; never raises."""
        try:
            closed = self._delete_after_done(sid, progress)
        except Exception:
            closed = False
        if not closed:
            self._quarantine(sid)

    def _delete_after_done(self, sid: str, progress: _SessionProgress) -> bool:
        if not progress.done_ran:
            # Cleanup after a failure: bring the session to run __done__ first.
            if progress.state is None:
                self._assert_triggers([progress.first_trigger], progress)
            self._drain(progress, None)
        if not progress.done_ran:
            return False
        self._engine.delete_state(sid)
        return True

    def _quarantine(self, sid: str) -> None:
        # A session that may never have run an action must not be deleted. Its id
        # stays taken; the engine tells sessions apart by a 32-bit hash of the id
        # only, so the next id must hash differently from every id still alive.
        self._quarantined.append(sid)
        taken = {fnv1a_32(alive) for alive in self._quarantined}
        self._sid_number += 1
        while fnv1a_32(self.sid) in taken:
            self._sid_number += 1


def fnv1a_32(text: str) -> int:
    """The engine's identity hash of fact and session ids: 32-bit FNV-1a (ASCII ids)."""
    result = 0x811C9DC5
    for byte in text.encode("utf-8"):
        result = ((result ^ byte) * 0x01000193) & 0xFFFFFFFF
    return result


def _to_json(value: object) -> str:
    # Compact: the engine parses, and keeps, every byte of every fact.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_ERROR_HINTS: Final = {
    "error code: 303": "one fact passed more than 64 sibling tests; split the ruleset",
    "error code: 311": (
        "a fact lacks a field that a join or arithmetic reads; test such fields with "
        "'$ex' in the pattern of the fact that carries them"
    ),
}


def _hint(error: Exception) -> str:
    text = str(error)
    return "".join(f" ({hint})" for code, hint in _ERROR_HINTS.items() if code in text)


_REGISTRY: dict[str, _EngineRuleset] = {}
_REGISTRY_LOCK = threading.Lock()


def _registered(name: str, definition: str) -> _EngineRuleset:
    with _REGISTRY_LOCK:
        existing = _REGISTRY.get(name)
        if existing is not None:
            if existing.definition != definition:
                raise RulesetConflictError(
                    f"ruleset {name!r} is already loaded with different rules; "
                    "the engine cannot replace it: publish the rules under a new version"
                )
            return existing
        engine_ruleset = _EngineRuleset(name, definition)
        _REGISTRY[name] = engine_ruleset
        return engine_ruleset


# --------------------------------------------------------------------------------------
# public entry point


class CompiledRuleset:
    """A pack version's rules, checked and loaded into the durable_rules engine.

    ``name`` should carry the version (``"o2c-standard@1.2.0"``): the engine
    cannot unload or replace a ruleset, so within one process a name stands for
    one set of rules. Constructing a second ``CompiledRuleset`` with the same
    name and the same rules reuses the loaded one (and its lock); the same name
    with other rules raises :class:`RulesetConflictError`.

    ``rules`` is ``{rule_name: {"all": [{alias: pattern}, ...], "pri": int}}`` in
    durable_rules JSON, without trigger, sentinel or ``__done__``; each pattern
    must test its fact type with a top-level ``{"t": "<type>"}``. Checks run here,
    so a refused rule never reaches the engine.
    """

    def __init__(self, name: str, rules: Mapping[str, Mapping[str, Any]]) -> None:
        _engine_module()
        self.name = _check_ruleset_name(name)
        compiled = _compile_rules(self.name, rules)
        self.engine_json = json.dumps(compiled.definition, ensure_ascii=False, sort_keys=True)
        #: per fact type, the keys sent to the engine (``t`` first)
        self.keys = compiled.keys
        self._rules = {rule.name: rule for rule in compiled.rules}
        self._rank = {rule.name: rank for rank, rule in enumerate(compiled.rules)}
        self._engine = _registered(self.name, self.engine_json)

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(self._rules)

    def evaluate(self, facts: Sequence[Mapping[str, Any]]) -> list[Firing]:
        """Every firing of every rule over ``facts``, independent of their order.

        Facts are flat mappings with a string type ``t``; see the module
        documentation for the values accepted. Firings come sorted by rule
        (in the order the rules were given), then by the positions of the facts
        they matched.
        """
        return self.evaluate_many([facts])[0]

    def evaluate_many(self, cases: Sequence[Sequence[Mapping[str, Any]]]) -> list[list[Firing]]:
        """:meth:`evaluate` for each case, with several cases sharing an engine session.

        A session costs about as much to set up as a case costs to match, so
        cases go in together, up to :data:`MAX_SESSION_FACTS` facts per
        session; every pattern joins the trigger of its own case, so a case
        never sees another's facts. The result is the same as evaluating each
        case on its own (``tests/engine/test_durable_batches.py``).
        """
        fact_lists = [list(facts) for facts in cases]
        results: list[list[Firing]] = [[] for _ in fact_lists]
        for session in _sessions(fact_lists, self.keys):
            messages = self._engine.run(session)
            try:
                for message in messages:
                    case, firing = self._firing(message, session, fact_lists)
                    results[case].append(firing)
            except (ValueError, KeyError, TypeError, IndexError) as error:
                raise DurableEvaluationError(
                    f"ruleset {self.name!r}: unreadable engine result: {error}"
                ) from error
        for firings in results:
            firings.sort(key=self._order)
        return results

    def _firing(
        self, message: str, session: _Session, fact_lists: list[list[Mapping[str, Any]]]
    ) -> tuple[int, Firing]:
        rule_name = message[2 : message.find('"', 2)]
        rule = self._rules[rule_name]
        ids = _read_ids(message, (TRIGGER_ALIAS, *rule.aliases))
        count = len(session.owner)
        case = _position(ids[TRIGGER_ALIAS], count + session.cases) - count
        if case < 0:
            raise ValueError(f"rule {rule_name!r}: {ids[TRIGGER_ALIAS]!r} is not a trigger's id")
        positions: dict[str, int] = {}
        for alias in rule.aliases:
            number = _position(ids[alias], count)
            if session.owner[number] != case:  # the case join failed: never seen, but checked
                raise ValueError(f"rule {rule_name!r} matched facts of two cases")
            positions[alias] = session.local[number]
        facts = fact_lists[session.first_case + case]
        return session.first_case + case, Firing(
            rule=rule_name, positions=MappingProxyType(positions), facts=facts
        )

    def _order(self, firing: Firing) -> tuple[int, tuple[int, ...]]:
        return self._rank[firing.rule], tuple(firing.positions.values())

    def __repr__(self) -> str:
        return f"CompiledRuleset({self.name!r}, {len(self._rules)} rules)"


def _position(position: object, count: int) -> int:
    if type(position) is not int or not 0 <= position < count:
        raise ValueError(f"unexpected fact id {position!r}")
    return position


def _read_ids(message: str, aliases: tuple[str, ...]) -> dict[str, object]:
    """Alias -> fact id from one fired action's message ``{"rule":{"alias":{fact},...}}``.

    The engine returns each matched fact as the JSON text it was given, and
    every fact is sent with ``id`` first, so the ids can be read without
    decoding whole facts (a quarter of the evaluation time otherwise).
    ``"alias":{"id":`` cannot occur elsewhere: facts are flat, and quotes
    inside strings are escaped. Anything unexpected goes to the JSON decoder.
    """
    ids: dict[str, object] = {}
    for alias in aliases:
        needle = f'"{alias}":{{"id":'
        start = message.find(needle)
        stop = message.find(",", start)
        if start < 0 or stop < 0:
            return _decode_ids(message)
        ids[alias] = int(message[start + len(needle) : stop])
    return ids


def _decode_ids(message: str) -> dict[str, object]:
    decoded: dict[str, dict[str, dict[str, object]]] = json.loads(message)
    ((_rule, frame),) = decoded.items()
    return {alias: fact["id"] for alias, fact in frame.items()}
