"""An IDoc as a list of segments, the same whatever file form it was read from.

XML IDocs nest segments as elements; flat files give each segment a line with
its hierarchy level. Both readers produce :class:`IDoc` so the mapping to facts
is written once. Segment *definition* names of flat files (``E2EDK01005``)
are turned into segment *type* names (``E1EDK01``) here, so nothing downstream
needs to know which form the file had.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import attrs

#: Prefixes of segments a customer or partner defined: skipped (and counted), never mapped.
#: ``_-`` is how XML spells the ``/`` of a namespaced segment (``/RB04/YP3...``).
CUSTOM_PREFIXES = ("Z", "Y", "/", "_-")


def is_custom_segment(name: str) -> bool:
    return name.startswith(CUSTOM_PREFIXES)


def segment_type(name: str, known: Mapping[str, object] | frozenset[str] = frozenset()) -> str:
    """The segment type for a segment or definition name.

    ``E2EDK01005`` → ``E1EDK01``; ``E2EDK14`` → ``E1EDK14``; type names pass
    unchanged. Type names also end in digits, so when ``known`` types are given
    the version suffix is only taken off if that leaves a known type.
    """
    if not name.startswith("E2"):
        return name
    candidate = "E1" + name[2:]
    if candidate in known:
        return candidate
    if len(candidate) > 3 and candidate[-3:].isdigit() and candidate[:-3] in known:
        return candidate[:-3]
    if not known and len(candidate) > 7 and candidate[-3:].isdigit():
        return candidate[:-3]
    return candidate


class Segment(NamedTuple):
    """One data segment with its fields as written (not stripped).

    ``number`` is the SEGNUM (six digits): the number the file gives, or for
    XML the running number in document order. ``parent`` is the index of the
    enclosing segment in :attr:`IDoc.segments`, None for top-level segments.

    A named tuple rather than an attrs class: readers build one per segment,
    and that construction is the largest cost of reading after the parser.
    """

    name: str
    number: str
    parent: int | None
    fields: Mapping[str, str | None]
    raw_name: str = ""
    line: int | None = None

    def get(self, field: str) -> str:
        """The field's value without surrounding blanks; '' when absent."""
        value = self.fields.get(field)
        return value.strip() if value else ""


@attrs.frozen(slots=True)
class IDoc:
    """One IDoc: its control record and its data segments in file order."""

    control: Mapping[str, str]
    segments: tuple[Segment, ...]
    line: int | None = None
    #: Segments of customer extensions (Z*, Y*, namespaced), with their children.
    custom_segments: int = 0
    #: (parent index, segment type) -> the indexes of those segments, in file order:
    #: the mapping asks for "the E1EDP19 of item 3" many times per IDoc.
    _by_place: dict[tuple[int | None, str], list[int]] = attrs.field(
        init=False, eq=False, repr=False, factory=dict
    )

    #: DOCNUM, which the provenance of every fact of the IDoc names.
    _docnum: str = attrs.field(init=False, eq=False, repr=False, default="")

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_docnum", self.control_value("DOCNUM"))
        by_place = self._by_place
        for index, segment in enumerate(self.segments):
            place = (segment.parent, segment.name)
            found = by_place.get(place)
            if found is None:
                by_place[place] = [index]
            else:
                found.append(index)

    def control_value(self, field: str) -> str:
        value = self.control.get(field)
        return value.strip() if value else ""

    @property
    def docnum(self) -> str:
        return self._docnum

    @property
    def idoctyp(self) -> str:
        return self.control_value("IDOCTYP")

    @property
    def mestyp(self) -> str:
        return self.control_value("MESTYP")

    @property
    def cimtyp(self) -> str:
        return self.control_value("CIMTYP")

    def top(self, name: str) -> list[Segment]:
        """Top-level segments of a type, in file order."""
        return self.children(None, name)

    def indexed(self, name: str, parent: int | None = None) -> list[tuple[int, Segment]]:
        """(index, segment) of a type directly under ``parent`` (None: top level)."""
        segments = self.segments
        return [(index, segments[index]) for index in self._by_place.get((parent, name), ())]

    def children(self, parent: int | None, name: str) -> list[Segment]:
        segments = self.segments
        return [segments[index] for index in self._by_place.get((parent, name), ())]

    def first(self, name: str, parent: int | None = None) -> Segment | None:
        found = self._by_place.get((parent, name))
        return self.segments[found[0]] if found else None
