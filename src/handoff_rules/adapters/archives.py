"""Zip and gzip archives of exports, extracted safely into a temporary folder.

Back offices mail and store exports zipped (``exports.zip`` of a month's
SE16N downloads) or gzipped (``VBFA.txt.gz``). Every adapter reads a path,
so an archive is not a format of its own: it is extracted here, once, for
every adapter, and its members are then read like the files of a folder (see
``handoff_rules.adapters.registry``, which also names each fact
``ARCHIVE!MEMBER``).

An archive is someone else's file, so extraction trusts nothing it says:

- a member's name must stay inside the archive (no absolute path, drive
  letter, backslash or ``..``), be a plain file (no symbolic link or device)
  and be unencrypted; one bad member refuses the whole archive before a
  single member is written, so no half-read archive ever looks complete;
- sizes are counted on the bytes actually written, not on what the headers
  claim: the total per archive, the expansion of each member (a zip bomb)
  and the number of members are bounded (:class:`Limits`);
- members are streamed to disk in chunks, so memory stays flat whatever
  their size, and the folder is removed when reading ends, failed or not.
"""

from __future__ import annotations

import gzip
import lzma
import os
import re
import shutil
import stat
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import IO, Final, Protocol

import attrs

from handoff_rules.errors import InputError, UsageError

__all__ = [
    "ENV_MAX_BYTES",
    "ENV_MAX_MEMBERS",
    "ENV_MAX_RATIO",
    "ArchiveKind",
    "Extracted",
    "Limits",
    "archive_kind",
    "extracted",
    "is_document_package",
]

ZIP_MAGIC: Final = b"PK\x03\x04"
#: the end record an empty zip starts with
EMPTY_ZIP_MAGIC: Final = b"PK\x05\x06"
GZIP_MAGIC: Final = b"\x1f\x8b"
#: bytes read and written at a time: memory stays flat whatever a member's size
CHUNK: Final = 1024 * 1024

ENV_MAX_BYTES: Final = "HANDOFF_RULES_ARCHIVE_MAX_BYTES"
ENV_MAX_RATIO: Final = "HANDOFF_RULES_ARCHIVE_MAX_RATIO"
ENV_MAX_MEMBERS: Final = "HANDOFF_RULES_ARCHIVE_MAX_MEMBERS"

#: Folders archivers add that hold no export: macOS resource forks.
_METADATA_FOLDERS: Final = frozenset({"__MACOSX"})
_DRIVE: Final = re.compile(r"^[A-Za-z]:")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
#: What zipfile and gzip raise on a damaged archive, besides ``OSError``.
_DAMAGED: Final = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    UnicodeDecodeError,
    ValueError,
    NotImplementedError,
    struct.error,
    OverflowError,
    RuntimeError,
)


class ArchiveKind(Enum):
    ZIP = "zip"
    GZIP = "gzip"


def archive_kind(path: Path) -> ArchiveKind | None:
    """Whether ``path`` is a zip or gzip archive, told by its first bytes (not its name)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
    except OSError:  # the reader says what is wrong with the file
        return None
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return ArchiveKind.ZIP
    if head.startswith(GZIP_MAGIC):
        return ArchiveKind.GZIP
    return None


def is_document_package(path: Path) -> bool:
    """Whether a zip is an office document (xlsx, docx, odt …), not an archive of exports.

    A workbook no adapter claims must stay "no adapter recognises this file",
    not become a folder of XML parts each skipped with a warning.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except _DAMAGED:
        return False
    return "[Content_Types].xml" in names or (bool(names) and names[0] == "mimetype")


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{name}={text!r}: expected a positive whole number")
    return value


