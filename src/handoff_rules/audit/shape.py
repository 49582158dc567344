"""The shape every reader of the log relies on, checked once where records are read.

``audit verify`` proves a log is the one that was written, not that what was
written is sound: a log whose lines were edited and re-hashed still verifies.
``replay``, ``report`` and the use ledger index into records
(``record["decision"]["findings"]``), so each record is checked here first
and a malformed one stops the read with its line, instead of a ``KeyError``
or ``TypeError`` deep inside a report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final

#: A shape is a type (or tuple of types), a dict of required keys, a
#: one-element list (every item has that shape) or a predicate.
Shape = Any


def _iso_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _money(value: object) -> bool:
    from handoff_rules.model import Money

    if shape_problem(value, _MONEY) is not None:
        return False
    assert isinstance(value, dict)
    try:
        Money(value["amount"], value["currency"])
    except ValueError:
        return False
    return True


_TEXT: Final = str
_OPTIONAL_TEXT: Final = (str, type(None))
_MONEY: Final = {"amount": _TEXT, "currency": _TEXT}

RECORD_SHAPE: Final[Mapping[str, Shape]] = {
    "case": _TEXT,
    "checkpoint": _TEXT,
    "at": _iso_date,
    "engine": _TEXT,
    "pack": {"name": _TEXT, "version": _TEXT, "digest": _TEXT},
    "decision": {
        "outcome": _TEXT,
        "findings": [
            {"rule": _TEXT, "result": _TEXT, "severity": _TEXT, "exception": _OPTIONAL_TEXT}
        ],
    },
    "facts": [{"type": _TEXT, "data": dict}],
    "exceptions": [{"id": _TEXT, "revision": int, "approved_by": {"name": _TEXT, "role": _TEXT}}],
    "problems": [{"exception": _TEXT, "kind": _TEXT}],
    "case_value": lambda value: value is None or _money(value),
}


def _name(shape: Shape) -> str:
    if isinstance(shape, dict):
        return "an object"
    if isinstance(shape, list):
        return "a list"
    if shape is _iso_date:
        return "a date YYYY-MM-DD"
    if shape is _TEXT:
        return "text"
    if shape is int:
        return "a whole number"
    if shape is dict:
        return "an object"
    if shape == _OPTIONAL_TEXT:
        return "text or null"
    return "valid"


def shape_problem(value: object, shape: Shape, where: str = "") -> str | None:
    """``None`` when ``value`` has ``shape``, else where and what is wrong, for one line."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where or 'the record'} is not {_name(shape)}"
        for key, inner in shape.items():
            path = f"{where}.{key}" if where else key
            if key not in value:
                return f"{path} is missing"
            problem = shape_problem(value[key], inner, path)
            if problem is not None:
                return problem
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where} is not {_name(shape)}"
        for index, item in enumerate(value):
            problem = shape_problem(item, shape[0], f"{where}[{index}]")
            if problem is not None:
                return problem
        return None
    if isinstance(shape, type | tuple):
        # bool is an int to Python, never to the log
        ok = isinstance(value, shape) and not (isinstance(value, bool) and shape is int)
    else:
        predicate: Callable[[object], bool] = shape
        ok = predicate(value)
    return None if ok else f"{where} is not {_name(shape)}"


def record_problem(record: object) -> str | None:
    """What makes ``record`` unusable for replay and reports, or ``None``."""
    return shape_problem(record, RECORD_SHAPE)
