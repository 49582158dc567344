"""Fact checks and encoding: every fact is checked before the C engine sees anything.

The engine crashes on some values (a float written with an exponent), and
silently changes others (integers beyond int64 saturate), so facts are
checked on every evaluation; a refusal is a :class:`FactValueError` naming the
case (in a batch), the fact's index, the key and the value.

Facts are flat mappings of at most 250 keys; keys are identifiers (no ``$``,
no ``.``), not ``id``, ``sid`` or ``_case``, which the driver assigns; ``t``,
the fact type, is a non-empty string not starting with ``$``. Values are
``str``, ``int`` within int64, ``bool``, finite ``float`` whose shortest repr
has no exponent (``0.0001`` and ``123.5`` are fine, ``1e-05`` and ``1e16`` are
not), or ``None``, which means "absent": the key is not passed to the engine,
so ``$nex`` matches it. Everything else (``Decimal``, ``date``, nested dicts
or lists, ...) is refused. At most 39 999 facts per case. Only facts of a type
some pattern names, and only the keys some rule reads of that type, are sent;
only the values sent are checked (a value the engine never sees cannot harm
it), but every key is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from handoff_rules.engine.durable.cmodule import INT64_MAX, INT64_MIN, is_exponent_float
from handoff_rules.engine.durable.protocol import NAME_RE, RESERVED_KEYS
from handoff_rules.errors import FactValueError as FactValueError

#: 255 properties per fact (error 302); ``id`` and ``sid`` are added here.
MAX_FACT_PROPERTIES: Final = 250


def _check_value(index: int, key: str, value: object) -> None:
    if isinstance(value, str):
        if not value.isascii():
            _check_encodable(index, key, value)
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise FactValueError(
                index, key, value, "integer beyond int64; the engine would saturate it"
            )
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FactValueError(index, key, value, "not a finite number")
        if is_exponent_float(value):
            raise FactValueError(
                index,
                key,
                value,
                "float written with an exponent crashes the engine; use integers "
                "(minor units, scaled rates)",
            )
        return
    raise FactValueError(index, key, value, _unsupported_reason(value))


def _check_encodable(index: int, key: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise FactValueError(index, key, value, "text is not valid Unicode") from error


def _unsupported_reason(value: object) -> str:
    name = type(value).__name__
    if name == "Decimal":
        return "Decimal is not supported; pass money as integer minor units (cents)"
    if name in ("date", "datetime"):
        return f"{name} is not supported; pass date.toordinal() or epoch seconds as int"
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return f"{name} values are not supported; facts are flat"
    return f"{name} values are not supported; use str, int, bool or float"


def _check_key(index: int, key: object, value: object) -> str:
    if not isinstance(key, str) or NAME_RE.fullmatch(key) is None:
        raise FactValueError(
            index, str(key), value, "keys must be identifiers (no '$', '.', spaces)"
        )
    if key in RESERVED_KEYS:
        raise FactValueError(
            index, key, value, "'id', 'sid' and '_case' are assigned by the driver"
        )
    if len(_CHECKED_KEYS) < _CHECKED_KEYS_LIMIT:
        _CHECKED_KEYS.add(key)
    return key


# Keys repeat from fact to fact: remembering the good ones halves the checking time.
_CHECKED_KEYS: set[str] = set()
_CHECKED_KEYS_LIMIT: Final = 100_000


def engine_fact(
    index: int, fact: object, keys: Mapping[str, tuple[str, ...]]
) -> dict[str, Any] | None:
    """The fact as the engine sees it (without ``sid``), after every check; None: not sent.

    Every key is checked, but only the values the engine will see: those of
    the keys the rules read of this fact type (the others cannot change a
    result, and cost parsing and hashing in C). A value that is not sent cannot
    crash the engine, so it is not refused either.
    """
    if type(fact) is not dict and not isinstance(fact, Mapping):  # the ABC check is slow
        raise FactValueError(index, None, fact, "a fact must be a mapping")
    if len(fact) > MAX_FACT_PROPERTIES:
        raise FactValueError(
            index, None, len(fact), f"more than {MAX_FACT_PROPERTIES} keys in one fact"
        )
    if not _CHECKED_KEYS.issuperset(fact):
        for key in fact:
            if key not in _CHECKED_KEYS:
                _check_key(index, key, fact[key])
    kind = fact.get("t")
    if not isinstance(kind, str) or not kind or kind.startswith("$"):
        raise FactValueError(index, "t", kind, "every fact needs a type 't' not starting with '$'")
    read = keys.get(kind)
    if read is None:
        return None
    entry: dict[str, Any] = {"id": index}  # first: see firings.read_ids
    for key in read:
        value: Any = fact.get(key)
        # This loop runs for every value of every evaluation: common cases inline.
        value_type = type(value)
        if value_type is str:
            if not value.isascii():
                _check_encodable(index, key, value)
        elif value_type is int:
            if not INT64_MIN <= value <= INT64_MAX:
                _check_value(index, key, value)
        elif value is None:
            continue
        elif value_type is not bool:
            _check_value(index, key, value)
        entry[key] = value
    return entry
