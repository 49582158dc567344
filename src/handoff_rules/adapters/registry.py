"""Choosing the adapter for a file, and reading many files into facts and rejects.

Files and folders are told apart here, once, for every command: a file the
user named must be read, so one that no adapter recognises is an error; a
folder stands for the exports in it, so a file in it that no adapter
recognises (a README, an export of an object no adapter reads) is skipped
and reported, not a reason to stop. Adapters' options files (``FormatInfo.options_files``)
are neither: they configure the reading and are left out of the inputs.

A zip archive is read like a folder and a gzip like the one file it holds
(:mod:`handoff_rules.adapters.archives` extracts them safely): its members
are opened here, at the one place every command reads through, and every
fact, reject and error of a member names it ``ARCHIVE!MEMBER``, never the
temporary file it was read from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import attrs

from handoff_rules.adapters.archives import (
    ArchiveKind,
    Extracted,
    archive_kind,
    extracted,
    is_document_package,
)
from handoff_rules.adapters.base import (
    NO_SETTINGS,
    Adapter,
    FormatInfo,
    ReadSettings,
    Sample,
    SniffResult,
    read_records,
)
from handoff_rules.errors import AdapterNotFound as AdapterNotFound
from handoff_rules.errors import AmbiguousFormatError as AmbiguousFormatError
from handoff_rules.errors import (
    HandoffError,
    InputError,
    InternalError,
    InvalidValue,
    PluginError,
)
from handoff_rules.errors import NoAdapterError as NoAdapterError
from handoff_rules.facts import Fact, Provenance, Reject


@attrs.frozen(slots=True)
class InputFile:
    """A file to read, and whether it came with a folder rather than by its own name.

    ``archive`` is set for a member of a zip or gzip archive: ``path`` is then
    the temporary file it was extracted to, and ``source`` names it
    ``ARCHIVE!MEMBER``.
    """

    path: Path
    in_folder: bool = False
    archive: Extracted | None = attrs.field(default=None, kw_only=True, eq=False)

    @property
    def source(self) -> str:
        """How the file is named to the user: its path, or ``ARCHIVE!MEMBER``."""
        return self.archive.shown(self.path) if self.archive is not None else str(self.path)


@attrs.frozen(slots=True)
class SkippedFile:
    """A file in an input folder that no adapter recognises: left unread, and said so."""

    source: str
    reason: str

    def __str__(self) -> str:
        return skipped_line(self.source, self.reason)

    def to_dict(self) -> dict[str, str]:
        return {"file": self.source, "reason": self.reason}


def skipped_line(source: str, reason: str) -> str:
    """``FILE: no adapter recognises this file (…); skipped``: the warning every command prints."""
    return f"{source}: {reason}; skipped"


@attrs.frozen(slots=True)
class ReadResult:
    """Everything read from a set of files. ``facts`` and ``rejects`` keep file order.

    ``skipped`` lists the files of input folders that no adapter recognises.
    """

    facts: tuple[Fact, ...]
    rejects: tuple[Reject, ...]
    errors: tuple[InputError, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    #: ``(adapter name, format)`` of every format read, in first-use order:
    #: what these inputs can supply (see :mod:`handoff_rules.coverage`)
    formats: tuple[tuple[str, FormatInfo], ...] = ()

    def counts(self) -> dict[str, int]:
        """Facts per fact type, sorted by type: what the summary line reports."""
        return dict(sorted(Counter(f.type for f in self.facts).items()))


def choose_adapter(path: Path, adapters: Sequence[Adapter]) -> tuple[Adapter, SniffResult]:
    """The adapter that claims ``path`` with the highest confidence."""
    try:
        sample = Sample.of(path)
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read: {exc.strerror or exc}") from None
    claims: list[tuple[SniffResult, Adapter]] = []
    for adapter in adapters:
        try:
            result = adapter.sniff(sample)
        except Exception as exc:  # a broken sniff must not hide the other adapters
            if is_meant(exc):
                raise
            raise adapter_failure(adapter, "sniffing", path, exc) from exc
        if result is not None and result.confidence > 0:
            claims.append((result, adapter))
    if not claims:
        names = ", ".join(sorted(a.name for a in adapters)) or "none installed"
        raise NoAdapterError(
            str(path), f"no adapter recognises this file (adapters tried: {names})"
        )
    claims.sort(key=lambda c: (-c[0].confidence, c[1].name))
    best, adapter = claims[0]
    if len(claims) > 1 and claims[1][0].confidence == best.confidence:
        rivals = ", ".join(
            f"{a.name} ({r.format})" for r, a in claims if r.confidence == best.confidence
        )
        raise AmbiguousFormatError(
            str(path),
            f"several adapters claim this file equally: {rivals}; choose one with --adapter",
        )
    return adapter, best


#: Finds the plugin a module belongs to (or None for handoff-rules itself). The
#: plugin manager's module sets it when it is imported: the SDK must not import
#: the manager, which imports the SDK (the built-in adapters) in turn.
_ORIGIN_FINDER: list[Callable[[str], object | None]] = []


def set_origin_finder(finder: Callable[[str], object | None]) -> None:
    """Tell the SDK how to name the plugin of an adapter that fails."""
    _ORIGIN_FINDER[:] = [finder]


def adapter_failure(
    adapter: Adapter, doing: str, path: Path, exc: Exception, where: str | None = None
) -> InternalError:
    """An adapter's unexpected exception as one line naming the adapter and its plugin.

    It is the plugin's failure (exit status 3), not the file's: a malformed
    file is an :class:`~handoff_rules.adapters.AdapterError`, which the adapter
    raises itself.
    """
    origin = _ORIGIN_FINDER[0](type(adapter).__module__) if _ORIGIN_FINDER else None
    place = f"{path} (after {where})" if where else str(path)
    message = (
        f"adapter {adapter.name!r} of {origin or 'handoff-rules itself'} failed {doing} "
        f"{place}: {type(exc).__name__}: {exc}"
    )
    return PluginError(message) if origin is not None else InternalError(message)


def is_meant(exc: Exception) -> bool:
    """Whether an adapter raised ``exc`` on purpose: a file it cannot read, not its own bug.

    A refused value (:class:`InvalidValue`: bad money, a bad derived key) is
    the adapter's to turn into a reject; one that escapes is its failure, named
    with the adapter, the file and the line like any other.
    """
    return isinstance(exc, HandoffError) and not isinstance(exc, InvalidValue)


def read_file(
    adapter: Adapter, path: Path, settings: ReadSettings = NO_SETTINGS
) -> Iterator[Fact | Reject]:
    """``adapter.read(path)``, an adapter's unexpected exception named as its plugin's failure.

    An adapter that takes the run's settings (:class:`~handoff_rules.adapters.ReadsSettings`)
    is given ``settings``; any other is read as it always was.
    """
    where = None
    try:
        for item in read_records(adapter, path, settings):
            where = item.provenance.location
            yield item
    except Exception as exc:
        if is_meant(exc) or isinstance(exc, MemoryError):
            raise
        raise adapter_failure(adapter, "reading", path, exc, where) from exc


def read_input(
    adapter: Adapter, item: InputFile, settings: ReadSettings = NO_SETTINGS
) -> Iterator[Fact | Reject]:
    """``read_file`` for an input; an archive member's records and errors name it
    ``ARCHIVE!MEMBER`` (``exports.zip!sap/VBFA.txt: line 5``), the rest of each unchanged."""
    archive = item.archive
    if archive is None:
        yield from read_file(adapter, item.path, settings)
        return
    shown = item.source
    try:
        for record in read_file(adapter, item.path, settings):
            yield _renamed(record, archive, shown)
    except (InputError, InternalError) as exc:
        raise _named(exc, item) from None


def _renamed(record: Fact | Reject, archive: Extracted, shown: str) -> Fact | Reject:
    root = str(archive.root)

    def source(provenance: Provenance) -> Provenance:
        where = provenance.location
        return attrs.evolve(
            provenance,
            source=archive.rename(provenance.source) if root in provenance.source else shown,
            location=archive.rename(where) if root in where else where,
        )

    if isinstance(record, Fact):
        return attrs.evolve(
            record,
            provenance=source(record.provenance),
            also=tuple(source(p) for p in record.also),
        )
    reason = archive.rename(record.reason) if root in record.reason else record.reason
    return attrs.evolve(record, provenance=source(record.provenance), reason=reason)


def options_files(adapters: Sequence[Adapter]) -> frozenset[str]:
    """The names of the files adapters read their options from (never inputs themselves)."""
    return frozenset(name for a in adapters for f in a.formats for name in f.options_files)


def list_inputs(inputs: Iterable[Path | str], adapters: Sequence[Adapter]) -> list[InputFile]:
    """The files to read: each file as named, and for each folder its files sorted by name.

    Hidden files (``.name``) in a folder and adapters' options files anywhere
    are left out.

    :raises InputError: a path that does not exist, or a folder with no file to read.
    """
    options = options_files(adapters)
    result: list[InputFile] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            exports = [InputFile(p, in_folder=True) for p in files if p.name not in options]
            if not exports:
                only = ", ".join(p.name for p in files)
                reason = f" (only options files: {only})" if files else ""
                raise InputError(str(path), f"the directory has no files to read{reason}")
            result.extend(exports)
        elif path.exists():
            if path.name not in options:
                result.append(InputFile(path))
        else:
            raise InputError(str(path), "no such file or directory")
    return result


@attrs.frozen(slots=True)
class Chosen:
    """The adapter a file is read with, and the formats of it the file is read in.

    The formats are what the file can supply (see :mod:`handoff_rules.coverage`):
    the one the adapter claimed when sniffing, or every format of an adapter
    forced with ``--adapter``, which was not asked.
    """

    adapter: Adapter
    formats: tuple[FormatInfo, ...]


def claimed_formats(adapter: Adapter, claim: SniffResult | None) -> tuple[FormatInfo, ...]:
    """The formats of ``adapter`` its ``claim`` names (``also`` too); all without a claim."""
    if claim is not None:
        names = (claim.format, *claim.also)
        found = tuple(f for f in adapter.formats if f.name in names)
        if found:
            return found
    return tuple(adapter.formats)


def adapter_for(
    item: InputFile,
    adapters: Sequence[Adapter],
    *,
    forced: Adapter | None = None,
    strict: bool = False,
) -> Chosen | SkippedFile:
    """The adapter to read ``item`` with and its formats, or why the file is skipped.

    A file of a folder that no adapter recognises is skipped unless ``strict``;
    a file named on its own must be read, so it raises
    :class:`~handoff_rules.adapters.NoAdapterError`.
    """
    if item.archive is not None and archive_to_open(item.path, adapters, forced) is not None:
        nested = NoAdapterError(item.source, "an archive inside an archive is not opened")
        if item.in_folder and not strict:
            return SkippedFile(source=item.source, reason=nested.message)
        raise nested
    if forced is not None:
        return Chosen(forced, claimed_formats(forced, None))
    try:
        adapter, claim = choose_adapter(item.path, adapters)
    except NoAdapterError as exc:
        if item.in_folder and not strict:
            return SkippedFile(source=item.source, reason=_named(exc, item).message)
        raise _named(exc, item) from None
    except (InputError, InternalError) as exc:
        raise _named(exc, item) from None
    return Chosen(adapter, claimed_formats(adapter, claim))


_E = TypeVar("_E", bound=HandoffError)


def _named(exc: _E, item: InputFile) -> _E:
    """``exc`` naming an archive's member ``ARCHIVE!MEMBER``, not its temporary file."""
    archive = item.archive
    if archive is None:
        return exc
    exc.args = tuple(archive.rename(a) if isinstance(a, str) else a for a in exc.args)
    if isinstance(exc, InputError):
        exc.source = archive.rename(exc.source)
        exc.message = archive.rename(exc.message)
        if exc.location is not None:
            exc.location = archive.rename(exc.location)
    return exc


