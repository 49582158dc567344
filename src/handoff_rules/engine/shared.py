"""Work shared between the cases of one run, so cost grows with the data, not its square.

Every order of a customer carries the customer's facts: its contracts, the
powers of attorney it issued, its open items, and every global fact such as
the contract templates (:class:`~handoff_rules.cases.CaseLayout`). Evaluated
case by case, each order paid again for deriving, flattening and checking
all of them, and the engines matched every one of them per order: a
customer with twice the orders cost four times as much.

Here, what depends on a shared block of facts alone is done once per run:
grouping it for the derivers, deriving the terms of its powers of attorney,
the open items a credit exposure adds up (per evaluation date), flattening
its facts, checking their values against the engines' limits, and deciding
which of its rows any rule of the pack can read. A case's flat rows are then
its own facts and derived facts plus only those shared rows a rule can read:

* a row of a rule's subject type is kept when that rule could find on it
  (its ``applies`` holds, or cannot be told for lack of a value);
* a row of a joined or required fact type is kept when every condition of
  that join that reads the row alone (a constant, a presence test, a field
  of the same row) holds, and every field the join compares is present;
* a row that only a join comparing it with the rule's subject reads (a power
  of attorney's holder and validity against the goods release) is kept when
  it meets those comparisons for one of the case's own subjects: such rows
  are indexed once per run, by the values the join compares with ``==`` and,
  for a ``lower <= subject.x <= upper`` pair, by ``lower``, so a case finds
  the few that can cover its release without reading the others;
* of each subject type the case holds, one row stays even if no rule reads
  it, so "the case has no document" never replaces "not applicable to any
  document of the case".

A dropped row can match no join and give no finding, so the decisions are
those of the whole case: the same findings, messages, sources and order
(the kept rows keep their canonical order). ``tests/engine/test_shared.py``
compares both paths on generated cases with shared customers, on both
engines. A case whose facts are not laid out by ``build_cases``, or whose
shared rows hold a value beyond the engines' limits, is evaluated whole.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Final

import attrs

from handoff_rules.cases import Case
from handoff_rules.engine.derive import DeriveMemo, run_builtin_parts
from handoff_rules.engine.flatten import (
    EVALUATION_TYPE,
    FlatCase,
    FlatValue,
    flatten_fact,
)
from handoff_rules.engine.ir import SUBJECT, Compare, Condition, Const, NeedFact, Op, Ref, RuleIR
from handoff_rules.engine.limits import (
    CaseBeyondLimit,
    facts_beyond_limit,
    values_beyond_limit,
)
from handoff_rules.engine.reference import holds, own_test
from handoff_rules.facts import Fact, canonical_order

__all__ = ["Readers", "SharedWork"]

Row = Mapping[str, FlatValue]
RowTest = Callable[[Row], bool]

#: How many rows of a join's index are checked one by one whatever the point, at least
#: (plus the square root of their number): those of the longest validity.
LONG_ROWS = 8

#: The alias of a required fact's conditions (``requires: - fact: ...``).
_NEED: Final = "need"


class Readers:
    """Which flat rows the rules of a pack can read, decided from the row alone.

    A join that compares its fact with the rule's subject (``valid_until >=
    subject.release_date``) is also described as a :class:`_Join`, so that a
    case keeps only the shared rows that can meet one of its own subjects.
    """

    def __init__(self, rules: Iterable[RuleIR]) -> None:
        #: per fact type: the tests of the rules that read every row passing them
        self._always: dict[str, list[RowTest]] = {}
        #: per fact type: the joins whose rows a case's own subjects select
        self.joins: dict[str, list[_Join]] = {}
        subjects = set()
        for rule in rules:
            subjects.add(rule.subject)
            self._always.setdefault(rule.subject, []).append(_finds_on(rule))
            for clause in rule.violations:
                for join in clause.joins:
                    spec = _Join.of(rule.subject, join.alias, join.conditions)
                    if spec is not None:
                        self.joins.setdefault(join.fact_type, []).append(spec)
                    else:
                        test = _may_bind(join.conditions, join.alias)
                        self._always.setdefault(join.fact_type, []).append(test)
            for need in rule.requires:
                if isinstance(need, NeedFact):
                    test = _may_bind(need.conditions, _NEED)
                    self._always.setdefault(need.fact_type, []).append(test)
        #: the fact types rules judge: one row of each stays (see the module's doc)
        self.subject_types: frozenset[str] = frozenset(subjects)

    def read(self, row: Row) -> bool:
        """Whether some rule reads ``row`` whatever the case's other rows are."""
        return any(test(row) for test in self._always.get(str(row["t"]), ()))


