"""Choosing the adapter for a file, and reading many files into facts and rejects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import attrs

from handoff_rules.adapters.base import Adapter, FormatInfo, Sample, SniffResult
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
from handoff_rules.facts import Fact, Reject


@attrs.frozen(slots=True)
class ReadResult:
    """Everything read from a set of files. ``facts`` and ``rejects`` keep file order."""

    facts: tuple[Fact, ...]
    rejects: tuple[Reject, ...]
    errors: tuple[InputError, ...] = ()
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


def read_file(adapter: Adapter, path: Path) -> Iterator[Fact | Reject]:
    """``adapter.read(path)``, an adapter's unexpected exception named as its plugin's failure."""
    where = None
    try:
        for item in adapter.read(path):
            where = item.provenance.location
            yield item
    except Exception as exc:
        if is_meant(exc) or isinstance(exc, MemoryError):
            raise
        raise adapter_failure(adapter, "reading", path, exc, where) from exc


def find_adapter(name: str, adapters: Sequence[Adapter]) -> Adapter:
    for adapter in adapters:
        if adapter.name == name:
            return adapter
    known = ", ".join(sorted(a.name for a in adapters)) or "none installed"
    raise AdapterNotFound(f"no adapter named {name!r} (installed: {known})")


def read_files(
    paths: Iterable[Path],
    adapters: Sequence[Adapter],
    *,
    adapter_name: str | None = None,
    keep_going: bool = False,
) -> ReadResult:
    """Read every file with the adapter that claims it (or the one named).

    With ``keep_going`` a file that fails as a whole is recorded in ``errors``
    and the other files are still read; otherwise the first such error is raised.
    """
    forced = find_adapter(adapter_name, adapters) if adapter_name else None
    facts: list[Fact] = []
    rejects: list[Reject] = []
    errors: list[InputError] = []
    formats: dict[tuple[str, str], FormatInfo] = {}
    for path in paths:
        try:
            if forced is not None:
                adapter, used = forced, tuple(forced.formats)
            else:
                adapter, claim = choose_adapter(path, adapters)
                used = tuple(f for f in adapter.formats if f.name == claim.format) or tuple(
                    adapter.formats
                )
            for info in used:
                formats.setdefault((adapter.name, info.name), info)
            for item in read_file(adapter, path):
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
        formats=tuple((name, info) for (name, _), info in formats.items()),
    )
