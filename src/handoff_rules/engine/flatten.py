"""Flat facts: the one representation of a case both rule backends read.

durable_rules compares JSON scalars only, and compares them badly unless they
are integers or short strings used for equality (``engine/durable_rules.md``
§5). So every fact of a case becomes one flat dict before any backend sees it:

``{"t": <fact type>, "<field>": value, "<nested>__<field>": value, ...}``

Value conversions (the only ones; anything else is a bug):

=========================  ===============================================================
model value                flat value
=========================  ===============================================================
``str``, enum              ``str`` (the enum's value); compared only with ``==``/``!=``
``bool``                   ``int`` 1 / 0 (durable_rules treats ``true == 1`` anyway)
``int``                    ``int``
``date``                   ``int`` ``date.toordinal()``: day arithmetic is integer arithmetic
``Decimal`` (percent,      ``int`` scaled by :data:`DECIMAL_SCALE` (10**4), rounded half-even:
quantity)                  ``12.5`` -> ``125000``
``Money`` field ``f``      ``f__minor`` (``int`` minor units) and ``f__currency`` (``str``)
``None``, blank text       key absent (so ``exists``/``missing`` and "absent never matches");
                           a blank cell is no value, whatever the adapter kept
nested attrs ``f.g``       ``f__g`` (PoA terms, ID document)
tuple ``f``                ``f__count`` (``int``); items are not matched by rules
=========================  ===============================================================

Special keys: the model field ``id`` becomes ``id_`` (the driver owns ``id``), and so
does a computed ``id`` property (an order line's ``4711/1``, a link's ``OPP-1->4711``,
a template's ``T1@2``), so that findings about such facts name them;
a counterparty also gets ``legal_id__scheme``, ``legal_id__value`` (normalised
when valid, else as written), ``legal_id__valid`` (1/0) and
``legal_id__expected_scheme`` (the scheme its country requires, when known).

Derived facts (:class:`~handoff_rules.model.Derived`) become rows of type
``derived.<name>`` with ``subject``, ``order_id``, ``counterparty_id`` and
their values at top level (converted as above; money is stored by derivers as
``<x>_minor``/``<x>_currency`` already). Every flat case ends with one row
``{"t": "evaluation", "date": at.toordinal()}`` so rules can compare with the
evaluation date without compiling it into a ruleset.

Packs name fields with dotted paths (``poa.holder_name``, ``net_value``);
:func:`field_schema` lists, per fact type, every path a pack may use with its
kind and flat key, from the model classes (``attrs.fields``), so a pack is
validated against the model, not against a hand-kept list.
"""

from __future__ import annotations

import enum
import linecache
import operator
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from typing import Any, Final, TypeAlias

import attrs

from handoff_rules.decision import canonical_json
from handoff_rules.errors import FlattenError
from handoff_rules.facts import Fact, canonical_order
from handoff_rules.model import FACT_TYPES, CompanyId, Counterparty, Derived, Money
from handoff_rules.model.identifiers import SCHEME_BY_COUNTRY

__all__ = [
    "DECIMAL_SCALE",
    "EVALUATION_TYPE",
    "FieldKind",
    "FlatCase",
    "FlatField",
    "FlatValue",
    "FlattenError",
    "derived_type",
    "field_schema",
    "flat_key",
    "flatten_case",
    "flatten_fact",
    "flatten_value",
]

FlatValue: TypeAlias = int | str
FlatRow: TypeAlias = dict[str, FlatValue]

#: Decimals (percent, quantity) are compared as integers scaled by this factor.
DECIMAL_SCALE: Final = 10**4
#: The type of the one row per case that carries the evaluation date.
EVALUATION_TYPE: Final = "evaluation"
#: Prefix of derived fact types: ``derived.<name>``.
DERIVED_PREFIX: Final = "derived."
#: Keys of a derived row that are not values.
DERIVED_FIXED_KEYS: Final = ("subject", "order_id", "counterparty_id")

_IDENT: Final = re.compile(r"[a-z][a-z0-9_]*")


class FieldKind(enum.StrEnum):
    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    DATE = "date"
    DECIMAL = "decimal"
    MONEY = "money"  # a pseudo-field: compiles to ``__minor`` plus a currency check


@attrs.frozen(slots=True)
class FlatField:
    """A path a pack may name, its kind and its flat key (``money``: the prefix)."""

    path: str
    kind: FieldKind
    key: str
    #: the allowed values of an enum field (a pack's literal is checked against them)
    choices: tuple[str, ...] = ()


def flat_key(path: str | Sequence[str]) -> str:
    """The flat key of a dotted path (``poa.holder_name`` -> ``poa__holder_name``)."""
    parts = path.split(".") if isinstance(path, str) else list(path)
    if parts == ["id"]:
        return "id_"
    return "__".join(parts)


