"""Turning one source record into facts or one Reject, the same way in every adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final, TypeAlias

from handoff_rules.adapters import Fact, Provenance, Reject
from handoff_rules.model import FactData, ModelDataError, MoneyError
from handoff_rules_crm import __version__
from handoff_rules_crm.cells import RecordError

__all__ = ["RAW_LIMIT", "Emitter", "Keys", "broken_row", "excerpt"]

RAW_LIMIT: Final = 200

#: The business keys of a record, computed only when it is rejected; they never raise.
Keys: TypeAlias = Callable[[], Mapping[str, str | None]] | None


def excerpt(text: str) -> str:
    """A short excerpt of a record for a Reject's ``raw`` (the record itself stays in the file)."""
    return text if len(text) <= RAW_LIMIT else text[: RAW_LIMIT - 1] + "…"


def broken_row(problem: str) -> str:
    """The reason for a row the file's reader could not split into cells, with what to do.

    The reader says what is broken (``5 cells, the header has 4``, a NUL, bad
    UTF-8); the row itself has to be mended, or the file exported again.
    """
    return f"{problem}; repair this row in the file, or export the file again"


class Emitter:
    """Builds facts and rejects with the provenance of one adapter reading one file."""

    def __init__(self, adapter: str, path: Path) -> None:
        self.adapter = adapter
        self.source = str(path)

    def provenance(self, location: str, line: int | None) -> Provenance:
        return Provenance(
            adapter=self.adapter,
            source=self.source,
            location=location,
            adapter_version=__version__,
            line=line,
        )

    def reject(
        self,
        reason: str,
        location: str,
        line: int | None,
        fact_type: str | None,
        raw: str,
        keys: Keys = None,
    ) -> Reject:
        """A reject; ``keys`` are the business keys the record still shows (see ``keys.py``)."""
        return Reject(
            reason=reason,
            provenance=self.provenance(location, line),
            type=fact_type,
            raw=excerpt(raw),
            keys=keys() if keys is not None else {},
        )

    def record(
        self,
        build: Callable[[], list[FactData]],
        *,
        location: str,
        line: int | None,
        fact_type: str | None,
        raw: str,
        keys: Keys = None,
        notes: Sequence[str] = (),
    ) -> Iterator[Fact | Reject]:
        """The facts ``build`` makes, or one Reject with its reason when it cannot.

        All of a record's facts are built before any is yielded, so a record is
        either wholly facts or one reject, never half of each. ``notes`` (filled
        while building: an amount rounded, as written) are appended to the
        facts' location, so the text as written stays with the fact:
        ``line 7 (Amount 32395.00000002 rounded to 32395.00)``.
        """
        try:
            built = build()
        except RecordError as exc:  # its reason says what to change
            yield self.reject(str(exc), location, line, fact_type, raw, keys)
            return
        except (MoneyError, ModelDataError, TypeError, ValueError) as exc:
            reason = f"{exc}; correct the record in the CRM and export it again"
            yield self.reject(reason, location, line, fact_type, raw, keys)
            return
        if notes:
            location = f"{location} ({'; '.join(notes)})"
        prov = self.provenance(location, line)
        for data in built:
            yield Fact(data=data, provenance=prov)
