"""The condition language of packs, compiled to IR conditions.

A condition is one line of text, ``<field> <operator> <operand>``, checked
against the model (fields and their kinds), the pack's parameters and the
aliases in scope::

    kind == contract                      enum/text literal (checked against the enum)
    status != "draft"
    valid_until >= subject.release_date   a field of another fact in scope
    superseded_on < subject.signed_on - params.phase_out_days
    detected_on < at - 2                  "at" is the evaluation date
    net_value > params.max_order_value    money: compared exactly, same currency
    form in params.final_forms            "in"/"not in" a list literal or text_list
    template_id exists / revoked_on missing

Operators: ``== != < <= > >=`` (ordering only for numbers, dates, decimals and
money; text and booleans only ``==``/``!=``), ``in``, ``not in``, ``exists``,
``missing``. Offsets (``+``/``-`` a whole number or a ``days``/``int``
parameter) apply to dates (days) and whole numbers. A comparison with a
missing value is false, whatever the operator: write ``requires`` for values
a rule cannot do without.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs

from handoff_rules.engine.compiled import Parameter
from handoff_rules.engine.flatten import DECIMAL_SCALE, FieldKind, FlatField, flatten_value
from handoff_rules.engine.ir import Compare, Condition, Const, Op, Present, Ref
from handoff_rules.model import Money, MoneyError
from handoff_rules.yamlsrc import PackError, Y

__all__ = ["Alternatives", "Scope", "compile_condition"]

#: A condition compiles to alternatives (``in``), each a conjunction of IR conditions.
Alternatives = list[list[Condition]]

#: Matched against the stripped text: with ``.+?`` followed by ``\s*`` at the
#: end, a value holding a long run of spaces made the match quadratic (40,000
#: spaces took seconds). Greedy ``.+`` up to the stripped end is linear.
_COND_RE: Final = re.compile(
    r"(?P<left>[a-z_][a-z0-9_.]*)\s+"
    r"(?:(?P<unary>exists|missing)|(?P<list_op>not\s+in|in)\s+(?P<list>.+)"
    r"|(?P<op>==|!=|<=|>=|<|>)\s*(?P<right>.+))"
)
_REF_RE: Final = re.compile(
    r"(?:(?P<at>at)|(?P<alias>[a-z_][a-z0-9_]*)\.(?P<path>[a-z_][a-z0-9_.]*))"
    r"(?:\s*(?P<sign>[+-])\s*(?P<offset>\d+|params\.[a-z][a-z0-9_]*))?"
)
_INT_RE: Final = re.compile(r"[+-]?\d+")
_DEC_RE: Final = re.compile(r"[+-]?\d+\.\d+")
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_BARE_RE: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*")
_MONEY_RE: Final = re.compile(r"(?P<amount>[+-]?\d+(\.\d+)?)\s+(?P<currency>[A-Z]{3})")


@attrs.frozen
class Scope:
    """What a condition may name: its own fact, other aliases, parameters."""

    own_alias: str
    own_type: str
    own: Mapping[str, FlatField]
    others: Mapping[str, Mapping[str, FlatField]]  # alias -> schema (incl. "at")
    params: Mapping[str, Parameter]


@attrs.frozen
class Compiled:
    alternatives: Alternatives
    uses_at: bool = False


def _field(node: Y, schema: Mapping[str, FlatField], path: str, owner: str) -> FlatField:
    found = schema.get(path)
    if found is None:
        known = ", ".join(sorted(schema))
        raise node.error(f"{owner} has no field {path!r} (known: {known})")
    return found


def _literal(text: str) -> object:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if _INT_RE.fullmatch(text):
        return int(text)
    if _DEC_RE.fullmatch(text):
        return Decimal(text)
    if _DATE_RE.fullmatch(text):
        return date.fromisoformat(text)
    if _BARE_RE.fullmatch(text):
        return text
    raise ValueError(text)


_PARAM_KINDS: Final[Mapping[FieldKind, tuple[str, ...]]] = {
    FieldKind.TEXT: ("text",),
    FieldKind.INT: ("int", "days"),
    FieldKind.BOOL: ("bool",),
    FieldKind.DATE: ("date",),
    FieldKind.DECIMAL: ("decimal", "percent", "int"),
    FieldKind.MONEY: ("money",),
}


def _param(node: Y, scope: Scope, name: str, types: tuple[str, ...], what: str) -> Any:
    param = scope.params.get(name)
    if param is None:
        known = ", ".join(sorted(scope.params)) or "none"
        raise node.error(f"unknown parameter {name!r} (the pack declares: {known})")
    if param.type not in types:
        raise node.error(
            f"parameter {name} is of type {param.type}, but {what} needs {' or '.join(types)}"
        )
    return param.value


def _const(node: Y, field: FlatField, value: object) -> list[tuple[str, Const]]:
    """The flat constant(s) for ``value`` compared with ``field``."""
    kind = field.kind
    bad = node.error(f"field {field.path} is {kind.value}; {value!r} is not a {kind.value} value")
    if kind is FieldKind.MONEY:
        if isinstance(value, str) and (m := _MONEY_RE.fullmatch(value.strip())):
            try:
                value = Money(m["amount"], m["currency"])
            except MoneyError as exc:
                raise node.error(str(exc)) from None
        if not isinstance(value, Money):
            raise bad
        return [("__minor", Const(value.minor)), ("__currency", Const(value.currency))]
    ok = {
        FieldKind.TEXT: isinstance(value, str),
        FieldKind.INT: isinstance(value, int) and not isinstance(value, bool),
        FieldKind.BOOL: isinstance(value, bool),
        FieldKind.DATE: isinstance(value, date),
        FieldKind.DECIMAL: isinstance(value, Decimal | int) and not isinstance(value, bool),
    }[kind]
    if not ok:
        raise bad
    if field.choices and value not in field.choices:
        raise node.error(
            f"{value!r} is not a value of {field.path} (expected one of: "
            f"{', '.join(field.choices)})"
        )
    if kind is FieldKind.DECIMAL and isinstance(value, int):
        return [("", Const(value * DECIMAL_SCALE))]
    flat = flatten_value(value)
    assert flat is not None
    return [("", Const(flat))]


def _operand_value(node: Y, scope: Scope, field: FlatField, text: str) -> object:
    if text.startswith("params."):
        return _param(node, scope, text[len("params.") :], _PARAM_KINDS[field.kind], field.path)
    try:
        return _literal(text)
    except ValueError:
        raise node.error(
            f'cannot read {text!r}: expected a literal ("text", 12, 1.5, 2024-01-31, true), '
            "params.<name>, at, or <alias>.<field>"
        ) from None


def _comparisons(node: Y, field: FlatField, op: Op, value: object) -> list[Condition]:
    if field.kind in (FieldKind.TEXT, FieldKind.BOOL) and op.is_ordering:
        raise node.error(
            f"{field.path} is {field.kind.value}: only == and != apply (text and flags "
            "have no order)"
        )
    result: list[Condition] = []
    for suffix, const in _const(node, field, value):
        is_text = isinstance(const.value, str)
        result.append(
            Compare(field.key + suffix, Op.EQ if suffix == "__currency" else op, const, is_text)
        )
    return result


def _offset(node: Y, scope: Scope, sign: str | None, text: str | None) -> int:
    if text is None:
        return 0
    if text.startswith("params."):
        value = _param(node, scope, text[len("params.") :], ("int", "days"), "an offset")
    else:
        value = int(text)
    assert isinstance(value, int)
    return -value if sign == "-" else value


def _reference(
    node: Y, scope: Scope, field: FlatField, op: Op, match: re.Match[str]
) -> tuple[list[Condition], bool]:
    if match["at"]:
        alias, other = "at", scope.others.get("at", {}).get("date")
        if other is None:
            raise node.error("'at' (the evaluation date) cannot be used here")
    else:
        alias = match["alias"]
        if alias == scope.own_alias:
            schema = scope.own
        elif alias in scope.others:
            schema = scope.others[alias]
        else:
            names = ", ".join(sorted({scope.own_alias, *scope.others} - {"at"}))
            raise node.error(f"unknown alias {alias!r} (in scope: {names}, params, at)")
        other = _field(node, schema, match["path"], alias)
    if other.kind is not field.kind:
        raise node.error(
            f"{field.path} ({field.kind.value}) cannot be compared with "
            f"{alias}.{other.path} ({other.kind.value})"
        )
    if field.kind in (FieldKind.TEXT, FieldKind.BOOL) and op.is_ordering:
        raise node.error(f"{field.path} is {field.kind.value}: only == and != apply")
    offset = _offset(node, scope, match["sign"], match["offset"])
    if offset and field.kind not in (FieldKind.INT, FieldKind.DATE):
        raise node.error(f"offsets (+/-) apply to dates and whole numbers, not {field.kind.value}")
    if field.kind is FieldKind.MONEY:
        return [
            Compare(field.key + "__minor", op, Ref(alias, other.key + "__minor")),
            Compare(field.key + "__currency", Op.EQ, Ref(alias, other.key + "__currency"), True),
        ], False
    is_text = field.kind is FieldKind.TEXT
    return [Compare(field.key, op, Ref(alias, other.key, offset), is_text)], alias == "at"


def _list_items(node: Y, scope: Scope, field: FlatField, text: str) -> list[object]:
    text = text.strip()
    if text.startswith("params."):
        value = _param(node, scope, text[len("params.") :], ("text_list",), "'in'")
        return list(value)
    if not (text.startswith("[") and text.endswith("]")):
        raise node.error(f"'in' needs a list [a, b] or a text_list parameter, not {text!r}")
    items = [item.strip() for item in text[1:-1].split(",") if item.strip()]
    if not items:
        raise node.error("'in' needs at least one value")
    return [_operand_value(node, scope, field, item) for item in items]


def compile_condition(node: Y, scope: Scope) -> Compiled:
    """Compile one condition line; raise :class:`PackError` with its line when it is wrong."""
    text = node.text("a condition")
    match = _COND_RE.fullmatch(text.strip())
    if match is None:
        raise node.error(
            f"cannot read condition {text!r}: expected '<field> <op> <value>' with op one of "
            "== != < <= > >= in, 'not in', or '<field> exists' / '<field> missing'"
        )
    field = _field(node, scope.own, match["left"], scope.own_type)
    key = field.key + ("__minor" if field.kind is FieldKind.MONEY else "")
    if match["unary"]:
        return Compiled([[Present(key, match["unary"] == "exists")]])
    if match["list_op"]:
        items = _list_items(node, scope, field, match["list"])
        if field.kind is FieldKind.BOOL:
            raise node.error("use == / != for flags")
        if match["list_op"].startswith("not"):
            return Compiled([[c for item in items for c in _comparisons(node, field, Op.NE, item)]])
        return Compiled([_comparisons(node, field, Op.EQ, item) for item in items])
    op = Op(match["op"])
    right = match["right"].strip()
    ref = _REF_RE.fullmatch(right)
    if ref is not None and not right.startswith("params.") and _DEC_RE.fullmatch(right) is None:
        conditions, uses_at = _reference(node, scope, field, op, ref)
        return Compiled([conditions], uses_at)
    value = _operand_value(node, scope, field, right)
    return Compiled([_comparisons(node, field, op, value)])


def reject_keyword(node: Y, text: str) -> PackError:
    return node.error(text)
