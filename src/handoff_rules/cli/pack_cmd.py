"""``handoff-rules pack``: inspect and test policy packs.

``pack test`` runs a pack version's scenario files (the same ones pytest
collects) and prints one coverage line per rule; ``pack show`` lists the
version's rules and parameters. Other modules may add subcommands to this
group (``pack diff``, ``pack lock`` ...) with ``pack.add_command``.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from handoff_rules.compile.params import Parameter
from handoff_rules.plugins import default_plugin_manager
from handoff_rules.policy.discovery import find_pack, installed_packs, pack_versions
from handoff_rules.policy.pack import Pack
from handoff_rules.policy.scenarios import COVERAGE_KINDS, coverage_line
from handoff_rules.testing.scenarios import run_pack_tests

__all__ = ["pack"]


def _date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (expected YYYY-MM-DD)") from None


@click.group()
def pack() -> None:
    """Inspect, test and compare policy packs."""


@pack.command("test")
@click.argument("pack_spec", required=False)
@click.option("--at", help="Pick the version in force at this date (default: today).")
@click.option(
    "--engine",
    type=click.Choice(["reference", "durable"]),
    default="reference",
    show_default=True,
)
def test(pack_spec: str | None, at: str | None, engine: str) -> None:
    """Run the scenarios of PACK (NAME[@VERSION] or PATH) and show rule coverage.

    Exit status 1 when a scenario fails or a rule lacks full coverage.
    """
    pm = default_plugin_manager()
    loaded = find_pack(pack_spec, _date(at), pm)
    folder = _folder(loaded)
    results, coverage = run_pack_tests(loaded, folder, engine)
    failed = [r for r in results if not r.ok]
    click.echo(
        f"pack {loaded.name} {loaded.version}: {len(results)} scenarios, {len(failed)} failed"
    )
    for result in failed:
        for problem in result.problems:
            click.echo(f"FAIL {problem}")
    click.echo(f"coverage ({', '.join(COVERAGE_KINDS)}):")
    incomplete = []
    for rule in loaded.rules:
        kinds = coverage.kinds.get(rule.id, frozenset())
        click.echo("  " + coverage_line(rule.id, kinds, coverage.expected(rule.id)))
        if not coverage.complete(rule.id):
            incomplete.append(rule.id)
    if failed or incomplete:
        if incomplete:
            click.echo(f"incomplete coverage: {', '.join(incomplete)}")
        sys.exit(1)


def _folder(loaded: Pack) -> Path:
    return Path(loaded.folder)


def _param_text(param: Parameter) -> str:
    value = param.canonical()
    if isinstance(value, list) and value and isinstance(value[0], list):
        return f"{len(value)} limits"
    return str(value)


@pack.command("show")
@click.argument("pack_spec", required=False)
@click.option("--at", help="Pick the version in force at this date (default: today).")
def show(pack_spec: str | None, at: str | None) -> None:
    """Show a pack version: rules, checkpoints, severities, who may waive, parameters."""
    pm = default_plugin_manager()
    if pack_spec is None:
        for name, folder in installed_packs(pm).items():
            versions = ", ".join(s.version or "(single)" for s in pack_versions(folder))
            click.echo(f"{name}: {versions}  ({folder})")
        return
    loaded = find_pack(pack_spec, _date(at), pm)
    click.echo(f"{loaded.name} {loaded.version}, effective {loaded.effective_from.isoformat()}")
    click.echo(f"digest {loaded.digest}")
    if loaded.max_exception_days is not None:
        click.echo(f"exceptions at most {loaded.max_exception_days} days")
    click.echo("rules:")
    for rule in loaded.rules:
        severity = (
            ", ".join(f"{cp.value} {sev.value}" for cp, sev in rule.severity_by_checkpoint)
            or rule.severity.value
        )
        waivers = ", ".join(rule.waivable_by) or "not waivable"
        days = f", at most {rule.max_waiver_days} days" if rule.max_waiver_days else ""
        checkpoints = ",".join(cp.value for cp in rule.checkpoints)
        click.echo(f"  {rule.id:<12} {rule.owner} {checkpoints:<9} {severity}: {rule.title}")
        click.echo(f"  {'':<12} waivable by {waivers}{days}")
    click.echo("parameters:")
    for name, param in sorted(loaded.parameters.items()):
        click.echo(f"  {name} ({param.type}) = {_param_text(param)}")


from handoff_rules.cli.pack_needs_cmd import needs  # noqa: E402
from handoff_rules.cli.pack_versions_cmd import diff, impact, lock  # noqa: E402

pack.add_command(needs)
pack.add_command(diff)
pack.add_command(impact)
pack.add_command(lock)
