"""What each format can fill, found by running the adapters' own record mappers.

A hand-kept list of "fields this format supplies" drifts from the mappers the
day someone adds a column; so the declaration is computed from the mappers
themselves. Each mapper is run on a record where every cell it asks for holds
a value (:class:`FilledCells`), and every field of the facts it builds that
differs from the model's default is a field the format can fill. A mapper
that branches on a cell's value (one associated company or several) is run
once per :data:`PROBE_TEXTS` value, and the fields of all runs are united.

The paths are those packs use: ``amount`` (and ``amount.minor``,
``amount.currency`` for money), a derived fact's value keys under its type
``derived.<name>`` (plus ``subject``, ``order_id``, ``counterparty_id``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Final, cast

import attrs

from handoff_rules.adapters import Supply
from handoff_rules.model import Derived, FactData, Money, OpportunityLink
from handoff_rules_crm.cells import Cells
from handoff_rules_crm.compare import MATCH_FACT, MATCH_VALUES
from handoff_rules_crm.options import CrmOptions

__all__ = ["PROBE_TEXTS", "FilledCells", "field_paths", "probe_supplies"]

#: The text every text cell holds in one probe run: one value, then a ``;`` list of two,
#: then words a mapper translates: a Salesforce Contract's status ``Activated``, and a
#: country whose company identifier scheme the model knows (an Account's tax id).
PROBE_TEXTS: Final = ("XX", "XX;YY", "Activated", "CZ")

#: The fixed keys of a derived fact, beside its values.
_DERIVED_KEYS: Final = ("subject", "order_id", "counterparty_id")


class FilledCells(Cells):
    """Cells where every column a mapper asks for exists and holds a valid value."""

    def __init__(self, text: str) -> None:
        super().__init__({}, CrmOptions())
        self._text = text

    def has(self, *names: str) -> bool:
        return True

    def text(self, *names: str) -> str | None:
        return self._text

    def decimal(self, *names: str) -> Decimal | None:
        return Decimal(1)

    def integer(self, *names: str) -> int | None:
        return 1

    def date(self, *names: str) -> date | None:
        return date(2024, 1, 2)

    def boolean(self, *names: str) -> bool | None:
        return True

    def money(self, amount: tuple[str, ...], currency: tuple[str, ...]) -> Money | None:
        return Money(Decimal(1), "EUR")

    def price(
        self, amount: tuple[str, ...], currency: tuple[str, ...]
    ) -> tuple[Decimal, str] | None:
        return Decimal(1), "EUR"

    def as_written(self) -> dict[str, str]:
        return {"Column": self._text}


def _fact_type(data: FactData) -> str:
    if isinstance(data, Derived):
        return f"derived.{data.name}"
    return str(data.fact_type)


def _model_paths(value: attrs.AttrsInstance, prefix: str) -> Iterable[str]:
    for field in attrs.fields(type(value)):
        item = getattr(value, field.name)
        if field.default is not attrs.NOTHING and item == field.default:
            continue
        path = f"{prefix}{field.name}"
        if isinstance(item, Money):
            yield from (path, f"{path}.minor", f"{path}.currency")
        elif attrs.has(type(item)):
            yield from _model_paths(cast(attrs.AttrsInstance, item), f"{path}.")
        elif isinstance(item, tuple):
            yield f"{path}.count"
        elif item is not None:
            yield path


def field_paths(data: FactData) -> tuple[str, frozenset[str]]:
    """The fact type of ``data`` and the paths it fills (fields that differ from the default)."""
    if isinstance(data, Derived):
        fixed = (k for k in _DERIVED_KEYS if getattr(data, k) is not None)
        return _fact_type(data), frozenset((*fixed, *(k for k, v in data.values if v is not None)))
    return _fact_type(data), frozenset(_model_paths(cast(attrs.AttrsInstance, data), ""))


def probe_supplies(
    mappers: Iterable[Callable[[Cells], Iterable[FactData]]],
) -> tuple[Supply, ...]:
    """The supplies of a format whose records the ``mappers`` turn into facts, sorted by type."""
    found: defaultdict[str, set[str]] = defaultdict(set)
    for mapper in mappers:
        for text in PROBE_TEXTS:
            for data in mapper(FilledCells(text)):
                fact_type, paths = field_paths(data)
                found[fact_type].update(paths)
    if "opportunity" in found:
        # ``check`` links a won opportunity to its ERP order through the plugin's
        # hook: a format of opportunities supplies the link and the comparison too
        found["link"].update(attrs.fields_dict(OpportunityLink))
        found[f"derived.{MATCH_FACT}"].update((*_DERIVED_KEYS, *MATCH_VALUES))
    return tuple(Supply(t, sorted(found[t])) for t in sorted(found))
