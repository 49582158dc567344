"""``handoff-rules read``: turn export files into facts and rejects, with counts.

``--format jsonl`` is a contract other tools parse; see docs/reference/jsonl.rst. Lines
are written as records are read, so a large export streams instead of
filling memory, and a file that fails half-way keeps what was read before.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Final

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from handoff_rules.adapters.registry import (
    InputFile,
    SkippedFile,
    adapter_for,
    find_adapter,
    list_inputs,
    opened,
    read_input,
)
from handoff_rules.cli.progress import track
from handoff_rules.cli.read_settings import currency_option, read_settings
from handoff_rules.errors import EXIT_USAGE, InputError, InternalError
from handoff_rules.facts import RECORD_SUMMARY, Fact, Reject
from handoff_rules.plugins import installed_adapters


def _jsonl(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=False)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
    help="table: counts for people; jsonl: one JSON record per fact/reject, then a summary.",
)
@click.option(
    "--adapter", "adapter_name", help="Read every file with this adapter (skip sniffing)."
)
@currency_option
def read(files: tuple[Path, ...], fmt: str, adapter_name: str | None, currency: str | None) -> None:
    """Read export FILES (files or directories) into facts and rejects.

    Exit status: 0 when every file was read (rejects are reported, not fatal),
    2 when a file could not be read at all or no adapter recognises it, 3 when
    an adapter fails (the error names it and its plugin). Either way the other
    files are read and the summary lists the failures. A directory stands for
    its files as in ``check``: one that no adapter recognises is skipped with
    a warning, and adapters' options files are left out. A zip archive stands
    for its members like a directory, a gzip for the one file it holds; their
    records name them ``ARCHIVE!MEMBER``.
    """
    adapters = installed_adapters()
    settings = read_settings(currency)
    forced = find_adapter(adapter_name, adapters) if adapter_name else None
    facts: Counter[str] = Counter()
    rejects: list[Reject] = []
    errors: list[InputError | InternalError] = []
    crashes: list[InternalError] = []
    skipped: list[SkippedFile] = []
    per_file: list[tuple[str, str, int, int]] = []
    out = sys.stdout
    inputs: list[InputFile] = []
    for given in files:
        try:
            inputs.extend(list_inputs([given], adapters) if given.exists() else [InputFile(given)])
        except InputError as exc:  # an empty folder: the other inputs are still read
            errors.append(exc)
            click.echo(f"error: {exc}", err=True)
    listing_errors = len(errors)

    def read_one(file: InputFile) -> None:
        n_facts = n_rejects = 0
        adapter_label = "-"
        try:
            chosen = adapter_for(file, adapters, forced=forced)
            if isinstance(chosen, SkippedFile):
                skipped.append(chosen)
                click.echo(f"warning: {chosen}", err=True)
                per_file.append((file.source, "(skipped)", 0, 0))
                return
            adapter = chosen.adapter
            adapter_label = adapter.name
            for item in read_input(adapter, file, settings):
                if isinstance(item, Fact):
                    facts[item.type] += 1
                    n_facts += 1
                else:
                    rejects.append(item)
                    n_rejects += 1
                if fmt == "jsonl":
                    out.write(_jsonl(item.to_record()) + "\n")
        except InputError as exc:
            errors.append(exc)
            click.echo(f"error: {exc}", err=True)
            adapter_label = f"{adapter_label} (failed)" if adapter_label != "-" else "(unread)"
        except InternalError as exc:  # an adapter's bug: reported last, as the exit status
            errors.append(exc)
            crashes.append(exc)
            adapter_label = f"{adapter_label} (failed)" if adapter_label != "-" else "(unread)"
        per_file.append((file.source, adapter_label, n_facts, n_rejects))

    for entry in track(inputs, "Reading"):
        try:
            with opened(entry, adapters, forced=forced) as members:  # an archive's, or itself
                for file in members:
                    read_one(file)
        except InputError as exc:  # an archive refused or damaged as a whole
            errors.append(exc)
            click.echo(f"error: {exc}", err=True)
            per_file.append((entry.source, "(unread)", 0, 0))
        except InternalError as exc:  # an adapter's sniff failed on it
            errors.append(exc)
            crashes.append(exc)
            per_file.append((entry.source, "(unread)", 0, 0))

    if fmt == "jsonl":
        summary: dict[str, Any] = {
            "record": RECORD_SUMMARY,
            "facts": dict(sorted(facts.items())),
            "rejects": len(rejects),
            "errors": [str(e) for e in errors],
            "skipped": [item.to_dict() for item in skipped],
        }
        out.write(_jsonl(summary) + "\n")
    elif len(errors) - listing_errors < len(per_file):  # else the error lines say it all
        _print_table(per_file, facts, rejects)
    if crashes:
        for crash in crashes[:-1]:
            click.echo(f"error: {crash}", err=True)
        raise crashes[-1]
    if errors:
        raise SystemExit(EXIT_USAGE)


#: Rejects listed in the table for people; a terminal of thousands helps nobody, and
#: ``--format jsonl`` lists every one.
TABLE_REJECTS: Final = 500


def _print_table(
    per_file: list[tuple[str, str, int, int]], facts: Counter[str], rejects: list[Reject]
) -> None:
    console = Console()
    files = Table(title="Files")
    for column in ("file", "adapter", "facts", "rejects"):
        files.add_column(column, justify="right" if column in {"facts", "rejects"} else "left")
    for name, adapter, n_facts, n_rejects in per_file:
        files.add_row(Text(name), Text(adapter), str(n_facts), str(n_rejects))
    console.print(files)
    if facts:
        types = Table(title="Facts by type")
        types.add_column("type")
        types.add_column("count", justify="right")
        for fact_type, count in sorted(facts.items()):
            types.add_row(Text(fact_type), str(count))
        console.print(types)
    if rejects:
        shown = rejects[:TABLE_REJECTS]
        title = f"Rejects ({len(rejects)})"
        if len(shown) < len(rejects):
            title = f"Rejects (the first {len(shown)} of {len(rejects)})"
        table = Table(title=title)
        for column in ("where", "type", "reason"):
            table.add_column(column)
        # Text cells: a file's own text is never read as rich markup.
        for reject in shown:
            table.add_row(
                Text(str(reject.provenance)), Text(reject.type or ""), Text(reject.reason)
            )
        console.print(table)
        if len(shown) < len(rejects):
            console.print(
                Text(f"{len(rejects) - len(shown)} more rejects: --format jsonl lists every one")
            )
    total = sum(facts.values())
    console.print(f"{total} facts, {len(rejects)} rejects")
