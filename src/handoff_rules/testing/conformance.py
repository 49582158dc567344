"""The checks every adapter must pass, callable from any adapter's own tests.

An adapter that drops a record, forgets provenance or yields facts in a
different order on each run breaks guarantees the rest of handoff-rules is
built on (no silent loss, findings that point at a row, decisions that are a
pure function of the input). :func:`check_adapter` reads a file the way the
command line does and fails with an AssertionError that says which guarantee
broke and on which record::

    from handoff_rules.testing import check_adapter

    def test_vbak_sample(tmp_path):
        check_adapter(VbakAdapter(), SAMPLES / "vbak.csv", expected_records=17)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import attrs

from handoff_rules.adapters.base import Adapter, Sample
from handoff_rules.errors import InputError
from handoff_rules.facts import Fact, Reject
from handoff_rules.model import ModelDataError

__all__ = ["ConformanceReport", "check_adapter"]


@attrs.frozen(slots=True)
class ConformanceReport:
    """What one conforming read produced, for further assertions in the caller's test."""

    facts: tuple[Fact, ...]
    rejects: tuple[Reject, ...]
    records: int
    """Distinct record locations (source and location) among facts and rejects."""
    format: str
    """The format the adapter's sniff claimed the file as."""


def _where(item: Fact | Reject) -> str:
    return f"{item.provenance.source}: {item.provenance.location}"


def _read(adapter: Adapter, path: Path) -> list[Fact | Reject]:
    try:
        items = list(adapter.read(path))
    except InputError as exc:
        raise AssertionError(f"{adapter.name} could not read {path}: {exc}") from exc
    for index, item in enumerate(items):
        if not isinstance(item, Fact | Reject):
            raise AssertionError(
                f"{adapter.name} yielded {type(item).__name__} as item {index} of {path}; "
                "adapters yield only Fact and Reject"
            )
    return items


def _check_sniff(adapter: Adapter, path: Path) -> str:
    claim = adapter.sniff(Sample.of(path))
    if claim is None or claim.confidence <= 0:
        raise AssertionError(f"{adapter.name} does not claim {path} when sniffing it")
    names = [f.name for f in adapter.formats]
    for claimed in (claim.format, *claim.also):
        if claimed not in names:
            raise AssertionError(
                f"{adapter.name} claims {path} as format {claimed!r}, "
                f"which is not one of its formats {names}"
            )
    return claim.format


def _same_file(source: str, path: Path) -> bool:
    try:
        return Path(source).resolve() == path.resolve()
    except OSError:
        return False


def _check_provenance(
    adapter: Adapter, path: Path, items: Sequence[Fact | Reject], passthrough: bool
) -> None:
    for index, item in enumerate(items):
        prov = item.provenance
        label = f"item {index} ({type(item).__name__})"
        if not (prov.adapter and prov.source and prov.location.strip()):
            raise AssertionError(
                f"{label} of {path} has incomplete provenance {prov.to_dict()}: adapter, "
                "source and location must all be non-empty"
            )
        if passthrough:
            continue
        if prov.adapter != adapter.name:
            raise AssertionError(
                f"{label} at {_where(item)} names adapter {prov.adapter!r}, not {adapter.name!r}"
            )
        if not _same_file(prov.source, path):
            raise AssertionError(
                f"{label} at {_where(item)} names source {prov.source!r}, not {path}"
            )


def _check_roundtrip(items: Sequence[Fact | Reject]) -> None:
    for item in items:
        text = json.dumps(item.to_record(), ensure_ascii=False)
        record = json.loads(text)
        try:
            back: Fact | Reject = (
                Fact.from_record(record) if isinstance(item, Fact) else Reject.from_record(record)
            )
        except ModelDataError as exc:
            raise AssertionError(
                f"{type(item).__name__} at {_where(item)} does not read back from its "
                f"JSON record: {exc}"
            ) from exc
        if back != item:
            raise AssertionError(
                f"{type(item).__name__} at {_where(item)} changes through its JSON record:\n"
                f"  before: {item!r}\n  after:  {back!r}"
            )


def check_adapter(
    adapter: Adapter,
    path: Path,
    *,
    expected_records: int | None = None,
    passthrough_provenance: bool = False,
) -> ConformanceReport:
    """Assert that ``adapter`` reads ``path`` the way every adapter must.

    - its ``sniff`` claims the file, as one of its own formats;
    - ``read`` yields only facts and rejects, and the same ones, in the same
      order, when run twice (no hidden state, no set iteration order);
    - every fact and reject has provenance naming the adapter, the file and a
      non-empty location (with ``passthrough_provenance``, only non-empty: for
      formats that carry the provenance of an earlier read, like native JSONL);
    - every fact and reject survives its ``read --format jsonl`` record
      (``to_record`` → JSON text → ``from_record``) unchanged;
    - with ``expected_records``, the distinct record locations among facts and
      rejects number exactly that: every input record became a fact or a
      reject (one record may give several facts, such as an order and its lines).

    :raises AssertionError: naming the guarantee broken and the record
    """
    path = Path(path)
    fmt = _check_sniff(adapter, path)
    first = _read(adapter, path)
    second = _read(adapter, path)
    if [i.to_record() for i in first] != [i.to_record() for i in second]:
        for index, (a, b) in enumerate(zip(first, second, strict=False)):
            if a != b:
                raise AssertionError(
                    f"{adapter.name} is not deterministic on {path}: item {index} differs "
                    f"between two reads:\n  first:  {a!r}\n  second: {b!r}"
                )
        raise AssertionError(
            f"{adapter.name} is not deterministic on {path}: "
            f"{len(first)} items on the first read, {len(second)} on the second"
        )
    _check_provenance(adapter, path, first, passthrough_provenance)
    _check_roundtrip(first)
    locations = {(i.provenance.source, i.provenance.location) for i in first}
    facts = tuple(i for i in first if isinstance(i, Fact))
    rejects = tuple(i for i in first if isinstance(i, Reject))
    if expected_records is not None and len(locations) != expected_records:
        raise AssertionError(
            f"{adapter.name} accounts for {len(locations)} records of {path} "
            f"({len(facts)} facts, {len(rejects)} rejects), expected {expected_records}: "
            "every input record must become a fact or a reject"
        )
    return ConformanceReport(facts=facts, rejects=rejects, records=len(locations), format=fmt)
