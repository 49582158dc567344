"""``handoff-rules exceptions``: look into an exception register.

``expiring`` lists waivers running out soon (so someone fixes the underlying
fact before the deal blocks again), ``show`` prints any revision of one
exception, ``validate`` checks every exception against a pack version without
evaluating a case.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import click
import yaml

from handoff_rules.errors import UsageError as UsageError
from handoff_rules.policy.exceptions import register_problems
from handoff_rules.policy.exceptions.yaml_format import revision_document
from handoff_rules.policy.waivers import load_register

DEFAULT_REGISTER = "exceptions.yaml"
_PERIOD = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$")


def parse_period(text: str) -> int:
    """``14d``, ``2w`` or ``14`` → days."""
    match = _PERIOD.match(text)
    if match is None:
        raise UsageError(f"--within expects days like 14d or weeks like 2w, not {text!r}")
    number = int(match.group(1))
    return number * 7 if match.group(2) == "w" else number


def parse_day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at expects a date YYYY-MM-DD, not {text!r}") from None


@click.group()
def exceptions() -> None:
    """Inspect and validate the exception register."""


@exceptions.command()
@click.argument("register", default=DEFAULT_REGISTER)
@click.option("--within", "within", default="14d", show_default=True, help="Period: 14d, 2w.")
@click.option("--at", "at_text", help="Reference date YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def expiring(register: str, within: str, at_text: str | None, fmt: str) -> None:
    """List exceptions in force that end within the period (valid_until is inclusive)."""
    at = parse_day(at_text)
    until = at + timedelta(days=parse_period(within))
    found = [r for r in load_register(register) if r.in_force(at) and r.valid_until <= until]
    found.sort(key=lambda r: (r.valid_until, r.id))
    if fmt == "json":
        rows = [{**r.to_dict(), "days_left": (r.valid_until - at).days} for r in found]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo(f"no exception in force on {at} ends by {until}")
        return
    click.echo(f"{len(found)} exception(s) in force on {at} end by {until}:")
    for r in found:
        left = (r.valid_until - at).days
        click.echo(
            f"  {r.key:<16} {r.rule:<12} until {r.valid_until} ({left} day(s) left)  "
            f"approved by {r.approved_by}  ticket {r.ticket}"
        )


@exceptions.command()
@click.argument("exception_id")
@click.argument("register", default=DEFAULT_REGISTER)
@click.option("--revision", type=int, help="Show this revision (default: the current one).")
def show(exception_id: str, register: str, revision: int | None) -> None:
    """Print one exception revision and the list of all its revisions."""
    try:
        history = load_register(register).history(exception_id)
        shown = history.current if revision is None else history.revision(revision)
    except KeyError as exc:
        raise UsageError(f"{register}: {exc.args[0]}") from None
    document = revision_document(shown)
    click.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True).rstrip())
    click.echo("revisions:")
    for item in history.revisions:
        state = "revoked" if item.revoked else f"{item.valid_from} to {item.valid_until}"
        marker = "*" if item is shown else " "
        click.echo(f" {marker} {item.key}  {state}  approved by {item.approved_by}")


@exceptions.command()
@click.argument("register")
@click.option("--pack", "pack_spec", required=True, help="Pack name or folder.")
@click.option("--version", "pack_version", help="Pack version (default: the one in force).")
@click.option("--at", "at_text", help="Also check validity on this date YYYY-MM-DD.")
def validate(register: str, pack_spec: str, pack_version: str | None, at_text: str | None) -> None:
    """Check every current exception against a pack version; exit 1 if any is invalid."""
    from handoff_rules.policy.pack_access import load_pack

    at = parse_day(at_text) if at_text else None
    pack = load_pack(pack_spec, version=pack_version, at=at)
    loaded = load_register(register)
    current = [r for r in loaded if r.revoked is None]
    problems = register_problems(current, pack, at)
    for problem in problems:
        click.echo(str(problem))
    bad = {p.key for p in problems}
    click.echo(
        f"{len(current) - len(bad)} of {len(current)} exception(s) valid for "
        f"{pack.name} {pack.version}" + (f" on {at}" if at else "")
    )
    if problems:
        raise SystemExit(1)


@exceptions.command()
@click.argument("exception_id")
@click.argument("register")
@click.option("--by", "by_name", required=True, help="Who revokes it.")
@click.option("--role", required=True, help="The role they act in.")
@click.option("--reason", required=True, help="Why it is withdrawn.")
@click.option("--on", "on_text", help="Date of revocation YYYY-MM-DD (default: today).")
def revoke(
    exception_id: str, register: str, by_name: str, role: str, reason: str, on_text: str | None
) -> None:
    """Withdraw an exception: appends a revocation revision; earlier revisions stay."""
    import attrs

    from handoff_rules.policy.exceptions import Party, Revocation, open_exception_store

    store = open_exception_store(register)
    try:
        current = store.load().history(exception_id).current
    except KeyError as exc:
        raise UsageError(f"{register}: {exc.args[0]}") from None
    if current.revoked is not None:
        raise UsageError(f"{current.key} is already revoked ({current.revoked.reason})")
    revocation = Revocation(parse_day(on_text), Party(by_name, role), reason)
    revision = attrs.evolve(current, revision=current.revision + 1, revoked=revocation)
    store.append(revision)
    click.echo(f"{revision.key}: revoked on {revocation.on} by {revocation.by}")
