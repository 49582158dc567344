"""Python's cyclic garbage collector, tuned for the length of one ``check`` run.

A run reads every fact first and keeps them to the end. With the collector's
default thresholds (a young collection every 700 allocations) it re-scans
those long-lived facts again and again while they are read and while every
case is evaluated: a third of a run over 5,000 cases went to the collector
(measured with ``bench/check_e2e.py``). Nothing the run builds needs the
collector to be timely, so for the run's duration young collections wait for
100,000 allocations, and once the cases are built their facts are frozen
(moved out of every generation the collector scans, :func:`gc.freeze`).

This is a library: the caller's collector is left as it was, even when the
run raises. Thresholds are restored; objects are unfrozen only if the run
froze them, and a caller that froze objects of its own (``gc.get_freeze_count``
above zero) is not frozen over, since unfreezing would thaw its objects too.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Final, ParamSpec, TypeVar

__all__ = ["YOUNG_THRESHOLD", "enabled", "freeze_long_lived", "tuned_for_a_run"]

#: Allocations between two young collections during a run (Python's default is 700).
YOUNG_THRESHOLD: Final = 100_000

#: False leaves the collector alone (the ``check`` bench's baseline measures that).
enabled: bool = True

P = ParamSpec("P")
R = TypeVar("R")

#: Runs in progress that may freeze (nested runs freeze and thaw once, in the outermost).
_may_freeze: list[bool] = []


def tuned_for_a_run(run: Callable[P, R]) -> Callable[P, R]:
    """``run`` with the collector tuned while it runs and restored when it returns or raises."""

    @functools.wraps(run)
    def tuned(*args: P.args, **kwargs: P.kwargs) -> R:
        if not enabled:
            return run(*args, **kwargs)
        thresholds = gc.get_threshold()
        outermost = not _may_freeze
        _may_freeze.append(outermost and gc.isenabled() and gc.get_freeze_count() == 0)
        if thresholds[0] > 0:  # zero: the caller turned collection off; keep it so
            gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), *thresholds[1:])
        try:
            return run(*args, **kwargs)
        finally:
            if outermost and gc.get_freeze_count() > 0 and _may_freeze[0]:
                gc.unfreeze()
            _may_freeze.pop()
            gc.set_threshold(*thresholds)

    return tuned


def freeze_long_lived() -> None:
    """Freeze every object alive now: called once the facts and cases of a run are built.

    Does nothing outside :func:`tuned_for_a_run`, or when the caller has frozen
    objects of its own or turned the collector off.
    """
    if _may_freeze and _may_freeze[0]:
        gc.collect(0)  # the young garbage of reading is freed, not frozen
        gc.freeze()
