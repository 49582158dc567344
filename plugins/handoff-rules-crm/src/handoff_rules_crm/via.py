"""Which reference connects a won opportunity to the ERP order entered from it.

Kept apart from the linker so that reading options (``link_via`` in
``handoff-rules-crm.toml``) can check a name without importing the linker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

from handoff_rules.model import Opportunity, Order

__all__ = ["CUSTOMER_PO", "ERP_ORDER_NUMBER", "OPPORTUNITY_ID", "VIA", "LinkVia"]


@attrs.frozen(slots=True)
class LinkVia:
    """Which opportunity attribute must equal which order attribute for a link."""

    name: str
    opportunity_field: str
    order_field: str

    def __attrs_post_init__(self) -> None:
        opportunity_fields = {f.name for f in attrs.fields(Opportunity)}
        order_fields = {f.name for f in attrs.fields(Order)}
        if self.opportunity_field not in opportunity_fields:
            raise ValueError(f"Opportunity has no field {self.opportunity_field!r}")
        if self.order_field not in order_fields:
            raise ValueError(f"Order has no field {self.order_field!r}")


#: The customer's PO number: recorded on the won deal, entered on the ERP order.
CUSTOMER_PO: Final = LinkVia("customer_po", "order_ref", "customer_po_ref")
#: The ERP order number written back into the CRM deal.
ERP_ORDER_NUMBER: Final = LinkVia("erp_order_number", "order_ref", "id")
#: The CRM deal id kept on the ERP order (as its quote reference).
OPPORTUNITY_ID: Final = LinkVia("opportunity_id", "id", "quote_id")

VIA: Final[Mapping[str, LinkVia]] = {
    v.name: v for v in (CUSTOMER_PO, ERP_ORDER_NUMBER, OPPORTUNITY_ID)
}