def derived_type(name: str) -> str:
    return DERIVED_PREFIX + name


def flatten_value(value: object) -> FlatValue | None:
    """The flat form of one scalar (money excluded: it spans two keys)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, enum.Enum):
        return str(value.value) or None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int):
        return value
    if isinstance(value, date):
        return value.toordinal()
    if isinstance(value, Decimal):
        return int((value * DECIMAL_SCALE).to_integral_value(ROUND_HALF_EVEN))
    raise FlattenError(f"no flat form for {type(value).__name__} {value!r}")


# --- schema of the model classes ---------------------------------------------------


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _kind_of(hint: Any) -> FieldKind | type | None:
    hint = _strip_optional(hint)
    if hint is Money:
        return FieldKind.MONEY
    if hint is bool:
        return FieldKind.BOOL
    if hint is int:
        return FieldKind.INT
    if hint is date:
        return FieldKind.DATE
    if hint is Decimal:
        return FieldKind.DECIMAL
    if hint is str or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        return FieldKind.TEXT
    if isinstance(hint, type) and attrs.has(hint):
        return hint
    if typing.get_origin(hint) is tuple:
        return tuple
    return None


def _choices(hint: Any) -> tuple[str, ...]:
    hint = _strip_optional(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return tuple(str(member.value) for member in hint)
    return ()


def _has_id_property(cls: type) -> bool:
    """Whether ``cls`` computes its ``id`` (a property) instead of storing it in a field."""
    return isinstance(getattr(cls, "id", None), property)


def _schema_of(cls: type, prefix: tuple[str, ...]) -> list[FlatField]:
    result: list[FlatField] = []
    if _has_id_property(cls):
        path = (*prefix, "id")
        result.append(FlatField(".".join(path), FieldKind.TEXT, flat_key(path)))
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        path = (*prefix, field.name)
        kind = _kind_of(hints[field.name])
        dotted = ".".join(path)
        if isinstance(kind, FieldKind):
            result.append(FlatField(dotted, kind, flat_key(path), _choices(hints[field.name])))
            if kind is FieldKind.MONEY:
                minor = flat_key(path) + "__minor"
                result.append(FlatField(dotted + ".minor", FieldKind.INT, minor))
                result.append(
                    FlatField(dotted + ".currency", FieldKind.TEXT, flat_key(path) + "__currency")
                )
        elif kind is tuple:
            result.append(FlatField(dotted + ".count", FieldKind.INT, flat_key(path) + "__count"))
        elif isinstance(kind, type):
            result.extend(_schema_of(kind, path))
    return result


_LEGAL_ID_FIELDS: Final = (
    FlatField("legal_id.scheme", FieldKind.TEXT, "legal_id__scheme"),
    FlatField("legal_id.value", FieldKind.TEXT, "legal_id__value"),
    FlatField("legal_id.valid", FieldKind.BOOL, "legal_id__valid"),
    FlatField("legal_id.expected_scheme", FieldKind.TEXT, "legal_id__expected_scheme"),
)


@cache
def _model_schema(fact_type: str) -> Mapping[str, FlatField]:
    cls = FACT_TYPES[fact_type]
    fields = _schema_of(cls, ())
    if cls is Counterparty:
        fields.extend(_LEGAL_ID_FIELDS)
    return {f.path: f for f in fields}


def field_schema(
    fact_type: str, derived: Mapping[str, Mapping[str, FieldKind]] | None = None
) -> Mapping[str, FlatField] | None:
    """Every path a pack may name on ``fact_type``; None when the type is unknown.

    ``derived`` declares derived fact names and their value kinds (the built-in
    derivers' and those a pack declares for plugin derivers).
    """
    if fact_type == EVALUATION_TYPE:
        return {"date": FlatField("date", FieldKind.DATE, "date")}
    if fact_type.startswith(DERIVED_PREFIX):
        values = (derived or {}).get(fact_type[len(DERIVED_PREFIX) :])
        if values is None:
            return None
        result = {k: FlatField(k, FieldKind.TEXT, k) for k in DERIVED_FIXED_KEYS}
        for key, kind in values.items():
            result[key] = FlatField(key, kind, key)
        return result
    if fact_type == Derived.fact_type or fact_type not in FACT_TYPES:
        return None
    return _model_schema(fact_type)


# --- flattening ------------------------------------------------------------------
#
# Every case flattens a dozen facts of a few classes, so the per-value work is
# what costs: a generic walk asks each value what it is (an isinstance chain)
# although the class already says it. Each class therefore gets one function,
# generated once from its attrs fields, that reads every field by name and
# converts it the way its declared kind says. A value whose runtime type is not
# the declared one (attrs does not check types) takes the generic
# :func:`flatten_value`, so the result is the same as the generic walk for
# every value, not only for well-typed ones.

_NESTED: Final = "nested"
_Entry: TypeAlias = tuple[str, str, "FieldKind | str", Any]


@cache
def _plan(cls: type) -> tuple[_Entry, ...]:
    """``(attribute, flat key, kind, extra)`` per field; extra: the enum or the nested plan."""
    plan: list[_Entry] = []
    if _has_id_property(cls):
        plan.append(("id", flat_key(("id",)), FieldKind.TEXT, None))
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        hint = _strip_optional(hints[field.name])
        kind = _kind_of(hint)
        key = flat_key((field.name,))
        if isinstance(kind, FieldKind):
            is_enum = isinstance(hint, type) and issubclass(hint, enum.Enum)
            plan.append((field.name, key, kind, hint if is_enum else None))
        elif kind is tuple:
            plan.append((field.name, key + "__count", FieldKind.INT, None))
        elif isinstance(kind, type):
            plan.append((field.name, key, _NESTED, _plan(kind)))
    return tuple(plan)


#: The branches per declared kind: (test of the value ``{v}``, statement storing it under ``{k}``).
_BRANCHES: Final[Mapping[FieldKind, tuple[tuple[str, str], ...]]] = {
    FieldKind.TEXT: (("type({v}) is str", "if {v}.strip():\n    row[{k}] = {v}"),),
    FieldKind.INT: (("type({v}) is int", "row[{k}] = {v}"),),
    FieldKind.DATE: (("type({v}) is date", "row[{k}] = {v}.toordinal()"),),
    FieldKind.DECIMAL: (
        (
            "type({v}) is Decimal",
            "row[{k}] = int(({v} * DECIMAL_SCALE).to_integral_value(ROUND_HALF_EVEN))",
        ),
    ),
    FieldKind.BOOL: (("{v} is True", "row[{k}] = 1"), ("{v} is False", "row[{k}] = 0")),
}
#: Any other value: the generic conversion.
_FALLBACK: Final = "flat = flatten_value({v})\nif flat is not None:\n    row[{k}] = flat"


def _emit(
    lines: list[str],
    env: dict[str, Any],
    plan: tuple[_Entry, ...],
    obj: str,
    prefix: str = "",
    depth: int = 0,
) -> None:
    """Append the statements that flatten the fields of ``plan`` read from variable ``obj``."""
    indent = "    " * (1 + depth)
    v = f"v{depth}"
    for name, key, kind, extra in plan:
        full = prefix + key
        k = repr(full)
        lines.append(f"{indent}{v} = {obj}.{name}")
        lines.append(f"{indent}if {v} is not None:")
        if kind == _NESTED:
            _emit(lines, env, extra, v, full + "__", depth + 1)
            continue
        if kind is FieldKind.MONEY:
            lines.append(f"{indent}    row[{full + '__minor'!r}] = {v}.minor")
            lines.append(f"{indent}    row[{full + '__currency'!r}] = {v}.currency")
            continue
        branches = list(_BRANCHES[kind])  # type: ignore[index]
        if full.endswith("__count"):  # a tuple's length, as the generic walk does
            branches.insert(0, ("isinstance({v}, tuple)", "row[{k}] = len({v})"))
        if extra is not None:  # a member of the declared enum: its value, read directly
            enum_type = f"_enum_{len(env)}"
            env[enum_type] = extra
            value = "flat = str({v}._value_)\nif flat:\n    row[{k}] = flat"
            branches.append((f"type({{v}}) is {enum_type}", value))
        for i, (test, store) in enumerate(branches):
            lines.append(f"{indent}    {'el' if i else ''}if {test.format(v=v)}:")
            lines += [f"{indent}        {line}" for line in store.format(v=v, k=k).split("\n")]
        lines.append(f"{indent}    else:")
        lines += [f"{indent}        {line}" for line in _FALLBACK.format(v=v, k=k).split("\n")]


def _compile(cls: type) -> Callable[[Any], FlatRow]:
    """The generated flattening function of model class ``cls``."""
    env: dict[str, Any] = {
        "date": date,
        "Decimal": Decimal,
        "DECIMAL_SCALE": DECIMAL_SCALE,
        "ROUND_HALF_EVEN": ROUND_HALF_EVEN,
        "flatten_value": flatten_value,
        "legal_id": _legal_id,
    }
    lines = ["def flatten(obj):", "    row = {'t': obj.fact_type}"]
    _emit(lines, env, _plan(cls), "obj")
    if issubclass(cls, Counterparty):
        lines.append("    legal_id(row, obj)")
    lines.append("    return row")
    source = "\n".join(lines) + "\n"
    filename = f"<flatten {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), env)
    function: Callable[[Any], FlatRow] = env["flatten"]
    return function


def _legal_id(row: FlatRow, party: Counterparty) -> None:
    wanted = SCHEME_BY_COUNTRY.get(party.country or "")
    if wanted is not None:
        row["legal_id__expected_scheme"] = wanted._value_  # .value, without the descriptor
    ident: CompanyId | None = party.legal_id()
    if ident is None:
        return
    row["legal_id__scheme"] = ident.scheme
    normalized = ident.normalized
    row["legal_id__value"] = normalized if normalized is not None else ident.value
    row["legal_id__valid"] = int(normalized is not None)


#: Value keys of derived facts already checked (the same few keys come back every case).
_CHECKED_KEYS: set[str] = set()


def _check_key(data: Derived, key: str) -> None:
    if not _IDENT.fullmatch(key) or key in DERIVED_FIXED_KEYS or key == "id_":
        raise FlattenError(
            f"derived fact {data.name!r}: value key {key!r} must be a lower-case "
            f"identifier other than {', '.join(DERIVED_FIXED_KEYS)}"
        )
    if len(_CHECKED_KEYS) < 10_000:
        _CHECKED_KEYS.add(key)


def _derived_row(data: Derived) -> FlatRow:
    row: FlatRow = {"t": DERIVED_PREFIX + data.name, "subject": data.subject}
    if data.order_id is not None:
        row["order_id"] = data.order_id
    if data.counterparty_id is not None:
        row["counterparty_id"] = data.counterparty_id
    checked = _CHECKED_KEYS
    for key, value in data.values:
        if key not in checked:
            _check_key(data, key)
        kind = type(value)
        if kind is str:
            if value.strip():  # type: ignore[attr-defined]
                row[key] = value  # type: ignore[assignment]
        elif kind is int:
            row[key] = value  # type: ignore[assignment]
        elif kind is date:
            row[key] = value.toordinal()  # type: ignore[attr-defined]
        else:
            flat = flatten_value(value)
            if flat is not None:
                row[key] = flat
    return row


class _Flatteners(dict[type, Callable[[Any], FlatRow]]):
    """The flattening function per data class, made on first use."""

    def __missing__(self, cls: type) -> Callable[[Any], FlatRow]:
        function = _derived_row if issubclass(cls, Derived) else _compile(cls)
        self[cls] = function
        return function


_FLATTENERS: Final = _Flatteners()


def flatten_fact(fact: Fact) -> FlatRow:
    """The flat row of one fact."""
    data = fact.data
    return _FLATTENERS[type(data)](data)


@attrs.frozen(slots=True)
class FlatCase:
    """A case's flat rows, with the fact each came from (None: the evaluation row).

    ``rows[i]`` was made from ``facts[i]``: a backend reports matches by row
    index and the caller turns them back into facts and provenance.
    """

    rows: tuple[Mapping[str, FlatValue], ...]
    facts: tuple[Fact | None, ...]

    def of_type(self, fact_type: str) -> list[int]:
        return [i for i, row in enumerate(self.rows) if row["t"] == fact_type]


def flatten_case(
    facts: Sequence[Fact], at: date, sort_key: Callable[[Fact], Any] | None = None
) -> FlatCase:
    """Flatten facts (in a canonical order) and append the evaluation row.

    The facts are put in :func:`~handoff_rules.facts.canonical_order`, so the
    flat case never depends on arrival order. A caller's ``sort_key`` replaces
    that order, with the flat row's text breaking its ties.
    """
    flatteners = _FLATTENERS
    if sort_key is None:
        ordered = canonical_order(facts)
        rows = [flatteners[type(fact.data)](fact.data) for fact in ordered]
        return _flat_case(ordered, rows, at)
    keyed = [(sort_key(fact), fact, flatteners[type(fact.data)](fact.data)) for fact in facts]
    keyed.sort(key=lambda item: item[0])
    keys = [item[0] for item in keyed]
    if any(map(operator.eq, keys, keys[1:])):
        keyed.sort(key=lambda item: (item[0], canonical_json(item[2])))
    return _flat_case([item[1] for item in keyed], [item[2] for item in keyed], at)


def _flat_case(facts: list[Fact], rows: list[FlatRow], at: date) -> FlatCase:
    flat: list[Mapping[str, FlatValue]] = list(rows)
    flat.append({"t": EVALUATION_TYPE, "date": at.toordinal()})
    return FlatCase(rows=tuple(flat), facts=(*facts, None))
