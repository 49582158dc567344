"""The ``crm`` plugin: the CRM adapters, the opportunity-to-order link and comparison for H1."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from handoff_rules.adapters import Adapter, Fact
from handoff_rules.hooks import hookimpl
from handoff_rules_crm.accounts import erp_counterparties
from handoff_rules_crm.compare import compare_linked_orders
from handoff_rules_crm.hubspot import HubSpotCsvAdapter
from handoff_rules_crm.linking import link_run
from handoff_rules_crm.odoo import OdooSaleOrderAdapter
from handoff_rules_crm.salesforce_csv import SalesforceCsvAdapter
from handoff_rules_crm.salesforce_tree import SalesforceTreeAdapter

if TYPE_CHECKING:
    from handoff_rules.cases import Case


@hookimpl
def handoff_rules_adapters() -> Iterable[Adapter]:
    return [
        SalesforceCsvAdapter(),
        SalesforceTreeAdapter(),
        HubSpotCsvAdapter(),
        OdooSaleOrderAdapter(),
    ]


@hookimpl
def handoff_rules_link_facts(facts: Sequence[Fact]) -> Iterable[Fact]:
    """Links from won opportunities to their ERP orders, and each order's ``crm_link`` status.

    ``link_via`` comes from the ``handoff-rules-crm.toml`` beside the
    opportunities' exports (default ``customer_po``); a run without
    opportunities gets no links (see :func:`handoff_rules_crm.linking.link_run`).
    Every Account with an ``AccountNumber`` is added again as that ERP customer's
    counterparty (see :mod:`handoff_rules_crm.accounts`).
    """
    result = link_run(facts)
    links = result.facts() if result is not None else ()
    return [*links, *erp_counterparties(facts)]


@hookimpl
def handoff_rules_derive_facts(case: Case, at: date) -> Iterable[Fact]:
    """``crm_order_match`` for the case's linked opportunity (see :mod:`handoff_rules_crm.compare`).

    Linking itself cannot run here: a case only holds an opportunity once it is
    linked, so linking runs on all facts before cases are built
    (:func:`handoff_rules_link_facts`).
    """
    # the link, its opportunity and the order are the order's own facts
    return list(compare_linked_orders(case.own_facts, at))