@attrs.frozen(slots=True)
class _Join:
    """A join that compares its row with the rule's subject, as an index can use it.

    ``equal``: ``(own key, subject key, offset)`` of its ``==`` comparisons with
    the subject; ``window``: a ``lower <= subject.x + o1`` and ``upper >=
    subject.x + o2`` pair on one subject key, as ``(lower, upper, x, o1, o2)``.
    """

    subject_type: str
    alias: str
    may_bind: RowTest
    #: the conditions that read the subject, checked exactly per candidate
    with_subject: tuple[Compare, ...]
    equal: tuple[tuple[str, str, int], ...]
    window: tuple[str, str, str, int, int] | None

    @classmethod
    def of(cls, subject_type: str, alias: str, conditions: Sequence[Condition]) -> _Join | None:
        with_subject = tuple(
            c
            for c in conditions
            if isinstance(c, Compare) and isinstance(c.value, Ref) and c.value.alias == SUBJECT
        )
        if not with_subject:
            return None
        equal = tuple(
            (c.key, c.value.key, c.value.offset)  # type: ignore[union-attr]
            for c in with_subject
            if c.op is Op.EQ
        )
        lower = [c for c in with_subject if c.op in (Op.LE, Op.LT)]
        upper = [c for c in with_subject if c.op in (Op.GE, Op.GT)]
        window = None
        for low in lower:
            for high in upper:
                low_ref, high_ref = low.value, high.value
                assert isinstance(low_ref, Ref)
                assert isinstance(high_ref, Ref)
                if window is None and low_ref.key == high_ref.key:
                    window = (low.key, high.key, low_ref.key, low_ref.offset, high_ref.offset)
        if not equal and window is None:
            return None
        return cls(subject_type, alias, _may_bind(conditions, alias), with_subject, equal, window)

    def meets(self, row: Row, subject: Row) -> bool:
        bound = {SUBJECT: subject}
        return all(holds(c, row, self.alias, bound) for c in self.with_subject)

    def subject_key(self, subject: Row) -> tuple[FlatValue, ...] | None:
        """The values a row must have for the ``==`` comparisons; None: no row can."""
        values = []
        for _, key, offset in self.equal:
            value = subject.get(key)
            if value is None:
                return None
            if offset:
                if not isinstance(value, int):
                    return None
                value += offset
            values.append(value)
        return tuple(values)


class _Window:
    """Rows of one join by ``lower``: those whose ``[lower, upper]`` can hold a point.

    Rows whose ``upper - lower`` is at most ``span`` are found by bisection
    (their ``lower`` is within ``span`` of the point); the few longer ones
    (a power of attorney without an end) are checked one by one.
    """

    __slots__ = ("long", "lows", "short", "span")

    def __init__(self, join: _Join, rows: list[tuple[Fact, Row]]) -> None:
        assert join.window is not None
        low_key, high_key = join.window[0], join.window[1]
        dated = []
        self.long: list[tuple[Fact, Row]] = []
        for fact, row in rows:
            low, high = row.get(low_key), row.get(high_key)
            if type(low) is int and type(high) is int:
                dated.append((low, high - low, fact, row))
            elif low is not None and high is not None:
                self.long.append((fact, row))  # not integers: compared exactly, never dropped
        spans = sorted(item[1] for item in dated)
        room = LONG_ROWS + math.isqrt(len(dated))
        self.span = spans[len(spans) - room - 1] if len(spans) > room else -1
        short = sorted(
            ((low, fact, row) for low, span, fact, row in dated if 0 <= span <= self.span),
            key=lambda item: item[0],
        )
        self.long += [(fact, row) for _, span, fact, row in dated if not 0 <= span <= self.span]
        self.lows = [item[0] for item in short]
        self.short = [(fact, row) for _, fact, row in short]

    def around(self, join: _Join, subject: Row) -> Iterable[tuple[Fact, Row]]:
        assert join.window is not None
        _, _, key, low_offset, high_offset = join.window
        point = subject.get(key)
        if type(point) is not int:
            return self.long  # the exact check decides
        first = bisect.bisect_left(self.lows, point + high_offset - self.span)
        last = bisect.bisect_right(self.lows, point + low_offset)
        return itertools.chain(self.short[first:last], self.long)


