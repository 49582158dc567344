"""The driver's entry point: a ruleset checked, loaded once, and evaluated case by case.

:class:`CompiledRuleset` is the only thing the rest of the library needs from
this package. It puts the other modules together in the order that keeps the
C engine safe: the engine must import (:mod:`~handoff_rules.engine.durable.cmodule`),
the name and the rules must pass their checks
(:mod:`~handoff_rules.engine.durable.registry`,
:mod:`~handoff_rules.engine.durable.rules`) before anything is loaded, the
facts theirs (:mod:`~handoff_rules.engine.durable.facts`) before any session
starts (:mod:`~handoff_rules.engine.durable.session`), and what the engine
reports is read back into :class:`~handoff_rules.engine.durable.firings.Firing`
objects, sorted so that the order of the facts never shows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from handoff_rules.engine.durable.cmodule import engine_module
from handoff_rules.engine.durable.firings import Firing, checked_id, read_ids
from handoff_rules.engine.durable.protocol import TRIGGER_ALIAS
from handoff_rules.engine.durable.registry import check_ruleset_name, registered
from handoff_rules.engine.durable.rules import compile_rules
from handoff_rules.engine.durable.session import (
    DurableEvaluationError,
    Session,
    group_into_sessions,
)


class CompiledRuleset:
    """A pack version's rules, checked and loaded into the durable_rules engine.

    ``name`` should carry the version (``"o2c-standard@1.2.0"``): the engine
    cannot unload or replace a ruleset, so within one process a name stands for
    one set of rules. Constructing a second ``CompiledRuleset`` with the same
    name and the same rules reuses the loaded one (and its lock); the same name
    with other rules raises
    :class:`~handoff_rules.engine.durable.registry.RulesetConflictError`.

    ``rules`` is ``{rule_name: {"all": [{alias: pattern}, ...], "pri": int}}`` in
    durable_rules JSON, without trigger, sentinel or ``__done__``; each pattern
    must test its fact type with a top-level ``{"t": "<type>"}``. Checks run here,
    so a refused rule never reaches the engine.
    """

    def __init__(self, name: str, rules: Mapping[str, Mapping[str, Any]]) -> None:
        engine_module()
        self.name = check_ruleset_name(name)
        compiled = compile_rules(self.name, rules)
        self.engine_json = json.dumps(compiled.definition, ensure_ascii=False, sort_keys=True)
        #: per fact type, the keys sent to the engine (``t`` first)
        self.keys = compiled.keys
        self._rules = {rule.name: rule for rule in compiled.rules}
        self._rank = {rule.name: rank for rank, rule in enumerate(compiled.rules)}
        self._engine = registered(self.name, self.engine_json)

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(self._rules)

    def evaluate(self, facts: Sequence[Mapping[str, Any]]) -> list[Firing]:
        """Every firing of every rule over ``facts``, independent of their order.

        Facts are flat mappings with a string type ``t``; see
        :mod:`handoff_rules.engine.durable.facts` for the values accepted.
        Firings come sorted by rule (in the order the rules were given), then
        by the positions of the facts they matched.
        """
        return self.evaluate_many([facts])[0]

    def evaluate_many(self, cases: Sequence[Sequence[Mapping[str, Any]]]) -> list[list[Firing]]:
        """:meth:`evaluate` for each case, with several cases sharing an engine session.

        A session costs about as much to set up as a case costs to match, so
        cases go in together, up to
        :data:`~handoff_rules.engine.durable.session.MAX_SESSION_FACTS` facts per
        session; every pattern joins the trigger of its own case, so a case
        never sees another's facts. The result is the same as evaluating each
        case on its own (``tests/engine/test_durable_batches.py``).
        """
        fact_lists = [list(facts) for facts in cases]
        results: list[list[Firing]] = [[] for _ in fact_lists]
        for session in group_into_sessions(fact_lists, self.keys):
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
        self, message: str, session: Session, fact_lists: list[list[Mapping[str, Any]]]
    ) -> tuple[int, Firing]:
        rule_name = message[2 : message.find('"', 2)]
        rule = self._rules[rule_name]
        ids = read_ids(message, (TRIGGER_ALIAS, *rule.aliases))
        count = len(session.owner)
        case = checked_id(ids[TRIGGER_ALIAS], count + session.cases) - count
        if case < 0:
            raise ValueError(f"rule {rule_name!r}: {ids[TRIGGER_ALIAS]!r} is not a trigger's id")
        positions: dict[str, int] = {}
        for alias in rule.aliases:
            number = checked_id(ids[alias], count)
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
