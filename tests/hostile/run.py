"""The long hostile-input run: many examples over every command, on several processes.

    HANDOFF_RULES_HOSTILE_EXAMPLES=100000 nice -n 10 python -m tests.hostile.run --processes 2

Examples are split over the commands by ``SHARES`` (the same as the test's)
and cut into chunks of ``--chunk`` examples; each chunk is one hypothesis run
with its own seed in a worker process, so a chunk can be run again exactly
(``--entry ... --seed ...``). A worker that dies (a crash in C code) is
reported with its chunk and replaced. Nothing stops at a failure: every
failure is classified, the first few of each class are written to
``--out`` as reproducers, and a summary is printed at the end:
examples per command, failures by class, tracebacks, lost records, the
longest time and the largest memory growth of one input.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import attrs


@attrs.frozen
class Chunk:
    entry: str
    seed: int
    examples: int


def run_chunk(chunk: Chunk, out: str, keep: int) -> dict[str, Any]:
    """One hypothesis run in this process; a summary dict (picklable) back."""
    from hypothesis import HealthCheck, Phase, given, seed, settings

    from .classify import classify, signature
    from .harness import run_example
    from .inputs import hostile_inputs, warm_up
    from .known_failures import KNOWN_FAILURES

    warm_up()
    stats: dict[str, Any] = {
        "entry": chunk.entry,
        "seed": chunk.seed,
        "examples": 0,
        "seconds": 0.0,
        "max_seconds": 0.0,
        "max_rss_mb": 0.0,
        "max_traced_mb": 0.0,
        "classes": Counter(),
        "kinds": Counter(),
        "signatures": {},
        "saved": [],
    }

    @seed(chunk.seed)
    @settings(
        max_examples=chunk.examples,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_inputs(chunk.entry))
    def one(inp: Any) -> None:
        outcome = run_example(inp)
        stats["examples"] += 1
        stats["seconds"] += outcome.seconds
        stats["max_seconds"] = max(stats["max_seconds"], outcome.seconds)
        stats["max_rss_mb"] = max(stats["max_rss_mb"], outcome.rss_mb)
        stats["max_traced_mb"] = max(stats["max_traced_mb"], outcome.traced_peak_mb or 0.0)
        for failure in outcome.failures:
            name = classify(failure, inp)
            stats["classes"][name] += 1
            stats["kinds"][failure.kind] += 1
            stats["signatures"].setdefault(name, signature(failure, inp)[:400])
            if stats["classes"][name] <= keep:
                folder = Path(out) / name.replace(" ", "_").replace(":", "").replace("/", "_")
                folder = (
                    folder / f"{chunk.entry.replace(' ', '-')}-{chunk.seed}-{stats['examples']}"
                )
                save_reproducer(folder, inp, failure, name in KNOWN_FAILURES)
                stats["saved"].append(str(folder))

    one()
    return stats


def save_reproducer(folder: Path, inp: Any, failure: Any, known: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in inp.files:
        target = folder / "files" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (folder / "case.json").write_text(
        json.dumps(
            {
                "entry": inp.entry,
                "argv": list(inp.argv),
                "labels": list(inp.labels),
                "records": inp.records,
                "count_by": inp.count_by,
                "known": known,
                "failure": {"kind": failure.kind, "detail": failure.detail},
            },
            indent=2,
            ensure_ascii=True,
        )
        + "\n"
    )
    (folder / "trace.txt").write_text(failure.trace, errors="replace")


def plan(total: int, chunk_size: int, first_seed: int, only: list[str] | None) -> list[Chunk]:
    """Chunks of every command, interleaved so that a run cut short by ``--minutes``
    has still run each command in its share."""
    from .test_hostile import SHARES

    shares = {e: s for e, s in SHARES.items() if not only or e in only}
    placed: list[tuple[float, Chunk]] = []
    seed = first_seed
    for entry, share in shares.items():
        count = max(1, round(total * share / sum(shares.values())))
        sizes = [chunk_size] * (count // chunk_size) + (
            [count % chunk_size] if count % chunk_size else []
        )
        for index, size in enumerate(sizes):
            placed.append(((index + 0.5) / len(sizes), Chunk(entry, seed, size)))
            seed += 1
    return [chunk for _position, chunk in sorted(placed, key=lambda p: (p[0], p[1].seed))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--examples",
        type=int,
        default=int(os.environ.get("HANDOFF_RULES_HOSTILE_EXAMPLES", "100000")),
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--entry", action="append", help="only this command (repeatable)")
    parser.add_argument("--minutes", type=float, default=0, help="stop starting chunks after")
    parser.add_argument("--keep", type=int, default=3, help="reproducers kept per class")
    parser.add_argument("--out", default="hostile-failures")
    parser.add_argument("--json", help="also write the summary to this file")
    args = parser.parse_args(argv)

    chunks = plan(args.examples, args.chunk, args.seed, args.entry)
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    crashed: list[Chunk] = []
    broken: list[tuple[Chunk, str]] = []
    pending = list(chunks)
    while pending:
        with concurrent.futures.ProcessPoolExecutor(args.processes) as pool:
            futures = {}
            try:
                while pending or futures:
                    while pending and len(futures) < args.processes:
                        if args.minutes and time.monotonic() - started > args.minutes * 60:
                            pending.clear()
                            break
                        chunk = pending.pop(0)
                        futures[pool.submit(run_chunk, chunk, args.out, args.keep)] = chunk
                    if not futures:
                        break
                    done, _ = concurrent.futures.wait(
                        futures, return_when=concurrent.futures.FIRST_COMPLETED
                    )
                    for future in done:
                        chunk = futures.pop(future)
                        try:
                            results.append(future.result())
                        except concurrent.futures.process.BrokenProcessPool:
                            raise
                        except Exception as exc:  # a bug in a generator: the chunk is lost
                            broken.append((chunk, f"{type(exc).__name__}: {exc}"[:300]))
                            print(f"chunk {chunk} failed: {exc!r}"[:400], file=sys.stderr)
                        print(progress(results, started, len(chunks)), file=sys.stderr)
                        if args.json and len(results) % 20 == 0:  # a partial summary survives
                            write_json(args.json, summarize(results, crashed, broken, started))
            except concurrent.futures.process.BrokenProcessPool:
                crashed.extend(futures.values())  # one of them died; the others are lost too
                print(f"a worker died; chunks {list(futures.values())}", file=sys.stderr)
    summary = summarize(results, crashed, broken, started)
    print(render(summary))
    if args.json:
        write_json(args.json, summary)
    return 1 if summary["unexpected_failures"] or crashed or broken else 0


def write_json(path: str, summary: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(summary, indent=2) + "\n")


def progress(results: list[dict[str, Any]], started: float, chunks: int) -> str:
    examples = sum(r["examples"] for r in results)
    return (
        f"[{time.monotonic() - started:7.0f} s] {len(results)}/{chunks} chunks, {examples} examples"
    )


def summarize(
    results: list[dict[str, Any]],
    crashed: list[Chunk],
    broken: list[tuple[Chunk, str]],
    started: float,
) -> dict[str, Any]:
    from .known_failures import KNOWN_FAILURES

    per_entry: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "examples": 0,
            "failures": 0,
            "seconds": 0.0,
            "max_seconds": 0.0,
            "max_rss_mb": 0.0,
            "max_traced_mb": 0.0,
            "tracebacks": 0,
            "lost_records": 0,
        }
    )
    classes: Counter[str] = Counter()
    signatures: dict[str, str] = {}
    for r in results:
        e = per_entry[r["entry"]]
        e["examples"] += r["examples"]
        e["failures"] += sum(r["classes"].values())
        e["seconds"] += r["seconds"]
        e["max_seconds"] = max(e["max_seconds"], r["max_seconds"])
        e["max_rss_mb"] = max(e["max_rss_mb"], r["max_rss_mb"])
        e["max_traced_mb"] = max(e["max_traced_mb"], r["max_traced_mb"])
        e["tracebacks"] += r["kinds"].get("traceback", 0) + r["kinds"].get("exception", 0)
        e["lost_records"] += r["kinds"].get("lost-records", 0)
        classes.update(r["classes"])
        for name, text in r["signatures"].items():
            signatures.setdefault(name, text)
    unexpected = {k: v for k, v in classes.items() if k not in KNOWN_FAILURES}
    return {
        "wall_seconds": round(time.monotonic() - started, 1),
        "examples": sum(e["examples"] for e in per_entry.values()),
        "per_entry": dict(sorted(per_entry.items())),
        "classes": dict(classes.most_common()),
        "unexpected_failures": sum(unexpected.values()),
        "signatures": signatures,
        "crashed_chunks": [attrs.asdict(c) for c in crashed],
        "broken_chunks": [{**attrs.asdict(c), "error": e} for c, e in broken],
    }


def render(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['examples']} examples in {summary['wall_seconds']:.0f} s",
        "",
        f"{'command':<20}{'examples':>9}{'failures':>9}{'tracebk':>8}{'lost':>6}"
        f"{'avg ms':>8}{'max s':>7}{'max MB':>8}",
    ]
    for entry, e in summary["per_entry"].items():
        average = 1000 * e["seconds"] / max(e["examples"], 1)
        peak = max(e["max_rss_mb"], e["max_traced_mb"])
        lines.append(
            f"{entry:<20}{e['examples']:>9}{e['failures']:>9}{e['tracebacks']:>8}"
            f"{e['lost_records']:>6}{average:>8.0f}{e['max_seconds']:>7.2f}{peak:>8.0f}"
        )
    lines += ["", "failures by class (* = in the temporary list of known_failures.py):"]
    from .known_failures import KNOWN_FAILURES

    for name, count in summary["classes"].items():
        mark = "*" if name in KNOWN_FAILURES else " "
        lines.append(f" {mark}{count:>7}  {name}")
        lines.append(f"            e.g. {summary['signatures'].get(name, '')[:300]}")
    if not summary["classes"]:
        lines.append("  none")
    lines.append(f"unexpected failures: {summary['unexpected_failures']}")
    if summary["crashed_chunks"]:
        lines.append(f"crashed chunks (worker died): {summary['crashed_chunks']}")
    if summary["broken_chunks"]:
        lines.append(f"chunks lost to a generator error: {summary['broken_chunks']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
