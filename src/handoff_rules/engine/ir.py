"""The rule IR: what a compiled pack rule means, independent of the engine that runs it.

A pack's YAML is compiled (``handoff_rules.policy``) into these frozen classes,
with parameters already substituted as constants. Both backends read only the
IR and the flat facts of :mod:`handoff_rules.engine.flatten`: the ``reference``
backend interprets it in plain Python (the oracle), the ``durable`` backend
compiles it to a durable_rules ruleset. The IR is deliberately small, so that
everything in it is something durable_rules evaluates correctly behind the
guards of ``handoff_rules.engine.durable``.

Semantics (the contract both backends implement)
------------------------------------------------

A rule is about one **subject** fact type. For every fact of that type in the
case (a flat row with ``row["t"] == rule.subject``):

1. ``applies`` (conditions on the subject only) must all hold, else the rule
   says nothing about that fact (no finding). This part is computed in Python
   by :mod:`handoff_rules.engine.evaluate`, for both backends; a backend must
   still include ``applies`` in what it matches (see 4), so that only
   applicable subjects produce matches.
2. ``requires`` are checked next, also in Python for both backends: a
   :class:`NeedField` names a subject field that must be present; a
   :class:`NeedFact` asks for at least one fact of a type whose conditions hold
   (they may compare with the subject, alias ``"subject"``). A missing one makes
   the finding ``indeterminate`` (never ``pass``).
3. If the rule has ``subject_required`` and the case has no fact of the subject
   type at all, the rule gives one ``indeterminate`` finding without a subject.
4. Otherwise the finding is ``fail`` when at least one :class:`Clause` of
   ``violations`` **matches** the subject, else ``pass``. This is the only part
   a backend computes: :meth:`handoff_rules.engine.base.MatchBackend.matches`
   returns every :class:`~handoff_rules.engine.base.Match` (rule, clause,
   subject row, rows bound to the clause's positive joins).

A clause matches a subject row S when ``rule.applies`` and ``clause.subject``
hold on S, and its ``joins``, taken in order, can be satisfied: a positive
join binds a row of its fact type, distinct from S and from the rows bound by
earlier joins, on which all its conditions hold; a negated join (``negated``)
holds when NO row of its type satisfies its conditions. Conditions of a join
may refer to the subject (alias ``"subject"``) and to aliases of earlier
positive joins, never to later ones or to negated joins. Alternatives
("or") are separate clauses; there is no ``or`` inside a clause, because
durable_rules mis-evaluates nested groups over joins.

Conditions
----------

:class:`Compare` compares the pattern's own field ``key`` (a flat key, see
:func:`handoff_rules.engine.flatten.flat_key`) with a :class:`Const`, or with
a :class:`Ref` to a field of the subject, of an earlier join or of the same
fact (``Ref.alias`` equal to the pattern's own alias) plus an integer
``offset``. A comparison with an absent field (own or referenced) is false,
for every operator including ``!=``: that is durable_rules' rule ("a fact
without the referenced field never matches") and the reason ``requires``
exists. :class:`Present` tests presence (``$ex``/``$nex``).

Values are ``int`` or ``str`` only (see flatten: money as minor units, dates
as ordinals, decimals scaled by 10**4, booleans as 0/1). Strings are compared
only with ``==`` and ``!=``; ordering comparisons and offsets apply to ints
only. Both rules are checked when an IR object is built.

Special aliases: ``"subject"`` is the subject row; ``"at"`` is reserved for a
positive join over the one ``evaluation`` row every flat case carries (see
flatten), so rules can compare with the evaluation date without compiling it
into the ruleset.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import Final, TypeAlias

import attrs

from handoff_rules.errors import RuleIRError

__all__ = [
    "SUBJECT",
    "Clause",
    "Compare",
    "Condition",
    "Const",
    "Join",
    "NeedFact",
    "NeedField",
    "Op",
    "Operand",
    "Present",
    "Ref",
    "Requirement",
    "RuleIR",
    "RuleIRError",
]

#: The alias of the subject fact in every clause.
SUBJECT: Final = "subject"

_ALIAS_RE: Final = re.compile(r"[a-z][a-z0-9_]*")
_KEY_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: 64-bit range: durable_rules saturates integers beyond it.
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**63 - 1


class Op(enum.StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    @property
    def is_ordering(self) -> bool:
        return self not in (Op.EQ, Op.NE)


def _check_key(key: str) -> None:
    if not _KEY_RE.fullmatch(key) or key in ("id", "sid", "t"):
        raise RuleIRError(f"invalid flat key {key!r}")


def _check_int(value: int) -> None:
    if not _INT_MIN <= value <= _INT_MAX:
        raise RuleIRError(
            f"integer {value} beyond int64 (the engine's range {_INT_MIN} to {_INT_MAX}; "
            "money counts in minor units, decimals in ten-thousandths, dates in days)"
        )


@attrs.frozen(slots=True)
class Const:
    """A constant: a parameter or literal already converted to its flat form."""

    value: int | str

    def __attrs_post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int | str):
            raise RuleIRError(f"constants are int or str, not {self.value!r}")
        if isinstance(self.value, int):
            _check_int(self.value)


@attrs.frozen(slots=True)
class Ref:
    """A field of another bound fact (or of the same one), plus an integer offset."""

    alias: str
    key: str
    offset: int = 0

    def __attrs_post_init__(self) -> None:
        _check_key(self.key)
        _check_int(self.offset)


Operand: TypeAlias = Const | Ref


@attrs.frozen(slots=True)
class Compare:
    """``own[key] <op> operand``; false when any side is absent.

    ``is_text`` says the compared values are strings; it is set by the compiler
    from the model's field types and enforced here (no ordering, no offset).
    """

    key: str
    op: Op = attrs.field(converter=Op)
    value: Operand
    is_text: bool = False

    def __attrs_post_init__(self) -> None:
        _check_key(self.key)
        if self.is_text:
            if self.op.is_ordering:
                raise RuleIRError(f"strings cannot be ordered ({self.key} {self.op})")
            if isinstance(self.value, Ref) and self.value.offset:
                raise RuleIRError(f"no offset on a string comparison ({self.key})")
            if isinstance(self.value, Const) and not isinstance(self.value.value, str):
                raise RuleIRError(f"string field {self.key} compared with a number")
        elif isinstance(self.value, Const) and not isinstance(self.value.value, int):
            raise RuleIRError(f"number field {self.key} compared with a string")


@attrs.frozen(slots=True)
class Present:
    """``key`` is present (``present=True``) or absent on the pattern's own fact."""

    key: str
    present: bool = True

    def __attrs_post_init__(self) -> None:
        _check_key(self.key)


