"""Writing flat IDoc records: the inverse of :mod:`handoff_rules_sap.idoc_flat`.

Used to build test files and benchmark input from field values, and by anyone
who needs a flat IDoc for a test of their own. Field positions are those of
:mod:`handoff_rules_sap.layouts`; values longer than their field are refused
rather than cut, so a test cannot silently write something else.
"""

from __future__ import annotations

from collections.abc import Mapping

from handoff_rules_sap.layouts import CONTROL_LENGTH, DATA_LENGTH, layouts


def _place(record: list[str], start: int, end: int, value: str, what: str) -> None:
    if len(value) > end - start:
        raise ValueError(f"{what}: {value!r} is longer than its {end - start} characters")
    record[start : start + len(value)] = list(value)


def control_record(fields: Mapping[str, str]) -> str:
    """A 524-character EDI_DC40 record; TABNAM defaults to ``EDI_DC40``."""
    record = [" "] * CONTROL_LENGTH
    slots = {slot.name: slot for slot in layouts()["EDI_DC40"]}
    for name, value in {"TABNAM": "EDI_DC40", **fields}.items():
        slot = slots[name]
        _place(record, slot.start, slot.end, value, f"EDI_DC40 {name}")
    return "".join(record)


def data_record(
    segment: str,
    fields: Mapping[str, str],
    *,
    docnum: str,
    segnum: int,
    parent: int = 0,
    level: int = 2,
    name: str | None = None,
    client: str = "",
) -> str:
    """A 1063-character data record of ``segment`` (a type such as ``E1EDK01``).

    ``name`` is what goes in SEGNAM: the type by default, or a definition
    name such as ``E2EDK01005``.
    """
    record = [" "] * DATA_LENGTH
    _place(record, 0, 30, name or segment, "SEGNAM")
    _place(record, 30, 33, client, "MANDT")
    _place(record, 33, 49, docnum, "DOCNUM")
    _place(record, 49, 55, f"{segnum:06d}", "SEGNUM")
    _place(record, 55, 61, f"{parent:06d}", "PSGNUM")
    _place(record, 61, 63, f"{level:02d}", "HLEVEL")
    slots = {slot.name: slot for slot in layouts().get(segment, ())}
    for field, value in fields.items():
        if field not in slots:
            raise ValueError(f"no layout for field {segment}-{field}")
        slot = slots[field]
        _place(record, slot.start, slot.end, value, f"{segment} {field}")
    return "".join(record)
