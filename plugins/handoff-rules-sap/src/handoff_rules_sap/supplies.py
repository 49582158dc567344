"""What each format can supply, built from the plugin's own field mappings.

A mapping says, per fact type (as packs name it: ``order``, ``derived.doc_flow``),
which model fields a format fills and from which SAP fields. The mapping is
the one the mapper is checked against (``tests/test_sap_supplies.py`` reads
every fixture and compares), so the declaration cannot drift from what is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from handoff_rules.adapters import Supply

#: fact type → model field → where SAP has it (documentation: columns, segments).
Fills = Mapping[str, Mapping[str, object]]


def merge(fills: Iterable[Fills]) -> dict[str, dict[str, object]]:
    """Several mappings as one: the fields of a fact type are the union, in first-seen order."""
    merged: dict[str, dict[str, object]] = {}
    for mapping in fills:
        for fact_type, fields in mapping.items():
            merged.setdefault(fact_type, {}).update(
                {f: s for f, s in fields.items() if f not in merged.get(fact_type, {})}
            )
    return merged


def supplies_of(fills: Fills) -> tuple[Supply, ...]:
    """The ``FormatInfo.supplies`` of a mapping."""
    return tuple(Supply(fact_type, tuple(fields)) for fact_type, fields in fills.items())
