"""Combine the parts of one record, read from several tables, into one fact.

An SAP order is VBAK's header, VBPA's partners and VBKD's business data; a
reader of VBPA alone cannot know the order date, and VBAK alone has no
incoterm. Judged each on its own, every one of them would fail "order data
complete" for lack of what the others hold. So a table that holds only some
fields of a record emits a fact marked ``part`` (see
:attr:`handoff_rules.facts.Fact.part`), and cases are built from the combined
facts: the rules see one order, and its findings name every row it came from.

The result does not depend on the order the facts arrive in: parts are taken
in the canonical fact order, and a field is filled from the first part that
has it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from handoff_rules.facts import Fact, fact_sort_key

__all__ = ["combine_parts"]


def combine_parts(facts: Iterable[Fact]) -> list[Fact]:
    """The facts with every part combined into the whole fact of its type and id.

    A field the whole fact has keeps its value; one it lacks (``None`` or an
    empty collection) takes the value of the first part that has it. Every
    whole fact of that type and id is completed (an order read from an IDoc
    and from VBAK gets the same partners). Parts with no whole fact are
    combined among themselves into one fact, so nothing read is dropped.
    """
    items = list(facts)
    if not any(fact.part for fact in items):
        return items
    parts: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for fact in sorted((f for f in items if f.part), key=fact_sort_key):
        parts[_record_key(fact)].append(fact)
    combined: list[Fact] = []
    completed: set[tuple[str, str]] = set()
    for fact in items:
        if fact.part:
            continue
        key = _record_key(fact)
        if key in parts:
            combined.append(_fill(fact, parts[key]))
            completed.add(key)
        else:
            combined.append(fact)
    for key, group in parts.items():
        if key not in completed:
            first, *rest = group
            combined.append(_fill(attrs.evolve(first, part=False), rest))
    return combined


def _record_key(fact: Fact) -> tuple[str, str]:
    return fact.type, str(fact.data.id)


def _lacks(value: Any) -> bool:
    return value is None or (isinstance(value, tuple | list | dict | frozenset) and not value)


def _fill(whole: Fact, parts: Sequence[Fact]) -> Fact:
    if not parts:
        return whole
    fields = attrs.fields(type(whole.data))
    filled: dict[str, Any] = {}
    for field in fields:
        if not field.init or not _lacks(getattr(whole.data, field.name)):
            continue
        for part in parts:
            value = getattr(part.data, field.name)
            if not _lacks(value):
                filled[field.alias or field.name] = value
                break
    also = list(whole.also)
    for part in parts:
        for place in part.sources:
            if place not in also and place != whole.provenance:
                also.append(place)
    return attrs.evolve(whole, data=_evolve(whole.data, filled), also=tuple(also))


def _evolve(data: Any, filled: dict[str, Any]) -> Any:
    """``data`` with the filled fields; one that its type's checks refuse is left out."""
    try:
        return attrs.evolve(data, **filled)
    except (TypeError, ValueError):  # ModelDataError is a ValueError
        for name, value in filled.items():
            try:
                data = attrs.evolve(data, **{name: value})
            except (TypeError, ValueError):
                continue
        return data
