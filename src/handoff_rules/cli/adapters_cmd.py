"""``handoff-rules adapters``: which plugins are installed and what they read."""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import cast

import click
from rich.console import Console
from rich.table import Table

from handoff_rules.adapters.base import Adapter
from handoff_rules.plugins import ENTRY_POINT_GROUP, default_plugin_manager, installed_adapters


def _plugin_of_adapters() -> dict[str, str]:
    """Adapter name -> the plugin (and distribution) that provides it."""
    pm = default_plugin_manager()
    # Plugins are registered from entry points by handoff_rules.plugins, not by
    # pluggy's own loader, so pluggy keeps no distribution info: look it up here.
    dists = {ep.name: ep.dist for ep in entry_points(group=ENTRY_POINT_GROUP)}
    owners: dict[str, str] = {}
    for impl in pm.hook.handoff_rules_adapters.get_hookimpls():
        dist = dists.get(impl.plugin_name)
        label = impl.plugin_name
        if dist is not None:
            label += f" ({dist.name} {dist.version})"
        provided = cast(Iterable[Adapter], impl.function())
        for adapter in provided:
            owners[adapter.name] = label
    return owners


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def adapters(as_json: bool) -> None:
    """List installed adapters and the formats they read."""
    found = installed_adapters()
    owners = _plugin_of_adapters()
    if as_json:
        payload = [
            {
                "adapter": a.name,
                "version": a.version,
                "plugin": owners.get(a.name),
                "formats": [
                    {"name": f.name, "description": f.description, "extensions": list(f.extensions)}
                    for f in a.formats
                ],
            }
            for a in found
        ]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    table = Table(title="Installed adapters")
    for column in ("adapter", "version", "plugin", "format", "description"):
        table.add_column(column)
    for adapter in found:
        for index, fmt in enumerate(adapter.formats):
            first = index == 0
            table.add_row(
                adapter.name if first else "",
                adapter.version if first else "",
                owners.get(adapter.name, "") if first else "",
                fmt.name,
                fmt.description,
            )
    Console().print(table)
