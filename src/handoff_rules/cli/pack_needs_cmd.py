"""``handoff-rules pack needs``: what each rule reads, and which inputs can supply it.

Asked before a first ``check`` on new exports ("will these files let the
pack decide anything?") and after a surprising one ("why is every order
blocked on LEG-CTR-001?"): the answer comes from the rules' IR and the
adapters' declared supplies, without reading a single record.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from handoff_rules.adapters.registry import (
    Chosen,
    SkippedFile,
    adapter_for,
    list_inputs,
    opened,
)
from handoff_rules.cli.pack_cmd import _date
from handoff_rules.coverage import Coverage, Evaluability, SupplyIndex, coverage
from handoff_rules.decision import Checkpoint
from handoff_rules.plugins import default_plugin_manager, installed_adapters
from handoff_rules.policy.discovery import find_pack

__all__ = ["needs"]

_STYLE = {
    Evaluability.EVALUABLE: "green",
    Evaluability.PARTIAL: "yellow",
    Evaluability.NOT_EVALUABLE: "bold red",
    Evaluability.UNKNOWN: "cyan",
}


@click.command("needs")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--pack", "pack_spec", help="NAME[@VERSION] or PATH (default: o2c-standard).")
@click.option("--at", help="Pick the version in force at this date (default: today).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
def needs(inputs: tuple[Path, ...], pack_spec: str | None, at: str | None, fmt: str) -> None:
    """Show what each rule of a pack needs and which adapters supply it.

    Without INPUTS, every format of every installed adapter counts as a
    source; with INPUTS (files, folders or zip and gzip archives), only the
    formats that claim them. Nothing is read beyond the start of each file
    (an archive is extracted to find its members). Exit status 0.
    """
    pm = default_plugin_manager()
    loaded = find_pack(pack_spec, _date(at), pm)
    adapters = installed_adapters(pm)
    if inputs:
        chosen: list[Chosen | SkippedFile] = []
        for given in list_inputs(inputs, adapters):
            with opened(given, adapters) as files:  # an archive's members, or the file itself
                # strict: a file no adapter recognises is an error here, as it always was
                chosen.extend(adapter_for(file, adapters, strict=True) for file in files)
        index = SupplyIndex(
            (c.adapter.name, info) for c in chosen if isinstance(c, Chosen) for info in c.formats
        )
    else:
        index = SupplyIndex.of_adapters(adapters)
    derivers = bool(pm.hook.handoff_rules_derive_facts.get_hookimpls())
    covered = coverage(loaded, index, plugin_derivers=derivers)
    checkpoints = {rule.id: rule.checkpoints for rule in loaded.rules}
    if fmt == "json":
        document = covered.to_dict()
        document["pack"] = loaded.ref.to_dict()
        for item, rule in zip(document["rules"], covered.rules, strict=True):  # type: ignore[call-overload]
            item["checkpoints"] = [c.value for c in checkpoints[rule.rule]]
            item["needs"] = [
                {
                    "need": status.need.words,
                    "kind": status.need.kind.value,
                    "supplied_by": list(status.suppliers),
                    "unknown": status.unknown,
                }
                for status in rule.needs
            ]
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    _print(covered, loaded.ref.name, loaded.version, checkpoints)


def _print(
    covered: Coverage, name: str, version: str, checkpoints: Mapping[str, tuple[Checkpoint, ...]]
) -> None:
    console = Console(width=160)
    table = Table(title=f"What the rules of {name} {version} need")
    for column in ("rule", "checkpoints", "needs", "how", "supplied by"):
        table.add_column(column)
    for rule in covered.rules:
        style = _STYLE[rule.evaluability]
        first = True
        for status in rule.needs:
            supplied = ", ".join(status.suppliers) or ("unknown" if status.unknown else "nothing")
            table.add_row(
                Text(f"{rule.rule}\n{rule.evaluability.value}", style=style) if first else "",
                " ".join(c.value for c in checkpoints[rule.rule]) if first else "",
                Text(status.need.words),
                status.need.kind.value,
                Text(supplied, style="" if status.supplied else "red"),
            )
            first = False
        table.add_section()
    console.print(table)
    counts = covered.counts()
    console.print(
        f"{counts['evaluable']} rules evaluable, {counts['partial']} partly, "
        f"{counts['not_evaluable']} not at all, {counts['unknown']} unknown "
        f"from: {', '.join(covered.formats) or 'no format'}",
        soft_wrap=True,
    )
