"""The pure, expensive steps of a run on workers, put back together in the run's own order.

Two steps of :func:`handoff_rules.check` go to workers: reading, one task
per input file, and evaluation, one task per consecutive range of cases.
Each task's result is what one process computes for the same file or cases,
and results are joined in the order one process would have made them (the
files in input order, the cases in case order), whatever order they finish
in. Everything that depends on order stays with the caller: linking facts,
building cases, exceptions and their use bounds, the audit log, the sinks
and the report. So a single-use exception that cases of two partitions both
could claim goes to the one that comes first, as in one process.

Nothing is dropped: every file comes back read and every case decided (the
counts are checked), and a partition that fails ends the run with one
:class:`~handoff_rules.errors.WorkerError` naming it: the first failing
partition in run order, so the error does not depend on scheduling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import pluggy

from handoff_rules.adapters.base import NO_SETTINGS, FormatInfo, ReadSettings
from handoff_rules.adapters.registry import InputFile, ReadResult
from handoff_rules.cases import Case
from handoff_rules.decision import Checkpoint, Decision
from handoff_rules.distribute.executors import DaskExecutor, Executor, LocalPool, Lost
from handoff_rules.distribute.plugin_set import PluginSet
from handoff_rules.distribute.tasks import (
    EvaluateTask,
    ReadTask,
    TaskOutcome,
    as_tuple,
    chunked,
    evaluate_task,
    read_task,
)
from handoff_rules.errors import EXIT_INTERNAL, InternalError, UsageError, WorkerError
from handoff_rules.policy.case_versions import CaseVersion

__all__ = ["evaluate_on", "executor_for", "read_on"]

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[Iterable[Any], str], Iterable[Any]]


@contextmanager
def executor_for(
    workers: int, scheduler: str | None, executor: Executor | None
) -> Iterator[Executor | None]:
    """The executor a run asked for (None: this process alone), closed after it if made here."""
    if sum((workers != 1, scheduler is not None, executor is not None)) > 1:
        raise UsageError("choose one of workers, scheduler and executor")
    if executor is not None:
        yield executor
    elif scheduler is not None:
        with DaskExecutor(scheduler) as made:
            yield made
    elif workers < 1:
        raise UsageError(f"workers must be at least 1, not {workers}")
    elif workers == 1:
        yield None
    else:
        with LocalPool(workers) as pool:
            yield pool


class _Completion(Iterable[tuple[int, Any]]):
    """Outcomes as they complete, with a length, so a progress bar can count partitions."""

    def __init__(self, executor: Executor, function: Callable[[T], R], tasks: Sequence[T]) -> None:
        self._executor = executor
        self._function = function
        self._tasks = tasks

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        return self._executor.completed(self._function, self._tasks)


def _in_order(
    executor: Executor,
    function: Callable[[T], R],
    tasks: Sequence[T],
    names: Sequence[str],
    progress: Progress,
    description: str,
) -> list[R]:
    """Every task's value in task order; the first failing task in that order raises.

    Once a task failed, only the tasks before it are still waited for (one of
    them may fail too, and comes first); the others are cancelled.
    """
    values: dict[int, R] = {}
    failed: dict[int, WorkerError] = {}
    outcomes = iter(progress(_Completion(executor, function, tasks), description))
    try:
        for index, outcome in outcomes:
            if isinstance(outcome, TaskOutcome) and outcome.failure is None:
                values[index] = outcome.value  # type: ignore[assignment]  # set without failure
            else:
                failed[index] = _failure(outcome, names[index], executor)
            if failed and all(i in values for i in range(min(failed))):
                break
    finally:
        close = getattr(outcomes, "close", None)
        if callable(close):
            close()
    if failed:
        raise failed[min(failed)]
    if len(values) != len(tasks):
        raise InternalError(
            f"{description}: {len(tasks)} partitions sent to {executor.where}, "
            f"{len(values)} came back"
        )
    return [values[i] for i in range(len(tasks))]


def _failure(outcome: TaskOutcome[Any] | Lost, name: str, executor: Executor) -> WorkerError:
    if isinstance(outcome, Lost):
        return WorkerError(f"{name} was lost on {executor.where}: {outcome}", EXIT_INTERNAL)
    failure = outcome.failure
    assert failure is not None  # only failures come here
    error = WorkerError(
        f"{name} failed on worker {failure.worker} of {executor.where}: {failure.line}",
        failure.exit_code,
    )
    error.add_note(f"the worker's traceback:\n{failure.traceback}")
    return error


def read_on(
    executor: Executor,
    files: Sequence[InputFile],
    pm: pluggy.PluginManager,
    *,
    strict: bool,
    progress: Progress,
    settings: ReadSettings = NO_SETTINGS,
) -> ReadResult:
    """Read each file in a task of its own; the results joined in file order."""
    plugins = PluginSet.of(pm)
    tasks = [ReadTask(file, plugins, strict, settings) for file in files]
    names = [
        f"reading partition {i + 1} of {len(files)} (file {f.source})" for i, f in enumerate(files)
    ]
    parts = _in_order(executor, read_task, tasks, names, progress, "Reading")
    formats: dict[tuple[str, str], FormatInfo] = {}
    for part in parts:
        for name, info in part.formats:
            formats.setdefault((name, info.name), info)
    return ReadResult(
        facts=tuple(fact for part in parts for fact in part.facts),
        rejects=tuple(reject for part in parts for reject in part.rejects),
        errors=tuple(error for part in parts for error in part.errors),
        skipped=tuple(skipped for part in parts for skipped in part.skipped),
        formats=tuple((name, info) for (name, _), info in formats.items()),
    )


def evaluate_on(
    executor: Executor,
    cases: Sequence[Case],
    versions: Sequence[CaseVersion],
    at: date,
    *,
    engine: str,
    pm: pluggy.PluginManager,
    checkpoints: Sequence[Checkpoint] | None,
    progress: Progress,
) -> list[list[Decision]]:
    """The decisions of each case, as ``evaluate_by_version`` gives them in one process.

    Evaluated in ranges of consecutive cases on the executor's workers, each
    with the backend the driver resolved (``engine``), never one a worker picks.
    """
    if len(cases) != len(versions):
        raise ValueError(f"{len(cases)} cases but {len(versions)} versions")
    plugins = PluginSet.of(pm)
    wanted = tuple(checkpoints) if checkpoints is not None else None
    spans = chunked(len(cases), executor.partition_size(len(cases)))
    tasks = [
        EvaluateTask(as_tuple(cases, s), as_tuple(versions, s), at, engine, plugins, wanted)
        for s in spans
    ]
    names = [
        f"evaluation partition {i + 1} of {len(spans)} (cases {s.start + 1}-{s.stop}: "
        f"{cases[s.start].id} to {cases[s.stop - 1].id})"
        for i, s in enumerate(spans)
    ]
    parts = _in_order(executor, evaluate_task, tasks, names, progress, "Evaluating")
    results: list[list[Decision]] = []
    for span, name, part in zip(spans, names, parts, strict=True):
        if len(part) != len(span):
            raise InternalError(f"{name} decided {len(part)} cases of {len(span)}")
        for index, decisions in zip(span, part, strict=True):
            if any(d.case != cases[index].id for d in decisions):
                raise InternalError(f"{name} returned decisions of another case")
            results.append(decisions)
    return results
