"""``handoff-rules check``: evaluate a pack over exports and report decisions.

Exit status: 0 when nothing blocks, 1 when at least one decision blocks, 2
for usage and input errors. ``--at`` defaults to today only here, in the
command line (and the output says so); the engine itself never reads the
clock. ``--format json`` is the versioned contract described by
``handoff_rules/schemas/decisions-1.json``.
"""

from __future__ import annotations

import importlib
import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import attrs
import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from handoff_rules.adapters.registry import read_files
from handoff_rules.cases import Case, build_cases
from handoff_rules.cli.progress import track
from handoff_rules.decision import Checkpoint, Decision, Outcome, Result, decisions_document
from handoff_rules.engine.evaluate import make_evaluator
from handoff_rules.errors import HandoffError
from handoff_rules.facts import Reject
from handoff_rules.plugins import default_plugin_manager, installed_adapters
from handoff_rules.policy.discovery import find_pack
from handoff_rules.policy.pack import Pack

__all__ = ["CheckRun", "check", "expand_inputs", "run_check"]


class UsageError(HandoffError):
    """A command-line mistake that is not about a file's content."""


def expand_inputs(inputs: Sequence[Path]) -> list[Path]:
    """Files as given; a directory stands for its files (not hidden ones), sorted by name."""
    result: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not files:
                raise UsageError(f"{path}: the directory has no files to read")
            result.extend(files)
        elif path.exists():
            result.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return result


@attrs.frozen
class CheckRun:
    """Everything one ``check`` produced: decisions plus what the report needs."""

    pack: Pack
    at: date
    at_given: bool
    engine: str
    decisions: tuple[Decision, ...]
    cases: int
    facts: int
    rejects: int
    unassigned: int
    exceptions_file: str | None = None
    exceptions_used: tuple[str, ...] = ()
    exceptions_unused: tuple[str, ...] = ()
    exception_problems: tuple[dict[str, Any], ...] = ()
    notice: str | None = None
    case_list: tuple[Case, ...] = attrs.field(default=(), repr=False, eq=False)
    reject_list: tuple[Reject, ...] = attrs.field(default=(), repr=False, eq=False)
    register: Any = attrs.field(default=None, repr=False, eq=False)

    @property
    def blocked(self) -> bool:
        return any(d.outcome is Outcome.BLOCK for d in self.decisions)

    def document(self) -> dict[str, Any]:
        doc = decisions_document(self.decisions)
        doc["run"] = {
            "at": self.at.isoformat(),
            "at_source": "given" if self.at_given else "today",
            "engine": self.engine,
            "pack": self.pack.ref.to_dict(),
            "cases": self.cases,
            "facts": self.facts,
            "rejects": self.rejects,
            "unassigned_facts": self.unassigned,
            "outcomes": dict(sorted(Counter(d.outcome.value for d in self.decisions).items())),
        }
        doc["exceptions"] = {
            "register": self.exceptions_file,
            "used": list(self.exceptions_used),
            "unused": list(self.exceptions_unused),
            "invalid": list(self.exception_problems),
        }
        return doc


def _waivers_module() -> Any:
    try:
        return importlib.import_module("handoff_rules.policy.waivers")
    except ImportError as exc:
        raise UsageError(
            f"--exceptions needs the exception register support, which is not available: {exc}"
        ) from None


