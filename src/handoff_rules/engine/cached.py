"""Evaluators kept per pack version and engine, for commands that evaluate case by case.

A durable_rules ruleset is compiled once per pack version and its name is
never registered twice, so replay, version comparison and scenario runs share
one evaluator per (pack, digest, engine) instead of making one per case.
"""

from __future__ import annotations

from datetime import date

from handoff_rules.cases import Case
from handoff_rules.decision import Decision
from handoff_rules.engine.compiled import Pack
from handoff_rules.engine.evaluate import PackEvaluator, make_evaluator
from handoff_rules.engine.limits import WhyUndecided

__all__ = ["evaluate_case"]


_EVALUATORS: dict[tuple[str, str, str, str | None], PackEvaluator] = {}


def _evaluator(pack: Pack, engine: str | None) -> PackEvaluator:
    from handoff_rules.plugins import default_plugin_manager

    key = (pack.name, pack.version, pack.digest, engine)
    if key not in _EVALUATORS:
        _EVALUATORS[key] = make_evaluator(pack, engine, default_plugin_manager())
    return _EVALUATORS[key]


def evaluate_case(
    case: Case,
    pack: Pack,
    at: date,
    engine: str | None,
    *,
    undecided: WhyUndecided | None = None,
) -> list[Decision]:
    """Decisions for a case under a pack with the named engine, before exceptions.

    Evaluators are cached per pack version and engine: a durable_rules ruleset
    is compiled once and its name is never registered twice. With
    ``undecided``, no rule decides the case, for that reason (audit replay of
    a case no pack version was in force for).
    """
    evaluator = _evaluator(pack, engine)
    if undecided is not None:
        return evaluator.undecided(case, at, undecided)
    return evaluator.evaluate(case, at)
