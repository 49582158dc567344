"""One process, local worker processes and a Dask cluster make the same bytes.

The JSON report (as ``check --format json`` writes it) and the audit log
with its head file are compared byte for byte. The audit log records no
wall-clock time (the evaluation date is ``at``), so whole files compare.
Evaluation partitions of one case each put the orders that could all claim
a single-use exception in different partitions: the first in case order
still takes it, and the log of a second run over the same log agrees too.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import o2c_cases
import pytest
from generated_exports import AT, write_exports
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules import pipeline
from handoff_rules.decision import Result
from handoff_rules.distribute import DaskExecutor, LocalPool
from handoff_rules.report.writers import write_report
from handoff_rules.testing import strategies

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "o2c"
EXAMPLE_AT = date(2024, 6, 14)


def as_json(run: pipeline.RunResult) -> str:
    out = io.StringIO()
    write_report(run, "json", out)
    return out.getvalue()


def outputs(folder: Path, **options: Any) -> tuple[str, bytes, bytes]:
    """The JSON report, the audit log and its head file of one run logging to ``folder``."""
    log = folder / "audit.jsonl"
    run = pipeline.check(audit_log=log, **options)
    return as_json(run), log.read_bytes(), (folder / "audit.jsonl.head").read_bytes()


Mode = Callable[[LocalPool, str, DaskExecutor], dict[str, Any]]

#: how each distributed run is asked for, given the shared pool, the cluster's address
#: and a shared client of the cluster
MODES: dict[str, Mode] = {
    "workers=2": lambda _pool, _address, _cluster: {"workers": 2},
    "pool, one case per partition": lambda pool, _address, _cluster: {"executor": pool},
    "scheduler": lambda _pool, address, _cluster: {"scheduler": address},
    "cluster, one case per partition": lambda _pool, _address, cluster: {"executor": cluster},
}


@pytest.fixture(scope="module")
def example_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes, bytes]:
    return outputs(
        tmp_path_factory.mktemp("one"),
        inputs=[EXAMPLE / "exports"],
        at=EXAMPLE_AT,
        exceptions=EXAMPLE / "exceptions.yaml",
    )


@pytest.mark.parametrize("mode", MODES)
def test_the_example_gives_the_same_bytes(
    mode: str,
    example_once: tuple[str, bytes, bytes],
    pool: LocalPool,
    scheduler: str,
    cluster_executor: DaskExecutor,
    tmp_path: Path,
) -> None:
    options = MODES[mode](pool, scheduler, cluster_executor)
    distributed = outputs(
        tmp_path,
        inputs=[EXAMPLE / "exports"],
        at=EXAMPLE_AT,
        exceptions=EXAMPLE / "exceptions.yaml",
        **options,
    )
    assert '"EX-2024-031@1"' in example_once[0]  # the example's waiver is in the compared bytes
    assert distributed == example_once


def _poa_results(document: str) -> list[tuple[str, str]]:
    run_doc = __import__("json").loads(document)
    return [
        (d["case"], f["result"])
        for d in run_doc["decisions"]
        for f in d["findings"]
        if f["rule"] == "ACC-POA-001"
    ]


@pytest.mark.parametrize("mode", [m for m in MODES if m != "workers=2"])
def test_a_single_use_exception_goes_to_the_first_case_whatever_the_partition(
    mode: str,
    pool: LocalPool,
    scheduler: str,
    cluster_executor: DaskExecutor,
    tmp_path: Path,
) -> None:
    exports, register = write_exports(tmp_path / "in", orders=6, per_file=2)
    options = {"inputs": [exports], "at": AT, "exceptions": register}
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    once = outputs(tmp_path / "one", **options)
    spread_options = MODES[mode](pool, scheduler, cluster_executor)
    spread = outputs(tmp_path / "many", **options, **spread_options)
    # every order could claim it; the first in case order did, and only it
    results = _poa_results(once[0])
    assert results[0] == ("5000", Result.WAIVED.value)
    assert {r for _, r in results[1:]} == {Result.FAIL.value}
    assert "use bound reached: at most 1 case(s), already used for 5000" in once[0]
    assert spread == once
    # a second run on the same log: the use counted from the log is 5000's own, again
    again_once = outputs(tmp_path / "one", **options)
    again_spread = outputs(tmp_path / "many", **options, **spread_options)
    assert _poa_results(again_once[0]) == results
    assert again_spread == again_once


def test_each_partition_is_counted_by_the_progress_bar(pool: LocalPool, tmp_path: Path) -> None:
    exports, register = write_exports(tmp_path, orders=5, per_file=2)
    seen: list[tuple[str, int, int]] = []

    def progress(items: Iterable[Any], description: str) -> Iterable[Any]:
        total = len(items)  # type: ignore[arg-type]
        done = 0
        for item in items:
            done += 1
            yield item
        seen.append((description, total, done))

    pipeline.check([exports], at=AT, exceptions=register, executor=pool, progress=progress)
    # 2 master files + 3 order files read; 5 cases, one per partition
    assert seen == [("Reading", 5, 5), ("Evaluating", 5, 5)]


def _facts(seed: int, count: int) -> tuple[list[Any], date]:
    facts: list[Any] = []
    last = date.min
    for number in range(count):
        case, at = o2c_cases.case(seed, number)
        facts.extend(case.facts)
        last = max(last, at)
    return facts, last


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**16),
    count=st.integers(1, 6),
    orders=st.lists(strategies.facts("order"), max_size=2),
    engine=st.sampled_from(["durable", "reference"]),
)
def test_two_workers_decide_generated_cases_as_one_process(
    pool: LocalPool, seed: int, count: int, orders: list[Any], engine: str
) -> None:
    facts, at = _facts(seed, count)
    facts.extend(orders)
    options: dict[str, Any] = {"facts": facts, "at": at + timedelta(days=1), "engine": engine}
    assert as_json(pipeline.check(**options, executor=pool)) == as_json(pipeline.check(**options))


def test_the_run_settings_reach_the_workers(pool: LocalPool) -> None:
    """``--currency`` is a setting of the run: a worker reading a file must be given it
    as the single process is, or a single-currency org would lose its amounts there."""
    pytest.importorskip("handoff_rules_crm")
    from handoff_rules.adapters import ReadSettings

    org = (
        Path(__file__).resolve().parents[2]
        / "plugins"
        / "handoff-rules-crm"
        / "tests"
        / "data"
        / "sf-single-currency"
    )
    options: dict[str, Any] = {
        "inputs": [org],
        "at": date(2024, 6, 1),
        "engine": "reference",
        "checkpoints": ["H1"],
        "settings": ReadSettings(default_currency="USD"),
    }
    alone = pipeline.check(**options)
    spread = pipeline.check(executor=pool, **options)
    assert not any("no currency" in r.reason for r in spread.reject_list)
    assert as_json(spread) == as_json(alone)
