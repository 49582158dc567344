"""The errors handoff-rules reports as one line, each with the exit status it ends in.

The command line prints these as ``error: <message>`` and exits with
``exit_code``, never with a traceback unless ``-v`` asks for one. The status
tells a CI job whose fault it is: 2 for the person running it (a wrong file,
a typo in a pack), 3 for the software (a bug, or a plugin that failed).
"""

from __future__ import annotations

from typing import Final

#: Exit statuses of every ``handoff-rules`` command; ``docs/reference/exit-status.rst``.
EXIT_OK: Final = 0
EXIT_BLOCK: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERNAL: Final = 3
EXIT_INTERRUPTED: Final = 130
EXIT_OUTPUT_CLOSED: Final = 141


class HandoffError(Exception):
    """Base of every error meant for the person running handoff-rules."""

    exit_code = EXIT_USAGE


class InputError(HandoffError):
    """An input file that cannot be read as a whole (not found, unknown format, malformed).

    ``location`` is the line or segment where reading stopped, when known.
    """

    def __init__(self, source: str, message: str, location: str | None = None) -> None:
        self.source = source
        self.location = location
        self.message = message
        where = f"{source}:{location}" if location else source
        super().__init__(f"{where}: {message}")


class InternalError(HandoffError):
    """A failure that is not the user's doing: a bug, not a wrong input.

    It exits 3, so a CI job can tell "the software broke" from "something
    blocks" (1) and "the input is wrong" (2).
    """

    exit_code = EXIT_INTERNAL


class PluginError(InternalError):
    """An installed plugin failed; the message names the plugin and its distribution.

    Whoever reads the message can report the failure to the right people: the
    plugin's authors, not handoff-rules' nor the author of the input file.
    """


class PluginLoadError(PluginError):
    """An installed plugin that fails to import or to register; names the plugin."""
