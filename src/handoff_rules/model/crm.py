"""What sales promised in the CRM, and how it links to the ERP order."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import ClassVar, Final

import attrs

from handoff_rules.errors import ModelDataError
from handoff_rules.model.bounds import bounded_int
from handoff_rules.model.money import Money
from handoff_rules.model.orders import decimal_or_none


@attrs.frozen(slots=True)
class Opportunity:
    """A CRM deal. Only a won one is a promise the order must keep."""

    fact_type: ClassVar[str] = "opportunity"

    id: str
    name: str | None = None
    account_id: str | None = None
    stage: str | None = None
    is_won: bool | None = None
    is_closed: bool | None = None
    close_date: date | None = None
    amount: Money | None = None
    owner: str | None = None
    order_ref: str | None = None
    payment_terms: str | None = None
    payment_days: int | None = attrs.field(default=None, validator=bounded_int)
    discount_pct: Decimal | None = attrs.field(default=None, converter=decimal_or_none)
    nonstandard_terms: str | None = None
    ops_signoff_by: str | None = None
    ops_signoff_on: date | None = None

    @property
    def counterparty_id(self) -> str | None:
        return self.account_id


@attrs.frozen(slots=True)
class OpportunityLink:
    """The link from a won opportunity to the ERP order created from it, and how it was made."""

    fact_type: ClassVar[str] = "link"

    opportunity_id: str
    order_id: str
    via: str
    counterparty_id: str | None = None

    @property
    def id(self) -> str:
        return f"{self.opportunity_id}->{self.order_id}"


def _sorted_items(
    values: Mapping[str, object] | Iterable[tuple[str, object]],
) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(dict(values).items()))


#: How a derived value's key must look: rules name it as ``derived.values.<key>``.
_VALUE_KEY: Final = re.compile(r"[a-z][a-z0-9_]*")
#: Keys a derived row already has (its own fields), or that an engine assigns itself.
RESERVED_VALUE_KEYS: Final = frozenset(
    {"subject", "order_id", "counterparty_id", "id", "id_", "sid", "t"}
)


def _check_value_keys(
    _instance: object, _attribute: object, values: tuple[tuple[str, object], ...]
) -> None:
    """Refuse a key no rule could name, or one that would collide inside an engine.

    Checked when the fact is made, so an adapter turns it into a reject with its
    line and a plugin's deriver fails in its own code, instead of one engine
    stopping a whole run on a key the other engine accepts.
    """
    for key, _value in values:
        if not isinstance(key, str) or not _VALUE_KEY.fullmatch(key):
            raise ModelDataError(
                f"derived value key {key!r} must be a lower-case identifier "
                "(a-z, 0-9 and _, starting with a letter)"
            )
        if key in RESERVED_VALUE_KEYS:
            raise ModelDataError(
                f"derived value key {key!r} is reserved ({', '.join(sorted(RESERVED_VALUE_KEYS))})"
            )


@attrs.frozen(slots=True)
class Derived:
    """A fact computed by a plugin's ``handoff_rules_derive_facts`` hook (open balance …).

    ``values`` holds JSON-safe scalars plus Decimal and date; rules address them
    as ``derived.values.<key>`` filtered by ``name``.
    """

    fact_type: ClassVar[str] = "derived"

    name: str
    subject: str
    values: tuple[tuple[str, object], ...] = attrs.field(
        default=(), converter=_sorted_items, validator=_check_value_keys
    )
    order_id: str | None = None
    counterparty_id: str | None = None

    @property
    def id(self) -> str:
        return f"{self.name}:{self.subject}"

    def get(self, key: str) -> object:
        return dict(self.values).get(key)