@attrs.frozen(slots=True)
class Limits:
    """How far one archive may expand; each can be raised with an environment variable."""

    #: bytes written for the whole archive (``HANDOFF_RULES_ARCHIVE_MAX_BYTES``)
    max_bytes: int = 2 * 1024**3
    #: bytes written per compressed byte of one member (``HANDOFF_RULES_ARCHIVE_MAX_RATIO``)
    max_ratio: int = 200
    #: the ratio is judged only past this many bytes: a tiny file compresses absurdly well
    ratio_after: int = 1024**2
    #: entries of one zip, folders included (``HANDOFF_RULES_ARCHIVE_MAX_MEMBERS``)
    max_members: int = 10_000

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            max_bytes=_positive(env, ENV_MAX_BYTES, default.max_bytes),
            max_ratio=_positive(env, ENV_MAX_RATIO, default.max_ratio),
            max_members=_positive(env, ENV_MAX_MEMBERS, default.max_members),
        )


@attrs.frozen(slots=True)
class Extracted:
    """An archive extracted into ``root``: its files, and how to name them to the user."""

    #: the archive as the user named it (``exports/june.zip``)
    archive: str
    root: Path
    #: the files to read, relative to ``root`` with ``/``, in archive order
    members: tuple[str, ...]

    def shown(self, path: Path) -> str:
        """``ARCHIVE!MEMBER`` for a file under ``root``: what provenance and errors say."""
        return f"{self.archive}!{path.relative_to(self.root).as_posix()}"

    def rename(self, text: str) -> str:
        """``text`` with every temporary path under ``root`` named ``ARCHIVE!MEMBER`` instead."""
        return text.replace(f"{self.root}{os.sep}", f"{self.archive}!")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _printable(name: str) -> str:
    """``name`` on one line, with no character that hides or reorders what follows."""
    return _CONTROL.sub(lambda m: _escape(m.group()), name)


def _member(archive: str, member: str) -> str:
    return f"{archive}!{_printable(member)}"


def _refused(archive: str, member: str, why: str) -> InputError:
    return InputError(_member(archive, member), f"refused: {why}")


@contextmanager
def extracted(
    path: Path, kind: ArchiveKind, *, shown: str, limits: Limits | None = None
) -> Iterator[Extracted]:
    """The archive at ``path`` extracted into a temporary folder, removed on leaving.

    :param shown: how the archive is named to the user (the path as given).
    :raises InputError: a damaged archive, a refused member or a limit exceeded,
        naming the archive (and the member, when one is to blame).
    """
    limits = limits or Limits.from_environment()
    root = Path(tempfile.mkdtemp(prefix="handoff-rules-archive-"))
    try:
        if kind is ArchiveKind.ZIP:
            members = _extract_zip(path, root, shown, limits)
        else:
            members = (_extract_gzip(path, root, shown, limits),)
        yield Extracted(archive=shown, root=root, members=members)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- zip ----------------------------------------------------------------------------------------


def _name_problem(name: str) -> str | None:
    """Why a member's name is refused, or None: it must stay inside the archive's folder."""
    if not name.strip("/"):
        return "the member has no name"
    if any(unicodedata.category(c) in {"Cc", "Cf"} for c in name):
        # a line break, or a right-to-left override that shows a name as another
        return "the member's name holds a control or invisible formatting character"
    if "\\" in name:
        return "the member's name holds a backslash (a Windows path that may leave the folder)"
    if name.startswith("/"):
        return "the member's name is an absolute path"
    if _DRIVE.match(name):
        return "the member's name starts with a drive letter"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "the member's name climbs out of the archive's folder (..)"
    if any(part in {"", "."} for part in parts):
        return "the member's name has an empty or '.' folder"
    return None


