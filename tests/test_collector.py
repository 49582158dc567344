"""``check`` tunes the garbage collector for its run and leaves the caller's as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from handoff_rules import pipeline
from handoff_rules.collector import YOUNG_THRESHOLD, freeze_long_lived, tuned_for_a_run
from handoff_rules.errors import NoOrderError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "exports"


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as a test found it, restored whatever the test did to it."""
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_a_run_freezes_its_facts_and_restores_the_collector(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.set_threshold(700, 10, 10)
    seen: list[tuple[tuple[int, int, int], int]] = []
    freeze = gc.freeze

    def spy() -> None:
        freeze()
        seen.append((gc.get_threshold(), gc.get_freeze_count()))

    monkeypatch.setattr(gc, "freeze", spy)
    run = pipeline.check([EXAMPLE], at=date(2024, 6, 10))
    assert run.cases == 5
    assert len(seen) == 1
    assert seen[0][0] == (YOUNG_THRESHOLD, 10, 10)
    assert seen[0][1] > 0
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_run_that_raises_restores_the_collector(collector: None, tmp_path: Path) -> None:
    gc.set_threshold(500, 7, 3)
    (tmp_path / "empty.yaml").write_text("handoff-rules-facts: 1\nfacts: []\n", encoding="utf-8")
    with pytest.raises(NoOrderError):
        pipeline.check([tmp_path], at=date(2024, 6, 10))
    assert gc.get_threshold() == (500, 7, 3)
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_objects_the_caller_froze_stay_frozen(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run neither freezes over the caller's frozen objects nor thaws them.

    The frozen count alone cannot say so: a frozen object still dies when its
    last reference goes, so the count may fall during any run. What the run
    does to the permanent generation is watched instead.
    """
    calls: list[str] = []
    real_freeze, real_unfreeze = gc.freeze, gc.unfreeze
    kept = [object() for _ in range(10)]
    real_freeze()
    before = gc.get_freeze_count()
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze") or real_freeze())
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze") or real_unfreeze())
    pipeline.check([EXAMPLE], at=date(2024, 6, 10))
    assert calls == []
    assert 0 < gc.get_freeze_count() <= before
    assert kept


def test_a_collector_turned_off_stays_off_and_freezes_nothing(collector: None) -> None:
    gc.disable()
    gc.set_threshold(0)
    pipeline.check([EXAMPLE], at=date(2024, 6, 10))
    assert not gc.isenabled()
    assert gc.get_threshold()[0] == 0
    assert gc.get_freeze_count() == 0


def test_freezing_outside_a_run_does_nothing(collector: None) -> None:
    freeze_long_lived()
    assert gc.get_freeze_count() == 0


def test_a_nested_run_thaws_only_in_the_outermost(collector: None) -> None:
    counts: list[int] = []

    @tuned_for_a_run
    def inner() -> None:
        freeze_long_lived()

    @tuned_for_a_run
    def outer() -> None:
        freeze_long_lived()
        inner()
        counts.append(gc.get_freeze_count())

    outer()
    assert counts[0] > 0
    assert gc.get_freeze_count() == 0
