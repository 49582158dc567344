"""The exit statuses every command shares, and the one line that reports a failure.

A CI job gates on the status, so each status has one meaning: 1 is a verdict
(something blocks, a check failed), never a crash. A crash is 3, and says in
one line whose code failed: a plugin (with its distribution) or handoff-rules
itself. The traceback is for bug reports and only printed with ``-v``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import attrs
import click

from handoff_rules.errors import (
    EXIT_INTERNAL,
    EXIT_OUTPUT_CLOSED,
    EXIT_USAGE,
    HandoffError,
    InvalidValue,
)

#: The contract, as ``handoff-rules --help`` ends. ``\b`` keeps click from rewrapping it.
EXIT_STATUS_HELP = """\b
Exit status, the same for every command:
  0    done; for check: every decision is allow or warn
  1    a verdict: check: something blocks; pack test: a scenario fails
       or a rule lacks coverage; pack diff: the version bump is too
       small; pack lock: a pack changed without a new version;
       exceptions validate: an exception is invalid; audit verify: the
       chain is broken; audit replay: a decision differs. No other
       command exits 1.
  2    usage or input error: one line naming the file (and line)
  3    internal error or a plugin's failure: one line naming the plugin
       and its distribution; -v (before or after the command) adds the
       traceback
  130  interrupted; 141: standard output closed early (| head)
"""

#: The same for ``handoff-rules check --help``.
CHECK_EXIT_STATUS_HELP = """\b
Exit status:
  0    every decision is allow or warn
  1    at least one decision blocks
  2    usage or input error: one line naming the file (and line);
       inputs that hold no order; with --strict, a file in an input
       folder that no adapter recognises; with --fail-on-rejects, a
       rejected record (after the report is written)
  3    internal error or a plugin's failure: one line naming the plugin
       and its distribution; -v adds the traceback
"""

VERBOSE_FLAGS = ("-v", "--verbose")
_MESSAGE_LIMIT = 500


class OutputClosed(Exception):
    """Standard output was closed by its reader (``| head``): stop without a word."""


def wants_verbose(args: Sequence[str]) -> bool:
    """Whether ``-v`` is among the raw arguments (options end at ``--``)."""
    for arg in args:
        if arg == "--":
            return False
        if arg in VERBOSE_FLAGS:
            return True
    return False


@attrs.define
class Verbosity:
    """Whether ``-v`` was given, as click parsed it once it got that far.

    Until the command's own options are parsed (an error while importing the
    command, a usage error) the raw arguments are all there is; after that,
    click's reading wins, so ``--reason -v`` is a reason, not a flag.
    """

    args: Sequence[str]
    given: bool = False
    parsed: bool = False

    def note(self, value: bool, *, command_parsed: bool) -> None:
        self.given = self.given or value
        self.parsed = self.parsed or command_parsed

    @property
    def verbose(self) -> bool:
        return self.given or (not self.parsed and wants_verbose(self.args))


def note_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """Callback of every ``-v`` option: record it in the run's :class:`Verbosity`."""
    verbosity = ctx.obj.get("verbosity") if isinstance(ctx.obj, dict) else None
    if isinstance(verbosity, Verbosity):
        verbosity.note(value, command_parsed=not isinstance(ctx.command, click.Group))


def describe(exc: BaseException) -> str:
    """``Type: message`` on one line, cut short if the message is long."""
    message = " / ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _hint(code: int, verbose: bool) -> str:
    return " (run with -v for the traceback)" if code == EXIT_INTERNAL and not verbose else ""


def report_error(exc: HandoffError, verbose: bool) -> int:
    """Print a known error as ``error: <message>``; return its exit status.

    A refused value (:class:`InvalidValue`) that nobody handled is a bug of the
    code that passed it, so it is blamed like any unexpected exception: on the
    plugin whose code raised it, else on handoff-rules.
    """
    if isinstance(exc, InvalidValue):
        return report_unexpected(exc, verbose)
    if verbose:
        traceback.print_exception(exc)
    click.echo(f"error: {exc}{_hint(exc.exit_code, verbose)}", err=True)
    return exc.exit_code


def _blame(exc: BaseException) -> str | None:
    """``plugin 'NAME' (distribution D V) failed in FUNCTION``, if a plugin's code raised."""
    from handoff_rules.plugins import plugin_in_traceback

    try:
        frame = plugin_in_traceback(exc)
    except Exception:  # naming the culprit must not hide the failure itself
        return None
    return None if frame is None else f"{frame.origin} failed in {frame.function}"


def classify(exc: BaseException) -> tuple[int, str]:
    """The exit status and the line for an exception no command expected.

    A plugin's code in the traceback makes it that plugin's failure; an
    operating-system error about a named file (a directory given as a log,
    a folder that does not exist) is the input's; anything else is ours.
    Running out of memory is nobody's bug in particular, so it is not blamed
    on whichever plugin happened to be running.
    """
    what = describe(exc)
    culprit = None if isinstance(exc, MemoryError) else _blame(exc)
    if culprit is not None:
        return EXIT_INTERNAL, f"error: {culprit}: {what}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return EXIT_USAGE, f"error: {exc.filename}: {exc.strerror or what}"
    return EXIT_INTERNAL, f"internal error: {what}"


def report_unexpected(exc: BaseException, verbose: bool) -> int:
    """Print one line for an unexpected exception (the traceback too with -v); its status."""
    code, line = classify(exc)
    if verbose:
        traceback.print_exception(exc)
    click.echo(line + _hint(code, verbose), err=True)
    return code


def output_closed() -> int:
    """Stop quietly after the reader of standard output went away.

    What is still buffered for standard output is sent to the null device, so
    the interpreter's own flush at exit has nothing to complain about.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file: nothing will be flushed
        pass
    return EXIT_OUTPUT_CLOSED


__all__ = [
    "CHECK_EXIT_STATUS_HELP",
    "EXIT_STATUS_HELP",
    "OutputClosed",
    "Verbosity",
    "classify",
    "note_verbose",
    "output_closed",
    "report_error",
    "report_unexpected",
    "wants_verbose",
]
