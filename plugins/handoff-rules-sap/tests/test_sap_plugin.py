"""The distribution plugs into handoff-rules: entry point, listing, ``read`` command."""

from __future__ import annotations

import json

from click.testing import CliRunner

from handoff_rules.adapters import Adapter
from handoff_rules.cli import cli
from handoff_rules.plugins import installed_adapters, make_plugin_manager

from .conftest import DATA


def test_entry_point_provides_both_adapters():
    adapters = {a.name: a for a in installed_adapters(make_plugin_manager())}
    assert {"sap-idoc", "sap-table"} <= set(adapters)
    assert all(isinstance(adapters[n], Adapter) for n in ("sap-idoc", "sap-table"))


def test_cli_lists_the_adapters():
    result = CliRunner().invoke(cli, ["adapters", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["adapter"]: entry for entry in json.loads(result.output)}
    assert {f["name"] for f in listed["sap-idoc"]["formats"]} == {"idoc-xml", "idoc-flat"}
    assert "vbfa" in {f["name"] for f in listed["sap-table"]["formats"]}


def test_cli_reads_mixed_files_as_jsonl():
    files = [str(DATA / n) for n in ("invoic02_zext.xml", "invoic02_flat.txt", "BSAD.csv")]
    result = CliRunner().invoke(cli, ["read", *files, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    summary = records[-1]
    assert summary["record"] == "summary"
    assert summary["facts"]["invoice"] == 3
    assert summary["facts"]["payment"] == 1
    adapters = {r["provenance"]["adapter"] for r in records if r["record"] == "fact"}
    assert adapters == {"sap-idoc", "sap-table"}
