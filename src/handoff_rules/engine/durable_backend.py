"""The ``durable`` match backend: a pack version's violation clauses run by durable_rules.

A pack version is compiled once (:mod:`handoff_rules.engine.compile_durable`)
and loaded into the engine under one versioned name
(``<pack>@<version>#<digest8>``): the engine can neither replace nor unload a
ruleset, so a name must always stand for the same rules, and the driver reuses
the loaded ruleset when the same name and rules come again. All engine calls go
through :mod:`handoff_rules.engine.durable`, which guards against every
known defect of durable_rules 2.0.28.

Per case, only what can change a match is sent: the driver passes on rows of
the fact types the rules name, cut down to the keys they read. Everything else of a decision
(applicability, requirements, messages, outcomes) is computed by
:mod:`handoff_rules.engine.evaluate`, the same code for both backends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from handoff_rules.engine.base import Match
from handoff_rules.engine.compile_durable import (
    DurableCompileError,
    DurableProgram,
    compile_program,
)
from handoff_rules.engine.durable import CompiledRuleset, RulesetShapeError, available
from handoff_rules.engine.flatten import FlatValue
from handoff_rules.engine.ir import SUBJECT, RuleIR

__all__ = ["BACKEND_NAME", "DurableBackend", "DurableCompileError", "available"]

BACKEND_NAME: Final = "durable"


class DurableBackend:
    """Finds violation matches with durable_rules; same answers as the reference backend.

    Construction compiles and loads the rules (raises
    :class:`~handoff_rules.engine.compile_durable.DurableCompileError` for a
    rule the engine cannot run safely, and
    :class:`~handoff_rules.engine.durable.DurableUnavailable` where
    durable_rules does not import); :meth:`matches` evaluates one case.
    """

    name: str = BACKEND_NAME

    def __init__(self, ruleset_name: str, rules: Sequence[RuleIR]) -> None:
        self.ruleset_name = ruleset_name
        self.program: DurableProgram = compile_program(ruleset_name, rules)
        try:
            self._ruleset = CompiledRuleset(ruleset_name, self.program.rules)
        except RulesetShapeError as error:
            clause = self.program.clauses.get(error.rule or "")
            rule = clause.rule if clause is not None else None
            raise DurableCompileError(ruleset_name, rule, error.reason) from error
        self._clauses = self.program.clauses

    def matches(self, rows: Sequence[Mapping[str, FlatValue]]) -> list[Match]:
        """Every match of every clause over ``rows``; ``Match`` indexes refer to ``rows``."""
        return self.matches_many([rows])[0]

    def matches_many(self, cases: Sequence[Sequence[Mapping[str, FlatValue]]]) -> list[list[Match]]:
        """:meth:`matches` of each case; the cases share engine sessions (same results)."""
        results = []
        clauses = self._clauses
        for firings in self._ruleset.evaluate_many(cases):
            result = []
            for firing in firings:
                clause = clauses[firing.rule]
                positions = firing.positions
                result.append(
                    Match(
                        clause.rule,
                        clause.clause,
                        positions[SUBJECT],
                        tuple(positions[alias] for alias in clause.bound),
                    )
                )
            results.append(result)
        return results

    def __repr__(self) -> str:
        return f"DurableBackend({self.ruleset_name!r}, {len(self._clauses)} engine rules)"
