"""Evaluating a run's cases, each under its own pack version, in batches per version.

Each case is judged by the pack version in force on its order date
(:mod:`handoff_rules.policy.case_versions`), so one run may use several
versions. An evaluator takes its cases in batches (the durable backend shares
engine sessions between the cases of a batch), and a batch runs under one
version: so the cases are grouped by the version that judges them, each
group goes through its version's evaluator, and the decisions come back in
case order, whatever the grouping. There is one evaluator per version, made
when first needed: a durable ruleset is compiled once per version.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import date

import pluggy

from handoff_rules.cases import Case
from handoff_rules.decision import Checkpoint, Decision
from handoff_rules.engine.evaluate import PackEvaluator, make_evaluator
from handoff_rules.policy.case_versions import CaseVersion
from handoff_rules.policy.pack import Pack

__all__ = ["Evaluators", "evaluate_by_version"]

_VersionKey = tuple[str, str, str]


def _key(pack: Pack) -> _VersionKey:
    return (pack.name, pack.version, pack.digest)


class Evaluators:
    """One evaluator per pack version with one engine choice, made when first asked for."""

    def __init__(self, engine: str | None, pm: pluggy.PluginManager | None) -> None:
        self._engine = engine
        self._pm = pm
        self._made: dict[_VersionKey, PackEvaluator] = {}

    def __call__(self, pack: Pack) -> PackEvaluator:
        key = _key(pack)
        evaluator = self._made.get(key)
        if evaluator is None:
            evaluator = self._made[key] = make_evaluator(pack, self._engine, self._pm)
        return evaluator


def evaluate_by_version(
    cases: Sequence[Case],
    versions: Sequence[CaseVersion],
    at: date,
    evaluator_for: Callable[[Pack], PackEvaluator],
    checkpoints: Sequence[Checkpoint] | None = None,
    track: Callable[[Iterable[int], str], Iterable[int]] = lambda items, _label: items,
) -> list[list[Decision]]:
    """The decisions of each case under its version (``versions[i]`` for ``cases[i]``), in order.

    A case no version covers (``CaseVersion.undecided``) reaches no backend:
    the first version's evaluator lists every rule ``indeterminate``, saying
    why, as for a case beyond a limit. ``track`` wraps the case numbers as
    they are evaluated (a progress bar).
    """
    if len(cases) != len(versions):
        raise ValueError(f"{len(cases)} cases but {len(versions)} versions")
    groups: dict[tuple[_VersionKey, bool], list[int]] = {}
    for index, choice in enumerate(versions):
        groups.setdefault((_key(choice.pack), choice.undecided is not None), []).append(index)
    results: list[list[Decision]] = [[] for _ in cases]
    tracked = iter(track([index for indices in groups.values() for index in indices], "Evaluating"))
    for (_, undecided), indices in groups.items():
        evaluator = evaluator_for(versions[indices[0]].pack)
        mine = itertools.islice(tracked, len(indices))
        if undecided:
            for index in mine:
                why = versions[index].undecided
                assert why is not None  # grouped by it
                results[index] = evaluator.undecided(cases[index], at, why, checkpoints)
            continue
        pending = ((cases[index], at) for index in mine)
        for index, decisions in zip(
            indices, evaluator.evaluate_many(pending, checkpoints), strict=True
        ):
            results[index] = decisions
    return results
