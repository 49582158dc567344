"""``handoff-rules-crm link``: the CRM-ERP links written down as facts.

``handoff-rules check`` links won opportunities to their ERP orders by itself
(the plugin's ``handoff_rules_link_facts`` hook). This command runs the same
code (:func:`~handoff_rules_crm.linking.link_run`) and writes the links (and
each order's ``crm_link`` status) as JSON Lines fact records, the ``read
--format jsonl`` layout the ``native-jsonl`` adapter reads back: for a look at
them, or for another tool::

    handoff-rules-crm link --via customer_po crm/*.csv erp/*.xml > links.jsonl

Given to ``check`` with the exports, such a file changes nothing: what it
links is not linked again. What stayed unmatched is listed on standard
error, one line each.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from handoff_rules.adapters import ReadSettings, read_files
from handoff_rules.errors import HandoffError
from handoff_rules.plugins import installed_adapters
from handoff_rules_crm.linking import CUSTOMER_PO, VIA, link_opportunities, link_run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """CRM-to-ERP linking for handoff-rules."""


@cli.command()
@click.option(
    "--via",
    type=click.Choice(sorted(VIA)),
    default=None,
    help="Which reference links a won opportunity to its ERP order "
    "[default: link_via of the handoff-rules-crm.toml beside the CRM exports, else customer_po].",
)
@click.option(
    "--currency",
    metavar="CODE",
    help="ISO 4217 code of amounts whose record states no currency, as for handoff-rules "
    "check; wins over default_currency in handoff-rules-crm.toml and the environment.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def link(via: str | None, currency: str | None, files: tuple[Path, ...]) -> None:
    """Read CRM and ERP exports and print the links between them as JSON Lines facts.

    The same link ``handoff-rules check`` makes by itself over the same files.
    """
    settings = ReadSettings(default_currency=currency)  # a bad code: exit 2, naming it
    read = read_files(files, installed_adapters(), settings=settings)
    result = link_run(read.facts, via=via) or link_opportunities((), via=via or CUSTOMER_PO)
    for fact in result.facts():
        click.echo(json.dumps(fact.to_record(), ensure_ascii=False, sort_keys=True))
    for unmatched in (*result.unmatched_opportunities, *result.unmatched_orders):
        click.echo(f"unmatched: {unmatched}", err=True)
    summary: dict[str, Any] = {
        "links": len(result.links),
        "unmatched_opportunities": len(result.unmatched_opportunities),
        "unmatched_orders": len(result.unmatched_orders),
        "rejects_while_reading": len(read.rejects),
    }
    click.echo(json.dumps(summary, sort_keys=True), err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: a user mistake is one ``error:`` line and exit status 2."""
    try:
        cli.main(args=argv, prog_name="handoff-rules-crm", standalone_mode=False)
    except HandoffError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(1)
