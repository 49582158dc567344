"""What an adapter is: something that recognises a file and turns it into facts.

Adapters are the only code that knows an export format. They never decide
anything: a record becomes a :class:`~handoff_rules.facts.Fact`, or a
:class:`~handoff_rules.facts.Reject` saying why not. A file that cannot be
read at all raises :class:`AdapterError` with the line or segment where it
went wrong; what was read before that point has already been yielded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

import attrs

from handoff_rules.errors import AdapterError as AdapterError
from handoff_rules.errors import UsageError
from handoff_rules.facts import Fact, Reject
from handoff_rules.model import is_currency

#: How many bytes of a file sniffing gets to see.
SNIFF_BYTES = 64 * 1024


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen(slots=True)
class Supply:
    """Facts of one type a format can hold, and which of their fields it can fill.

    ``fields`` are the dotted paths packs use (``net_value``, ``poa.holder_name``);
    an adapter lists a field when the format has a place for it, even if a
    particular file leaves it empty. ``handoff-rules pack needs`` and every
    ``check`` run compare these declarations with what the rules read, so
    "this rule can never be decided from these files" is said before any
    decision, not discovered as a wall of indeterminate findings.
    """

    fact_type: str
    fields: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)


def _supplies(values: Iterable[Supply]) -> tuple[Supply, ...]:
    return tuple(values)


def _file_names(_instance: object, _attribute: object, names: tuple[str, ...]) -> None:
    for name in names:
        if not name or name in {".", ".."} or "/" in name or "\\" in name:
            raise ValueError(f"options file {name!r} must be a file name, not a path")


@attrs.frozen(slots=True)
class FormatInfo:
    """One format an adapter reads, as ``handoff-rules adapters`` lists it.

    ``supplies`` declares the fact types and fields the format can hold
    (empty: not declared, so coverage reports say "unknown" for it rather
    than guessing).

    ``options_files`` names the files (exact names, such as
    ``handoff-rules-crm.toml``) that configure how the adapter reads exports
    in the same folder. Such a file is not an export: a folder (or a list of
    files) that holds one is read without it, and it is neither read as
    input nor reported as a file no adapter recognises.
    """

    name: str
    description: str
    extensions: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    supplies: tuple[Supply, ...] = attrs.field(default=(), converter=_supplies)
    options_files: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=_file_names
    )


@attrs.frozen(slots=True)
class Sample:
    """The start of a file, given to :meth:`Adapter.sniff` so no adapter reads it whole."""

    path: Path
    head: bytes

    @classmethod
    def of(cls, path: Path) -> Sample:
        with path.open("rb") as stream:
            return cls(path=path, head=stream.read(SNIFF_BYTES))

    def text(self, encoding: str = "utf-8") -> str:
        """The head decoded leniently: enough to look for markers, not to parse."""
        return self.head.decode(encoding, errors="replace")


@attrs.frozen(slots=True)
class SniffResult:
    """An adapter's claim on a file: which of its formats, and how sure it is (0..1).

    The highest confidence wins; equal claims from two adapters are an error
    the user resolves with ``--adapter``. ``also`` names further formats of the
    same adapter the file holds too (a workbook with a sheet of documents and a
    sheet of goods receipts), so coverage counts what the file really supplies.
    """

    format: str
    confidence: float = attrs.field(
        validator=attrs.validators.and_(attrs.validators.ge(0.0), attrs.validators.le(1.0))
    )
    also: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, kw_only=True)


def _currency_code(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.strip().upper()
    return code or None


def _known_currency(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and not is_currency(value):
        raise UsageError(
            f"currency {value!r} (--currency) is not an ISO 4217 currency code such as USD or EUR"
        )


@attrs.frozen(slots=True)
class ReadSettings:
    """What one run tells every adapter about its inputs that the files themselves do not say.

    An export of a single-currency Salesforce org carries no currency column:
    which currency its amounts are in is known only to the person running the
    check (``handoff-rules check --currency USD``). Such facts of the run are
    handed to each adapter explicitly, as this one immutable value, rather than
    through the environment or a global: the same run may read files in worker
    processes, so the settings must be a plain, picklable value that travels
    with each file, and two runs in one process must not see each other's.

    ``default_currency`` is the currency of amounts whose record states none;
    an adapter never applies it to a record that names its own currency.
    Where an adapter also has its own options (a ``handoff-rules-crm.toml``
    beside the exports, an environment variable), a setting given here wins:
    it is what the user asked for on this run.
    """

    default_currency: str | None = attrs.field(
        default=None, converter=_currency_code, validator=_known_currency
    )


#: No setting given: every adapter reads as it would on its own.
NO_SETTINGS: Final = ReadSettings()


@runtime_checkable
class ReadsSettings(Protocol):
    """An adapter that takes the run's :class:`ReadSettings`: it declares so by this method.

    The registry calls ``read_with_settings(path, settings)`` on an adapter that
    has it and ``read(path)`` on any other, so adapters written before settings
    existed keep working unchanged and simply ignore them.
    """

    def read_with_settings(self, path: Path, settings: ReadSettings) -> Iterator[Fact | Reject]:
        """Yield one fact or reject per input record, in file order, reading with ``settings``."""
        ...


def read_records(
    adapter: Adapter, path: Path, settings: ReadSettings = NO_SETTINGS
) -> Iterator[Fact | Reject]:
    """``adapter``'s records of ``path``, with ``settings`` when the adapter takes them."""
    if isinstance(adapter, ReadsSettings):
        return adapter.read_with_settings(path, settings)
    return adapter.read(path)


@runtime_checkable
class Adapter(Protocol):
    """The protocol every adapter implements; register instances with the
    ``handoff_rules_adapters`` hook."""

    #: Unique, short, lowercase (``sap-idoc``); shown in provenance and listings.
    name: str
    #: The adapter's own version, recorded in provenance.
    version: str
    #: The formats it reads.
    formats: Sequence[FormatInfo]

    def sniff(self, sample: Sample) -> SniffResult | None:
        """Claim the file if it is in one of this adapter's formats, else None. Must not raise."""
        ...

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        """Yield one fact or reject per input record, in file order."""
        ...
