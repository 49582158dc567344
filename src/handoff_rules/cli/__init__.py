"""The ``handoff-rules`` command.

Subcommands live in their own modules and are imported only when used, so
``handoff-rules --help`` stays fast and a broken optional part cannot stop
the others. Every command shares one exit-status contract
(:mod:`handoff_rules.cli.exits`): a failure ends as one line, and
``-v``, before or after the subcommand, adds the traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from handoff_rules import __version__
from handoff_rules.cli.exits import (
    EXIT_STATUS_HELP,
    OutputClosed,
    Verbosity,
    note_verbose,
    output_closed,
    report_error,
    report_unexpected,
)
from handoff_rules.errors import EXIT_INTERRUPTED, EXIT_USAGE, HandoffError

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

VERBOSE_HELP = "Show the traceback of an internal or plugin error."


def _accept_verbose(command: click.Command) -> click.Command:
    """Let ``-v`` follow the subcommand too (``handoff-rules check ... -v``).

    The option goes to :func:`main` through the run's :class:`Verbosity`, not
    to the command, which has no use for it.
    """
    taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
    if not taken & {"-v", "--verbose"}:
        command.params.append(
            click.Option(
                ["-v", "--verbose"],
                is_flag=True,
                expose_value=False,
                callback=note_verbose,
                help=VERBOSE_HELP,
            )
        )
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _accept_verbose(subcommand)
    return command


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return _accept_verbose(command)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        # click itself would turn a closed pipe into exit status 1, which means "blocks".
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise OutputClosed() from exc


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_STATUS_HELP,
)
@click.version_option(__version__, prog_name="handoff-rules")
@click.option(
    "-v", "--verbose", is_flag=True, expose_value=False, callback=note_verbose, help=VERBOSE_HELP
)
def cli() -> None:
    """Sales-to-back-office handoff rules: read exports, evaluate policy packs, audit decisions."""


def _run(args: list[str], verbosity: Verbosity) -> tuple[int, Any]:
    """Run the command line; (exit status, what the command returned)."""
    try:
        result = cli.main(
            args=args,
            prog_name="handoff-rules",
            standalone_mode=False,
            obj={"verbosity": verbosity},
        )
        return 0, result
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0, None
        raise
    except HandoffError as exc:
        return report_error(exc, verbosity.verbose), None
    except click.exceptions.Abort as exc:  # click's name for Ctrl-C, and for an EOFError
        if isinstance(exc.__cause__, EOFError):
            return report_unexpected(exc.__cause__, verbosity.verbose), None
        return EXIT_INTERRUPTED, None
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED, None
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE, None
    except click.exceptions.Exit as exc:
        return exc.exit_code, None
    except (OutputClosed, BrokenPipeError):
        return output_closed(), None
    except Exception as exc:  # MemoryError and RecursionError included
        return report_unexpected(exc, verbosity.verbose), None


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the command; every failure ends as one line and its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    status, result = _run(args, Verbosity(args))
    try:
        sys.stdout.flush()  # here, not at exit, so a reader gone away is noticed
    except BrokenPipeError:
        status = output_closed()
    except (OSError, ValueError):  # closed or not flushable: nothing left to lose
        pass
    if status == 0:
        return result
    sys.exit(status)