def run_check(
    inputs: Sequence[Path],
    *,
    pack_spec: str | None = None,
    checkpoints: Sequence[Checkpoint] | None = None,
    at: date | None = None,
    exceptions: Path | None = None,
    engine: str | None = None,
    today: date | None = None,
    audit_log: Path | None = None,
) -> CheckRun:
    """Read, build cases, evaluate, apply exceptions, log and call decision sinks.

    With ``audit_log`` every final decision is appended to that hash-chained
    log, and exception use bounds count the uses the log already records, so a
    single-use exception stays used up across runs.
    """
    at_given = at is not None
    when = at if at is not None else (today or date.today())
    pm = default_plugin_manager()
    pack = find_pack(pack_spec, when, pm)
    evaluator = make_evaluator(pack, engine, pm)
    read = read_files(expand_inputs(inputs), installed_adapters(pm))
    caseset = build_cases(read.facts)
    register = waivers = None
    if exceptions is not None:
        waivers = _waivers_module()
        register = waivers.load_register(exceptions)
    wanted = tuple(checkpoints) if checkpoints else None
    decisions: list[Decision] = []
    used: set[str] = set()
    problems: list[dict[str, Any]] = []
    with ExitStack() as stack:
        writer = None
        if audit_log is not None:
            from handoff_rules.audit import AuditLog
            from handoff_rules.policy.exceptions import ExceptionRegister

            log = AuditLog(audit_log)
            register = (register or ExceptionRegister()).with_ledger(log.use_ledger())
            writer = stack.enter_context(log.session())
        pending = ((case, when) for case in track(caseset.cases, "Evaluating"))
        evaluated = evaluator.evaluate_many(pending, wanted)
        for case, case_decisions in zip(caseset.cases, evaluated, strict=True):
            for decision in case_decisions:
                final, case_problems = decision, ()
                if waivers is not None:
                    outcome = waivers.apply_exceptions(decision, case, pack, register, when)
                    final, case_problems = outcome.decision, outcome.problems
                    used.update(outcome.used)
                    problems.extend(_problem(p) for p in outcome.problems)
                if writer is not None:
                    assert register is not None  # set together with the writer above
                    writer.append(
                        final,
                        case,
                        pack,
                        register,
                        engine=evaluator.backend,
                        problems=case_problems,
                    )
                _sink(pm, final, case)
                decisions.append(final)
    unused: list[str] = []
    if waivers is not None:
        unused = sorted(_key(r) for r in waivers.unused_exceptions(register, used, when))
    return CheckRun(
        pack=pack,
        at=when,
        at_given=at_given,
        engine=evaluator.backend,
        decisions=tuple(decisions),
        cases=len(caseset.cases),
        facts=len(read.facts),
        rejects=len(read.rejects),
        unassigned=len(caseset.unassigned),
        exceptions_file=str(exceptions) if exceptions is not None else None,
        exceptions_used=tuple(sorted(used)),
        exceptions_unused=tuple(unused),
        exception_problems=tuple(_unique(problems)),
        notice=evaluator.notice,
        case_list=caseset.cases,
        reject_list=read.rejects,
        register=register,
    )


class DecisionSinkError(HandoffError):
    """A plugin's decision sink failed: the run stops rather than lose decisions."""


def _sink(pm: Any, decision: Decision, case: Case) -> None:
    """Hand the decision to every sink, one by one, so a failure names its plugin."""
    arguments = {"decision": decision, "case": case}
    for impl in reversed(pm.hook.handoff_rules_decision.get_hookimpls()):
        try:
            impl.function(**{name: arguments[name] for name in impl.argnames})
        except Exception as exc:
            raise DecisionSinkError(
                f"decision sink of plugin {impl.plugin_name!r} failed on case {decision.case} "
                f"at {decision.checkpoint.value}: {type(exc).__name__}: {exc}"
            ) from exc


def _key(item: object) -> str:
    return str(getattr(item, "key", item))


def _problem(problem: object) -> dict[str, Any]:
    to_dict = getattr(problem, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, dict):
            return result
    return {"message": str(getattr(problem, "message", problem))}


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(json.dumps(item, sort_keys=True), item)
    return [seen[k] for k in sorted(seen)]


# --- output --------------------------------------------------------------------------

_STYLE = {"block": "bold red", "warn": "yellow", "allow": "green", "waived": "cyan"}


def _header(run: CheckRun) -> str:
    source = "given" if run.at_given else "today's date; pass --at to fix it"
    return (
        f"pack {run.pack.name} {run.pack.version} (digest {run.pack.digest[:12]}), "
        f"at {run.at.isoformat()} ({source}), engine {run.engine}"
    )


def _write_table(run: CheckRun, out: TextIO) -> None:
    console = Console(file=out, width=160, highlight=False, soft_wrap=False)
    console.print(escape(_header(run)))
    table = Table(show_lines=False)
    for column in ("case", "checkpoint", "outcome", "findings"):
        table.add_column(column, overflow="fold")
    for decision in run.decisions:
        notes = []
        for finding in decision.findings:
            if finding.result is Result.PASS:
                continue
            tag = finding.result.value
            if finding.result is Result.WAIVED:
                tag = f"waived by {finding.exception}"
            notes.append(f"{finding.rule} [{tag}, {finding.severity.value}] {finding.message}")
        for action in decision.actions:
            params = ", ".join(f"{k}={v}" for k, v in action.params)
            notes.append(f"action {action.kind} ({action.rule}): {params}")
        waived = any(f.result is Result.WAIVED for f in decision.findings)
        outcome = decision.outcome.value + (" (waived)" if waived else "")
        style = _STYLE[decision.outcome.value]
        table.add_row(
            escape(decision.case),
            decision.checkpoint.value,
            f"[{style}]{outcome}[/]",
            escape("\n".join(notes)) or "-",
        )
    console.print(table)
    counts = Counter(d.outcome.value for d in run.decisions)
    waived_count = sum(
        1 for d in run.decisions if any(f.result is Result.WAIVED for f in d.findings)
    )
    console.print(
        f"{run.cases} cases, {len(run.decisions)} decisions: {counts.get('block', 0)} block, "
        f"{counts.get('warn', 0)} warn, {counts.get('allow', 0)} allow; "
        f"{waived_count} with waived findings; {run.facts} facts read, {run.rejects} rejected, "
        f"{run.unassigned} in no case"
    )
    if run.exceptions_file is not None:
        console.print(
            f"exceptions {run.exceptions_file}: used {', '.join(run.exceptions_used) or 'none'}; "
            f"unused {', '.join(run.exceptions_unused) or 'none'}"
        )
        for problem in run.exception_problems:
            text = f"  not applied: {problem.get('exception', '')} {problem['message']}"
            console.print(escape(text))


