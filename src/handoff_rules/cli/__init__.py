"""The ``handoff-rules`` command.

Subcommands live in their own modules and are imported only when used, so
``handoff-rules --help`` stays fast and a broken optional part cannot stop
the others. User mistakes end as one ``error:`` line and exit status 2;
``--verbose`` adds the traceback for bug reports.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from handoff_rules import __version__
from handoff_rules.errors import HandoffError

#: command name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "adapters": "handoff_rules.cli.adapters_cmd:adapters",
    "check": "handoff_rules.cli.check_cmd:check",
    "pack": "handoff_rules.cli.pack_cmd:pack",
    "audit": "handoff_rules.cli.audit_cmd:audit",
    "exceptions": "handoff_rules.cli.exceptions_cmd:exceptions",
    "report": "handoff_rules.cli.report_cmd:report",
    "read": "handoff_rules.cli.read_cmd:read",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handoff-rules")
@click.option("-v", "--verbose", is_flag=True, help="Show details (tracebacks) for errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Sales-to-back-office handoff rules: read exports, evaluate policy packs, audit decisions."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the command, turning user errors into one readable line."""
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        return cli.main(args=argv, prog_name="handoff-rules", standalone_mode=False)
    except HandoffError as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
