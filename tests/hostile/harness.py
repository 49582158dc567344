"""Run one hostile input through ``handoff_rules.cli.main`` and judge what came out.

The contract checked for every input:

- nothing but ``SystemExit`` leaves ``main`` and the exit status is 0, 1 or 2
  (3, an internal or plugin error, is a failure here: no bundled plugin may
  crash on input);
- no ``Traceback`` on standard output or error;
- at most ``time_budget`` CPU seconds per input (linear in its size) and a
  peak resident size at most
  ``MAX_RSS_GROWTH_MB`` above the size at the input's start (see ``start_peak``);
- for ``read --format jsonl``: every line JSON, the summary's counts equal the
  lines above it, and, when the generator knows how many records the file
  holds and the file was read (none of it skipped), facts + rejects = records;
- no temporary file left behind (an archive's extracted members).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import tempfile
import time
import traceback
import tracemalloc
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Final

import attrs

from .inputs import HostileInput

#: CPU seconds per input. CPU time, not wall time: on a shared machine a busy
#: neighbour stretches wall time several-fold, CPU time hardly. The slowest valid
#: input (``pack test`` of the one-file pack with the durable engine) takes
#: about 0.5 s.
MAX_SECONDS: Final = float(os.environ.get("HANDOFF_RULES_HOSTILE_MAX_SECONDS", "5"))
#: CPU seconds allowed on top of ``MAX_SECONDS`` per MB of input. Reading is
#: linear: a 0.9 MB CRM export mutated into 100,000 one-cell rows, each a
#: reject with its keys, reads in about 3.9 s alone and just over 5 s inside a
#: long-running worker. A fixed budget would flag that linear cost; this one
#: still flags anything that grows faster than the input.
SECONDS_PER_MB: Final = float(os.environ.get("HANDOFF_RULES_HOSTILE_SECONDS_PER_MB", "5"))
#: Wall seconds after which an input is stopped, so one hang cannot stall CI.
HARD_TIMEOUT_SECONDS: Final = 60
#: Peak resident size above the size at the input's start. Inputs are below
#: 1 MB; reading the largest into facts, with PyYAML's node tree or lxml's
#: element tree around it, stays within tens of MB (measured: see the docs).
#: 256 MB means memory grew with something other than the input's size (an
#: alias bomb, an unbounded buffer).
MAX_RSS_GROWTH_MB: Final = float(os.environ.get("HANDOFF_RULES_HOSTILE_MAX_RSS_MB", "256"))
TRACEMALLOC: Final = os.environ.get("HANDOFF_RULES_HOSTILE_TRACEMALLOC") == "1"
EXIT_CONTRACT: Final = frozenset({0, 1, 2})


class HarnessTimeout(BaseException):
    """Raised into the command by the alarm (a BaseException, so ``except Exception`` keeps it)."""


@attrs.frozen
class Failure:
    #: exception | exit-code | traceback | timeout | memory | lost-records | jsonl-contract
    #: | temp-files
    kind: str
    detail: str
    #: traceback text when there is one, for classifying and reporting
    trace: str = ""


@attrs.frozen
class Outcome:
    entry: str
    exit_code: int | None
    #: CPU seconds of the command
    seconds: float
    rss_mb: float
    traced_peak_mb: float | None
    failures: tuple[Failure, ...]
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return not self.failures


_STATUS: Final = Path("/proc/self/status")
_CLEAR_REFS: Final = Path("/proc/self/clear_refs")


def _status_mb(field: str) -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def start_peak() -> float:
    """Reset the peak resident size (Linux: ``5`` to ``clear_refs``); the size now, in MB.

    Where that cannot be done, the process's peak so far stands in: growth is
    then measured against the largest input before, which can only understate it.
    """
    try:
        _CLEAR_REFS.write_text("5")
        now = _status_mb("VmRSS")
        if now is not None:
            return now
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_growth(start: float) -> float:
    """How far the peak resident size rose above ``start`` since :func:`start_peak`, in MB."""
    peak = _status_mb("VmHWM")
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return max(peak - start, 0.0)


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise HarnessTimeout(f"still running after {HARD_TIMEOUT_SECONDS} s")


def write_files(inp: HostileInput, folder: Path) -> list[str]:
    for name, data in inp.files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return [arg.replace("{dir}", str(folder)) for arg in inp.argv]


def invoke(argv: list[str]) -> tuple[int | None, str, str, BaseException | None, str]:
    """Run ``main(argv)``: (exit status, stdout, stderr, escaped exception, its traceback).

    Output goes to UTF-8 byte buffers with strict errors, as on a pipe under a
    UTF-8 locale, so text a terminal could not take shows up as a failure.
    """
    from handoff_rules.cli import main

    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="strict", write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="strict", write_through=True)
    code: int | None = None
    escaped: BaseException | None = None
    trace = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        except BaseException as exc:  # the harness's point: whatever escapes
            escaped = exc
            trace = "".join(traceback.format_exception(exc))
    return (
        code,
        out_bytes.getvalue().decode("utf-8", "replace"),
        err_bytes.getvalue().decode("utf-8", "replace"),
        escaped,
        trace,
    )


def run_example(inp: HostileInput) -> Outcome:
    """Write the input's files to a fresh folder, run the command, check the contract."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
        argv = write_files(inp, Path(folder))
        scratch = Path(folder) / ".tmp"  # the command's temporary files, checked after
        scratch.mkdir()
        previous_tempdir, tempfile.tempdir = tempfile.tempdir, str(scratch)
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, HARD_TIMEOUT_SECONDS)
        if TRACEMALLOC:
            tracemalloc.start()
        rss_start = start_peak()
        started = time.process_time()
        try:
            code, stdout, stderr, escaped, trace = invoke(argv)
        finally:
            seconds = time.process_time() - started
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            traced = None
            if TRACEMALLOC:
                traced = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            growth = peak_growth(rss_start)
            tempfile.tempdir = previous_tempdir
        left = sorted(p.name for p in scratch.iterdir())
    failures = judge(inp, code, stdout, stderr, escaped, trace, seconds, growth)
    if left:
        failures += (Failure("temp-files", f"temporary files left behind: {left}"),)
    if code == 3 and not trace:
        trace = verbose_trace(inp)
        failures = tuple(
            attrs.evolve(f, trace=trace) if f.kind == "exit-code" else f for f in failures
        )
    return Outcome(inp.entry, code, seconds, growth, traced, failures, stdout, stderr)