def _kind_problem(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "the member is encrypted"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "the member is a symbolic link"
    kind = stat.S_IFMT(mode)
    if kind and kind not in {stat.S_IFREG, stat.S_IFDIR}:
        return "the member is not a plain file or folder"
    return None


def _skipped(name: str) -> bool:
    """Hidden files and archivers' metadata: left out, as hidden files of a folder are."""
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") for p in parts) or parts[0] in _METADATA_FOLDERS


def _check_names(infos: list[zipfile.ZipInfo], shown: str) -> None:
    """Refuse the archive for its first bad member, before anything is written."""
    seen: set[str] = set()
    folders: set[str] = set()
    files: set[str] = set()
    for info in infos:
        name = info.filename
        problem = _name_problem(name) or _kind_problem(info)
        if problem is None and name.rstrip("/") in seen:
            problem = "the archive holds two members of this name"
        if problem is not None:
            raise _refused(shown, name, problem)
        clean = name.rstrip("/")
        seen.add(clean)
        parts = clean.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
        if not info.is_dir():
            files.add(clean)
    both = sorted(files & folders)
    if both:
        raise _refused(shown, both[0], "the archive holds a file and a folder of this name")


def _extract_zip(path: Path, root: Path, shown: str, limits: Limits) -> tuple[str, ...]:
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_members:
                raise InputError(
                    shown,
                    f"refused: {len(infos):,} members, more than the {limits.max_members:,} "
                    f"an archive may hold (raise it with {ENV_MAX_MEMBERS})",
                )
            _check_names(infos, shown)
            members: list[str] = []
            budget = _Budget(limits)
            for info in infos:
                if info.is_dir() or _skipped(info.filename):
                    continue
                target = root.joinpath(*info.filename.split("/"))
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    compressed = max(min(info.compress_size, size), 1)
                    with archive.open(info) as source, target.open("xb") as sink:
                        budget.copy(source, sink, compressed, _member(shown, info.filename))
                except InputError:
                    raise
                except _DAMAGED as exc:
                    raise InputError(
                        _member(shown, info.filename), f"cannot be extracted: {_why(exc)}"
                    ) from None
                members.append(info.filename)
            return tuple(sorted(members))
    except InputError:
        raise
    except _DAMAGED as exc:
        raise InputError(shown, f"not a readable zip archive: {_why(exc)}") from None


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Budget:
    """Counts the bytes actually written against the limits: headers can lie."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.total = 0

    def copy(self, source: _Readable, sink: IO[bytes], compressed: int, member: str) -> None:
        limits = self.limits
        written = 0
        while chunk := source.read(CHUNK):
            written += len(chunk)
            self.total += len(chunk)
            if self.total > limits.max_bytes:
                raise InputError(
                    member,
                    f"refused: the archive expands beyond {limits.max_bytes:,} bytes "
                    f"(raise it with {ENV_MAX_BYTES})",
                )
            if written > limits.ratio_after and written > limits.max_ratio * compressed:
                raise InputError(
                    member,
                    f"refused: {compressed:,} compressed bytes expand beyond {written:,}, more "
                    f"than {limits.max_ratio} times (a zip bomb? raise it with {ENV_MAX_RATIO})",
                )
            try:
                sink.write(chunk)
            except OSError as exc:  # a full disk: the member's fault is not the archive's
                raise InputError(member, f"cannot be extracted: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, EOFError):
        return f"truncated ({text})"
    return _printable(text)


# -- gzip ---------------------------------------------------------------------------------------


def gzip_member(name: str) -> str:
    """The file a gzip holds, named after the archive: ``VBFA.txt.gz`` holds ``VBFA.txt``.

    SAP table extracts are recognised by their file name, so the name matters.
    """
    if name.lower().endswith(".gz") and len(name) > 3:
        return name[:-3]
    return name


def _extract_gzip(path: Path, root: Path, shown: str, limits: Limits) -> str:
    member = gzip_member(path.name)
    size = max(path.stat().st_size, 1)
    try:
        sink = (root / member).open("xb")
    except OSError as exc:
        raise InputError(_member(shown, member), f"cannot be extracted: {_why(exc)}") from None
    try:
        with gzip.open(path, "rb") as source, sink:
            _Budget(limits).copy(source, sink, size, _member(shown, member))
    except InputError:
        raise
    except _DAMAGED as exc:
        raise InputError(shown, f"not a readable gzip file: {_why(exc)}") from None
    return member
