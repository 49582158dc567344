"""Benchmark: default-pack evaluation, durable backend against reference backend.

Run::

    python bench/engine.py                      # 100 000 generated cases, both backends
    python bench/engine.py --cases 1000000 --engines durable --figures evaluate_many  # long run
    python bench/engine.py --cases 2000 --profile --sort cumulative  # cProfile, durable path

Both backends evaluate the same generated cases (``bench/o2c_cases.py``,
seeded) in one process, chunk by chunk (500 cases), alternating, so that noise
hits both alike. Three figures per backend:

* **evaluate_many**: ``PackEvaluator.evaluate_many(pairs)``, everything a
  caller pays: derived facts, flattening, matching, judging, decisions for
  every checkpoint; the backend gets 64 cases at a time (the durable driver
  puts about eight of them in one engine session);
* **evaluate**: the same, one ``evaluate(case, at)`` call per case;
* **match**: ``backend.matches_many(rows)`` over already flattened rows, the
  only part the backends do differently. For the durable backend the time
  spent inside the C engine's calls is split out: it bounds what any driver
  could reach on this pack.

Every decision of both backends is compared (canonical JSON), and
``evaluate_many`` against ``evaluate``, so the run is also a large
differential check; a mismatch makes the exit status 1. Current RSS is
sampled at 10 %, 50 % and 100 % of the cases, with the peak.

Measured on 2026-11-23 (CPython 3.11.7, one process, 2-core VM, nothing else
running, load average 0.1 at the start; durable-rules 2.0.28; o2c-standard
1.0.0: 15 rules compiled to 52 engine rules, about 16 facts per case):

* ``python bench/engine.py`` (100 000 cases, both backends, 374 s): 500 000
  decisions per backend, 0 mismatches (allow 95 629, block 377 377, warn
  26 994). Cases/s: durable evaluate_many 1 867, evaluate 1 480, match 2 802;
  reference evaluate_many 2 157, evaluate 1 733, match 5 857; ratio
  durable/reference 0.87 (evaluate_many), 0.85 (evaluate), 0.48 (match). The
  durable match spent 107 us per case inside the C engine (30 % of it): a
  ceiling of 9 351 cases/s if nothing else cost anything. RSS 70.2 / 70.3 /
  70.3 MB at 10 / 50 / 100 %.
* ``--cases 1000000 --engines durable --figures evaluate_many`` (989 s, the
  first half alongside a test run): 5 000 000 decisions, no crash, 1 557
  cases/s, RSS 55.1 / 55.1 / 55.1 MB at 10 / 50 / 100 % (peak 55.3 MB).

The target of 10 000 cases/s for the durable backend is not met: the C
engine alone needs about 100 us per case of this pack (each fact is stored in
the join memories of every pattern over its type: ``order`` is in 26 of them,
``document`` in 21), so even with no Python around it the engine alone would
reach only about 10 000 cases/s (9 351 in the run above); around it, the
driver's Python (checking and encoding facts, reading firings) costs more
than twice the engine's time (the other 70 % of the match figure). And
deriving, flattening and judging, which both backends share, hold even the
reference backend, whose matching is cheap plain Python on cases this small,
at about 2 000 cases/s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import o2c_cases  # bench/ is on sys.path when this file runs as a script

CHUNK = 500
SEED = 20240301


def rss_mb() -> float:
    """Current resident set size (not the peak), from /proc."""
    with Path("/proc/self/statm").open() as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def chunks(total: int) -> Iterator[list[tuple[Any, date]]]:
    for start in range(0, total, CHUNK):
        yield [o2c_cases.case(SEED, n) for n in range(start, min(start + CHUNK, total))]


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


FIGURES = ("evaluate_many", "evaluate", "match")


class _EngineClock:
    """Wall time spent inside the C engine's own calls, while ``active``.

    Wraps the driver's typed calls into ``durable_rules_engine`` (each a thin
    method around one C call), so the match figure can be split into the C
    engine and the Python around it: the C share alone bounds what any driver
    could reach on this pack.
    """

    CALLS = ("assert_facts", "start_action", "complete_and_start_action", "delete_state")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.active = False

    def install(self) -> None:
        from handoff_rules.engine.durable.cmodule import CEngine

        for name in self.CALLS:
            original = getattr(CEngine, name)
            setattr(CEngine, name, self._timed(original))

    def _timed(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(engine: Any, *args: Any) -> Any:
            if not self.active:
                return original(engine, *args)
            start = time.perf_counter()
            try:
                return original(engine, *args)
            finally:
                self.seconds += time.perf_counter() - start

        return call


def run(total: int, engines: list[str], figures: tuple[str, ...] = FIGURES) -> int:
    from handoff_rules.engine.evaluate import make_evaluator

    pack = o2c_cases.pack()
    evaluators = {name: make_evaluator(pack, name) for name in engines}
    flattener = evaluators[engines[0]]
    seconds = {name: dict.fromkeys(figures, 0.0) for name in engines}
    clock = _EngineClock()
    if "durable" in engines:
        clock.install()
    mismatches = 0
    decisions = 0
    progress = _Progress(total)
    print(f"{pack.name}@{pack.version}: {len(pack.rules)} rules; {total} cases; {engines}")
    _print_engine_rules(evaluators)
    outcomes: dict[str, int] = {}
    for chunk in chunks(total):
        flat_rows = (
            [flattener.flatten(case, at).rows for case, at in chunk] if "match" in figures else []
        )
        results: dict[str, list[list[str]]] = {}
        for name, evaluator in evaluators.items():
            spent, out = timed(lambda e=evaluator, c=chunk: list(e.evaluate_many(c)))
            seconds[name]["evaluate_many"] += spent
            results[name] = [[d.to_json() for d in ds] for ds in out]
            if "evaluate" in figures:
                spent, single = timed(
                    lambda e=evaluator, c=chunk: [e.evaluate(*case) for case in c]
                )
                seconds[name]["evaluate"] += spent
                if [[d.to_json() for d in ds] for ds in single] != results[name]:
                    mismatches += 1
                    print(f"{name}: evaluate and evaluate_many differ in a chunk")
            if "match" in figures:
                matches_many = evaluator.match_backend.matches_many
                clock.active = name == "durable"
                spent, _ = timed(lambda m=matches_many, f=flat_rows: m(f))
                clock.active = False
                seconds[name]["match"] += spent
        for decisions_of_case in out:
            for decision in decisions_of_case:
                outcomes[decision.outcome.value] = outcomes.get(decision.outcome.value, 0) + 1
        first = results[engines[0]]
        decisions += sum(len(ds) for ds in first)
        for other in engines[1:]:
            mismatches += sum(a != b for a, b in zip(first, results[other], strict=True))
        progress.advance(len(chunk))
    print()
    print(f"cases: {total}; decisions per backend: {decisions}; mismatches: {mismatches}")
    shown = ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items()))
    print(f"outcomes ({engines[-1]}): {shown}")
    for name in engines:
        rates = "   ".join(f"{f} {total / seconds[name][f]:7.0f}" for f in figures)
        print(f"{name:>9} (cases/s): {rates}")
    if "durable" in engines and "match" in figures:
        share = clock.seconds / seconds["durable"]["match"]
        print(
            f"durable match: {clock.seconds / total * 1e6:.0f} us/case inside the C engine "
            f"({share:.0%} of match), a ceiling of {total / clock.seconds:.0f} cases/s "
            "if nothing else cost anything"
        )
    if "durable" in engines and "reference" in engines:
        ratios = "   ".join(
            f"{f} {seconds['reference'][f] / seconds['durable'][f]:.2f}" for f in figures
        )
        print(f"ratio durable/reference: {ratios}")
    progress.report()
    return 1 if mismatches else 0


class _Progress:
    """RSS at 10 %, 50 % and 100 % of the run (current, not peak), printed as it goes."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.marks = {max(1, total // 10): "10%", max(1, total // 2): "50%", total: "100%"}
        self.samples: list[tuple[str, int, float]] = []
        self.started = time.perf_counter()

    def advance(self, count: int) -> None:
        before = self.done
        self.done += count
        for mark, label in self.marks.items():
            if before < mark <= self.done:
                mb = rss_mb()
                self.samples.append((label, self.done, mb))
                elapsed = time.perf_counter() - self.started
                print(f"  {label:>4} ({self.done} cases, {elapsed:.0f} s): RSS {mb:.1f} MB")
                sys.stdout.flush()

    def report(self) -> None:
        shown = ", ".join(f"{label} {mb:.1f} MB" for label, _done, mb in self.samples)
        print(f"RSS: {shown}; peak {peak_rss_mb():.1f} MB")