Condition: TypeAlias = Compare | Present


def _conditions(items: Iterable[object]) -> tuple[Condition, ...]:
    result = tuple(items)
    checked: list[Condition] = []
    for item in result:
        if not isinstance(item, Compare | Present):
            raise RuleIRError(f"not a condition: {item!r}")
        checked.append(item)
    return tuple(checked)


@attrs.frozen(slots=True)
class Join:
    """Another fact of the case, bound (positive) or required absent (``negated``)."""

    alias: str
    fact_type: str
    conditions: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    negated: bool = False


def _joins(items: Iterable[Join]) -> tuple[Join, ...]:
    return tuple(items)


@attrs.frozen(slots=True)
class Clause:
    """One way a subject violates the rule: subject conditions plus joins, all ANDed.

    ``message`` optionally replaces the rule's message when this clause is the
    one reported (e.g. "ship-to is missing").
    """

    subject: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    joins: tuple[Join, ...] = attrs.field(default=(), converter=_joins)
    message: str | None = None


@attrs.frozen(slots=True)
class NeedField:
    """A subject field without which the rule cannot decide."""

    key: str
    label: str = ""

    def __attrs_post_init__(self) -> None:
        _check_key(self.key)


@attrs.frozen(slots=True)
class NeedFact:
    """At least one fact of ``fact_type`` satisfying ``conditions`` (alias ``need``)."""

    fact_type: str
    conditions: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    label: str = ""


Requirement: TypeAlias = NeedField | NeedFact


def _requirements(items: Iterable[Requirement]) -> tuple[Requirement, ...]:
    return tuple(items)


def _clauses(items: Iterable[Clause]) -> tuple[Clause, ...]:
    return tuple(items)


def _refs(conditions: tuple[Condition, ...]) -> set[str]:
    return {
        c.value.alias for c in conditions if isinstance(c, Compare) and isinstance(c.value, Ref)
    }


@attrs.frozen(slots=True)
class RuleIR:
    """One rule, ready for a backend. ``id`` doubles as the engine rule name prefix."""

    id: str
    subject: str
    applies: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    requires: tuple[Requirement, ...] = attrs.field(default=(), converter=_requirements)
    violations: tuple[Clause, ...] = attrs.field(default=(), converter=_clauses)
    subject_required: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.violations:
            raise RuleIRError(f"rule {self.id}: no violation clause")
        if not _refs(self.applies) <= {SUBJECT}:
            raise RuleIRError(f"rule {self.id}: 'applies' may only refer to the subject")
        for need in self.requires:
            if isinstance(need, NeedFact) and not _refs(need.conditions) <= {SUBJECT, "need"}:
                raise RuleIRError(f"rule {self.id}: a required fact may refer to the subject only")
        for number, clause in enumerate(self.violations):
            self._check_clause(number, clause)

    def _check_clause(self, number: int, clause: Clause) -> None:
        where = f"rule {self.id} clause {number}"
        if not _refs(clause.subject) <= {SUBJECT}:
            raise RuleIRError(f"{where}: subject conditions may only refer to the subject")
        bound = {SUBJECT}
        seen = {SUBJECT}
        for join in clause.joins:
            if not _ALIAS_RE.fullmatch(join.alias) or join.alias in seen:
                raise RuleIRError(f"{where}: bad or repeated alias {join.alias!r}")
            seen.add(join.alias)
            if join.alias == "at" and (join.negated or join.fact_type != "evaluation"):
                raise RuleIRError(f"{where}: alias 'at' is the evaluation row")
            unknown = _refs(join.conditions) - bound - {join.alias}
            if unknown:
                raise RuleIRError(f"{where}: join {join.alias} refers to unbound {sorted(unknown)}")
            if join.negated and join.fact_type in (
                {self.subject} | {j.fact_type for j in clause.joins if not j.negated}
            ):
                raise RuleIRError(
                    f"{where}: a negated join may not range over the subject's or a bound "
                    "join's fact type (which facts it may see would be ambiguous)"
                )
            if not join.negated:
                bound.add(join.alias)

    @property
    def fact_types(self) -> frozenset[str]:
        """Every fact type the rule reads (subject, joins, required facts)."""
        types = {self.subject}
        types.update(j.fact_type for c in self.violations for j in c.joins)
        types.update(n.fact_type for n in self.requires if isinstance(n, NeedFact))
        return frozenset(types)
