"""What the ERP order kept of the won opportunity's promise: the ``crm_order_match`` fact.

H1 rules need "the order's amount is within N % of the deal's", "the payment
terms are the ones promised": comparisons across two facts from two
systems. Computing them here, once, in exact Decimal arithmetic, lets a pack
state the tolerance as data (``amount_diff_pct <= 0.5``) and lets its message
name both sources' rows (``opportunity_source``, ``order_source``).

The values (``Derived.values``):

``opportunity_id``, ``opportunity_source``, ``order_source``
    the deal and both records, as "file location" (the order id is the fact's ``order_id``).
``customer_match`` (``crm_customer``, ``erp_customer``)
    the link's counterparty (the CRM account mapped to the ERP customer) equals
    the order's; None when either is unknown.
``currency_match`` (``crm_currency``, ``erp_currency``)
``amount_diff``, ``amount_diff_pct`` (``crm_amount``, ``erp_amount``)
    order net value minus deal amount, and its size as a percentage of the
    deal amount (absolute, rounded half-even to 4 places); only when both
    amounts exist in the same currency.
``payment_terms_promised``, ``payment_terms_match``, ``payment_days_match``,
``discount_promised``, ``discount_match``
    a promise not made is not compared (``*_match`` absent); a promise made
    and missing on the order is a mismatch.
``nonstandard``, ``ops_signed_off``
    the deal carries non-standard terms; an operations sign-off (who and when,
    on or before the evaluation date) exists (SAL-QUO-002).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Final

from handoff_rules.adapters import Fact, Provenance
from handoff_rules.facts import fact_sort_key
from handoff_rules.model import Derived, Opportunity, OpportunityLink, Order
from handoff_rules_crm import __version__
from handoff_rules_crm.linking import LINK_ADAPTER, normalise_reference

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["MATCH_FACT", "MATCH_VALUES", "compare_linked_orders"]

#: The name of the Derived fact this module computes.
MATCH_FACT: Final = "crm_order_match"

#: Every value key a ``crm_order_match`` fact may hold (a test keeps it complete):
#: what the CRM formats declare they supply through the link ``check`` makes.
MATCH_VALUES: Final = (
    "opportunity_id",
    "opportunity_source",
    "order_source",
    "crm_customer",
    "erp_customer",
    "customer_match",
    "crm_currency",
    "erp_currency",
    "currency_match",
    "crm_amount",
    "erp_amount",
    "amount_diff",
    "amount_diff_pct",
    "discount_match",
    "discount_promised",
    "nonstandard",
    "ops_signed_off",
    "payment_days_match",
    "payment_terms_match",
    "payment_terms_promised",
)

_PCT_PLACES: Final = Decimal("0.0001")


def _where(fact: Fact) -> str:
    return f"{fact.provenance.source} {fact.provenance.location}"


def _match(left: object, right: object) -> bool | None:
    if left is None or right is None:
        return None
    return left == right


def _amounts(opp: Opportunity, order: Order) -> dict[str, object]:
    values: dict[str, object] = {}
    crm, erp = opp.amount, order.net_value
    crm_currency = crm.currency if crm is not None else None
    erp_currency = erp.currency if erp is not None else order.currency
    values["crm_currency"] = crm_currency
    values["erp_currency"] = erp_currency
    values["currency_match"] = _match(crm_currency, erp_currency)
    if crm is not None:
        values["crm_amount"] = crm.amount
    if erp is not None:
        values["erp_amount"] = erp.amount
    if crm is not None and erp is not None and crm.currency == erp.currency:
        diff = erp.amount - crm.amount
        values["amount_diff"] = diff
        if crm.amount != 0:
            pct = (abs(diff) * 100 / abs(crm.amount)).quantize(_PCT_PLACES, ROUND_HALF_EVEN)
            values["amount_diff_pct"] = pct
    return values


def _promises(opp: Opportunity, order: Order, at: date) -> dict[str, object]:
    values: dict[str, object] = {}
    terms_promised = opp.payment_terms is not None or opp.payment_days is not None
    values["payment_terms_promised"] = terms_promised
    if opp.payment_terms is not None:
        values["payment_terms_match"] = normalise_reference(
            opp.payment_terms
        ) == normalise_reference(order.payment_terms)
    if opp.payment_days is not None:
        values["payment_days_match"] = opp.payment_days == order.payment_days
    values["discount_promised"] = opp.discount_pct is not None
    if opp.discount_pct is not None:
        values["discount_match"] = opp.discount_pct == (order.discount_pct or Decimal(0))
    values["nonstandard"] = opp.nonstandard_terms is not None
    values["ops_signed_off"] = (
        opp.ops_signoff_by is not None
        and opp.ops_signoff_on is not None
        and opp.ops_signoff_on <= at
    )
    return values


def _compare(link: Fact, opp: Fact, order: Fact, at: date) -> Fact:
    assert isinstance(link.data, OpportunityLink)
    assert isinstance(opp.data, Opportunity)
    assert isinstance(order.data, Order)
    values: dict[str, object] = {
        "opportunity_id": opp.data.id,
        "opportunity_source": _where(opp),
        "order_source": _where(order),
        "crm_customer": link.data.counterparty_id,
        "erp_customer": order.data.counterparty_id,
        "customer_match": _match(link.data.counterparty_id, order.data.counterparty_id),
        **_amounts(opp.data, order.data),
        **_promises(opp.data, order.data, at),
    }
    provenance = Provenance(
        adapter=LINK_ADAPTER,
        source=link.provenance.source,
        location=link.provenance.location,
        adapter_version=__version__,
        line=link.provenance.line,
    )
    derived = Derived(
        name=MATCH_FACT,
        subject=f"{opp.data.id}->{order.data.id}",
        values={k: v for k, v in values.items() if v is not None},
        order_id=order.data.id,
    )
    return Fact(data=derived, provenance=provenance)


def compare_linked_orders(facts: Iterable[Fact], at: date) -> Iterator[Fact]:
    """One ``crm_order_match`` fact per link whose opportunity and order are both present."""
    ordered = sorted(facts, key=fact_sort_key)
    opportunities: dict[str, Fact] = {}
    orders: dict[str, Fact] = {}
    for fact in ordered:
        if isinstance(fact.data, Opportunity):
            opportunities.setdefault(fact.data.id, fact)
        elif isinstance(fact.data, Order):
            orders.setdefault(fact.data.id, fact)
    for fact in ordered:
        data = fact.data
        if not isinstance(data, OpportunityLink):
            continue
        opp, order = opportunities.get(data.opportunity_id), orders.get(data.order_id)
        if opp is not None and order is not None:
            yield _compare(fact, opp, order, at)
