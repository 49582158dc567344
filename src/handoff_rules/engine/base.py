"""The two interfaces of the engine: a match backend, and an evaluator of cases.

A **match backend** answers one question over the flat rows of one case
(:mod:`handoff_rules.engine.flatten`): which violation clauses of which rules
match which subject rows (:mod:`handoff_rules.engine.ir` defines "match").
Everything else (applicability, requirements, results, messages, actions,
outcomes) is computed once, in Python, by :mod:`handoff_rules.engine.evaluate`,
so that two backends can only differ in what they are there to do.

Backends:

* ``reference`` (:class:`handoff_rules.engine.reference.ReferenceBackend`):
  plain Python, the oracle;
* ``durable`` (``handoff_rules.engine.durable_backend.DurableBackend``):
  durable_rules, constructed as ``DurableBackend(ruleset_name, rules)``.

Both are built from ``(ruleset_name, rules: Sequence[RuleIR])`` and must
return the same set of matches for the same rows; :func:`canonical_matches`
gives the order callers compare them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Protocol, runtime_checkable

import attrs

from handoff_rules.cases import Case
from handoff_rules.decision import Checkpoint, Decision
from handoff_rules.engine.flatten import FlatValue

__all__ = ["Evaluator", "Match", "MatchBackend", "canonical_matches"]


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


@attrs.frozen(slots=True, order=True)
class Match:
    """One violation clause matched: rule id, clause index, subject row, bound rows.

    ``bound`` holds the row index of each positive join of the clause, in the
    clause's join order (the ``at`` evaluation join included).
    """

    rule: str
    clause: int
    subject: int
    bound: tuple[int, ...] = attrs.field(default=(), converter=_int_tuple)


def canonical_matches(matches: Iterable[Match]) -> list[Match]:
    """Matches without duplicates, sorted: the form two backends are compared in."""
    return sorted(set(matches))


@runtime_checkable
class MatchBackend(Protocol):
    """Finds violation matches of a fixed set of rules over one case's flat rows."""

    name: str

    def matches(self, rows: Sequence[Mapping[str, FlatValue]]) -> list[Match]:
        """Every match of every rule over ``rows`` (order irrelevant; duplicates allowed)."""
        ...

    def matches_many(self, cases: Sequence[Sequence[Mapping[str, FlatValue]]]) -> list[list[Match]]:
        """:meth:`matches` for each case in turn; a backend may share work between cases."""
        ...


@runtime_checkable
class Evaluator(Protocol):
    """Evaluates cases under one pack version. Never reads the clock: ``at`` is given."""

    backend: str

    def evaluate(
        self, case: Case, at: date, checkpoints: Sequence[Checkpoint] | None = None
    ) -> list[Decision]:
        """One decision per checkpoint (default: every checkpoint the pack's rules guard)."""
        ...
