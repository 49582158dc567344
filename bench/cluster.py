"""One process against local worker processes and a Dask LocalCluster, same outputs.

Writes generated order-to-cash cases (``o2c_cases``) as native YAML exports,
several cases per file, with duplicated master data removed, then runs
``handoff_rules.check`` over them: in one process, with ``workers=1`` and
``workers=2`` (local processes), and on a ``LocalCluster`` of 1 and 2 workers
on 127.0.0.1. Prints wall time, the driver process's CPU time (not the workers':
the pool and the cluster outlive the run), the speed-up
over one process, the speed-up per worker, and whether each run's JSON
report equals the one-process run's, byte for byte. Start-up of the pool
or cluster is timed apart and not in the run's time.

    python bench/cluster.py --cases 2000 --per-file 50

State the machine's load (``cat /proc/loadavg``) with the figures.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import o2c_cases

from handoff_rules import pipeline
from handoff_rules.distribute import DaskExecutor, Executor, LocalPool
from handoff_rules.facts import Fact
from handoff_rules.model import to_dict
from handoff_rules.report.writers import write_report

Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_inputs(folder: Path, cases: int, per_file: int, seed: int = 11) -> Any:
    """Native YAML files of ``per_file`` cases each; returns the evaluation date."""
    latest = None
    seen: set[tuple[str, str]] = set()
    batch: list[dict[str, Any]] = []
    number = 0

    def flush() -> None:
        nonlocal batch
        if batch:
            name = folder / f"cases-{number:07d}.yaml"
            document = {"handoff-rules-facts": 1, "facts": batch}
            name.write_text(yaml.dump(document, Dumper=Dumper, sort_keys=False), "utf-8")
            batch = []

    for number in range(cases):
        case, at = o2c_cases.case(seed, number)
        latest = at if latest is None or at > latest else latest
        for fact in case.facts:
            if not _keep(fact, seen):
                continue
            batch.append({"type": fact.type, "data": to_dict(fact.data)})
        if (number + 1) % per_file == 0:
            flush()
    number += 1
    flush()
    assert latest is not None
    return latest + timedelta(days=1)


def _keep(fact: Fact, seen: set[tuple[str, str]]) -> bool:
    """Counterparty-level facts once across the whole export, as a real extract has them."""
    key_of = getattr(fact.data, "id", None)
    if fact.type in {"counterparty", "template", "person"} and key_of is not None:
        key = (fact.type, str(key_of))
        if key in seen:
            return False
        seen.add(key)
    return True


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(options: dict[str, Any]) -> tuple[float, float, str]:
    cpu, wall = cpu_seconds(), time.perf_counter()
    result = pipeline.check(**options)
    out = io.StringIO()
    write_report(result, "json", out)
    return time.perf_counter() - wall, cpu_seconds() - cpu, out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--per-file", type=int, default=50)
    parser.add_argument("--engine", default="durable", choices=["durable", "reference"])
    parser.add_argument("--no-dask", action="store_true", help="leave out the LocalCluster")
    args = parser.parse_args(argv)
    load = Path("/proc/loadavg").read_text("ascii").strip()
    print(f"{os.cpu_count()} cores; load average before: {load}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        at = write_inputs(folder, args.cases, args.per_file)
        files = len(list(folder.iterdir()))
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"{args.cases} cases in {files} native YAML files ({size:.1f} MB), {args.engine}")
        base = {"inputs": [folder], "at": at, "engine": args.engine}
        wall1, cpu1, reference = run(base)
        rows = [("one process", 1, wall1, cpu1, True, 0.0)]
        setups: list[tuple[str, int, Callable[[], Executor]]] = [
            ("local workers=1", 1, lambda: LocalPool(1)),
            ("local workers=2", 2, lambda: LocalPool(2)),
        ]
        if not args.no_dask:
            setups += [
                ("LocalCluster 1 worker", 1, lambda: _cluster(1)),
                ("LocalCluster 2 workers", 2, lambda: _cluster(2)),
            ]
        for name, workers, make in setups:
            started = time.perf_counter()
            with make() as executor:
                _warm(executor, base)
                startup = time.perf_counter() - started
                wall, cpu, out = run({**base, "executor": executor})
            rows.append((name, workers, wall, cpu, out == reference, startup))
    print(
        f"{'run':24} {'wall s':>8} {'driver CPU s':>12} {'cases/s':>8} {'speed-up':>9} "
        f"{'per worker':>10} {'start s':>8}  same JSON"
    )
    for name, workers, wall, cpu, same, startup in rows:
        speed = wall1 / wall
        print(
            f"{name:24} {wall:8.2f} {cpu:12.2f} {args.cases / wall:8.0f} {speed:9.2f} "
            f"{speed / workers:10.2f} {startup:8.2f}  {'yes' if same else 'NO'}"
        )
    print(f"load average after: {Path('/proc/loadavg').read_text('ascii').strip()}")
    return 0 if all(row[4] for row in rows) else 1


class _Cluster(DaskExecutor):
    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster.scheduler_address)
        self._cluster = cluster

    def close(self) -> None:
        super().close()
        self._cluster.close()


def _cluster(workers: int) -> Executor:
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    return _Cluster(cluster)


def _warm(executor: Executor, base: dict[str, Any]) -> None:
    """Start the workers and load their plugins, so the run times work, not start-up."""
    first = sorted(Path(base["inputs"][0]).iterdir())[:1]
    pipeline.check(**{**base, "inputs": first, "executor": executor})


if __name__ == "__main__":
    raise SystemExit(main())
