"""The installed plugin: its adapters are listed and win the files they read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from handoff_rules.adapters import choose_adapter
from handoff_rules.cli import cli
from handoff_rules.plugins import installed_adapters, make_plugin_manager

CRM_ADAPTERS = {"salesforce-csv", "salesforce-tree", "hubspot-csv", "odoo-csv"}
DATA = Path(__file__).parent / "data"


def test_the_entry_point_registers_the_adapters() -> None:
    pm = make_plugin_manager()
    assert pm.get_plugin("crm") is not None
    names = {a.name for a in installed_adapters(pm)}
    assert names >= CRM_ADAPTERS


def test_handoff_rules_adapters_lists_them() -> None:
    result = CliRunner().invoke(cli, ["adapters", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["adapter"]: entry for entry in json.loads(result.output)}
    assert set(listed) >= CRM_ADAPTERS
    assert str(listed["salesforce-csv"]["plugin"]).startswith("crm (handoff-rules-crm ")


@pytest.mark.parametrize(
    ("path", "adapter"),
    [
        *[
            (DATA / "salesforce-demo-org" / n, "salesforce-csv")
            for n in (
                "Account.csv",
                "Contact.csv",
                "Lead.csv",
                "Opportunity.csv",
                "OpportunityHistory.csv",
            )
        ],
        *[
            (DATA / "salesforce-apex-recipes" / n, "salesforce-csv")
            for n in ("Accounts.csv", "Contacts.csv", "Opportunities.csv")
        ],
        *[
            (DATA / "salesforce-apex-recipes" / n, "salesforce-tree")
            for n in ("Accounts.json", "Contacts.json", "Opportunities.json", "data-plan.json")
        ],
        *[(p, "salesforce-csv") for p in sorted((DATA / "prodly-style").glob("*.csv"))],
        *[(p, "hubspot-csv") for p in sorted((DATA / "hubspot").glob("*.csv"))],
        (DATA / "odoo" / "sale.order.csv", "odoo-csv"),
        (DATA / "e2e" / "Opportunity.csv", "salesforce-csv"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_sniffing_among_all_installed_adapters_picks_ours(path: Path, adapter: str) -> None:
    chosen, _claim = choose_adapter(path, installed_adapters())
    assert chosen.name == adapter


def test_the_command_line_reads_the_samples(tmp_path: Path) -> None:
    folder = DATA / "salesforce-apex-recipes"
    files = [str(folder / n) for n in ("Accounts.json", "Contacts.json", "data-plan.json")]
    result = CliRunner().invoke(cli, ["read", "--format", "jsonl", *files])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    facts = [r for r in records if r["record"] == "fact"]
    assert len([f for f in facts if f["type"] == "counterparty"]) == 50
    assert len([f for f in facts if f["type"] == "person"]) == 150
