"""CRM exports for handoff-rules: Salesforce, HubSpot and Odoo adapters, and the CRM-ERP link.

The adapters register through the ``handoff_rules`` entry point ``crm``;
:func:`link_opportunities` connects won opportunities to the ERP orders
entered from them (see the README for where it runs).
"""

from __future__ import annotations

__version__ = "0.1.0"

from handoff_rules_crm.compare import MATCH_FACT, compare_linked_orders
from handoff_rules_crm.hubspot import HubSpotCsvAdapter
from handoff_rules_crm.linking import (
    CUSTOMER_PO,
    ERP_ORDER_NUMBER,
    OPPORTUNITY_ID,
    VIA,
    LinkResult,
    LinkVia,
    Unmatched,
    link_opportunities,
)
from handoff_rules_crm.odoo import OdooSaleOrderAdapter
from handoff_rules_crm.options import CrmOptions
from handoff_rules_crm.salesforce_csv import SalesforceCsvAdapter
from handoff_rules_crm.salesforce_tree import SalesforceTreeAdapter

__all__ = [
    "CUSTOMER_PO",
    "ERP_ORDER_NUMBER",
    "MATCH_FACT",
    "OPPORTUNITY_ID",
    "VIA",
    "CrmOptions",
    "HubSpotCsvAdapter",
    "LinkResult",
    "LinkVia",
    "OdooSaleOrderAdapter",
    "SalesforceCsvAdapter",
    "SalesforceTreeAdapter",
    "Unmatched",
    "__version__",
    "compare_linked_orders",
    "link_opportunities",
]
