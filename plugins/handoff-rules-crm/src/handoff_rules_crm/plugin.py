"""The ``crm`` plugin: the CRM adapters, and the opportunity-to-order comparison for H1 rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from handoff_rules.adapters import Adapter, Fact
from handoff_rules.hooks import hookimpl
from handoff_rules_crm.compare import compare_linked_orders
from handoff_rules_crm.hubspot import HubSpotCsvAdapter
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
def handoff_rules_derive_facts(case: Case, at: date) -> Iterable[Fact]:
    """``crm_order_match`` for the case's linked opportunity (see :mod:`handoff_rules_crm.compare`).

    Linking itself cannot run here: a case only holds an opportunity once it is
    linked, so :func:`handoff_rules_crm.link_opportunities` runs on all facts
    before cases are built.
    """
    return list(compare_linked_orders(case.facts, at))
