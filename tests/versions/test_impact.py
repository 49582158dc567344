"""Impact of a new pack version over real export files."""

from __future__ import annotations

import json

from click.testing import CliRunner

from handoff_rules.cli.pack_versions_cmd import impact
from handoff_rules.model import Money
from handoff_rules.policy.diff import Level, parameter_direction

ORDERS = """\
#handoff-rules: order
id;counterparty_id;net_value;customer_po_ref
O-1;C-1;4000.00 EUR;PO-1
O-2;C-1;6000.00 EUR;PO-2
O-3;C-2;9000.00 EUR;
"""


def test_impact_lists_the_decisions_that_change(pack_writer, tmp_path):
    pack_writer("1.0.0")
    pack_writer("2.0.0", limit="5000.00", po_severity="block")
    pack_writer("1.1.0", limit="8000.00")
    root = tmp_path / "mini-credit"
    export = tmp_path / "orders.csv"
    export.write_text(ORDERS, encoding="utf-8")
    runner = CliRunner()

    looser = runner.invoke(
        impact, [f"{root}@1.0.0", f"{root}@1.1.0", str(export), "--at", "2026-11-03"]
    )
    assert looser.exit_code == 0, looser.output
    assert "1 of 6 decision(s) over 3 case(s) change" in looser.output
    assert "O-2 H2: block -> allow" in looser.output
    assert "ACC-CRD-001 [O-2]: fail -> pass" in looser.output

    stricter = runner.invoke(
        impact,
        [f"{root}@1.0.0", f"{root}@2.0.0", str(export), "--at", "2026-11-03", "--format", "json"],
    )
    assert stricter.exit_code == 0, stricter.output
    body = json.loads(stricter.output)
    assert [(c["case"], c["checkpoint"], c["before"], c["after"]) for c in body["changes"]] == [
        ("O-3", "H1", "warn", "block")
    ]


def test_parameter_direction_by_name():
    assert parameter_direction("poa_max_days", 15, 31) is Level.MINOR
    assert parameter_direction("poa_max_days", 31, 15) is Level.MAJOR
    assert parameter_direction("min_paid_orders", 3, 2) is Level.MINOR
    assert parameter_direction("min_paid_orders", 2, 3) is Level.MAJOR
    assert parameter_direction("loss_tolerance", Money(10, "EUR"), Money(20, "EUR")) is Level.MINOR
    assert parameter_direction("loss_tolerance", Money(10, "EUR"), Money(20, "USD")) is Level.MAJOR
    assert parameter_direction("required_forms", ("original",), ("copy",)) is Level.MAJOR
    assert parameter_direction("currency_rate", 1, 2) is Level.MAJOR  # direction unknown
