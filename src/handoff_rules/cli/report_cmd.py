"""``handoff-rules report``: exception rates and handoff KPIs from an audit log."""

from __future__ import annotations

import json

import click

from handoff_rules.audit import AuditLog
from handoff_rules.audit.report import build_report, render_text


@click.command()
@click.argument("log")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--max-waivers-per-month",
    default=3,
    show_default=True,
    help="Escalate a salesperson with more waivers than this in one month.",
)
@click.option(
    "--max-repeat-waivers",
    default=3,
    show_default=True,
    help="Flag a rule waived more often than this for one customer.",
)
def report(log: str, fmt: str, max_waivers_per_month: int, max_repeat_waivers: int) -> None:
    """Exception rate per rule, salesperson, counterparty and approver; first-pass yield."""
    data = build_report(
        (record for _line, record in AuditLog(log).records()),
        max_waivers_per_salesperson_per_month=max_waivers_per_month,
        max_repeat_waivers_same_rule_customer=max_repeat_waivers,
    )
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        click.echo(render_text(data), nl=False)
