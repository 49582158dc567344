"""The reference backend: the IR's semantics in plain Python.

It is the oracle the durable backend is tested against and the backend used
where durable_rules does not build, so it is written to be obviously right
rather than fast: a nested loop over rows per join, in row order. The
semantics it implements are those of :mod:`handoff_rules.engine.ir`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Final

from handoff_rules.engine.base import Match
from handoff_rules.engine.flatten import FlatValue
from handoff_rules.engine.ir import (
    SUBJECT,
    Clause,
    Compare,
    Condition,
    Const,
    NeedFact,
    Op,
    RuleIR,
)

__all__ = ["ReferenceBackend", "holds", "need_fact_met", "own_test"]

Row = Mapping[str, FlatValue]

_OPS: Final[dict[Op, Callable[[FlatValue, FlatValue], bool]]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}


def _operand(compare: Compare, own: Row, own_alias: str, bound: Mapping[str, Row]) -> object:
    value = compare.value
    if isinstance(value, Const):
        return value.value
    source = own if value.alias == own_alias else bound.get(value.alias)
    if source is None:
        return None
    found = source.get(value.key)
    if found is None:
        return None
    if value.offset:
        return found + value.offset if isinstance(found, int) else None
    return found


def holds(condition: Condition, own: Row, own_alias: str, bound: Mapping[str, Row]) -> bool:
    """One condition on ``own`` (bound as ``own_alias``); absent values never match."""
    if not isinstance(condition, Compare):
        return (condition.key in own) is condition.present
    left = own.get(condition.key)
    right = _operand(condition, own, own_alias, bound)
    if left is None or right is None:
        return False
    if isinstance(left, str) is not isinstance(right, str):
        return False  # the compiler never mixes kinds; a plugin's odd value does not match
    return _OPS[condition.op](left, right)  # type: ignore[arg-type]


def own_test(conditions: Sequence[Condition], own_alias: str) -> Callable[[Row], bool]:
    """:func:`holds` for every one of ``conditions`` on one row, decided once per rule.

    The judge tests each subject row against a rule's ``applies`` conditions;
    choosing the comparison per condition once, instead of per row, makes that
    several times cheaper. Same answers as ``holds`` (a property test compares).
    """
    tests = tuple(_own_test(c, own_alias) for c in conditions)
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]

    def all_hold(row: Row) -> bool:
        return all(test(row) for test in tests)

    return all_hold


def _always(row: Row) -> bool:
    return True


def _own_test(condition: Condition, own_alias: str) -> Callable[[Row], bool]:
    if not isinstance(condition, Compare):
        key, present = condition.key, condition.present
        return lambda row: (key in row) is present
    if not isinstance(condition.value, Const):
        return lambda row: holds(condition, row, own_alias, {})
    key, constant, compare = condition.key, condition.value.value, _OPS[condition.op]
    text = isinstance(constant, str)

    def test(row: Row) -> bool:
        value = row.get(key)
        if value is None or isinstance(value, str) is not text:
            return False
        return compare(value, constant)

    return test


def _all(
    conditions: Sequence[Condition], own: Row, own_alias: str, bound: Mapping[str, Row]
) -> bool:
    return all(holds(c, own, own_alias, bound) for c in conditions)


def need_fact_met(need: NeedFact, rows: Sequence[Row], subject: Row) -> bool:
    """Whether a required fact exists for ``subject`` (shared by both backends' callers)."""
    bound = {SUBJECT: subject}
    return any(
        row["t"] == need.fact_type and _all(need.conditions, row, "need", bound) for row in rows
    )


class ReferenceBackend:
    """Matches violation clauses by enumerating bindings in row order."""

    name = "reference"

    def __init__(self, ruleset_name: str, rules: Sequence[RuleIR]) -> None:
        self.ruleset_name = ruleset_name
        self.rules = tuple(rules)

    def matches_many(self, cases: Sequence[Sequence[Row]]) -> list[list[Match]]:
        return [self.matches(rows) for rows in cases]

    def matches(self, rows: Sequence[Row]) -> list[Match]:
        by_type: dict[str, list[int]] = {}
        for index, row in enumerate(rows):
            by_type.setdefault(str(row["t"]), []).append(index)
        found: list[Match] = []
        for rule in self.rules:
            for subject in by_type.get(rule.subject, ()):
                row = rows[subject]
                if not _all(rule.applies, row, SUBJECT, {}):
                    continue
                for number, clause in enumerate(rule.violations):
                    if not _all(clause.subject, row, SUBJECT, {}):
                        continue
                    for bound in _bindings(clause, rows, by_type, subject):
                        found.append(Match(rule.id, number, subject, bound))
        return found


def _bindings(
    clause: Clause, rows: Sequence[Row], by_type: Mapping[str, list[int]], subject: int
) -> Iterator[tuple[int, ...]]:
    """Every assignment of rows to the clause's positive joins that satisfies it."""

    def extend(
        depth: int, used: tuple[int, ...], bound: dict[str, Row], positions: tuple[int, ...]
    ) -> Iterator[tuple[int, ...]]:
        if depth == len(clause.joins):
            yield positions
            return
        join = clause.joins[depth]
        candidates = by_type.get(join.fact_type, ())
        if join.negated:
            if not any(_all(join.conditions, rows[i], join.alias, bound) for i in candidates):
                yield from extend(depth + 1, used, bound, positions)
            return
        for index in candidates:
            if index in used or not _all(join.conditions, rows[index], join.alias, bound):
                continue
            yield from extend(
                depth + 1,
                (*used, index),
                {**bound, join.alias: rows[index]},
                (*positions, index),
            )

    yield from extend(0, (subject,), {SUBJECT: rows[subject]}, ())
