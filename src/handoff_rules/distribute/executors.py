"""Where tasks run: local worker processes, or the workers of a Dask cluster.

An executor runs a task function over a list of tasks and yields each
outcome as it completes, with its index; putting the outcomes back in order
is the caller's job (:mod:`handoff_rules.distribute.run`), so no executor
can change a run's result, only its speed.

``workers=N`` uses :class:`LocalPool`, a :class:`~concurrent.futures.ProcessPoolExecutor`
of spawned processes: it starts in about 1.3 s on a 2-core machine, where a
Dask ``LocalCluster`` of the same size takes about 5 s to start and 2 s to
stop, for the same work once running. A Dask cluster (:class:`DaskExecutor`)
is for more than one machine. An executor made by the caller can be passed
to several runs (its processes are started once); one made from ``workers``
or ``scheduler`` lives for one run.
"""

from __future__ import annotations

import abc
import math
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from importlib import import_module
from types import ModuleType, TracebackType
from typing import Any, TypeVar

import attrs

from handoff_rules.distribute.tasks import TaskOutcome, run_task
from handoff_rules.errors import UsageError

__all__ = ["DaskExecutor", "Executor", "LocalPool", "Lost"]

T = TypeVar("T")
R = TypeVar("R")


@attrs.frozen
class Lost:
    """A task that came back with no outcome: its worker died, or its result would not travel."""

    reason: str

    def __str__(self) -> str:
        return self.reason


class Executor(metaclass=abc.ABCMeta):
    """Runs tasks somewhere else; a context manager that frees what it started."""

    #: cases per evaluation partition; None: about four partitions per worker
    cases_per_partition: int | None = None

    @property
    @abc.abstractmethod
    def workers(self) -> int:
        """How many tasks run at once (for partition sizes and the progress line)."""

    @property
    @abc.abstractmethod
    def where(self) -> str:
        """Where tasks run, for messages: ``2 local processes``, ``Dask scheduler ADDRESS``."""

    @abc.abstractmethod
    def completed(
        self, function: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, TaskOutcome[R] | Lost]]:
        """Each task's outcome as it completes, with the task's index.

        Closing the iterator early cancels the tasks not yet started.
        """

    def close(self) -> None:  # noqa: B027 - nothing to free by default
        """Free the workers this executor started (not those of a cluster it joined)."""

    def partition_size(self, cases: int) -> int:
        if self.cases_per_partition is not None:
            return max(1, self.cases_per_partition)
        return max(1, math.ceil(cases / (4 * max(1, self.workers))))

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LocalPool(Executor):
    """``workers`` spawned processes on this machine, started on first use."""

    def __init__(self, workers: int, *, cases_per_partition: int | None = None) -> None:
        if workers < 1:
            raise UsageError(f"workers must be at least 1, not {workers}")
        self._workers = workers
        self.cases_per_partition = cases_per_partition
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def where(self) -> str:
        return f"{self._workers} local process" + ("es" if self._workers != 1 else "")

    def completed(
        self, function: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, TaskOutcome[R] | Lost]]:
        if self._pool is None:
            # spawned, not forked: a worker must not inherit the driver's engine state
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self._workers, mp_context=context)
        futures: dict[Future[TaskOutcome[R]], int] = {
            self._pool.submit(run_task, function, task): index for index, task in enumerate(tasks)
        }
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=futures.__getitem__):
                    yield futures[future], _outcome(future)
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _outcome(future: Future[TaskOutcome[R]]) -> TaskOutcome[R] | Lost:
    try:
        return future.result()
    except Exception as exc:  # BrokenProcessPool, a result that would not unpickle
        return Lost(f"{type(exc).__name__}: {exc}")


class DaskExecutor(Executor):
    """The workers of a Dask cluster, through its scheduler's address or a client.

    A client made here from an address is closed with the executor; a client
    given is left open for its owner.
    """

    def __init__(
        self,
        scheduler: str | object,
        *,
        cases_per_partition: int | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._dask = _distributed()
        self.cases_per_partition = cases_per_partition
        self._client: Any
        if isinstance(scheduler, self._dask.Client):
            self._client, self._owned = scheduler, False
        else:
            try:
                self._client = self._dask.Client(scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(
                    f"cannot connect to the Dask scheduler {scheduler}: {exc}"
                ) from None
            self._owned = True
        self._address = str(self._client.scheduler.address)

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` the tasks go through."""
        return self._client

    @property
    def workers(self) -> int:
        info: dict[str, Any] = self._client.scheduler_info()
        return max(1, len(info.get("workers", {})))

    @property
    def where(self) -> str:
        return f"the Dask scheduler {self._address}"

    def completed(
        self, function: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, TaskOutcome[R] | Lost]]:
        if not tasks:
            return
        # sent to the workers directly, not inside the task graph (which warns beyond 10 MB)
        data = self._client.scatter(list(tasks), hash=False)
        futures = [
            self._client.submit(run_task, function, item, pure=False, retries=0) for item in data
        ]
        index = {future.key: number for number, future in enumerate(futures)}
        try:
            for future in self._dask.as_completed(futures, loop=self._client.loop):
                try:
                    outcome: TaskOutcome[R] | Lost = future.result()
                except Exception as exc:  # KilledWorker, a lost connection, a cancelled task
                    outcome = Lost(f"{type(exc).__name__}: {exc}")
                yield index[future.key], outcome
        finally:
            self._client.cancel([*futures, *data])

    def close(self) -> None:
        if self._owned:
            self._client.close()


def _distributed() -> ModuleType:
    """``dask.distributed``, an optional dependency (the ``dask`` extra)."""
    try:
        return import_module("distributed")
    except ImportError:
        raise UsageError(
            "running on a Dask cluster needs dask.distributed: pip install 'handoff-rules[dask]'"
        ) from None
