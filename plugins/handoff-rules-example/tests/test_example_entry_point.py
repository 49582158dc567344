"""Installed, the plugin is found through its entry point, with no registration code."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

from handoff_rules.plugins import installed_adapters, make_plugin_manager


def test_entry_point_is_declared() -> None:
    (ep,) = [ep for ep in entry_points(group="handoff_rules") if ep.name == "example"]
    assert ep.value == "handoff_rules_example.plugin"
    assert ep.dist is not None
    assert ep.dist.name == "handoff-rules-example"


def test_found_by_the_default_plugin_manager() -> None:
    pm = make_plugin_manager()
    assert pm.get_plugin("example") is not None
    assert "example-slips" in [a.name for a in installed_adapters(pm)]


def test_listed_by_the_adapters_command() -> None:
    from click.testing import CliRunner

    from handoff_rules.cli import cli

    result = CliRunner().invoke(cli, ["adapters", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["adapter"]: entry for entry in json.loads(result.output)}
    slips = listed["example-slips"]
    assert slips["plugin"] == "example (handoff-rules-example 0.1.0)"
    assert [f["name"] for f in slips["formats"]] == ["release-slips"]
