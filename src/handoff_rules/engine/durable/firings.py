"""What a rule's firing is, and how it is read back from the engine's action message.

Each fired rule comes back from the C engine as one JSON text naming the rule
and, per alias, the fact it matched, exactly as the driver sent it. Only the
``id`` of each fact is needed (the driver knows which case and which of the
caller's facts each id stands for), so the ids are read without decoding the
whole message: decoding was a quarter of the evaluation time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs


@attrs.frozen(slots=True)
class Firing:
    """One match of one rule.

    ``positions`` maps each positive alias of the rule to the index of the fact
    it bound in the evaluated sequence, so the caller can find provenance and
    other data kept beside the fact; ``matches`` maps it to the fact object the
    caller passed (the very same mapping, without anything the driver added).
    """

    rule: str
    positions: Mapping[str, int]
    _facts: Sequence[Mapping[str, Any]] = attrs.field(repr=False, eq=False, alias="facts")

    @property
    def matches(self) -> Mapping[str, Mapping[str, Any]]:
        # Built on demand: most callers need positions only, and a firing is made per match.
        return MappingProxyType({alias: self._facts[i] for alias, i in self.positions.items()})


def checked_id(position: object, count: int) -> int:
    """A fact id read from the engine, if it is one the driver assigned (0..count-1)."""
    if type(position) is not int or not 0 <= position < count:
        raise ValueError(f"unexpected fact id {position!r}")
    return position


def read_ids(message: str, aliases: tuple[str, ...]) -> dict[str, object]:
    """Alias -> fact id from one fired action's message ``{"rule":{"alias":{fact},...}}``.

    The engine returns each matched fact as the JSON text it was given, and
    every fact is sent with ``id`` first, so the ids can be read without
    decoding whole facts (a quarter of the evaluation time otherwise).
    ``"alias":{"id":`` cannot occur elsewhere: facts are flat, and quotes
    inside strings are escaped. Anything unexpected goes to the JSON decoder.
    """
    ids: dict[str, object] = {}
    for alias in aliases:
        needle = f'"{alias}":{{"id":'
        start = message.find(needle)
        stop = message.find(",", start)
        if start < 0 or stop < 0:
            return _decode_ids(message)
        ids[alias] = int(message[start + len(needle) : stop])
    return ids


def _decode_ids(message: str) -> dict[str, object]:
    decoded: dict[str, dict[str, dict[str, object]]] = json.loads(message)
    ((_rule, frame),) = decoded.items()
    return {alias: fact["id"] for alias, fact in frame.items()}