def archive_to_open(
    path: Path, adapters: Sequence[Adapter], forced: Adapter | None = None
) -> ArchiveKind | None:
    """The kind of archive ``path`` is, or None to read it as the file it is.

    An archive is told by its first bytes, whatever its name. A gzip is
    always opened: no export format is gzip. A zip is not when its name ends
    in an extension an adapter declares for a format of its own (an xlsx
    workbook is a zip), nor when it is an office document, which stays a file
    no adapter recognises rather than a folder of XML parts. Adapters are not
    asked to sniff an archive: a text adapter may well see its own header in
    an uncompressed member.
    """
    kind = archive_kind(path)
    if kind is not ArchiveKind.ZIP:
        return kind
    readers = [forced] if forced is not None else adapters
    name = path.name.lower()
    for adapter in readers:
        for info in adapter.formats:
            for extension in info.extensions:
                if extension and name.endswith(f".{extension.lower().lstrip('.')}"):
                    return None
    return None if is_document_package(path) else kind


@contextmanager
def opened(
    item: InputFile, adapters: Sequence[Adapter], *, forced: Adapter | None = None
) -> Iterator[list[InputFile]]:
    """The files to read for ``item``: itself, or the members of the archive it is.

    A zip's members are files of a folder (one no adapter recognises is
    skipped, unless ``strict``); a gzip's one member is named like the archive
    was. Hidden members and adapters' options files are not inputs, but are
    extracted beside the others so that adapters find their options. The
    extracted files are removed when the ``with`` block ends, however it ends.

    :raises InputError: a damaged archive, a refused member, a limit exceeded,
        or an archive with no file to read.
    """
    kind = archive_to_open(item.path, adapters, forced)
    if kind is None:
        yield [item]
        return
    with extracted(item.path, kind, shown=item.source) as archive:
        options = options_files(adapters)
        members = [m for m in archive.members if m.rsplit("/", 1)[-1] not in options]
        if not members:
            only = ", ".join(archive.members)
            reason = f" (only options files: {only})" if only else ""
            raise InputError(item.source, f"the archive has no files to read{reason}")
        in_folder = item.in_folder if kind is ArchiveKind.GZIP else True
        yield [
            InputFile(archive.root.joinpath(*m.split("/")), in_folder, archive=archive)
            for m in members
        ]


