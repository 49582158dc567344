"""``handoff-rules audit``: check that a decision log is intact, and make its decisions again."""

from __future__ import annotations

import click

from handoff_rules.audit import AuditLog, replay_log


@click.group()
def audit() -> None:
    """Verify and replay an audit log."""


@audit.command()
@click.argument("log")
def verify(log: str) -> None:
    """Check the hash chain; name the first edited, deleted or reordered line (exit 1)."""
    result = AuditLog(log).verify()
    if result.problem is not None:
        click.echo(f"{log}:{result.problem.line}: {result.problem.message}")
        click.echo(f"{result.records} record(s) verified before the break")
        raise SystemExit(1)
    click.echo(f"{log}: {result.records} record(s), chain intact")
    if not result.anchored:
        click.echo(
            f"warning: {log}.head is missing, so records cut off the end cannot be detected",
            err=True,
        )


@audit.command()
@click.argument("log")
@click.option(
    "--pack",
    "pack_paths",
    multiple=True,
    help="Pack folder to look in besides the installed packs (repeatable).",
)
def replay(log: str, pack_paths: tuple[str, ...]) -> None:
    """Re-evaluate every logged decision and report any that differ (exit 1)."""
    from handoff_rules.engine.cached import evaluate_case
    from handoff_rules.policy.pack_access import pack_finder

    checked = AuditLog(log).verify()
    if checked.problem is not None:
        click.echo(f"warning: {log}:{checked.problem.line}: {checked.problem.message}", err=True)

    result = replay_log(log, pack_finder(pack_paths), evaluate_case)
    for difference in result.differences:
        click.echo(f"{log}:{difference}")
    same = result.records - len(result.differences)
    click.echo(f"{same} of {result.records} decision(s) reproduced byte for byte")
    if not result.ok:
        raise SystemExit(1)
