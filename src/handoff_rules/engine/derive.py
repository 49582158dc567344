"""Built-in derived facts: what rules need but durable_rules cannot compute safely.

Each deriver turns facts of a case into :class:`~handoff_rules.model.Derived`
facts (flat type ``derived.<name>``) before any backend runs, so both backends
see the same values. Why each one exists:

``goods_release`` (one per delivery)
    the receiver's name casefolded and with spaces normalised (string
    casefolding), the release date falling back to the planned date, and the
    counterparty taken from the order when the delivery has none.
``poa_terms`` (one per power of attorney)
    the *effective* validity: ``valid_until`` or, if the PoA names none, its
    issue date plus the pack's ``poa_default_term_days`` (a fallback, i.e. an
    ``or``); its term in days (date difference); the holder's name casefolded.
``payment_difference`` (one per payment allocated to an invoice)
    the difference to the invoice's open amount and the allowed tolerance: a
    minimum of two limits, a percentage and a rounding
    (:mod:`handoff_rules.engine.tolerance`), over the levels that apply.
``credit_exposure`` (one per order)
    a sum over open items in the limit's currency, plus the order value.

Values that cannot be computed (an invoice missing from the case, currencies
that differ) are left out, so a rule that ``requires`` them is
``indeterminate`` instead of passing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

import attrs

from handoff_rules.cases import Case
from handoff_rules.engine.flatten import FieldKind
from handoff_rules.engine.tolerance import Direction, ToleranceTable
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import (
    Counterparty,
    Delivery,
    Derived,
    Document,
    DocumentKind,
    Invoice,
    Money,
    OpenItem,
    Order,
    Payment,
)

__all__ = ["BUILTIN_DERIVERS", "DERIVE_ADAPTER", "DerivedSpec", "fold_name"]

#: The adapter name on the provenance of built-in derived facts.
DERIVE_ADAPTER: Final = "handoff-rules:derive"

Deriver = Callable[[Case, date, Mapping[str, Any]], list[Fact]]


@attrs.frozen(slots=True)
class DerivedSpec:
    """A derived fact type: its value kinds, the parameters it reads, the function."""

    name: str
    fields: Mapping[str, FieldKind]
    params: Mapping[str, tuple[str, ...]]  # parameter name -> accepted parameter types
    derive: Deriver


def fold_name(name: str) -> str:
    """A person's name for comparison: casefolded, ``ё`` as ``е``, single spaces."""
    return " ".join(name.casefold().replace("ё", "е").split())


def _derived(
    source: Fact, name: str, subject: str, values: Mapping[str, object], **keys: str | None
) -> Fact:
    prov = source.provenance
    provenance = Provenance(
        adapter=DERIVE_ADAPTER,
        source=prov.source,
        location=prov.location,
        adapter_version=prov.adapter_version,
        line=prov.line,
    )
    clean = {k: v for k, v in values.items() if v is not None}
    data = Derived(name=name, subject=subject, values=clean, **keys)
    return Fact(data=data, provenance=provenance)


def _orders(case: Case) -> list[Order]:
    return [f.data for f in case.facts if isinstance(f.data, Order)]


def _party(case: Case, party_id: str | None) -> Counterparty | None:
    for fact in case.facts:
        if isinstance(fact.data, Counterparty) and fact.data.id == party_id:
            return fact.data
    return None


def _case_party_id(case: Case) -> str | None:
    ids = sorted({o.counterparty_id for o in _orders(case) if o.counterparty_id})
    return ids[0] if ids else None


# --- goods release -----------------------------------------------------------------


def _goods_release(case: Case, at: date, params: Mapping[str, Any]) -> list[Fact]:
    result = []
    for fact in case.facts:
        data = fact.data
        if not isinstance(data, Delivery):
            continue
        when = data.release_date or data.planned_date
        values: dict[str, object] = {
            "delivery_id": data.id,
            "release_date": when,
            "receiver_name": data.receiver_name,
            "receiver_key": fold_name(data.receiver_name) if data.receiver_name else None,
        }
        if data.value is not None:
            values["value_minor"] = data.value.minor
            values["value_currency"] = data.value.currency
        party = data.counterparty_id or _case_party_id(case)
        result.append(
            _derived(
                fact,
                "goods_release",
                data.id,
                values,
                order_id=data.order_id or case.id,
                counterparty_id=party,
            )
        )
    return result


# --- powers of attorney ---------------------------------------------------------------

#: A PoA without a term under a law with no default term is valid until revoked.
_FOREVER: Final = date.max


def _poa_terms(case: Case, at: date, params: Mapping[str, Any]) -> list[Fact]:
    default_days: int = params["poa_default_term_days"]
    result = []
    for fact in case.facts:
        data = fact.data
        if not isinstance(data, Document) or data.kind is not DocumentKind.POWER_OF_ATTORNEY:
            continue
        poa = data.poa
        issued = data.issued_on
        until = data.valid_until
        if until is None and issued is not None:
            until = issued + timedelta(days=default_days) if default_days > 0 else _FOREVER
        values: dict[str, object] = {
            "document_id": data.id,
            "issued_on": issued,
            "valid_from": data.valid_from or issued,
            "valid_until": until,
            "term_days": (until - issued).days if until and issued and until != _FOREVER else None,
        }
        if poa is not None:
            values["holder_name"] = poa.holder_name
            values["holder_key"] = fold_name(poa.holder_name)
            values["revoked_on"] = poa.revoked_on
            values["consumed"] = poa.consumed
        result.append(
            _derived(
                fact,
                "poa_terms",
                data.id,
                values,
                order_id=data.order_id,
                counterparty_id=data.counterparty_id,
            )
        )
    return result


# --- payment difference ---------------------------------------------------------------