def verbose_trace(inp: HostileInput) -> str:
    """The traceback ``-v`` prints, to classify an exit status 3 that printed none."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
        argv = write_files(inp, Path(folder))
        _code, _out, err, _escaped, trace = invoke(["-v", *argv])
    return trace or err


def time_budget(inp: HostileInput) -> float:
    """CPU seconds an input may take: a fixed part plus a part linear in its size.

    An archive's size is what it expands to, up to ``MAX_EXPANDED_BYTES``: a
    well-compressed export of 880 kB is read as 880 kB whatever its zip weighs.
    """
    size_mb = sum(expanded_size(data) for _name, data in inp.files) / 2**20
    return MAX_SECONDS + SECONDS_PER_MB * size_mb


#: The most an archive counts for in the time budget: a bomb earns no more time than this.
MAX_EXPANDED_BYTES: Final = 4 * 2**20


def expanded_size(data: bytes) -> int:
    """The size of a file, or of the files a zip or gzip holds, up to ``MAX_EXPANDED_BYTES``."""
    expanded = 0
    try:
        if data.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                expanded = sum(info.file_size for info in archive.infolist())
        elif data.startswith(b"\x1f\x8b"):
            decompressor = zlib.decompressobj(wbits=31)
            expanded = len(decompressor.decompress(data, MAX_EXPANDED_BYTES))
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, UnicodeDecodeError):
        pass
    return max(len(data), min(expanded, MAX_EXPANDED_BYTES))


def judge(
    inp: HostileInput,
    code: int | None,
    stdout: str,
    stderr: str,
    escaped: BaseException | None,
    trace: str,
    seconds: float,
    growth_mb: float,
) -> tuple[Failure, ...]:
    failures = []
    if isinstance(escaped, HarnessTimeout):
        failures.append(Failure("timeout", f"stopped after {HARD_TIMEOUT_SECONDS} s", trace))
    elif escaped is not None:
        name = f"{type(escaped).__module__}.{type(escaped).__qualname__}"
        message = " ".join(str(escaped).split())
        failures.append(Failure("exception", f"{name}: {message}"[:300], trace))
    elif code not in EXIT_CONTRACT:
        failures.append(Failure("exit-code", f"exit status {code}: {stderr.strip()[-300:]}"))
    if "Traceback (most recent call last)" in stdout + stderr:
        failures.append(Failure("traceback", "a traceback was printed", stdout + stderr))
    budget = time_budget(inp)
    if seconds > budget and not isinstance(escaped, HarnessTimeout):
        failures.append(Failure("timeout", f"{seconds:.1f} CPU s > {budget:.1f} s"))
    if growth_mb > MAX_RSS_GROWTH_MB:
        failures.append(Failure("memory", f"peak RSS {growth_mb:.0f} MB above the start"))
    if inp.entry == "read" and "jsonl" in inp.argv and escaped is None:
        failures.extend(check_jsonl(inp, code, stdout, stderr))
    return tuple(failures)


def check_jsonl(
    inp: HostileInput, code: int | None, stdout: str, stderr: str = ""
) -> list[Failure]:
    """The ``read --format jsonl`` contract (docs/reference/jsonl.rst) and record counts."""
    lines = stdout.split("\n")[:-1]  # the contract separates lines by \n only
    try:
        records = [json.loads(line) for line in lines]
    except ValueError as exc:
        return [Failure("jsonl-contract", f"a line is not JSON: {exc}")]
    if not records or records[-1].get("record") != "summary":
        error = stderr.strip().splitlines()[:1]
        return [Failure("jsonl-contract", "the last line is not the summary", "\n".join(error))]
    summary, body = records[-1], records[:-1]
    facts = Counter(r.get("type") for r in body if r.get("record") == "fact")
    rejects = [r for r in body if r.get("record") == "reject"]
    if summary.get("facts") != dict(sorted(facts.items())) or summary.get("rejects") != len(
        rejects
    ):
        return [Failure("jsonl-contract", f"summary {summary} does not count the lines above it")]
    if bool(summary.get("errors")) != (code == 2):
        return [Failure("jsonl-contract", f"exit status {code} with errors {summary['errors']}")]
    if inp.records is None or summary.get("errors") or summary.get("skipped"):
        return []  # a file skipped (an archive's member no adapter reads) is said, not lost
    if inp.count_by == "items":
        seen = len(body)
    else:
        seen = len({json.dumps(r.get("provenance"), sort_keys=True) for r in body})
    if seen != inp.records:
        return [
            Failure(
                "lost-records",
                f"the file holds {inp.records} records, read gave {seen} "
                f"({sum(facts.values())} facts, {len(rejects)} rejects)",
            )
        ]
    return []
