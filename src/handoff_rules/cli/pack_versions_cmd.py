"""``handoff-rules pack diff|impact|lock``: version discipline for policy packs.

A pack is named by its folder (a version folder, or a folder of versions with
``@VERSION``) or by an installed pack's name: ``packs/o2c-standard@1.1.0``,
``o2c-standard@1.0.0``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from handoff_rules.cli.exceptions_cmd import parse_day
from handoff_rules.cli.files import cannot_write, check_writable
from handoff_rules.engine.cached import evaluate_case
from handoff_rules.policy.diff import Level, diff_packs
from handoff_rules.policy.lock import LOCK_FILE, check_lock, read_lock, update_lock, write_lock
from handoff_rules.policy.pack_access import (
    all_versions,
    load_pack,
    same_under_old_params,
    versions_at,
)


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def diff(old: str, new: str, fmt: str) -> None:
    """List what changed from OLD to NEW; exit 1 if the version bump is too small."""
    old_pack, new_pack = load_pack(old), load_pack(new)
    result = diff_packs(old_pack, new_pack, same_under_old_params(old_pack, new_pack))
    if fmt == "json":
        body = {
            "old": {"name": old_pack.name, "version": old_pack.version},
            "new": {"name": new_pack.name, "version": new_pack.version},
            "changes": [
                {"level": str(c.level), "subject": c.subject, "what": c.what}
                for c in result.changes
            ],
            "change": str(result.level),
            "bump": str(result.bump),
            "ok": result.ok,
        }
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{result.old} -> {result.new}")
        for change in result.changes:
            click.echo(f"  {change}")
        if not result.changes:
            click.echo("  no changes")
        verdict = "ok" if result.ok else "version bump too small"
        click.echo(
            f"change: {result.level}, version bump: {result.bump} -> {verdict}"
            + ("" if result.ok else f" (needs a {result.level} version)")
        )
    if not result.ok:
        raise SystemExit(1)


@click.command()
@click.argument("old")
@click.argument("new")
@click.argument("exports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--at", "at_text", help="Evaluation date YYYY-MM-DD (default: today).")
@click.option("--engine", type=click.Choice(["durable", "reference"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def impact(
    old: str, new: str, exports: tuple[Path, ...], at_text: str | None, engine: str | None, fmt: str
) -> None:
    """Show the decisions over EXPORTS that would change from OLD to NEW."""
    from handoff_rules.adapters.registry import read_files
    from handoff_rules.cases import build_cases
    from handoff_rules.plugins import installed_adapters
    from handoff_rules.policy.impact import impact as compute_impact

    at = parse_day(at_text)
    old_pack, new_pack = load_pack(old), load_pack(new)
    read = read_files(exports, installed_adapters())
    cases = build_cases(read.facts).cases

    def evaluate(case: Any, pack: Any, day: date) -> Any:
        return evaluate_case(case, pack, day, engine)

    result = compute_impact(cases, old_pack, new_pack, at, evaluate)
    if fmt == "json":
        body = {
            "old": old_pack.ref.to_dict(),
            "new": new_pack.ref.to_dict(),
            "at": at.isoformat(),
            "cases": result.cases,
            "decisions": result.decisions,
            "changes": [
                {
                    "case": c.case,
                    "checkpoint": c.checkpoint,
                    "before": c.before,
                    "after": c.after,
                    "findings": [
                        {"rule": f.rule, "subject": f.subject, "before": f.before, "after": f.after}
                        for f in c.findings
                    ],
                }
                for c in result.changes
            ],
        }
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{old_pack.name} {old_pack.version} -> {new_pack.name} {new_pack.version} on {at}: "
        f"{len(result.changes)} of {result.decisions} decision(s) over {result.cases} case(s) "
        "change"
    )
    for change in result.changes:
        click.echo(f"  {change}")
        for finding in change.findings:
            click.echo(f"      {finding}")


@click.command()
@click.argument("packs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Only check; exit 1 on a changed or unlocked version.")
@click.option(
    "--lock-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=LOCK_FILE,
    show_default=True,
)
def lock(packs: tuple[Path, ...], check: bool, lock_file: Path) -> None:
    """Record each pack version's digest in the lock file, or check them (--check).

    PACKS are pack folders (default: every installed pack). A version whose
    content no longer matches its locked digest is an error: rules changed but
    the version was not bumped. Exit status 1 on such a version (with
    ``--check``, also on one not locked yet).
    """
    if not check:
        check_writable(lock_file, "the lock file")
    found = [p for folder in packs for p in versions_at(folder)] if packs else all_versions()
    current = read_lock(lock_file)
    if check:
        problems = check_lock(found, current)
        for problem in problems:
            click.echo(f"{lock_file}: {problem}")
        click.echo(
            f"{len(found) - len(problems)} of {len(found)} pack version(s) match {lock_file}"
        )
        if problems:
            raise SystemExit(1)
        return
    new_lock, problems, added = update_lock(found, current)
    for problem in problems:
        click.echo(f"{lock_file}: {problem}")
    if added:
        try:
            write_lock(lock_file, new_lock)
        except OSError as exc:
            raise cannot_write(lock_file, "the lock file", exc) from None
    for pack in added:
        click.echo(f"locked {pack.name} {pack.version} {pack.digest[:12]}")
    if not added and not problems:
        click.echo(f"{lock_file}: all {len(found)} pack version(s) already locked")
    if problems:
        raise SystemExit(1)


__all__ = ["Level", "diff", "impact", "lock"]