def _payment_difference(case: Case, at: date, params: Mapping[str, Any]) -> list[Fact]:
    table: ToleranceTable = params["payment_tolerance"]
    invoices = {f.data.id: f.data for f in case.facts if isinstance(f.data, Invoice)}
    result = []
    for fact in case.facts:
        data = fact.data
        if not isinstance(data, Payment) or data.invoice_id is None:
            continue
        invoice = invoices.get(data.invoice_id)
        values: dict[str, object] = {
            "payment_id": data.id,
            "invoice_id": data.invoice_id,
            "paid_minor": data.amount.minor,
            "currency": data.amount.currency,
        }
        open_amount = None
        if invoice is not None:
            open_amount = invoice.open_amount or invoice.total
        if open_amount is not None and open_amount.currency == data.amount.currency:
            values.update(_difference(case, table, open_amount, data.amount, invoice))
        result.append(
            _derived(
                fact,
                "payment_difference",
                data.id,
                values,
                order_id=(invoice.order_id if invoice else None) or data.order_id or case.id,
                counterparty_id=data.counterparty_id,
            )
        )
    return result


def _difference(
    case: Case, table: ToleranceTable, open_amount: Money, paid: Money, invoice: Invoice | None
) -> dict[str, object]:
    diff = open_amount - paid
    party = _party(case, (invoice.counterparty_id if invoice else None) or _case_party_id(case))
    group = party.customer_group if party is not None else None
    if diff.amount > 0:
        direction = Direction.LOSS
    elif diff.amount < 0:
        direction = Direction.GAIN
    else:
        direction = None
    allowed = table.allowed(direction, open_amount, group) if direction else Money(0, paid.currency)
    return {
        "open_minor": open_amount.minor,
        "diff_minor": diff.minor,
        "abs_diff_minor": abs(diff.minor),
        "direction": direction.value if direction else "none",
        "allowed_minor": allowed.minor,
        "difference": str(abs(diff).amount),
        "allowed": str(allowed.amount),
    }


# --- credit exposure -----------------------------------------------------------------


def _credit_exposure(case: Case, at: date, params: Mapping[str, Any]) -> list[Fact]:
    result = []
    for fact in case.facts:
        order = fact.data
        if not isinstance(order, Order) or order.id != case.id:
            continue
        party = _party(case, order.counterparty_id)
        if party is None:
            continue
        values: dict[str, object] = {}
        limit = party.credit_limit
        if limit is not None:
            values["limit_minor"] = limit.minor
            values["currency"] = limit.currency
            values["limit"] = str(limit)
            exposure = _exposure(case, party, order, limit.currency, at)
            if exposure is not None:
                values["exposure_minor"] = exposure.minor
                values["exposure"] = str(exposure)
        result.append(
            _derived(
                fact,
                "credit_exposure",
                order.id,
                values,
                order_id=order.id,
                counterparty_id=party.id,
            )
        )
    return result


def _exposure(
    case: Case, party: Counterparty, order: Order, currency: str, at: date
) -> Money | None:
    if order.net_value is None or order.net_value.currency != currency:
        return None
    total = order.net_value
    for fact in case.facts:
        item = fact.data
        if not isinstance(item, OpenItem) or item.counterparty_id != party.id:
            continue
        if item.cleared_on is not None and item.cleared_on <= at:
            continue
        if item.amount.currency != currency:
            return None
        total = total + item.amount
    return total


BUILTIN_DERIVERS: Final[Mapping[str, DerivedSpec]] = {
    spec.name: spec
    for spec in (
        DerivedSpec(
            "goods_release",
            {
                "delivery_id": FieldKind.TEXT,
                "release_date": FieldKind.DATE,
                "receiver_name": FieldKind.TEXT,
                "receiver_key": FieldKind.TEXT,
                "value_minor": FieldKind.INT,
                "value_currency": FieldKind.TEXT,
            },
            {},
            _goods_release,
        ),
        DerivedSpec(
            "poa_terms",
            {
                "document_id": FieldKind.TEXT,
                "issued_on": FieldKind.DATE,
                "valid_from": FieldKind.DATE,
                "valid_until": FieldKind.DATE,
                "term_days": FieldKind.INT,
                "holder_name": FieldKind.TEXT,
                "holder_key": FieldKind.TEXT,
                "revoked_on": FieldKind.DATE,
                "consumed": FieldKind.BOOL,
            },
            {"poa_default_term_days": ("days", "int")},
            _poa_terms,
        ),
        DerivedSpec(
            "payment_difference",
            {
                "payment_id": FieldKind.TEXT,
                "invoice_id": FieldKind.TEXT,
                "paid_minor": FieldKind.INT,
                "open_minor": FieldKind.INT,
                "diff_minor": FieldKind.INT,
                "abs_diff_minor": FieldKind.INT,
                "allowed_minor": FieldKind.INT,
                "currency": FieldKind.TEXT,
                "direction": FieldKind.TEXT,
                "difference": FieldKind.TEXT,
                "allowed": FieldKind.TEXT,
            },
            {"payment_tolerance": ("tolerance",)},
            _payment_difference,
        ),
        DerivedSpec(
            "credit_exposure",
            {
                "limit_minor": FieldKind.INT,
                "exposure_minor": FieldKind.INT,
                "currency": FieldKind.TEXT,
                "limit": FieldKind.TEXT,
                "exposure": FieldKind.TEXT,
            },
            {},
            _credit_exposure,
        ),
    )
}


def run_builtin(
    names: Sequence[str], case: Case, at: date, params: Mapping[str, Any]
) -> list[Fact]:
    """The derived facts of the named built-in derivers, in name order."""
    result: list[Fact] = []
    for name in sorted(names):
        result.extend(BUILTIN_DERIVERS[name].derive(case, at, params))
    return result
