"""The errors a user can cause, each with a message that stands on one line.

The command line prints these as ``error: <message>`` and exits 2, never with
a traceback: a wrong file or a typo in a pack is a user mistake, not a crash.
"""

from __future__ import annotations


class HandoffError(Exception):
    """Base of every error meant for the person running handoff-rules."""

    exit_code = 2


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


class PluginLoadError(HandoffError):
    """An installed plugin that fails to import or to register; names the plugin."""
