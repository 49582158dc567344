"""Group facts into cases: one case per order, with the facts its rules need.

A rule about an order's goods release needs more than the order: the
counterparty, its people, its powers of attorney and contracts, its open items.
The case builder gathers them by key, and lists every fact it could not place
so nothing read is silently lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import attrs

from handoff_rules.facts import Fact, fact_sort_key
from handoff_rules.model import ContractTemplate, Counterparty, Opportunity, OpportunityLink, Order

#: Fact types that belong to every case (reference data, not tied to a party).
GLOBAL_FACT_TYPES = frozenset({ContractTemplate.fact_type})


@attrs.frozen(slots=True)
class Case:
    """All facts about one order, in a canonical order.

    ``facts`` is sorted with :func:`~handoff_rules.facts.fact_sort_key`, so two
    cases built from the same facts in any arrival order are equal.
    """

    id: str
    facts: tuple[Fact, ...]

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

    def __len__(self) -> int:
        return len(self.cases)


def _key(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def build_cases(facts: Iterable[Fact]) -> CaseSet:
    """Build one :class:`Case` per order fact.

    A fact joins a case when its ``order_id`` is the order's id, or when it has
    no order of its own and its ``counterparty_id`` is the order's counterparty
    (documents, people, payments, open items of the customer). A won
    opportunity joins through an :class:`~handoff_rules.model.OpportunityLink`.
    Facts that join no case are returned in ``unassigned``.
    """
    all_facts = sorted(facts, key=fact_sort_key)
    orders = [f for f in all_facts if isinstance(f.data, Order)]
    by_order: dict[str, list[Fact]] = defaultdict(list)
    by_party: dict[str, list[Fact]] = defaultdict(list)
    global_facts: list[Fact] = []
    opportunities: dict[str, Fact] = {}
    placed: set[int] = set()

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
        elif isinstance(data, Counterparty):
            by_party[data.id].append(fact)
        elif (party := _key(getattr(data, "counterparty_id", None))) is not None:
            by_party[party].append(fact)

    # Two sources may both describe the same order (an IDoc and a VBAK row):
    # they share one case, and the rules see both.
    orders_by_id: dict[str, list[Fact]] = defaultdict(list)
    for order_fact in orders:
        orders_by_id[order_fact.data.id].append(order_fact)

    cases = []
    for order_id, order_facts in orders_by_id.items():
        members = [*order_facts, *by_order.get(order_id, ()), *global_facts]
        parties = {_key(getattr(f.data, "counterparty_id", None)) for f in order_facts}
        for party in sorted(p for p in parties if p is not None):
            members.extend(by_party.get(party, ()))
        for fact in by_order.get(order_id, ()):
            if isinstance(fact.data, OpportunityLink) and fact.data.opportunity_id in opportunities:
                members.append(opportunities[fact.data.opportunity_id])
        unique = {id(f): f for f in members}
        placed.update(unique)
        cases.append(Case(id=order_id, facts=tuple(sorted(unique.values(), key=fact_sort_key))))

    unassigned = tuple(f for f in all_facts if id(f) not in placed)
    return CaseSet(cases=tuple(sorted(cases, key=lambda c: c.id)), unassigned=unassigned)
