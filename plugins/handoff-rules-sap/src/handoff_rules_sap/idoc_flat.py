"""Reader of flat (fixed-width) IDoc files, as SAP's file port writes them.

Each IDoc is one 524-character control record (``EDI_DC40`` in columns 1-10)
followed by 1063-character data records. A data record starts with a 63-column
header (segment name, client, IDoc number, segment number, parent number,
hierarchy level) and then the segment data. Segment names may be definition
names with a release suffix (``E2EDK01005``); they are mapped to the type.

Trailing blanks are often cut off by the tools that move these files, so a
short record is padded, not refused; a record whose header itself is broken is
a bad record (reported, the rest still read).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs

from handoff_rules.adapters import AdapterError
from handoff_rules.adapters.text import open_text
from handoff_rules_sap.layouts import (
    CONTROL_LENGTH,
    DATA_LENGTH,
    HEADER_LENGTH,
    layouts,
    slice_fields,
)
from handoff_rules_sap.segments import IDoc, Segment, is_custom_segment, segment_type

CONTROL_MARK = "EDI_DC40"


@attrs.frozen(slots=True)
class BadRecord:
    """A line that is no readable record; becomes a Reject."""

    line: int
    reason: str
    raw: str
    docnum: str = ""


class _Pending:
    """The IDoc being collected: control record, segments, and the open parents by level."""

    def __init__(self, control: dict[str, str], line: int) -> None:
        self.control = control
        self.line = line
        self.segments: list[Segment] = []
        self.custom = 0
        # hierarchy level -> index of the last segment seen at that level
        self.open_levels: dict[int, int] = {}
        self.skip_below: int | None = None

    def idoc(self) -> IDoc:
        return IDoc(
            control=self.control,
            segments=tuple(self.segments),
            line=self.line,
            custom_segments=self.custom,
        )


def _data_record(pending: _Pending, record: str, number: int) -> BadRecord | None:
    known = layouts()
    raw_name = record[0:30].strip()
    segnum = record[49:55].strip()
    level_text = record[61:63].strip()
    docnum = pending.control.get("DOCNUM", "").strip()
    if not raw_name or not level_text.isdigit() or (segnum and not segnum.isdigit()):
        return BadRecord(
            number,
            "not a data record: expected segment name (columns 1-30), segment number "
            f"(50-55) and hierarchy level (62-63), got {record[:63]!r}",
            record[:120],
            docnum,
        )
    level = int(level_text)
    if pending.skip_below is not None:
        if level > pending.skip_below:
            pending.custom += 1
            return None
        pending.skip_below = None
    name = segment_type(raw_name, known)
    if is_custom_segment(name):
        pending.custom += 1
        pending.skip_below = level
        return None
    parent = None
    for upper in range(level - 1, 0, -1):
        if upper in pending.open_levels:
            parent = pending.open_levels[upper]
            break
    index = len(pending.segments)
    for deeper in [lvl for lvl in pending.open_levels if lvl >= level]:
        del pending.open_levels[deeper]
    pending.open_levels[level] = index
    slots = known.get(name, ())
    pending.segments.append(
        Segment(
            name=name,
            raw_name=raw_name,
            number=segnum.zfill(6) if segnum else f"{index + 1:06d}",
            parent=parent,
            fields=slice_fields(record, slots),
            line=number,
        )
    )
    return None


def iter_flat(path: Path) -> Iterator[IDoc | BadRecord]:
    """Yield complete IDocs, and bad records as they are met.

    :raises AdapterError: when the file is not text in its encoding, or has no
        control record at all; what was complete before has been yielded.
    """
    source = str(path)
    control_slots = layouts()["EDI_DC40"]
    stream, _encoding = open_text(path)
    pending: _Pending | None = None
    seen_control = False
    with stream:
        number = 0
        for raw_line in stream:
            number += 1
            record = raw_line.rstrip("\r\n")
            if not record.strip():
                continue
            if record.startswith(CONTROL_MARK):
                if len(record) > CONTROL_LENGTH and record[CONTROL_LENGTH:].strip():
                    yield BadRecord(
                        number,
                        f"control record longer than {CONTROL_LENGTH} characters",
                        record[:120],
                    )
                if pending is not None:
                    yield pending.idoc()
                pending = _Pending(slice_fields(record, control_slots), number)
                seen_control = True
                continue
            if pending is None:
                yield BadRecord(
                    number, "data record before any control record (EDI_DC40)", record[:120]
                )
                continue
            if len(record) > DATA_LENGTH and record[DATA_LENGTH:].strip():
                yield BadRecord(
                    number,
                    f"data record longer than {DATA_LENGTH} characters ({len(record)})",
                    record[:120],
                    pending.control.get("DOCNUM", "").strip(),
                )
                continue
            if len(record) < HEADER_LENGTH and not raw_line.endswith("\n"):
                raise AdapterError(
                    source,
                    f"truncated: the last record ends after {len(record)} characters, inside "
                    f"the {HEADER_LENGTH}-character record header; the IDoc "
                    f"{pending.control.get('DOCNUM', '').strip()} it belongs to was not read",
                    f"line {number}",
                )
            bad = _data_record(pending, record, number)
            if bad is not None:
                yield bad
    if pending is not None:
        yield pending.idoc()
    if not seen_control:
        raise AdapterError(source, "no control record (EDI_DC40): not a flat IDoc file", "line 1")
