"""What a worker process runs: reading one file, or evaluating one range of cases.

Both are pure: the result depends only on the task, never on which worker
runs it or what it ran before, so the driver can put the results together in
the run's own order and get what one process gets. A worker keeps its plugin
manager and its evaluators between tasks (a durable ruleset is compiled once
per process, and the C engine's state is per process), and evaluates one
task at a time: a Dask worker with several threads must not share its engine
between them.

A task never raises: whatever fails comes back as a :class:`TaskFailure`
with the one line the command line would print for it in one process and
the exit status it would end in, so no exception has to survive pickling.
"""

from __future__ import annotations

import os
import socket
import threading
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from typing import Generic, TypeVar

import attrs
import pluggy

from handoff_rules.adapters.base import NO_SETTINGS, ReadSettings
from handoff_rules.adapters.registry import InputFile, ReadResult, read_files
from handoff_rules.cases import Case
from handoff_rules.decision import Checkpoint, Decision
from handoff_rules.distribute.plugin_set import PluginSet
from handoff_rules.errors import EXIT_INTERNAL, EXIT_USAGE, HandoffError, InvalidValue
from handoff_rules.plugins import installed_adapters, plugin_in_traceback
from handoff_rules.policy.case_versions import CaseVersion
from handoff_rules.versioned_evaluation import Evaluators, evaluate_by_version

__all__ = [
    "EvaluateTask",
    "ReadTask",
    "TaskFailure",
    "TaskOutcome",
    "evaluate_task",
    "read_task",
    "run_task",
]

T = TypeVar("T")
R = TypeVar("R")


@attrs.frozen
class ReadTask:
    """Read one input file (or archive) as the single process would, in its place."""

    file: InputFile
    plugins: PluginSet
    strict: bool = False
    #: what the files do not say (``--currency``), as the single process is given it
    settings: ReadSettings = NO_SETTINGS


@attrs.frozen
class EvaluateTask:
    """Evaluate a contiguous range of the run's cases, each under its own version."""

    cases: tuple[Case, ...]
    versions: tuple[CaseVersion, ...]
    at: date
    #: the backend the driver resolved (never None: a worker must not choose another)
    engine: str
    plugins: PluginSet
    checkpoints: tuple[Checkpoint, ...] | None = None


@attrs.frozen
class TaskFailure:
    """Why a task failed, as one line, with the exit status it ends the run in."""

    line: str
    exit_code: int
    worker: str
    traceback: str


@attrs.frozen
class TaskOutcome(Generic[R]):
    """A task's result, or its failure; ``worker`` says where it ran."""

    worker: str
    value: R | None = None
    failure: TaskFailure | None = None


#: per worker process: the plugin manager and evaluators of each plugin set and engine
_MANAGERS: dict[PluginSet, pluggy.PluginManager] = {}
_EVALUATORS: dict[tuple[PluginSet, str], Evaluators] = {}
_ONE_AT_A_TIME = threading.Lock()


def _manager(plugins: PluginSet) -> pluggy.PluginManager:
    pm = _MANAGERS.get(plugins)
    if pm is None:
        pm = _MANAGERS[plugins] = plugins.manager()
    return pm


def read_task(task: ReadTask) -> ReadResult:
    pm = _manager(task.plugins)
    return read_files(
        [task.file], installed_adapters(pm), strict=task.strict, settings=task.settings
    )


def evaluate_task(task: EvaluateTask) -> list[list[Decision]]:
    key = (task.plugins, task.engine)
    evaluators = _EVALUATORS.get(key)
    if evaluators is None:
        evaluators = _EVALUATORS[key] = Evaluators(task.engine, _manager(task.plugins))
    return evaluate_by_version(task.cases, task.versions, task.at, evaluators, task.checkpoints)


def worker_name() -> str:
    """``HOST:PID``: enough to find the worker's own log."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_task(function: Callable[[T], R], task: T) -> TaskOutcome[R]:
    """Run ``function(task)`` here; a failure comes back described, never raised."""
    where = worker_name()
    with _ONE_AT_A_TIME:
        try:
            return TaskOutcome(where, value=function(task))
        except Exception as exc:
            code, line = describe_failure(exc, _known_manager(task))
            return TaskOutcome(
                where,
                failure=TaskFailure(line, code, where, "".join(traceback.format_exception(exc))),
            )


def _known_manager(task: object) -> pluggy.PluginManager | None:
    plugins = getattr(task, "plugins", None)
    return _MANAGERS.get(plugins) if isinstance(plugins, PluginSet) else None


def describe_failure(exc: BaseException, pm: pluggy.PluginManager | None) -> tuple[int, str]:
    """The exit status and line of an error, as the command line reports it in one process.

    An error meant for the user keeps its message and status; a refused value
    that escaped, or any other exception, is blamed on the plugin whose code
    raised it, else on handoff-rules (status 3).
    """
    if isinstance(exc, HandoffError) and not isinstance(exc, InvalidValue):
        return exc.exit_code, str(exc)
    message = " / ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    what = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    frame = None if isinstance(exc, MemoryError) else _culprit(exc, pm)
    if frame is not None:
        return EXIT_INTERNAL, f"{frame}: {what}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return EXIT_USAGE, f"{exc.filename}: {exc.strerror or what}"
    return EXIT_INTERNAL, f"internal error: {what}"


def _culprit(exc: BaseException, pm: pluggy.PluginManager | None) -> str | None:
    try:
        frame = plugin_in_traceback(exc, pm)
    except Exception:  # naming the culprit must not hide the failure itself
        return None
    return None if frame is None else f"{frame.origin} failed in {frame.function}"


def chunked(count: int, size: int) -> list[range]:
    """``range(count)`` cut into consecutive ranges of at most ``size``, in order."""
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def as_tuple(items: Sequence[T], span: range) -> tuple[T, ...]:
    return tuple(items[span.start : span.stop])