class _JoinIndex:
    """One shared part's rows a join may bind, by the subject values they must meet."""

    __slots__ = ("buckets", "join")

    def __init__(self, join: _Join, rows: list[tuple[Fact, Row]]) -> None:
        self.join = join
        grouped: dict[tuple[FlatValue, ...], list[tuple[Fact, Row]]] = {}
        for fact, row in rows:
            values = tuple(row.get(key) for key, _, _ in join.equal)
            if None not in values:  # an absent value never matches
                grouped.setdefault(values, []).append((fact, row))  # type: ignore[arg-type]
        self.buckets: dict[tuple[FlatValue, ...], list[tuple[Fact, Row]] | _Window] = {
            key: _Window(join, found) if join.window is not None else found
            for key, found in grouped.items()
        }

    def candidates(self, subject: Row) -> Iterable[Fact]:
        join = self.join
        key = join.subject_key(subject)
        bucket = self.buckets.get(key) if key is not None else None
        if bucket is None:
            return ()
        found = bucket.around(join, subject) if isinstance(bucket, _Window) else bucket
        return [fact for fact, row in found if join.meets(row, subject)]


def _finds_on(rule: RuleIR) -> RowTest:
    """Whether judging ``rule`` on a subject row gives a finding: as the judge decides it."""
    applies = own_test(rule.applies, SUBJECT)
    compared = [c for c in rule.applies if isinstance(c, Compare)]

    def finds(row: Row) -> bool:
        for condition in compared:  # a value the applies test lacks: indeterminate
            if condition.key not in row:
                return True
            value = condition.value
            if not isinstance(value, Const) and value.key not in row:
                return True
        return applies(row)

    return finds


def _may_bind(conditions: Sequence[Condition], alias: str) -> RowTest:
    """False only when a join's conditions fail on the row whatever the other rows are."""

    def may(row: Row) -> bool:
        for condition in conditions:
            if not isinstance(condition, Compare):
                if (condition.key in row) is not condition.present:
                    return False
                continue
            if row.get(condition.key) is None:  # an absent value never matches
                return False
            value = condition.value
            if (isinstance(value, Const) or value.alias == alias) and not holds(
                condition, row, alias, {}
            ):
                return False
        return True

    return may


class _Part:
    """One shared sequence of facts (a block, or what was derived from one), flattened once."""

    __slots__ = ("first", "held", "indexes", "kept", "kept_types", "source", "types")

    def __init__(self, source: Sequence[Fact], readers: Readers, rows: dict[int, Row]) -> None:
        self.source = source  # held, so the ids keyed on stay this run's
        #: the facts some rule reads whatever the case
        self.kept: list[Fact] = []
        self.first: dict[str, Fact] = {}
        flat = []
        kept_types = set()
        by_join: dict[_Join, list[tuple[Fact, Row]]] = {}
        for fact in source:
            row = flatten_fact(fact)
            flat.append(row)
            kind = str(row["t"])
            if kind not in self.first:
                self.first[kind] = fact
                if kind in readers.subject_types:  # may stand for its type (see the module)
                    rows[id(fact)] = row
            if readers.read(row):
                self.kept.append(fact)
                kept_types.add(kind)
                rows[id(fact)] = row
                continue
            for join in readers.joins.get(kind, ()):
                if join.may_bind(row):
                    by_join.setdefault(join, []).append((fact, row))
                    rows[id(fact)] = row
        self.types = frozenset(self.first)
        self.kept_types = frozenset(kept_types)
        #: the facts only a join with the case's own subjects reads, by join
        self.indexes = [_JoinIndex(join, found) for join, found in by_join.items()]
        # the limits' check of values, once: a case of an offending block is evaluated whole
        self.held = values_beyond_limit("", FlatCase(rows=tuple(flat), facts=tuple(source))) is None


