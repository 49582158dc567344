"""Lossless conversion between model objects and JSON-safe dicts.

Exports, audit logs and the ``read --format jsonl`` contract all carry facts
as plain JSON, so the dict form must come back as an equal object: Decimals
and money travel as strings (never floats), dates as ISO strings, enums as
their values. Fields equal to their default are left out to keep lines short.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError

from handoff_rules.errors import ModelDataError as ModelDataError
from handoff_rules.model.bounds import check_int, shown
from handoff_rules.model.crm import Derived
from handoff_rules.model.documents import ContractStatus, DocumentForm, DocumentKind
from handoff_rules.model.identifiers import IdScheme
from handoff_rules.model.money import Money
from handoff_rules.model.orders import decimal_or_none

T = TypeVar("T")


def _structure_decimal(value: object, _type: object) -> Decimal:
    if isinstance(value, bool | float):
        raise TypeError(f"expected a decimal string, not {type(value).__name__} {value!r}")
    result = decimal_or_none(value)  # finite and within what the engines compare
    if result is None:
        raise TypeError("a decimal is required, not null")
    return result


def _structure_strict(expected: type) -> Any:
    # cattrs' defaults call bool()/int()/str() on anything: "false" became True,
    # 3.7 became 3, an object became its repr. The dict form is JSON, so each
    # scalar must already have its JSON type.
    def structure(value: object, _type: object) -> object:
        if type(value) is not expected:
            written = shown(value) if isinstance(value, str) else repr(value)
            raise TypeError(f"expected {expected.__name__}, not {type(value).__name__} {written}")
        if expected is int:
            return check_int(value)  # type: ignore[arg-type]
        return value

    return structure


def _structure_date(value: object, _type: object) -> date:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO date string, not {type(value).__name__} {value!r}")
    return date.fromisoformat(value)


def _structure_money(value: object, _type: object) -> Money:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise ValueError(f"money must be {{'amount': str, 'currency': str}}, got {value!r}")
    return Money(value["amount"], value["currency"])


def _unstructure_scalar(value: object) -> object:
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"derived values must be str, int, bool, None, Decimal or date, not {value!r}")


def _structure_scalar(value: object) -> object:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "decimal":
            return _structure_decimal(text, Decimal)
        if tag == "date":
            return _structure_date(text, date)
    if isinstance(value, int) and not isinstance(value, bool):
        return check_int(value)  # compared as a number: within what the engines compare
    if value is None or isinstance(value, bool | str):
        return value
    raise TypeError(f"unsupported derived value {shown(value)}")


def _unstructure_derived(obj: Derived) -> dict[str, Any]:
    result: dict[str, Any] = {"name": obj.name, "subject": obj.subject}
    result["values"] = {key: _unstructure_scalar(val) for key, val in obj.values}
    if obj.order_id is not None:
        result["order_id"] = obj.order_id
    if obj.counterparty_id is not None:
        result["counterparty_id"] = obj.counterparty_id
    return result


def _structure_derived(value: object, _type: object) -> Derived:
    if not isinstance(value, dict):
        raise TypeError(f"a derived fact must be an object, not {value!r}")
    unknown = set(value) - {"name", "subject", "values", "order_id", "counterparty_id"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    values = value.get("values", {})
    if not isinstance(values, dict):
        raise TypeError("derived 'values' must be an object")
    return Derived(
        name=str(value["name"]),
        subject=str(value["subject"]),
        values={k: _structure_scalar(v) for k, v in values.items()},
        order_id=value.get("order_id"),
        counterparty_id=value.get("counterparty_id"),
    )


def _enum_value(member: DocumentKind | DocumentForm | ContractStatus | IdScheme) -> str:
    return member.value


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(omit_if_default=True, forbid_extra_keys=True)
    for scalar in (bool, int, str):
        conv.register_structure_hook(scalar, _structure_strict(scalar))
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(date, _structure_date)
    conv.register_unstructure_hook(Money, Money.to_dict)
    conv.register_structure_hook(Money, _structure_money)
    # StrEnum members are str, which cattrs passes through as-is; JSON and YAML
    # writers must see plain strings, so every enum of the model is unwrapped.
    for enum_cls in (DocumentKind, DocumentForm, ContractStatus, IdScheme):
        conv.register_unstructure_hook(enum_cls, _enum_value)
    conv.register_unstructure_hook(Derived, _unstructure_derived)
    conv.register_structure_hook(Derived, _structure_derived)
    return conv


converter = _make_converter()


def _describe(exc: BaseException, _type: object) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    return str(exc) or type(exc).__name__


def to_dict(obj: object) -> dict[str, Any]:
    """The JSON-safe dict form of a model object."""
    result = converter.unstructure(obj)
    if not isinstance(result, dict):
        raise TypeError(f"{type(obj).__name__} is not a model class")
    return result


def from_dict(cls: type[T], data: object) -> T:
    """Rebuild a model object; raise :class:`ModelDataError` naming every bad field."""
    if attrs.has(cls) and not isinstance(data, dict):
        raise ModelDataError(
            f"invalid {cls.__name__}: expected an object of fields, not {type(data).__name__}"
        )
    try:
        return converter.structure(data, cls)
    except ClassValidationError as exc:
        problems = "; ".join(cattrs.transform_error(exc, format_exception=_describe))
        raise ModelDataError(f"invalid {cls.__name__}: {problems}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelDataError(f"invalid {cls.__name__}: {exc}") from None
