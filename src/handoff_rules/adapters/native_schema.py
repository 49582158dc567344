"""The field layout of every fact type, as the native CSV and YAML formats write it.

People fill these files by hand or from a spreadsheet, so a cell is text:
``true``/``X``/``1`` for a flag, ``1 234,56`` for an amount, ``100000 RUB`` for
money. This module knows, from the model classes' type hints, what each field
is and turns text into the JSON types of the dict form; :func:`from_dict`
then validates the result exactly as it validates ``read --format jsonl``
input, so the three native formats accept the same facts and refuse the same
mistakes.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, Final

import attrs

from handoff_rules.adapters.values import (
    ValueParseError,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from handoff_rules.model import FACT_TYPES, CompanyId, Counterparty, Derived, ModelDataError, Money
from handoff_rules.model.bounds import shown

__all__ = [
    "CSV_FACT_TYPES",
    "LIST_SEPARATOR",
    "Column",
    "coerce",
    "csv_columns",
    "model_paths",
    "types_for_header",
]

#: Items of a list cell (PoA goods, identifiers) are separated by this character.
LIST_SEPARATOR: Final = "|"

_MONEY_TEXT: Final = re.compile(r"(?P<amount>.*\S)\s+(?P<currency>[A-Z]{3})")


class _Kind(enum.Enum):
    TEXT = "text"
    FLAG = "flag"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    CHOICE = "choice"
    MONEY = "money"
    RECORD = "record"
    LIST = "list"
    RAW = "raw"


@attrs.frozen(slots=True)
class _FieldType:
    kind: _Kind
    target: Any = None  # the class for CHOICE/RECORD/MONEY, the item type for LIST
    required: bool = False


def _strip_optional(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _classify(hint: Any) -> _FieldType:
    hint = _strip_optional(hint)
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        return _FieldType(_Kind.LIST, _classify(args[0]))
    if hint is Money:
        return _FieldType(_Kind.MONEY, Money)
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return _FieldType(_Kind.CHOICE, hint)
        if attrs.has(hint):
            return _FieldType(_Kind.RECORD, hint)
        simple = {bool: _Kind.FLAG, int: _Kind.INTEGER, str: _Kind.TEXT}
        if hint in simple:
            return _FieldType(simple[hint])
        if hint is Decimal:
            return _FieldType(_Kind.DECIMAL)
        if hint is date:
            return _FieldType(_Kind.DATE)
    return _FieldType(_Kind.RAW)


@cache
def _fields(cls: type) -> dict[str, _FieldType]:
    hints = typing.get_type_hints(cls)
    result = {}
    for field in attrs.fields(cls):
        kind = _classify(hints[field.name])
        result[field.name] = attrs.evolve(kind, required=field.default is attrs.NOTHING)
    return result


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _coerce_value(ftype: _FieldType, value: object, path: str, problems: list[str]) -> object:
    """One value towards its dict-form type; leaves what it cannot read for from_dict to refuse."""
    if value is None:
        return None
    text = _text(value)
    try:
        if ftype.kind is _Kind.RECORD and isinstance(value, Mapping):
            return _coerce_mapping(ftype.target, value, path, problems)
        if ftype.kind is _Kind.RECORD and ftype.target is CompanyId and text is not None:
            scheme, sep, ident = text.partition(":")
            if not sep:
                raise ValueParseError(f"expected SCHEME:value (e.g. CZ-ICO:25123891), got {text!r}")
            return {"scheme": scheme.strip(), "value": ident.strip()}
        if ftype.kind is _Kind.MONEY:
            return _coerce_money(value, path, problems)
        if ftype.kind is _Kind.LIST:
            items: list[object]
            if text is not None:
                items = [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
            elif isinstance(value, list):
                items = value
            else:
                return value
            return [
                _coerce_value(ftype.target, item, f"{path}[{index}]", problems)
                for index, item in enumerate(items)
            ]
        if text is None:
            return value  # already typed (JSON input) or of the wrong shape: from_dict decides
        if ftype.kind in (_Kind.TEXT, _Kind.RAW):
            return text  # as written: surrounding spaces may matter to whoever compares it
        text = text.strip()
        if ftype.kind is _Kind.FLAG:
            return parse_bool(text)
        if ftype.kind is _Kind.INTEGER:
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValueParseError(f"expected a whole number, got {shown(text)}")
            return parse_int(text)  # bounded: no int() of thousands of digits
        if ftype.kind is _Kind.DECIMAL:
            return str(parse_decimal(text))
        if ftype.kind is _Kind.DATE:
            return parse_date(text).isoformat()
        return text
    except ValueParseError as exc:
        problems.append(f"{path}: {exc}")
        return None


def _coerce_money(value: object, path: str, problems: list[str]) -> object:
    text = _text(value)
    if text is not None:
        match = _MONEY_TEXT.fullmatch(text.strip())
        if match is None:
            raise ValueParseError(f"expected an amount and a currency (1234.56 RUB), got {text!r}")
        value = {"amount": match["amount"], "currency": match["currency"]}
    if isinstance(value, Mapping):
        result = dict(value)
        amount = _text(result.get("amount"))
        if amount is not None:
            try:
                result["amount"] = str(parse_decimal(amount))
            except ValueParseError as exc:
                problems.append(f"{path}.amount: {exc}")
        currency = _text(result.get("currency"))
        if currency is not None:
            result["currency"] = currency.strip()
        return result
    return value


def _coerce_mapping(
    cls: type, data: Mapping[Any, object], path: str, problems: list[str]
) -> dict[str, object]:
    fields = _fields(cls)
    result: dict[str, object] = {}
    for key, value in data.items():
        ftype = fields.get(key) if isinstance(key, str) else None
        where = f"{path}.{key}" if path else str(key)
        if ftype is None:
            result[str(key)] = value  # unknown: from_dict names it
        elif value is None:
            continue
        elif isinstance(value, str) and not value.strip() and ftype.kind is not _Kind.TEXT:
            continue  # a blank number, date or flag is "not given": the default applies
        else:
            coerced = _coerce_value(ftype, value, where, problems)
            if coerced is not None:
                result[key] = coerced
    return result


def coerce(fact_type: str, data: object) -> dict[str, object]:
    """Turn hand-written field values into the dict form of ``fact_type``.

    :raises ModelDataError: listing every value that is not of its field's kind
    """
    cls = FACT_TYPES[fact_type]
    if not isinstance(data, Mapping):
        raise ModelDataError(f"invalid {fact_type}: data must be a mapping, not {data!r}")
    if cls is Derived:
        return dict(data)  # free-form values, validated by from_dict as they are
    problems: list[str] = []
    result = _coerce_mapping(cls, data, "", problems)
    if problems:
        raise ModelDataError(f"invalid {fact_type}: " + "; ".join(problems))
    return result


# --- CSV layout -------------------------------------------------------------------

#: Fact types with a CSV layout (a derived fact's free-form values have none).
CSV_FACT_TYPES: Final = tuple(
    sorted(name for name, cls in FACT_TYPES.items() if cls is not Derived)
)


@attrs.frozen(slots=True)
class Column:
    """One CSV column of a fact type: its dotted name and whether every row needs it."""

    name: str
    required: bool
    description: str


def _columns_of(cls: type, prefix: str, required_chain: bool) -> list[Column]:
    columns: list[Column] = []
    for name, ftype in _fields(cls).items():
        dotted = f"{prefix}{name}"
        required = required_chain and ftype.required
        if ftype.kind is _Kind.MONEY:
            columns.append(Column(dotted, False, "money as '1234.56 RUB'"))
            columns.append(Column(f"{dotted}.amount", required, "amount"))
            columns.append(Column(f"{dotted}.currency", required, "ISO 4217 code"))
        elif ftype.kind is _Kind.RECORD:
            columns.extend(_columns_of(ftype.target, f"{dotted}.", required))
        elif ftype.kind is _Kind.LIST:
            item = ftype.target
            if item.kind is _Kind.RECORD and item.target is CompanyId:
                text = f"SCHEME:value items separated by '{LIST_SEPARATOR}'"
            else:
                text = f"items separated by '{LIST_SEPARATOR}'"
            columns.append(Column(dotted, required, text))
        else:
            choices = ""
            if ftype.kind is _Kind.CHOICE:
                choices = ": " + ", ".join(m.value for m in ftype.target)
            columns.append(Column(dotted, required, f"{ftype.kind.value}{choices}"))
    return columns


@cache
def csv_columns(fact_type: str) -> tuple[Column, ...]:
    """The columns a native CSV file of ``fact_type`` may have, in documentation order."""
    return tuple(_columns_of(FACT_TYPES[fact_type], "", True))


#: What a counterparty's identifiers give packs besides its own fields (the flat form's
#: ``legal_id``: the identifier of the scheme its country requires).
_LEGAL_ID_PATHS: Final = (
    "legal_id.scheme",
    "legal_id.value",
    "legal_id.valid",
    "legal_id.expected_scheme",
)


def _paths_of(cls: type, prefix: str) -> list[str]:
    paths = [f"{prefix}id"] if isinstance(getattr(cls, "id", None), property) else []
    for name, ftype in _fields(cls).items():
        dotted = f"{prefix}{name}"
        if ftype.kind is _Kind.MONEY:
            paths.extend((dotted, f"{dotted}.minor", f"{dotted}.currency"))
        elif ftype.kind is _Kind.RECORD:
            paths.extend(_paths_of(ftype.target, f"{dotted}."))
        elif ftype.kind is _Kind.LIST:
            paths.append(f"{dotted}.count")
        else:
            paths.append(dotted)
    return paths


@cache
def model_paths(fact_type: str) -> tuple[str, ...]:
    """Every dotted path a pack may name on ``fact_type``, from the model class.

    The same paths as the rule engine's ``field_schema`` (a test holds them
    equal); computed here because adapters, which declare what they supply
    with these paths, sit below the engine.
    """
    cls = FACT_TYPES[fact_type]
    paths = _paths_of(cls, "")
    if cls is Counterparty:
        paths.extend(_LEGAL_ID_PATHS)
    return tuple(paths)


def missing_required(fact_type: str, header: set[str]) -> list[str]:
    """Required columns absent from ``header`` (money may come as one compact column)."""
    missing = []
    for column in csv_columns(fact_type):
        if not column.required or column.name in header:
            continue
        base, _, part = column.name.rpartition(".")
        if part in {"amount", "currency"} and base in header:
            continue
        missing.append(column.name)
    return missing


def types_for_header(header: set[str]) -> list[str]:
    """Fact types whose layout has every column of ``header`` and whose required columns
    are all there: how a CSV without a ``#handoff-rules:`` line is recognised."""
    result = []
    for fact_type in CSV_FACT_TYPES:
        known = {c.name for c in csv_columns(fact_type)}
        if header <= known and not missing_required(fact_type, header):
            result.append(fact_type)
    return result


def nest(cells: Mapping[str, str]) -> dict[str, object]:
    """Dotted column names to nested mappings; blank cells are left out."""
    result: dict[str, object] = {}
    for name, value in cells.items():
        if not value.strip():
            continue
        target = result
        *parents, leaf = name.split(".")
        for part in parents:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):  # "x" and "x.amount" both given
                raise ModelDataError(f"column {name!r} conflicts with column {part!r}")
            target = child
        if leaf in target:
            raise ModelDataError(f"column {name!r} conflicts with the columns under it")
        target[leaf] = value
    return result
