"""``handoff-rules check``: evaluate a pack over exports and report decisions.

The run itself is :func:`handoff_rules.check`; this module parses options and
writes the report. Exit status: 0 when nothing blocks, 1 when at least one
decision blocks, 2 for usage and input errors, 3 when a plugin or
handoff-rules itself fails (:mod:`handoff_rules.cli.exits`). ``--at`` defaults
to today only here, in the command line (and the output says so); the library never reads
the clock. ``--format json`` is the versioned contract described by
``handoff_rules/schemas/decisions-1.json``.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from handoff_rules import pipeline
from handoff_rules.cli.exits import CHECK_EXIT_STATUS_HELP
from handoff_rules.cli.files import check_appendable, check_writable, open_for_writing
from handoff_rules.cli.progress import track
from handoff_rules.decision import Checkpoint, Decision, Outcome, Result
from handoff_rules.errors import EXIT_BLOCK
from handoff_rules.pipeline import RunResult

__all__ = ["check", "write_report"]


# --- output --------------------------------------------------------------------------

_STYLE = {"block": "bold red", "warn": "yellow", "allow": "green", "waived": "cyan"}


def _header(run: RunResult) -> str:
    source = "given" if run.at_given else "today's date; pass --at to fix it"
    return (
        f"pack {run.pack.name} {run.pack.version} (digest {run.pack.digest[:12]}), "
        f"at {run.at.isoformat()} ({source}), engine {run.engine}"
    )


def _write_table(run: RunResult, out: TextIO) -> None:
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


def _junit(run: RunResult) -> str:
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


def write_report(run: RunResult, fmt: str, out: TextIO) -> None:
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


@click.command(epilog=CHECK_EXIT_STATUS_HELP)
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
    """Evaluate a policy pack over export INPUTs (files or directories)."""
    if output is not None:
        check_writable(output, "the report")
    if audit_log is not None:
        check_appendable(audit_log, "the audit log")
    run = pipeline.check(
        inputs,
        at=at or date.today(),
        at_given=at is not None,
        pack=pack_spec,
        checkpoints=checkpoints or None,
        exceptions=exceptions,
        engine=engine,
        audit_log=audit_log,
        progress=track,
    )
    if run.notice:
        click.echo(f"note: {run.notice}", err=True)
    if output is not None:
        with open_for_writing(output, "the report") as handle:
            write_report(run, fmt, handle)
    else:
        write_report(run, fmt, sys.stdout)
    if run.blocked:
        sys.exit(EXIT_BLOCK)
