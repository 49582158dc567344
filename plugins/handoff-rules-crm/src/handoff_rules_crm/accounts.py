"""A CRM account as the ERP customer it stands for, found through its ``AccountNumber``.

Orders in the ERP name their customer by the ERP number (``C100``, a KUNNR);
the CRM keys the same company by its own id (``001A…``) and keeps the ERP
number in ``AccountNumber``. Without a bridge an order's case has no
counterparty fact at all, and ACC-ID-001 cannot be decided from the CRM's
country and tax id. So, for every Account with an ``AccountNumber``, the
``handoff_rules_link_facts`` hook adds the account's counterparty again under
the ERP number, marked as a *part* (:attr:`handoff_rules.facts.Fact.part`):
when an ERP export names that customer too, the ERP's fields win and the CRM
only fills what the ERP left empty (its identifiers, its country), or adds
nothing at all; when none does, the CRM's is the customer's only record. Its
provenance is the Account row, so a finding on it names the CRM file and line.

A CRM document of such an account (a Salesforce Contract, whose ``AccountId``
is the CRM's key) is added again naming the ERP customer, so LEG-CTR-001 finds
the contract in force for that customer's orders; the document read keeps the
CRM key, as the file wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from handoff_rules.adapters import Fact
from handoff_rules.model import Counterparty, Document
from handoff_rules_crm.linking import erp_customers

__all__ = ["erp_counterparties"]


def _lacks(value: object) -> bool:
    return value is None or (isinstance(value, tuple) and not value)


def _what_erp_lacks(crm: Counterparty, erp: list[Counterparty]) -> Counterparty | None:
    """The CRM account reduced to the fields every ERP record of the customer lacks;
    None when it adds nothing (then it is not cited as a source of the customer)."""
    if not erp:
        return crm
    kept = {
        field.name: getattr(crm, field.name)
        for field in attrs.fields(Counterparty)
        if field.name != "id"
        and not _lacks(getattr(crm, field.name))
        and all(_lacks(getattr(record, field.name)) for record in erp)
    }
    return attrs.evolve(Counterparty(id=crm.id), **kept) if kept else None


def erp_counterparties(facts: Iterable[Fact]) -> Iterator[Fact]:
    """The CRM accounts that carry an ERP customer number, as parts of that ERP customer,
    and their documents, naming that customer.

    An account whose number is its own id needs no second fact. When the ERP
    export holds the customer too, the part keeps only what the ERP's record
    lacks (the tax id, say), so a finding cites the CRM row only when the CRM
    supplied something; an account read twice (CSV and data tree) gives one
    part per reading, which case building combines.
    """
    items = list(facts)
    numbers = erp_customers(items)
    if not numbers:
        return
    crm_ids = set(numbers)
    erp: dict[str, list[Counterparty]] = {}
    for fact in items:
        if isinstance(fact.data, Counterparty) and fact.data.id not in crm_ids:
            erp.setdefault(fact.data.id, []).append(fact.data)
    for fact in items:
        data = fact.data
        if isinstance(data, Counterparty) and not fact.part:
            number = numbers.get(data.id)
            if number is None or number == data.id:
                continue
            added = _what_erp_lacks(data, erp.get(number, []))
            if added is not None:
                yield attrs.evolve(fact, data=attrs.evolve(added, id=number), part=True)
        elif isinstance(data, Document) and data.counterparty_id is not None:
            number = numbers.get(data.counterparty_id)
            if number is not None and number != data.counterparty_id:
                yield attrs.evolve(fact, data=attrs.evolve(data, counterparty_id=number))
