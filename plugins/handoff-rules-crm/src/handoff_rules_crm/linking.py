"""Linking a won opportunity to the ERP order entered from it.

The CRM and the ERP share no key: the order entered in the ERP carries what
the customer's purchase order said, or the ERP order number was written back
into the CRM. Which of those holds is a fact about a company's process, so it
is configured (``via``), and the link is made only when it is unambiguous:
one won opportunity and one order with the same reference. Everything else
is reported with the reason, on both sides: a won deal nobody entered, an
order whose deal was never won, a reference two deals share.

Linking needs the facts of all files at once (the opportunity and the order
come from different exports), so it runs between reading and case building:
in ``handoff-rules check`` through the plugin's ``handoff_rules_link_facts``
hook (:func:`link_run`), or by hand::

    read = read_files(paths, installed_adapters())
    linked = link_opportunities(read.facts, via="customer_po")
    cases = build_cases([*read.facts, *linked.facts()])

``build_cases`` puts a linked opportunity into its order's case; the
``crm_link`` fact each order gets tells H1 rules whether it was linked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import attrs

from handoff_rules.adapters import AdapterError, Fact, Provenance
from handoff_rules.facts import fact_sort_key
from handoff_rules.model import Counterparty, Derived, Opportunity, OpportunityLink, Order
from handoff_rules_crm import __version__
from handoff_rules_crm.options import OPTIONS_FILE, link_via_in
from handoff_rules_crm.via import CUSTOMER_PO, ERP_ORDER_NUMBER, OPPORTUNITY_ID, VIA, LinkVia

__all__ = [
    "CUSTOMER_PO",
    "ERP_ORDER_NUMBER",
    "LINK_ADAPTER",
    "OPPORTUNITY_ID",
    "VIA",
    "LinkResult",
    "LinkVia",
    "Unmatched",
    "link_opportunities",
    "link_run",
    "normalise_reference",
    "via_beside",
]

#: The adapter name in the provenance of link facts.
LINK_ADAPTER: Final = "crm-link"


def normalise_reference(value: object) -> str | None:
    """A reference as compared: inner whitespace collapsed, case ignored; None when blank.

    ``PO 4711`` typed as ``po  4711`` in the ERP is still the same purchase order.
    """
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).casefold()
    return text or None


@attrs.frozen(slots=True)
class Unmatched:
    """One side of a link that could not be made, and why."""

    side: str
    id: str
    reason: str
    provenance: Provenance

    def __str__(self) -> str:
        return f"{self.provenance}: {self.side} {self.id}: {self.reason}"


@attrs.frozen(slots=True)
class LinkResult:
    """The links made, and what stayed unmatched on either side."""

    via: LinkVia
    links: tuple[Fact, ...]
    order_status: tuple[Fact, ...]
    unmatched_opportunities: tuple[Unmatched, ...]
    unmatched_orders: tuple[Unmatched, ...]

    def facts(self) -> tuple[Fact, ...]:
        """Facts to add before building cases: the links, and a ``crm_link`` per order."""
        return (*self.links, *self.order_status)


def _where(fact: Fact) -> str:
    return f"{fact.provenance.source} {fact.provenance.location}"


def _first_by_id(facts: Iterable[Fact], cls: type) -> dict[str, list[Fact]]:
    found: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        if isinstance(fact.data, cls):
            found[fact.data.id].append(fact)
    return found


def _digits_key(number: str) -> str:
    """A customer number as compared across systems: an all-digit one without leading zeros."""
    return number.lstrip("0") or "0" if number.isdigit() else number


def erp_customers(facts: Iterable[Fact]) -> dict[str, str]:
    """CRM account id -> ERP customer id, from Account ``AccountNumber`` (``crm_details``).

    The CRM keeps the number as someone typed or synchronised it, often as SAP
    stores it (``0000200010``), while the SAP adapter names the customer without
    its leading zeros (``200010``), as SAP's own screens show it. So a number is
    taken as the ERP's id that it equals, else as the one ERP id among the run's
    customers and orders that it equals up to leading zeros; otherwise (no ERP
    record names it, or two do) as written.
    """
    items = list(facts)
    found: dict[str, str] = {}
    for fact in items:
        data = fact.data
        if isinstance(data, Derived) and data.name == "crm_details":
            number = data.get("erp_customer_id")
            if data.get("object") == "Account" and isinstance(number, str) and number.strip():
                found.setdefault(data.subject, number.strip())
    if not found:
        return found
    erp_ids: set[str] = set()
    for fact in items:
        data = fact.data
        if isinstance(data, Order) and data.counterparty_id is not None:
            erp_ids.add(data.counterparty_id)
        elif isinstance(data, Counterparty) and data.id not in found:
            erp_ids.add(data.id)
    by_key: dict[str, set[str]] = defaultdict(set)
    for erp_id in erp_ids:
        by_key[_digits_key(erp_id)].add(erp_id)
    for account, number in found.items():
        if number not in erp_ids:
            same = by_key.get(_digits_key(number), set())
            if len(same) == 1:
                found[account] = next(iter(same))
    return found


class _Linker:
    def __init__(
        self, facts: list[Fact], via: LinkVia, account_map: Mapping[str, str] | None
    ) -> None:
        self.via = via
        self.opportunities = _first_by_id(facts, Opportunity)
        self.orders = _first_by_id(facts, Order)
        self.customers = {**erp_customers(facts), **(account_map or {})}
        self.links: list[Fact] = []
        self.status: dict[str, tuple[str, str, Fact | None]] = {}
        self.unmatched_opps: list[Unmatched] = []
        self.unmatched_orders: list[Unmatched] = []
        #: normalised reference -> the first spelling seen, for messages
        self.shown: dict[str, str] = {}

    def ref_of(self, fact: Fact, field: str) -> str | None:
        raw = getattr(fact.data, field)
        ref = normalise_reference(raw)
        if ref is not None:
            self.shown.setdefault(ref, str(raw).strip())
        return ref

    def opp_missing(self, fact: Fact, reason: str) -> None:
        self.unmatched_opps.append(Unmatched("opportunity", fact.data.id, reason, fact.provenance))

    def order_missing(self, fact: Fact, status: str, reason: str) -> None:
        self.unmatched_orders.append(Unmatched("order", fact.data.id, reason, fact.provenance))
        self.status[fact.data.id] = (status, reason, None)

    def run(self) -> None:
        via = self.via
        won_by_ref: dict[str, list[Fact]] = defaultdict(list)
        other_by_ref: dict[str, list[Fact]] = defaultdict(list)
        for opp_id in sorted(self.opportunities):
            fact = self.opportunities[opp_id][0]
            ref = self.ref_of(fact, via.opportunity_field)
            assert isinstance(fact.data, Opportunity)
            if fact.data.is_won is not True:
                if ref is not None:
                    other_by_ref[ref].append(fact)
                continue
            if ref is None:
                self.opp_missing(fact, f"won, but its {via.opportunity_field} is empty")
            else:
                won_by_ref[ref].append(fact)
        orders_by_ref: dict[str, list[Fact]] = defaultdict(list)
        for order_id in sorted(self.orders):
            fact = self.orders[order_id][0]
            refs = {self.ref_of(f, via.order_field) for f in self.orders[order_id]} - {None}
            if not refs:
                self.order_missing(fact, "no_reference", f"its {via.order_field} is empty")
            elif len(refs) > 1:
                shown = ", ".join(sorted(str(r) for r in refs))
                self.order_missing(
                    fact, "ambiguous", f"its sources disagree on {via.order_field}: {shown}"
                )
            else:
                orders_by_ref[refs.pop() or ""].append(fact)
        for ref in sorted(set(won_by_ref) | set(orders_by_ref)):
            self.match(ref, won_by_ref.get(ref, []), orders_by_ref.get(ref, []), other_by_ref)

    def match(
        self,
        ref: str,
        opps: list[Fact],
        orders: list[Fact],
        other_by_ref: Mapping[str, list[Fact]],
    ) -> None:
        via = self.via
        if len(opps) == 1 and len(orders) == 1:
            self.link(opps[0], orders[0])
            return
        shown = self.shown.get(ref, ref)
        opp_ids = ", ".join(f.data.id for f in opps)
        order_ids = ", ".join(f.data.id for f in orders)
        for opp in opps:
            if not orders:
                reason = f"won, but no ERP order has {via.order_field} {shown!r}"
            elif len(opps) > 1:
                reason = (
                    f"{via.opportunity_field} {shown!r} is shared by won opportunities {opp_ids}"
                )
            else:
                reason = f"{via.opportunity_field} {shown!r} matches several orders: {order_ids}"
            self.opp_missing(opp, reason)
        for order in orders:
            if opps:
                status = "ambiguous"
                reason = f"{via.order_field} {shown!r} matches won opportunities {opp_ids}"
                if len(opps) == 1:
                    reason = f"{via.order_field} {shown!r} is shared by orders {order_ids}"
            elif other_by_ref.get(ref):
                status = "not_won"
                other = other_by_ref[ref][0].data
                assert isinstance(other, Opportunity)
                reason = (
                    f"opportunity {other.id} has {via.opportunity_field} {shown!r} but is not won "
                    f"(stage {other.stage!r})"
                )
            else:
                status = "no_opportunity"
                reason = f"no won opportunity has {via.opportunity_field} {shown!r}"
            self.order_missing(order, status, reason)

    def link(self, opp: Fact, order: Fact) -> None:
        assert isinstance(opp.data, Opportunity)
        account = opp.data.account_id
        customer = self.customers.get(account, account) if account is not None else None
        provenance = Provenance(
            adapter=LINK_ADAPTER,
            source=opp.provenance.source,
            location=f"{opp.provenance.location} <-> {_where(order)}",
            adapter_version=__version__,
            line=opp.provenance.line,
        )
        link = OpportunityLink(
            opportunity_id=opp.data.id,
            order_id=order.data.id,
            via=self.via.name,
            counterparty_id=customer,
        )
        self.links.append(Fact(data=link, provenance=provenance))
        self.status[order.data.id] = ("linked", f"linked to opportunity {opp.data.id}", opp)

    def status_facts(self) -> list[Fact]:
        facts = []
        for order_id in sorted(self.status):
            status, reason, opp = self.status[order_id]
            order = self.orders[order_id][0]
            values: dict[str, object] = {
                "status": status,
                "via": self.via.name,
                "reason": reason,
                "order_source": _where(order),
            }
            if opp is not None:
                values["opportunity_id"] = opp.data.id
                values["opportunity_source"] = _where(opp)
            provenance = Provenance(
                adapter=LINK_ADAPTER,
                source=order.provenance.source,
                location=order.provenance.location,
                adapter_version=__version__,
                line=order.provenance.line,
            )
            derived = Derived(name="crm_link", subject=order_id, values=values, order_id=order_id)
            facts.append(Fact(data=derived, provenance=provenance))
        return facts


def link_opportunities(
    facts: Iterable[Fact],
    via: str | LinkVia = CUSTOMER_PO,
    *,
    account_map: Mapping[str, str] | None = None,
) -> LinkResult:
    """Link each won opportunity to the one ERP order that carries its reference.

    :param facts: facts of every file read (CRM and ERP alike); order does not matter
    :param via: ``"customer_po"`` (deal ``order_ref`` = order ``customer_po_ref``),
        ``"erp_order_number"`` (deal ``order_ref`` = order id), ``"opportunity_id"``
        (deal id = order ``quote_id``), or any :class:`LinkVia`
    :param account_map: CRM account id -> ERP customer id, for the link's
        ``counterparty_id``; by default an Account's ``AccountNumber``, else the
        account id itself
    """
    if isinstance(via, str):
        if via not in VIA:
            raise ValueError(f"unknown link via {via!r}; known: {', '.join(sorted(VIA))}")
        via = VIA[via]
    linker = _Linker(sorted(facts, key=fact_sort_key), via, account_map)
    linker.run()
    key = lambda u: (u.id, u.reason)  # noqa: E731 - a sort key, named for both lists
    return LinkResult(
        via=via,
        links=tuple(linker.links),
        order_status=tuple(linker.status_facts()),
        unmatched_opportunities=tuple(sorted(linker.unmatched_opps, key=key)),
        unmatched_orders=tuple(sorted(linker.unmatched_orders, key=key)),
    )


def via_beside(opportunities: Iterable[Fact]) -> str | None:
    """The ``link_via`` of the options files beside the files the opportunities came from.

    None when no such file sets one. Files that set different ones are an
    error: one run links one way, and picking either would be a guess.

    :raises AdapterError: naming the files, when they disagree or one cannot be read
    """
    folders = {
        Path(f.provenance.source).parent for f in opportunities if f.provenance.source.strip()
    }
    found: dict[str, list[Path]] = defaultdict(list)
    for folder in sorted(folders):
        candidate = folder / OPTIONS_FILE
        via = link_via_in(candidate) if candidate.is_file() else None
        if via is not None:
            found[via].append(candidate)
    if len(found) > 1:
        shown = "; ".join(f"{via} in {', '.join(map(str, found[via]))}" for via in sorted(found))
        first = min(path for paths in found.values() for path in paths)
        raise AdapterError(str(first), f"the CRM options disagree on link_via: {shown}")
    return next(iter(found), None)


def link_run(facts: Iterable[Fact], via: str | LinkVia | None = None) -> LinkResult | None:
    """Link the opportunities of a run to its orders; None when it holds no opportunity.

    ``via`` defaults to ``link_via`` of the ``handoff-rules-crm.toml`` beside
    the opportunities' exports (:func:`via_beside`), else ``customer_po``.
    Opportunities and orders already linked among the facts (a links file
    written by ``handoff-rules-crm link`` and read with the exports) are left
    as they are, so reading such a file changes nothing. Only the facts the
    link reads are sorted, so a run with no CRM data pays one pass over its facts.
    """
    opportunities: list[Fact] = []
    orders: list[Fact] = []
    accounts: list[Fact] = []
    linked_opportunities: set[str] = set()
    linked_orders: set[str] = set()
    for fact in facts:
        data = fact.data
        if isinstance(data, Opportunity):
            opportunities.append(fact)
        elif isinstance(data, Order):
            orders.append(fact)
        elif isinstance(data, OpportunityLink):
            linked_opportunities.add(data.opportunity_id)
            linked_orders.add(data.order_id)
        elif isinstance(data, Derived) and data.name == "crm_details":
            accounts.append(fact)
        elif isinstance(data, Derived) and data.name == "crm_link":
            linked_orders.add(data.subject)
    if not opportunities:
        return None
    chosen = via if via is not None else (via_beside(opportunities) or CUSTOMER_PO)
    return link_opportunities(
        [
            *(f for f in opportunities if f.data.id not in linked_opportunities),
            *(f for f in orders if f.data.id not in linked_orders),
            *accounts,
        ],
        via=chosen,
    )
