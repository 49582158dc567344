"""The fact envelope: model data plus where it came from.

A finding that says "blocked" is only useful if it can also say "VBAK row 17,
order 0000012345": every fact and every reject carries its provenance, and the
``read --format jsonl`` records defined here are a contract other tools read.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, cast

import attrs

from handoff_rules.model import FACT_TYPES, FactData, ModelDataError, from_dict, to_dict

#: The first element of every JSON Lines record says what the line is.
RECORD_FACT: Final = "fact"
RECORD_REJECT: Final = "reject"
RECORD_SUMMARY: Final = "summary"


@attrs.frozen(slots=True)
class Provenance:
    """Where a fact was read: adapter, source file and a human-readable location.

    ``location`` is what a person needs to find the record again ("line 17",
    "IDoc 0000000000123456 segment 000012 E1EDKA1"); ``line`` is the physical line
    number when the format has lines, so editors and reports can jump to it.
    """

    adapter: str
    source: str
    location: str
    adapter_version: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.location}"

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "adapter": self.adapter,
            "source": self.source,
            "location": self.location,
        }
        if self.adapter_version is not None:
            result["adapter_version"] = self.adapter_version
        if self.line is not None:
            result["line"] = self.line
        return result

    @classmethod
    def from_dict(cls, data: object) -> Provenance:
        if not isinstance(data, dict):
            raise ModelDataError(f"provenance must be an object, not {data!r}")
        unknown = set(data) - {"adapter", "source", "location", "adapter_version", "line"}
        missing = {"adapter", "source", "location"} - set(data)
        if unknown or missing:
            raise ModelDataError(
                f"invalid provenance: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        line = data.get("line")
        if line is not None and (not isinstance(line, int) or isinstance(line, bool)):
            raise ModelDataError(f"provenance line must be an integer, not {line!r}")
        texts = {"adapter", "source", "location"} | ({"adapter_version"} & set(data))
        wrong = sorted(key for key in texts if not isinstance(data[key], str))
        if data.get("adapter_version", "") is None:
            wrong.remove("adapter_version")
        if wrong:
            raise ModelDataError(f"provenance {', '.join(wrong)} must be text")
        return cls(
            adapter=data["adapter"],
            source=data["source"],
            location=data["location"],
            adapter_version=data.get("adapter_version"),
            line=line,
        )


@attrs.frozen(slots=True)
class Fact:
    """One model object with its provenance: the unit adapters emit and rules match."""

    data: FactData
    provenance: Provenance
    #: Some exports spread one record over several tables (an SAP order's
    #: partners in VBPA, its incoterm in VBKD): such a table gives a *part*, a
    #: fact with the record's id and only the fields that table holds. Cases
    #: combine the parts into the whole fact of that type and id
    #: (:func:`handoff_rules.parts.combine_parts`), so a rule sees one order.
    part: bool = attrs.field(default=False, kw_only=True)
    #: where the parts combined into this fact were read, after ``provenance``
    also: tuple[Provenance, ...] = attrs.field(default=(), kw_only=True)

    @property
    def type(self) -> str:
        return self.data.fact_type

    @property
    def sources(self) -> tuple[Provenance, ...]:
        """Every place this fact was read: its own, then its parts'."""
        return (self.provenance, *self.also)

    def to_record(self) -> dict[str, Any]:
        """The ``read --format jsonl`` line for this fact."""
        record: dict[str, Any] = {
            "record": RECORD_FACT,
            "type": self.type,
            "data": to_dict(self.data),
            "provenance": self.provenance.to_dict(),
        }
        if self.part:
            record["part"] = True
        if self.also:
            record["also"] = [p.to_dict() for p in self.also]
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Fact:
        fact_type = record.get("type")
        if (
            record.get("record") != RECORD_FACT
            or not isinstance(fact_type, str)
            or (fact_type not in FACT_TYPES)
        ):
            raise ModelDataError(
                f"not a fact record of a known type: record={record.get('record')!r}, "
                f"type={fact_type!r} (known: {', '.join(sorted(FACT_TYPES))})"
            )
        data = cast(FactData, from_dict(FACT_TYPES[fact_type], record.get("data")))
        part = record.get("part", False)
        if not isinstance(part, bool):
            raise ModelDataError(f"part must be true or false, not {part!r}")
        also = record.get("also", [])
        if not isinstance(also, list):
            raise ModelDataError(f"also must be a list of provenances, not {also!r}")
        return cls(
            data=data,
            provenance=Provenance.from_dict(record.get("provenance")),
            part=part,
            also=tuple(Provenance.from_dict(p) for p in also),
        )


#: The business keys a reject may name: each is how facts of that kind are
#: tied to a case (an order's id, a delivery's, an invoice's, a counterparty's).
REJECT_KEYS: Final = ("order", "delivery", "invoice", "counterparty")


def _reject_keys(
    value: Mapping[str, str | None] | Iterable[tuple[str, str | None]],
) -> tuple[tuple[str, str], ...]:
    """Keys as sorted ``(kind, value)`` pairs; blank values dropped, unknown kinds refused."""
    items = value.items() if isinstance(value, Mapping) else value
    pairs: dict[str, str] = {}
    for kind, key in items:
        if kind not in REJECT_KEYS:
            raise ValueError(f"unknown reject key {kind!r} (known: {', '.join(REJECT_KEYS)})")
        if isinstance(key, str) and key.strip():
            pairs[kind] = key.strip()
    return tuple(sorted(pairs.items()))


#: Fields of a raw record that name a business key, and which key they name.
_KEY_FIELDS: Final = {
    "order_id": "order",
    "delivery_id": "delivery",
    "invoice_id": "invoice",
    "counterparty_id": "counterparty",
}


