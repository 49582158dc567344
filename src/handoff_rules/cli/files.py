"""Files a command writes: refused with one line naming the file, before any work if possible.

A report that cannot be written is found out before the decisions are
evaluated and logged, not after, so a typo in ``--output`` costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from handoff_rules.errors import InputError


def cannot_write(path: Path, what: str, exc: OSError) -> InputError:
    """``PATH: cannot write WHAT: why`` for an OSError met while writing ``path``."""
    if isinstance(exc, IsADirectoryError) and Path(exc.filename or path) == path:
        reason = "it is a directory"
    elif isinstance(exc, FileNotFoundError | NotADirectoryError | FileExistsError):
        reason = f"{path.parent} is not an existing folder"
    else:
        reason = exc.strerror or str(exc)
    return InputError(str(path), f"cannot write {what}: {reason}")


def check_writable(path: Path, what: str) -> None:
    """Refuse an output path that cannot be a file: a directory, or in no existing folder."""
    if path.is_dir():
        raise InputError(str(path), f"cannot write {what}: it is a directory")
    if not path.parent.is_dir():
        raise InputError(str(path), f"cannot write {what}: {path.parent} is not an existing folder")


def check_appendable(path: Path, what: str) -> None:
    """Refuse a log path that cannot become a file; missing folders are created later.

    The nearest part of the path that exists must be a folder: a file there
    (``report.txt/log.jsonl``) would only fail once the work is done.
    """
    if path.is_dir():
        raise InputError(str(path), f"cannot write {what}: it is a directory")
    existing = next((p for p in path.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise InputError(str(path), f"cannot write {what}: {existing} is not a folder")


@contextmanager
def open_for_writing(path: Path, what: str) -> Iterator[TextIO]:
    """``path`` opened for writing text; failing to open it is an :class:`InputError`."""
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise cannot_write(path, what, exc) from None
    with handle:
        yield handle
