"""Where exceptions are kept: a small storage interface, YAML files by default.

A company may keep its exceptions in a ticket system or a database. A plugin
supplies such a store through the ``handoff_rules_exception_store`` hook; the
engine only ever needs the two operations of :class:`ExceptionStore`, and both
keep history: a store can add revisions, never change or drop one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import pluggy

from handoff_rules.errors import StoreNotAvailable as StoreNotAvailable
from handoff_rules.policy.exceptions.model import ExceptionRegister, ExceptionRevision
from handoff_rules.policy.exceptions.yaml_format import (
    RegisterError,
    parse_register_text,
    register_text,
    revision_yaml,
)


@runtime_checkable
class ExceptionStore(Protocol):
    """The storage interface for an exception register."""

    @property
    def location(self) -> str:
        """Where the register lives, as the user named it (shown in messages)."""
        ...

    def load(self) -> ExceptionRegister:
        """Every revision of every exception."""
        ...

    def append(self, revision: ExceptionRevision) -> None:
        """Add one revision: revision 1 of a new id, or the next revision of a known one."""
        ...


class YamlExceptionStore:
    """A register kept in one YAML file (see :mod:`.yaml_format` for the layout)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def location(self) -> str:
        return str(self.path)

    def _text(self) -> str:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise RegisterError(str(self.path), "no such exception register") from None
        except IsADirectoryError:
            raise RegisterError(str(self.path), "is a directory, not a register file") from None
        except OSError as exc:
            raise RegisterError(str(self.path), f"cannot be read: {exc.strerror or exc}") from None
        return register_text(data, str(self.path))

    def load(self) -> ExceptionRegister:
        revisions = parse_register_text(self._text(), str(self.path))
        return ExceptionRegister.of(revisions, location=self.location)

    def append(self, revision: ExceptionRevision) -> None:
        """Append the revision's text at the end; earlier bytes are never rewritten.

        The file is re-read after writing; if it no longer parses (say, it was a
        flow-style list the text cannot be appended to), it is cut back to its
        old length and the error is raised.
        """
        text = self._text() if self.path.exists() else ""
        register = ExceptionRegister.of(
            parse_register_text(text, str(self.path)), location=self.location
        )
        previous = None
        if revision.id in register.histories:
            previous = register.histories[revision.id].current
        expected = 1 if previous is None else previous.revision + 1
        if revision.revision != expected:
            raise RegisterError(
                str(self.path),
                f"cannot add {revision.key}: the next revision of {revision.id} is {expected}",
            )
        addition = revision_yaml(revision, previous)
        if text and not text.endswith("\n"):
            addition = "\n" + addition
        old_size = len(text.encode("utf-8"))
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(addition)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            parse_register_text(self._text(), str(self.path))
        except RegisterError:
            with self.path.open("r+b") as handle:
                handle.truncate(old_size)
            raise


def open_exception_store(
    location: str | Path, pm: pluggy.PluginManager | None = None
) -> ExceptionStore:
    """The store for ``location``: the first plugin that claims it, else a YAML file."""
    if pm is None:
        from handoff_rules.plugins import default_plugin_manager

        pm = default_plugin_manager()
    hook = getattr(pm.hook, "handoff_rules_exception_store", None)
    if hook is not None:
        store = hook(location=str(location))
        if store is not None:
            if not isinstance(store, ExceptionStore):
                raise StoreNotAvailable(
                    f"the plugin store for {location} does not implement ExceptionStore: {store!r}"
                )
            return store
    return YamlExceptionStore(Path(location))
