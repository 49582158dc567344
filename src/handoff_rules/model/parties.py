"""Who is on the other side of a deal: the counterparty and its people."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import attrs

from handoff_rules.model.bounds import bounded_int
from handoff_rules.model.identifiers import SCHEME_BY_COUNTRY, CompanyId
from handoff_rules.model.money import Money


@attrs.frozen(slots=True)
class IdDocument:
    """A personal ID document as checked at the warehouse gate (type, series, number)."""

    type: str
    number: str
    series: str | None = None
    issued_by: str | None = None
    issued_on: date | None = None


@attrs.frozen(slots=True)
class Counterparty:
    """A customer (sold-to, payer …) with the identifiers and credit data rules read.

    ``id`` is the key other facts use to point at it (a SAP KUNNR without its
    leading zeros, a CRM account id, …); adapters must emit the same form.
    """

    fact_type: ClassVar[str] = "counterparty"

    id: str
    name: str | None = None
    country: str | None = None
    identifiers: tuple[CompanyId, ...] = attrs.field(default=(), converter=tuple)
    is_individual_entrepreneur: bool = False
    credit_limit: Money | None = None
    risk_class: str | None = None
    dunning_level: int | None = attrs.field(default=None, validator=bounded_int)
    customer_group: str | None = None
    first_order_on: date | None = None
    paid_orders_count: int | None = attrs.field(default=None, validator=bounded_int)
    registry_verified_on: date | None = None

    @property
    def counterparty_id(self) -> str:
        return self.id

    def legal_id(self) -> CompanyId | None:
        """The identifier of the scheme its country requires, else the first one given."""
        wanted = SCHEME_BY_COUNTRY.get(self.country or "")
        for ident in self.identifiers:
            if wanted is not None and ident.scheme == wanted.value:
                return ident
        return self.identifiers[0] if self.identifiers else None


@attrs.frozen(slots=True)
class Person:
    """A counterparty's representative: a buyer's employee, a director, a receiver."""

    fact_type: ClassVar[str] = "person"

    id: str
    full_name: str
    counterparty_id: str | None = None
    position: str | None = None
    is_employee: bool | None = None
    is_director: bool | None = None
    id_document: IdDocument | None = None
    email: str | None = None
