"""A derived fact: how many days after the order each delivery was released.

Rules cannot subtract dates across two facts, so the plugin does it once per
delivery and hands the result to the engine as ``derived.release_lead_days``.
The value depends only on the case, so the same case always gives the same
decision.
"""

from __future__ import annotations

from handoff_rules.cases import Case
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Delivery, Derived, Order

ADAPTER = "example-lead-time"
NAME = "release_lead_days"


def lead_days(case: Case) -> list[Fact]:
    """One ``release_lead_days`` fact per released delivery of the case's order.

    Without exactly one order date (none given, or two sources disagree) the
    fact has no ``days``: the rule requires it, so the finding is
    ``indeterminate`` rather than a silent pass.
    """
    own = case.own_facts  # the order and its deliveries, not the customer's history
    ordered = {f.data.order_date for f in own if isinstance(f.data, Order)} - {None}
    order_date = next(iter(ordered)) if len(ordered) == 1 else None
    facts = []
    for fact in own:
        delivery = fact.data
        if not isinstance(delivery, Delivery) or delivery.release_date is None:
            continue
        if delivery.order_id != case.id:
            continue
        values = {}
        if order_date is not None:
            values["days"] = (delivery.release_date - order_date).days
        derived = Derived(NAME, delivery.id, values, order_id=case.id)
        where = Provenance(ADAPTER, fact.provenance.source, fact.provenance.location)
        facts.append(Fact(derived, where))
    return facts