def keys_of_record(fact_type: str | None, data: object) -> dict[str, str]:
    """The business keys a raw record (field name → value) still shows, for a reject.

    ``id`` names the record's own key when its type is one of
    ``REJECT_KEYS``; ``order_id``, ``delivery_id``, ``invoice_id`` and
    ``counterparty_id`` name the others. Anything not text is left out: the
    record is being rejected, so nothing in it is trusted beyond a readable key.
    """
    if not isinstance(data, Mapping):
        return {}
    keys: dict[str, str] = {}
    own = data.get("id")
    if fact_type in REJECT_KEYS and isinstance(own, str) and own.strip():
        keys[fact_type] = own
    for field, kind in _KEY_FIELDS.items():
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            keys.setdefault(kind, value)
    return keys


@attrs.frozen(slots=True)
class Reject:
    """An input record that could not become a fact, and why; never dropped silently.

    ``type`` is the fact type the record would have become, when the adapter
    knows it; ``raw`` is a short excerpt of the record for the person fixing it.
    ``keys`` are the business keys the adapter could still see in the record
    (``{"order": "4712", "delivery": "80001"}``; names in ``REJECT_KEYS``),
    so the reject can be attached to the case it would have belonged to: a
    rejected release row must make that order's goods release undecidable,
    not silently absent.
    """

    reason: str
    provenance: Provenance
    type: str | None = None
    raw: str | None = None
    keys: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_reject_keys)

    def key(self, kind: str) -> str | None:
        """The value of one business key the record named, if any."""
        for name, value in self.keys:
            if name == kind:
                return value
        return None

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "record": RECORD_REJECT,
            "type": self.type,
            "reason": self.reason,
            "provenance": self.provenance.to_dict(),
        }
        if self.raw is not None:
            record["raw"] = self.raw
        if self.keys:
            record["keys"] = dict(self.keys)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Reject:
        if record.get("record") != RECORD_REJECT or not isinstance(record.get("reason"), str):
            raise ModelDataError(f"not a reject record: {record!r}")
        return cls(
            reason=record["reason"],
            provenance=Provenance.from_dict(record.get("provenance")),
            type=record.get("type"),
            raw=record.get("raw"),
            keys=_keys_of(record.get("keys", {})),
        )


def _keys_of(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ModelDataError(f"reject keys must be an object of texts, not {value!r}")
    unknown = sorted(set(value) - set(REJECT_KEYS))
    if unknown:
        raise ModelDataError(f"unknown reject keys {unknown} (known: {', '.join(REJECT_KEYS)})")
    return value


class _FullContent:
    """The last element of :func:`fact_sort_key`: the whole fact as canonical JSON.

    Two facts can share type, id and location (two links of one opportunity
    read from one row); without this their order would be arrival order. The
    JSON is computed only when a comparison reaches this element, so sorting
    facts whose keys differ costs nothing extra.
    """

    __slots__ = ("_fact", "_text")

    def __init__(self, fact: Fact) -> None:
        self._fact = fact  # ``_text`` stays unset until a comparison needs it

    def text(self) -> str:
        try:
            return self._text
        except AttributeError:
            record = {"data": to_dict(self._fact.data), "prov": self._fact.provenance.to_dict()}
            self._text: str = json.dumps(record, sort_keys=True, ensure_ascii=False)
            return self._text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _FullContent) and self.text() == other.text()

    def __lt__(self, other: _FullContent) -> bool:
        return self.text() < other.text()

    def __hash__(self) -> int:
        return hash(self.text())


def fact_sort_key(fact: Fact) -> tuple[str, str, str, str, int, _FullContent]:
    """The canonical order of facts: a total order that does not depend on arrival order.

    Type, id, source, location, line, then the whole fact as canonical JSON.
    Decisions must not change when the same facts arrive in another order, so
    everything that iterates facts puts them in this order first, through
    :func:`canonical_order` (or ``sorted(..., key=fact_sort_key)``, which gives
    the same list). Two facts with equal keys have equal content (the dict form
    of a fact is lossless), so which of them comes first cannot change anything.
    """
    return (*fact_sort_prefix(fact), _FullContent(fact))


def fact_sort_prefix(fact: Fact) -> tuple[str, str, str, str, int]:
    """:func:`fact_sort_key` without its last element, the fact's whole content.

    The fast path of :func:`canonical_order`: facts whose prefixes all differ
    are in the same order by prefix as by the full key (tuples compare element
    by element), so the content is needed only where two prefixes are equal.
    It is computed for every fact of every case, hence the plain attribute reads.
    """
    data = fact.data
    data_id = getattr(data, "id", "")
    prov = fact.provenance
    return (
        data.fact_type,
        data_id if type(data_id) is str else str(data_id),
        prov.source,
        prov.location,
        prov.line or 0,
    )


_first: Final = operator.itemgetter(0)


def canonical_order(facts: Iterable[Fact]) -> list[Fact]:
    """``facts`` in the canonical order: always ``sorted(facts, key=fact_sort_key)``.

    The one place that orders the facts of a case; the engine and the
    flattener both call it. The fast path sorts by the cheap
    :func:`fact_sort_prefix` alone and falls back to the full key only when two
    neighbours share a prefix (two facts read from one place). Without such a
    tie the prefix order is strictly increasing, hence also the full-key order;
    with one, the stable sort by the full key of the original list is the
    definition itself.
    """
    listed: Sequence[Fact] = facts if isinstance(facts, list | tuple) else list(facts)
    keyed = sorted(zip(map(fact_sort_prefix, listed), listed, strict=True), key=_first)
    prefixes = list(map(_first, keyed))
    if any(map(operator.eq, prefixes, prefixes[1:])):
        return sorted(listed, key=fact_sort_key)
    return [fact for _, fact in keyed]