def _junit(run: CheckRun) -> str:
    suites = ET.Element("testsuites", name="handoff-rules")
    by_cp: dict[str, list[Decision]] = {}
    for decision in run.decisions:
        by_cp.setdefault(decision.checkpoint.value, []).append(decision)
    for checkpoint, decisions in sorted(by_cp.items()):
        failures = sum(1 for d in decisions if d.outcome is Outcome.BLOCK)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{run.pack.name}@{run.pack.version} {checkpoint}",
            tests=str(len(decisions)),
            failures=str(failures),
            errors="0",
            timestamp=run.at.isoformat(),
        )
        for decision in decisions:
            case = ET.SubElement(
                suite, "testcase", classname=f"case.{decision.case}", name=checkpoint
            )
            lines = [
                f"{f.rule} {f.result.value} ({f.severity.value}): {f.message}"
                for f in decision.findings
                if f.result is not Result.PASS
            ]
            if decision.outcome is Outcome.BLOCK:
                failure = ET.SubElement(case, "failure", message=f"{decision.outcome.value}")
                failure.text = "\n".join(lines)
            elif lines:
                ET.SubElement(case, "system-out").text = "\n".join(lines)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_report(run: CheckRun, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        out.write(json.dumps(run.document(), sort_keys=True, ensure_ascii=False, indent=2))
        out.write("\n")
    elif fmt == "junit":
        out.write(_junit(run))
    elif fmt == "html":
        from handoff_rules.report import render_html

        title = f"handoff-rules: {run.pack.name} {run.pack.version} at {run.at.isoformat()}"
        out.write(
            render_html(
                run.decisions,
                cases=run.case_list,
                exceptions=run.register,
                rejects=run.reject_list,
                title=title,
                at=run.at,
            )
        )
    else:
        _write_table(run, out)


def _parse_at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (expected YYYY-MM-DD)") from None


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--pack", "pack_spec", help="Pack NAME[@VERSION] or folder PATH (default o2c-standard)."
)
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Choice([c.value for c in Checkpoint]),
    help="Only these checkpoints (repeatable; default: every checkpoint the pack guards).",
)
@click.option("--at", callback=_parse_at, help="Evaluation date YYYY-MM-DD (default: today).")
@click.option("--exceptions", type=click.Path(path_type=Path), help="Exception register to apply.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "junit", "html"]),
    default="table",
    show_default=True,
)
@click.option(
    "--engine",
    type=click.Choice(["durable", "reference"]),
    help="Rule engine (default: durable where it runs, else reference).",
)
@click.option("--output", type=click.Path(path_type=Path), help="Write the report to FILE.")
@click.option(
    "--audit-log",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append every decision to this hash-chained audit log (created if missing).",
)
def check(
    inputs: tuple[Path, ...],
    pack_spec: str | None,
    checkpoints: tuple[str, ...],
    at: date | None,
    exceptions: Path | None,
    fmt: str,
    engine: str | None,
    output: Path | None,
    audit_log: Path | None,
) -> None:
    """Evaluate a policy pack over export INPUTs (files or directories).

    Exit status: 0 nothing blocks, 1 something blocks, 2 usage or input error.
    """
    run = run_check(
        inputs,
        pack_spec=pack_spec,
        checkpoints=[Checkpoint(c) for c in checkpoints] or None,
        at=at,
        exceptions=exceptions,
        engine=engine,
        audit_log=audit_log,
    )
    if run.notice:
        click.echo(f"note: {run.notice}", err=True)
    if output is not None:
        with output.open("w", encoding="utf-8") as handle:
            write_report(run, fmt, handle)
    else:
        write_report(run, fmt, sys.stdout)
    if run.blocked:
        sys.exit(1)