def _facts(bucket: list[tuple[Fact, Row]] | _Window) -> Iterator[Fact]:
    pairs = (*bucket.short, *bucket.long) if isinstance(bucket, _Window) else bucket
    return (fact for fact, _ in pairs)


class SharedWork:
    """The shared work of one run of an evaluator: create one per run, drop it after.

    Its memory is that of the run's shared facts (their flat rows and derived
    facts), held until the run ends; nothing outlives it.
    """

    def __init__(
        self,
        rules: Iterable[RuleIR],
        derivers: Sequence[str],
        params: Mapping[str, Any],
        plugin_facts: Callable[[Case, date], list[Fact]],
    ) -> None:
        self._readers = Readers(rules)
        self._derivers = derivers
        self._params = params
        self._plugin_facts = plugin_facts
        self._memo = DeriveMemo()
        self._parts: dict[int, _Part] = {}
        self._rows: dict[int, Row] = {}

    def _part(self, source: Sequence[Fact]) -> _Part:
        part = self._parts.get(id(source))
        if part is None or part.source is not source:
            part = self._parts[id(source)] = _Part(source, self._readers, self._rows)
        return part

    def prepare(self, case: Case, at: date) -> FlatCase | CaseBeyondLimit | None:
        """The case's flat rows (or the limit it exceeds); None: evaluate it whole."""
        layout = case.layout
        if layout is None or not layout.describes(case.facts):
            return None
        own_derived, block_derived = run_builtin_parts(
            self._derivers, case, layout.own, layout.shared, at, self._params, self._memo
        )
        own_derived.extend(self._plugin_facts(case, at))
        derived = len(own_derived) + sum(map(len, block_derived))
        beyond = facts_beyond_limit(case.id, len(case.facts), derived)
        if beyond is not None:
            return beyond
        parts = [self._part(source) for source in (*layout.shared, *block_derived)]
        if not all(part.held for part in parts):
            return None
        rows: dict[int, Row] = {}
        facts = [*layout.own, *own_derived]
        for fact in facts:
            rows[id(fact)] = flatten_fact(fact)
        present = {str(row["t"]) for row in rows.values()}
        subjects: dict[str, list[Row]] = {}
        for row in rows.values():
            subjects.setdefault(str(row["t"]), []).append(row)
        chosen: dict[int, Fact] = {}
        for part in parts:
            facts.extend(part.kept)
            present |= part.kept_types
            for index in part.indexes:
                kind = index.join.subject_type
                if any(kind in other.kept_types for other in parts):
                    # subjects shared too: every row the join may bind stays
                    found: Iterable[Fact] = (
                        fact for bucket in index.buckets.values() for fact in _facts(bucket)
                    )
                else:
                    found = (
                        fact
                        for subject in subjects.get(kind, ())
                        for fact in index.candidates(subject)
                    )
                chosen.update((id(fact), fact) for fact in found)
        facts.extend(chosen.values())
        present.update(str(self._rows[key]["t"]) for key in chosen)
        for kind in self._readers.subject_types:
            if kind in present:
                continue
            for part in parts:
                if kind in part.types:
                    facts.append(part.first[kind])
                    break
        ordered = canonical_order(facts)
        shared = self._rows
        flat_rows = [rows.get(id(fact)) or shared[id(fact)] for fact in ordered]
        flat_rows.append({"t": EVALUATION_TYPE, "date": at.toordinal()})
        flat = FlatCase(rows=tuple(flat_rows), facts=(*ordered, None))
        return values_beyond_limit(case.id, flat) or flat