def _print_engine_rules(evaluators: dict[str, Any]) -> None:
    if "durable" in evaluators:
        engine_rules = len(evaluators["durable"].match_backend.program.rules)
        print(f"durable ruleset: {engine_rules} engine rules")


def profile(total: int, sort: str) -> None:
    from handoff_rules.engine.evaluate import make_evaluator

    evaluator = make_evaluator(o2c_cases.pack(), "durable")
    cases = [case for chunk in chunks(total) for case in chunk]
    profiler = cProfile.Profile()
    profiler.enable()
    for _decisions in evaluator.evaluate_many(cases):
        pass
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(25)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="generated cases (100000)")
    parser.add_argument(
        "--engines",
        default="durable,reference",
        help="comma-separated backends to run (durable,reference)",
    )
    parser.add_argument(
        "--figures",
        default=",".join(FIGURES),
        help=f"comma-separated figures to measure ({','.join(FIGURES)}); evaluate_many always runs",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the durable path")
    parser.add_argument(
        "--sort", default="tottime", help="order of the --profile table (tottime, cumulative)"
    )
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.cases, args.sort)
        return 0
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    figures = tuple(f for f in FIGURES if f == "evaluate_many" or f in args.figures.split(","))
    return run(args.cases, engines, figures)


if __name__ == "__main__":
    sys.exit(main())
