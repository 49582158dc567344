"""Report figures from a known set of log records."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from handoff_rules.audit import AuditLog
from handoff_rules.audit.report import build_report
from handoff_rules.cli import cli


def _record(
    case: str,
    checkpoint: str,
    outcome: str,
    findings: list[tuple[str, str, str]],
    owner: str = "anna",
    party: str = "C1",
    at: str = "2024-06-04",
) -> dict[str, Any]:
    exceptions = [
        {"id": exc.split("@")[0], "revision": 1, "approved_by": {"name": "Petr", "role": "cfo"}}
        for _, result, exc in findings
        if result == "waived"
    ]
    return {
        "schema": "handoff-rules/audit/1",
        "engine": "reference",
        "pack": {"name": "p", "version": "1.0.0", "digest": "0" * 64},
        "case_value": None,
        "case": case,
        "checkpoint": checkpoint,
        "at": at,
        "decision": {
            "outcome": outcome,
            "findings": [
                {
                    "rule": rule,
                    "result": result,
                    "severity": "block",
                    "exception": exc if result == "waived" else None,
                }
                for rule, result, exc in findings
            ],
        },
        "facts": [
            {"type": "order", "data": {"id": case, "owner": owner, "counterparty_id": party}}
        ],
        "exceptions": exceptions,
        "problems": [],
    }


RECORDS = [
    _record("1", "H1", "block", [("SUP-DOC-001", "fail", "")]),  # first H1 evaluation blocks
    _record("1", "H1", "allow", [("SUP-DOC-001", "pass", "")]),  # fixed later: latest allows
    _record("2", "H1", "allow", [("SUP-DOC-001", "pass", "")], owner="boris", party="C2"),
    _record("1", "H3", "allow", [("ACC-POA-001", "waived", "EX-1@1")]),
    _record("2", "H3", "block", [("ACC-POA-001", "fail", "")], owner="boris", party="C2"),
    _record("3", "H3", "allow", [("ACC-POA-001", "waived", "EX-2@1")], at="2024-06-05"),
    _record("4", "H3", "allow", [("ACC-POA-001", "waived", "EX-3@1")], at="2024-06-06"),
    _record("5", "H3", "allow", [("ACC-POA-001", "waived", "EX-4@1")], at="2024-06-07"),
]


def test_rates_and_kpis():
    report = build_report(RECORDS)
    assert report["records"] == 8
    assert report["decisions"] == 7  # latest per case and checkpoint
    poa = report["per_rule"]["ACC-POA-001"]
    assert (poa["fail"], poa["waived"], poa["exception_rate"]) == (1, 4, 0.8)
    assert report["per_salesperson"]["boris"]["exception_rate"] == 0.0
    assert report["per_salesperson"]["anna"]["waivers"] == 4
    assert report["per_counterparty"]["C2"]["blocked"] == 1
    assert report["per_approver"]["Petr (cfo)"]["waivers"] == 4
    kpis = report["kpis"]
    assert kpis["first_pass_yield_h1"] == 0.5  # order 1 blocked at its first H1 evaluation
    assert kpis["errors_in_order_placement_per_salesperson"] == {"anna": 1, "boris": 1}
    assert kpis["blocked_per_checkpoint"] == {"H3": 1}
    assert kpis["share_of_orders_with_waiver"] == 0.8
    watch = report["watch"]
    assert watch["salesperson_month_over_limit"] == [
        {"salesperson": "anna", "month": "2024-06", "waivers": 4}
    ]
    assert watch["rule_customer_repeats"] == [
        {"rule": "ACC-POA-001", "counterparty": "C1", "waivers": 4}
    ]


def test_report_command_reads_a_log(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    for record in RECORDS:
        log.append_record(record)
    result = CliRunner().invoke(cli, ["report", str(log.path), "--max-waivers-per-month", "4"])
    assert result.exit_code == 0, result.output
    assert "first-pass yield at H1: 50.0 % of 2 orders" in result.output
    assert "anna: 4 waivers" not in result.output  # 4 is not over a limit of 4
    assert "ACC-POA-001 waived 4 times for C1 (limit 3)" in result.output