def find_adapter(name: str, adapters: Sequence[Adapter]) -> Adapter:
    for adapter in adapters:
        if adapter.name == name:
            return adapter
    known = ", ".join(sorted(a.name for a in adapters)) or "none installed"
    raise AdapterNotFound(f"no adapter named {name!r} (installed: {known})")


def read_files(
    paths: Iterable[Path | InputFile],
    adapters: Sequence[Adapter],
    *,
    adapter_name: str | None = None,
    keep_going: bool = False,
    strict: bool = False,
    settings: ReadSettings = NO_SETTINGS,
) -> ReadResult:
    """Read every file with the adapter that claims it (or the one named).

    ``settings`` (the run's :class:`~handoff_rules.adapters.ReadSettings`, such
    as the currency of inputs that state none) are handed to every adapter
    that takes them.

    A folder among ``paths`` stands for its files (as
    :func:`~handoff_rules.adapters.registry.list_inputs` lists them); a file
    of a folder that no adapter recognises is listed in ``skipped``, or with
    ``strict`` is an error like a file named on its own. A zip archive stands
    for its members and a gzip for its one file (see
    :func:`~handoff_rules.adapters.registry.opened`).
    With ``keep_going`` a file that fails as a whole is recorded in ``errors``
    and the other files are still read; otherwise the first such error is raised.
    """
    forced = find_adapter(adapter_name, adapters) if adapter_name else None
    facts: list[Fact] = []
    rejects: list[Reject] = []
    errors: list[InputError] = []
    skipped: list[SkippedFile] = []
    formats: dict[tuple[str, str], FormatInfo] = {}
    for entry in paths:
        try:
            for given in _as_inputs(entry, adapters):
                with opened(given, adapters, forced=forced) as files:
                    for file in files:
                        chosen = adapter_for(file, adapters, forced=forced, strict=strict)
                        if isinstance(chosen, SkippedFile):
                            skipped.append(chosen)
                            continue
                        for info in chosen.formats:
                            formats.setdefault((chosen.adapter.name, info.name), info)
                        for item in read_input(chosen.adapter, file, settings):
                            if isinstance(item, Fact):
                                facts.append(item)
                            else:
                                rejects.append(item)
        except InputError as exc:  # AdapterError included: the file as a whole failed
            if not keep_going:
                raise
            errors.append(exc)
    return ReadResult(
        facts=tuple(facts),
        rejects=tuple(rejects),
        errors=tuple(errors),
        skipped=tuple(skipped),
        formats=tuple((name, info) for (name, _), info in formats.items()),
    )


def _as_inputs(entry: Path | InputFile, adapters: Sequence[Adapter]) -> list[InputFile]:
    if isinstance(entry, InputFile):
        return [entry]
    if entry.exists():  # a folder's files, or none for an options file
        return list_inputs([entry], adapters)
    return [InputFile(entry)]  # the reader says "no such file", naming it
