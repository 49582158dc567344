"""Group facts into cases: one case per order, with the facts its rules need.

A rule about an order's goods release needs more than the order: the
counterparty, its people, its powers of attorney and contracts, its open items.
The case builder gathers them by key, and lists every fact it could not place
so nothing read is silently lost.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable

import attrs

from handoff_rules.facts import Fact, Reject, fact_sort_key
from handoff_rules.model import (
    ContractTemplate,
    Counterparty,
    Invoice,
    Opportunity,
    OpportunityLink,
    Order,
    Payment,
)
from handoff_rules.parts import combine_parts

#: Fact types whose rejected records concern every order of their counterparty.
PARTY_WIDE_TYPES = frozenset({"counterparty", "open_item", "credit_limit", "person"})

#: Fact types of cash application: such a fact whose counterparty is an order's payer
#: joins that order too, not only the orders of which it is the sold-to. The payer's
#: master data, people and documents are not joined that way: identity, contract and
#: authority rules are about the customer who ordered (the sold-to).
PAYER_JOINED_TYPES = frozenset({"payment", "open_item", "invoice"})

#: Fact types that belong to every case (reference data, not tied to a party).
GLOBAL_FACT_TYPES = frozenset({ContractTemplate.fact_type})


@attrs.frozen(slots=True)
class CaseLayout:
    """How :func:`build_cases` put a case's facts together, so an evaluator can share work.

    Many orders of one customer carry the same counterparty facts (and every
    case the same global facts). Each such group is one tuple, the same
    object in every case that holds it, so work that depends on it alone is
    done once per group. ``facts`` is the exact tuple described: a case whose
    facts were replaced (``attrs.evolve``) has a layout that no longer
    applies, and is evaluated as any other case.
    """

    facts: tuple[Fact, ...]
    #: the facts of this case alone (its order, deliveries, invoices ...), canonical order
    own: tuple[Fact, ...]
    #: groups of facts shared with other cases, each in canonical order; disjoint from ``own``
    shared: tuple[tuple[Fact, ...], ...]

    def describes(self, facts: tuple[Fact, ...]) -> bool:
        return self.facts is facts


@attrs.frozen(slots=True)
class Case:
    """All facts about one order, in a canonical order.

    ``facts`` is sorted with :func:`~handoff_rules.facts.fact_sort_key`, so two
    cases built from the same facts in any arrival order are equal.
    """

    id: str
    facts: tuple[Fact, ...]
    #: records read for this case but rejected: the rules they could have
    #: decided are ``indeterminate`` for it, naming them
    rejects: tuple[Reject, ...] = ()
    #: how the facts were gathered (set by :func:`build_cases`); not part of the value
    layout: CaseLayout | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def own_facts(self) -> tuple[Fact, ...]:
        """The facts of this order alone (itself, its deliveries, invoices, linked deal).

        Without the customer's and the global facts every order of the
        customer shares, so that a deriver reading only the order's own facts
        costs the same for an order of a customer with a long history. Every
        fact of the case when it was not laid out by :func:`build_cases`.
        """
        layout = self.layout
        return layout.own if layout is not None and layout.describes(self.facts) else self.facts

    def of_type(self, fact_type: str) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts if f.type == fact_type)

    @property
    def order(self) -> Order:
        for fact in self.facts:
            if isinstance(fact.data, Order) and fact.data.id == self.id:
                return fact.data
        raise LookupError(f"case {self.id} has no order fact")


@attrs.frozen(slots=True)
class CaseSet:
    """The cases built from a set of facts, plus the facts that fit no case."""

    cases: tuple[Case, ...]
    unassigned: tuple[Fact, ...]
    #: rejects whose keys name no case (or that name no key at all)
    unplaced_rejects: tuple[Reject, ...] = ()

    def __len__(self) -> int:
        return len(self.cases)


def _key(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def build_cases(facts: Iterable[Fact], rejects: Iterable[Reject] = ()) -> CaseSet:
    """Build one :class:`Case` per order fact.

    A fact joins a case when its ``order_id`` is the order's id, or when it has
    no order of its own and its ``counterparty_id`` is the order's counterparty
    (documents, people, payments, open items of the customer); a payment, open
    item or invoice (:data:`PAYER_JOINED_TYPES`) also joins the orders whose
    ``payer`` it names, since SAP posts the receivable and its payment to the
    payer, who may differ from the sold-to. A payment that
    names an invoice of a known order joins that order's case only. A won
    opportunity joins through an :class:`~handoff_rules.model.OpportunityLink`.
    Facts that join no case are returned in ``unassigned``. Parts of one
    record are combined first (:func:`~handoff_rules.parts.combine_parts`).

    A reject joins the cases its most specific key names (its ``keys``): the
    order itself; else the order of a delivery or invoice with that id; else
    every order of its counterparty. Rejects that name no case are
    ``unplaced_rejects``.
    """
    all_facts = sorted(combine_parts(facts), key=fact_sort_key)
    orders = [f for f in all_facts if isinstance(f.data, Order)]
    by_order: dict[str, list[Fact]] = defaultdict(list)
    by_party: dict[str, list[Fact]] = defaultdict(list)
    global_facts: list[Fact] = []
    opportunities: dict[str, Fact] = {}
    placed: set[int] = set()
    placed_blocks: set[int] = set()

    # A payment that names its invoice belongs to that invoice's order, not to
    # every order of the customer: judged in each, its difference would be
    # written off once per order.
    order_of_invoice = {
        fact.data.id: order
        for fact in all_facts
        if isinstance(fact.data, Invoice) and (order := _key(fact.data.order_id)) is not None
    }
    for fact in all_facts:
        data = fact.data
        if isinstance(data, Order):
            continue
        if fact.type in GLOBAL_FACT_TYPES:
            global_facts.append(fact)
        elif isinstance(data, Opportunity):
            opportunities[data.id] = fact
        elif (order_id := _key(getattr(data, "order_id", None))) is not None:
            by_order[order_id].append(fact)
        elif isinstance(data, Payment) and (
            invoiced := order_of_invoice.get(data.invoice_id or "")
        ):
            by_order[invoiced].append(fact)
        elif isinstance(data, Counterparty):
            by_party[data.id].append(fact)
        elif (party := _key(getattr(data, "counterparty_id", None))) is not None:
            by_party[party].append(fact)

    # Two sources may both describe the same order (an IDoc and a VBAK row):
    # they share one case, and the rules see both.
    orders_by_id: dict[str, list[Fact]] = defaultdict(list)
    for order_fact in orders:
        orders_by_id[order_fact.data.id].append(order_fact)

    # Each group of shared facts is one tuple, the same object in every case
    # that holds it (see CaseLayout); own facts are the order's alone.
    global_block = tuple(global_facts)
    party_blocks = {party: tuple(party_facts) for party, party_facts in by_party.items()}
    #: what an order's payer (not its sold-to) contributes: its cash, shared alike
    payer_blocks: dict[str, tuple[Fact, ...]] = {}
    rank = {id(fact): number for number, fact in enumerate(all_facts)}

    cases = []
    for order_id, order_facts in orders_by_id.items():
        own = [*order_facts, *by_order.get(order_id, ())]
        shared = [global_block]
        parties = {_key(getattr(f.data, "counterparty_id", None)) for f in order_facts}
        for party in sorted(p for p in parties if p is not None):
            if party in party_blocks:
                shared.append(party_blocks[party])
        payers = {_key(f.data.payer) for f in order_facts if isinstance(f.data, Order)}
        for payer in sorted(p for p in payers - parties if p is not None):
            if payer not in payer_blocks:
                payer_blocks[payer] = tuple(
                    f for f in by_party.get(payer, ()) if f.type in PAYER_JOINED_TYPES
                )
            shared.append(payer_blocks[payer])
        for fact in by_order.get(order_id, ()):
            if isinstance(fact.data, OpportunityLink) and fact.data.opportunity_id in opportunities:
                own.append(opportunities[fact.data.opportunity_id])
        unique = {id(f): f for f in own}
        placed.update(unique)
        for block in shared:
            if id(block) not in placed_blocks:
                placed_blocks.add(id(block))
                placed.update(id(f) for f in block)
        cases.append(_case(order_id, list(unique.values()), shared, rank))

    unassigned = tuple(f for f in all_facts if id(f) not in placed)
    ordered = sorted(cases, key=lambda c: c.id)
    placed_rejects, unplaced = _place_rejects(ordered, all_facts, rejects)
    return CaseSet(
        cases=tuple(
            attrs.evolve(case, rejects=tuple(placed_rejects[case.id]))
            if placed_rejects.get(case.id)
            else case
            for case in ordered
        ),
        unassigned=unassigned,
        unplaced_rejects=tuple(unplaced),
    )


def _case(
    order_id: str, own: list[Fact], shared: list[tuple[Fact, ...]], rank: dict[int, int]
) -> Case:
    """A case of its own facts and the shared blocks it holds (disjoint, see CaseLayout).

    ``rank`` is each fact's place in the sorted facts of the run: inserting the
    few own facts into the largest block (already sorted) by rank gives the
    facts in the order of ``fact_sort_key`` without sorting a customer's whole
    history again for every one of its orders.
    """
    own.sort(key=fact_sort_key)
    blocks = sorted((b for b in shared if b), key=len, reverse=True)
    if not blocks:
        facts = tuple(own)
        return Case(id=order_id, facts=facts, layout=CaseLayout(facts, facts, ()))
    merged = list(blocks[0])
    by_rank: Callable[[Fact], int] = lambda fact: rank[id(fact)]  # noqa: E731
    for fact in itertools.chain(*blocks[1:], own):
        merged.insert(bisect.bisect(merged, rank[id(fact)], key=by_rank), fact)
    facts = tuple(merged)
    return Case(id=order_id, facts=facts, layout=CaseLayout(facts, tuple(own), tuple(blocks)))


def _place_rejects(
    cases: Iterable[Case], facts: Iterable[Fact], rejects: Iterable[Reject]
) -> tuple[dict[str, list[Reject]], list[Reject]]:
    """Which case each reject belongs to, by the keys its record still showed."""
    case_ids = set()
    by_party: dict[str, set[str]] = defaultdict(set)
    by_payer: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        case_ids.add(case.id)
        # the order is among a case's own facts: no need to read the customer's history
        for fact in case.own_facts:
            if isinstance(fact.data, Order) and fact.data.id == case.id:
                party = _key(fact.data.counterparty_id)
                if party is not None:
                    by_party[party].add(case.id)
                payer = _key(fact.data.payer)
                if payer is not None:
                    by_payer[payer].add(case.id)
    order_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for fact in facts:
        order_id = _key(getattr(fact.data, "order_id", None))
        if order_id is not None and fact.type in ("delivery", "invoice"):
            order_of[fact.type, str(getattr(fact.data, "id", ""))].add(order_id)
    placed: dict[str, list[Reject]] = defaultdict(list)
    unplaced: list[Reject] = []
    for reject in rejects:
        targets: set[str] = set()
        # the most specific key decides: a rejected order row of one order says
        # nothing about the customer's other orders
        order = reject.key("order")
        party = reject.key("counterparty")
        if reject.type in PARTY_WIDE_TYPES and party is not None:
            # an open item, a credit limit, the customer's master data: what every
            # order of the customer is judged with
            targets.update(by_party.get(party, ()))
            if reject.type in PAYER_JOINED_TYPES:
                targets.update(by_payer.get(party, ()))
        elif order is not None:
            targets.add(order)
        else:
            for kind in ("delivery", "invoice"):
                value = reject.key(kind)
                if value is not None:
                    targets.update(order_of.get((kind, value), ()))
            if not targets and party is not None:
                targets.update(by_party.get(party, ()))
                if reject.type in PAYER_JOINED_TYPES:
                    targets.update(by_payer.get(party, ()))
        targets &= case_ids
        if not targets:
            unplaced.append(reject)
        for case_id in sorted(targets):
            placed[case_id].append(reject)
    return placed, unplaced
