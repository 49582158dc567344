"""Pack parameters: typed values that compliance tunes without touching rules.

Every parameter declares its type; its value is checked against it when the
pack loads, so "15 days" written as ``"15"`` or a tolerance with a float is a
``file:line`` error, not a surprise at evaluation time.

Types: ``int``, ``days`` (whole days >= 0), ``decimal``, ``percent`` (a
decimal, ``1.5`` meaning 1.5 %), ``money`` (``"10.00 EUR"``), ``date``,
``text``, ``bool``, ``text_list`` and ``tolerance`` (see
:mod:`handoff_rules.engine.tolerance`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from handoff_rules.engine.compiled import Parameter
from handoff_rules.engine.tolerance import ToleranceLimit, ToleranceTable
from handoff_rules.model import Money, MoneyError
from handoff_rules.yamlsrc import Y

__all__ = ["PARAM_TYPES", "Parameter", "parse_money", "parse_parameters"]

PARAM_TYPES: Final = (
    "int",
    "days",
    "decimal",
    "percent",
    "money",
    "date",
    "text",
    "bool",
    "text_list",
    "tolerance",
)
_MONEY_RE: Final = re.compile(r"\s*(?P<amount>[+-]?\d+(\.\d+)?)\s+(?P<currency>[A-Z]{3})\s*")
_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]*")


def parse_money(node: Y, what: str) -> Money:
    if not isinstance(node.value, str) or (match := _MONEY_RE.fullmatch(node.value)) is None:
        raise node.error(f"{what} must be money written as text '10.00 EUR', not {node.value!r}")
    try:
        return Money(match["amount"], match["currency"])
    except MoneyError as exc:
        raise node.error(f"{what}: {exc}") from None


def _decimal(node: Y, what: str) -> Decimal:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise node.error(
            f"{what} must be a decimal written as text ('1.5') or a whole number, not "
            f"{type(value).__name__} {value!r} (floats are not exact)"
        )
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise node.error(f"{what} must be a decimal, not {value!r}") from None
    if not result.is_finite():
        raise node.error(f"{what} must be finite")
    return result


def _limit(node: Y, what: str, currency: str) -> ToleranceLimit:
    items = node.keys(what, {"amount", "percent"})
    amount = None
    if "amount" in items:
        amount = parse_money(items["amount"], f"{what}.amount")
        if amount.currency != currency:
            raise items["amount"].error(f"{what}.amount must be in {currency}")
        if amount.amount < 0:
            raise items["amount"].error(f"{what}.amount must not be negative")
    percent = _decimal(items["percent"], f"{what}.percent") if "percent" in items else None
    if amount is None and percent is None:
        raise node.error(f"{what} needs an amount, a percent or both")
    if percent is not None and percent < 0:
        raise items["percent"].error(f"{what}.percent must not be negative")
    return ToleranceLimit(amount=amount, percent=percent)


def _tolerance(node: Y, what: str) -> ToleranceTable:
    """``{loss|gain: {CUR: {amount, percent}}, groups: {group: {loss|gain: ...}}}``."""
    items = node.keys(what, {"loss", "gain", "groups"})

    def side(n: Y, label: str) -> dict[str, ToleranceLimit]:
        result = {}
        for currency, limit in n.mapping(label).items():
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise limit.error(f"{label}: {currency!r} is not an ISO 4217 currency code")
            result[currency] = _limit(limit, f"{label}.{currency}", currency)
        return result

    levels: dict[str, dict[str, dict[str, ToleranceLimit]]] = {"": {}}
    for direction in ("loss", "gain"):
        if direction in items:
            levels[""][direction] = side(items[direction], f"{what}.{direction}")
    if "groups" in items:
        for group, group_node in items["groups"].mapping(f"{what}.groups").items():
            sides = group_node.keys(f"{what}.groups.{group}", {"loss", "gain"})
            levels[group] = {d: side(sides[d], f"{what}.groups.{group}.{d}") for d in sides}
    return ToleranceTable.from_levels(levels)


def _value(node: Y, type_: str, what: str) -> Any:
    value = node.value
    if type_ in ("int", "days"):
        return node.integer(what, minimum=0 if type_ == "days" else None)
    if type_ in ("decimal", "percent"):
        return _decimal(node, what)
    if type_ == "money":
        return parse_money(node, what)
    if type_ == "date":
        return node.day(what)
    if type_ == "text":
        return node.text(what)
    if type_ == "bool":
        if not isinstance(value, bool):
            raise node.error(f"{what} must be true or false, not {value!r}")
        return value
    if type_ == "text_list":
        return tuple(item.text(f"{what} item") for item in node.sequence(what))
    assert type_ == "tolerance"
    return _tolerance(node, what)


def parse_parameters(node: Y | None) -> dict[str, Parameter]:
    if node is None or node.value is None:
        return {}
    result: dict[str, Parameter] = {}
    for name, spec in node.mapping("parameters").items():
        if not _NAME_RE.fullmatch(name):
            raise spec.error(f"parameter name {name!r} must be lower_snake_case")
        items = spec.keys(f"parameter {name}", {"type", "value", "description"}, {"type", "value"})
        type_ = items["type"].text(f"parameter {name} type")
        if type_ not in PARAM_TYPES:
            raise items["type"].error(
                f"parameter {name}: unknown type {type_!r} (expected one of: "
                f"{', '.join(PARAM_TYPES)})"
            )
        description = items["description"].text("description") if "description" in items else ""
        value = _value(items["value"], type_, f"parameter {name} value")
        result[name] = Parameter(name, type_, value, description)
    return result


def params_view(params: Mapping[str, Parameter]) -> dict[str, Any]:
    return {name: p.value for name, p in params.items()}
