"""Where each field sits in a flat (fixed-width) IDoc record.

The positions come from SAP's parser-format documentation (``layouts.txt``
beside this module). A segment with no layout here is still read as a
segment (name, number, level), only without fields: the mapping ignores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Final

import attrs

#: Length of the control record (EDI_DC40) and of a data record (EDI_DD40).
CONTROL_LENGTH: Final = 524
DATA_LENGTH: Final = 1063
#: The data record header: SEGNAM(30) MANDT(3) DOCNUM(16) SEGNUM(6) PSGNUM(6) HLEVEL(2).
HEADER_LENGTH: Final = 63


@attrs.frozen(slots=True)
class FieldSlot:
    name: str
    start: int  # 0-based
    end: int  # exclusive


@cache
def layouts() -> Mapping[str, tuple[FieldSlot, ...]]:
    """Segment type (and ``EDI_DC40``) → its fields in column order."""
    text = (files("handoff_rules_sap") / "layouts.txt").read_text(encoding="utf-8")
    result: dict[str, list[FieldSlot]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        segment, _definition, field, first, length = line.split()
        start = int(first) - 1
        result.setdefault(segment, []).append(FieldSlot(field, start, start + int(length)))
    return MappingProxyType({name: tuple(slots) for name, slots in result.items()})


def slice_fields(record: str, slots: tuple[FieldSlot, ...]) -> dict[str, str]:
    """The fields of a fixed-width record; columns past the end of a short line are blank."""
    return {slot.name: record[slot.start : slot.end] for slot in slots}
