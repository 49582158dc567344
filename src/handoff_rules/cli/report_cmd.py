"""``handoff-rules report``: exception rates and handoff KPIs from an audit log."""

from __future__ import annotations

import json

import click

from handoff_rules.audit import AuditLog
from handoff_rules.audit.report import build_report, render_text


@click.command()
@click.argument("log")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def report(log: str, fmt: str) -> None:
    """Exception rate per rule, salesperson, counterparty and approver; first-pass yield."""
    data = build_report(record for _line, record in AuditLog(log).records())
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        click.echo(render_text(data), nl=False)
