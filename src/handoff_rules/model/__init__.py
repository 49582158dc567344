"""The schema of handoff facts: frozen attrs classes, exact money, real dates.

Every class that can be a fact has a ``fact_type`` (the name used in packs, in
the ``read --format jsonl`` contract and in audit logs); :data:`FACT_TYPES`
maps those names back to the classes.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, TypeAlias

from handoff_rules.model.convert import ModelDataError, from_dict, to_dict
from handoff_rules.model.credit import CreditLimit
from handoff_rules.model.crm import Derived, Opportunity, OpportunityLink
from handoff_rules.model.currencies import is_currency, minor_units
from handoff_rules.model.documents import (
    ContractStatus,
    ContractTemplate,
    Document,
    DocumentForm,
    DocumentKind,
    PoaTerms,
)
from handoff_rules.model.identifiers import SCHEME_BY_COUNTRY, CompanyId, IdScheme
from handoff_rules.model.money import Money, MoneyError
from handoff_rules.model.orders import (
    CorrectionTask,
    Delivery,
    Invoice,
    OpenItem,
    Order,
    OrderLine,
    Payment,
)
from handoff_rules.model.parties import Counterparty, IdDocument, Person

FactData: TypeAlias = (
    Counterparty
    | CreditLimit
    | Person
    | Document
    | ContractTemplate
    | Order
    | OrderLine
    | Delivery
    | Invoice
    | Payment
    | OpenItem
    | CorrectionTask
    | Opportunity
    | OpportunityLink
    | Derived
)

FACT_TYPES: Final = MappingProxyType(
    {
        cls.fact_type: cls
        for cls in (
            Counterparty,
            CreditLimit,
            Person,
            Document,
            ContractTemplate,
            Order,
            OrderLine,
            Delivery,
            Invoice,
            Payment,
            OpenItem,
            CorrectionTask,
            Opportunity,
            OpportunityLink,
            Derived,
        )
    }
)

__all__ = [
    "FACT_TYPES",
    "SCHEME_BY_COUNTRY",
    "CompanyId",
    "ContractStatus",
    "ContractTemplate",
    "CorrectionTask",
    "Counterparty",
    "CreditLimit",
    "Delivery",
    "Derived",
    "Document",
    "DocumentForm",
    "DocumentKind",
    "FactData",
    "IdDocument",
    "IdScheme",
    "Invoice",
    "ModelDataError",
    "Money",
    "MoneyError",
    "OpenItem",
    "Opportunity",
    "OpportunityLink",
    "Order",
    "OrderLine",
    "Payment",
    "Person",
    "PoaTerms",
    "from_dict",
    "is_currency",
    "minor_units",
    "to_dict",
]
