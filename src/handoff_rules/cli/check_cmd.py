"""``handoff-rules check``: evaluate a pack over exports and report decisions.

The run itself is :func:`handoff_rules.check`; this module parses options and
writes the report. Exit status: 0 when nothing blocks, 1 when at least one
decision blocks, 2 for usage and input errors, 3 when a plugin or
handoff-rules itself fails (:mod:`handoff_rules.cli.exits`). ``--at`` defaults
to today only here, in the command line (and the output says so); the library never reads
the clock. ``--format json`` is the versioned contract described by
``handoff_rules/schemas/decisions-1.json``.

Inputs that hold no order end in status 2, not 0: a run of no decision
must not pass a CI gate. A file of an input folder that no adapter
recognises is skipped with a warning (``--strict``: status 2); with
``--fail-on-rejects`` a rejected record ends the run in status 2 once the
report is written.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import click

from handoff_rules import pipeline
from handoff_rules.adapters.registry import skipped_line
from handoff_rules.cli.exits import CHECK_EXIT_STATUS_HELP
from handoff_rules.cli.files import check_appendable, check_writable, open_for_writing
from handoff_rules.cli.progress import track
from handoff_rules.cli.read_settings import currency_option, read_settings
from handoff_rules.collector import tuned_for_a_run
from handoff_rules.decision import Checkpoint
from handoff_rules.errors import EXIT_BLOCK, EXIT_USAGE, NoOrderError
from handoff_rules.report.writers import FORMATS, write_report

__all__ = ["check", "write_report"]


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
    "--pack",
    "pack_spec",
    help="Pack NAME[@VERSION] or folder PATH (default o2c-standard). Each case is judged by "
    "the version in force on its order date (on --at if it has none); a case dated before "
    "the first version is indeterminate.",
)
@click.option(
    "--pack-version",
    metavar="VERSION",
    help="Judge every case under this pack version, whatever its date (back-testing old "
    "exports); the same as --pack NAME@VERSION.",
)
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Choice([c.value for c in Checkpoint]),
    help="Only these checkpoints (repeatable; default: every checkpoint the pack guards).",
)
@click.option(
    "--at",
    callback=_parse_at,
    help="Evaluation date YYYY-MM-DD (default: today): what rules compare today with, and "
    "when exceptions expire.",
)
@click.option("--exceptions", type=click.Path(path_type=Path), help="Exception register to apply.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=FORMATS[0],
    show_default=True,
)
@click.option(
    "--engine",
    type=click.Choice(["durable", "reference"]),
    help="Rule engine (default: durable where it runs, else reference).",
)
@click.option(
    "--pretty",
    is_flag=True,
    help="Indent the JSON report by two spaces (by default it is written on one line).",
)
@click.option("--output", type=click.Path(path_type=Path), help="Write the report to FILE.")
@click.option(
    "--audit-log",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append every decision to this hash-chained audit log (created if missing).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="A file in an input folder that no adapter recognises is an error (exit 2), "
    "not skipped with a warning.",
)
@click.option(
    "--fail-on-rejects",
    is_flag=True,
    help="Exit 2 when any input record was rejected, after writing the report.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Read and evaluate on N local worker processes (default: this process alone); "
    "the report and the audit log are the same, byte for byte.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Read and evaluate on the Dask cluster whose scheduler is at ADDRESS "
    "(tcp://HOST:8786); needs handoff-rules[dask], and the same plugins on every worker.",
)
@currency_option
def check(
    inputs: tuple[Path, ...],
    pack_spec: str | None,
    pack_version: str | None,
    checkpoints: tuple[str, ...],
    at: date | None,
    exceptions: Path | None,
    fmt: str,
    engine: str | None,
    pretty: bool,
    output: Path | None,
    audit_log: Path | None,
    strict: bool,
    fail_on_rejects: bool,
    workers: int | None,
    scheduler: str | None,
    currency: str | None,
) -> None:
    """Evaluate a policy pack over export INPUTs (files or directories).

    A file named on its own must be read: if no adapter recognises it, that is
    an error (exit 2). A directory stands for its files: one that no adapter
    recognises (a README) is skipped with a warning and listed in the report,
    and adapters' options files (handoff-rules-crm.toml) are left out. Inputs
    that hold no order are an error (exit 2): there is nothing to decide.
    """
    if workers is not None and scheduler is not None:
        raise click.UsageError("--workers and --scheduler exclude each other: choose one")
    if output is not None:
        check_writable(output, "the report")
    if audit_log is not None:
        check_appendable(audit_log, "the audit log")
    try:
        run = pipeline.check(
            inputs,
            at=at or date.today(),
            at_given=at is not None,
            pack=pack_spec,
            pack_version=pack_version,
            checkpoints=checkpoints or None,
            exceptions=exceptions,
            engine=engine,
            audit_log=audit_log,
            progress=track,
            strict=strict,
            workers=workers or 1,
            scheduler=scheduler,
            settings=read_settings(currency),
        )
    except NoOrderError as exc:
        _warn_skipped(exc.skipped)
        raise
    _warn_skipped([(item.source, item.reason) for item in run.skipped])
    if run.notice:
        click.echo(f"note: {run.notice}", err=True)
    write = tuned_for_a_run(write_report)  # a large report is many short-lived objects
    if output is not None:
        with open_for_writing(output, "the report") as handle:
            write(run, fmt, handle, pretty=pretty)
    else:
        write(run, fmt, sys.stdout, pretty=pretty)
    if fail_on_rejects and run.rejects:
        records = "record was" if run.rejects == 1 else "records were"
        click.echo(
            f"error: {run.rejects} input {records} rejected (--fail-on-rejects); "
            "the report lists them",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    if run.blocked:
        sys.exit(EXIT_BLOCK)


def _warn_skipped(skipped: Sequence[tuple[str, str]]) -> None:
    for source, reason in skipped:
        click.echo(f"warning: {skipped_line(source, reason)}", err=True)
