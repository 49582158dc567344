"""Progress for long reads and evaluations: a bar on a terminal, nothing when piped.

Progress is drawn on standard error, so ``read --format jsonl > facts.jsonl``
still shows it while the data goes to the file, and ``2>log`` or a CI job
(no terminal) gets no control characters at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import Protocol, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class Ticker(Protocol):
    """What a command calls while it works; a no-op when progress is not shown."""

    def advance(self, steps: int = 1) -> None: ...

    def describe(self, text: str) -> None: ...


class _Silent:
    def advance(self, steps: int = 1) -> None:
        pass

    def describe(self, text: str) -> None:
        pass


class _Bar:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, steps: int = 1) -> None:
        self._progress.advance(self._task, steps)

    def describe(self, text: str) -> None:
        self._progress.update(self._task, description=text)


def stderr_console() -> Console:
    return Console(stderr=True)


@contextmanager
def progress(
    description: str, total: int | None = None, *, console: Console | None = None
) -> Iterator[Ticker]:
    """Show a progress bar of ``total`` steps (a spinner and a count when unknown).

    Silent unless ``console`` (standard error by default) is a terminal. The
    bar disappears when the block ends, leaving the command's own output.
    """
    console = console or stderr_console()
    if not console.is_terminal:
        yield _Silent()
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        yield _Bar(bar, bar.add_task(description, total=total))


T = TypeVar("T")


def track(
    items: Iterable[T],
    description: str,
    *,
    total: int | None = None,
    console: Console | None = None,
) -> Iterator[T]:
    """Yield ``items`` unchanged, advancing a bar by one for each.

    ``total`` defaults to ``len(items)`` when it has one. Use it as
    ``for path in track(files, "Reading"):``; the bar ends with the loop.
    """
    if total is None and isinstance(items, Sized):
        total = len(items)
    with progress(description, total, console=console) as ticker:
        for item in items:
            yield item
            ticker.advance()
