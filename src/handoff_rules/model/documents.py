"""Documents that change hands: contracts, powers of attorney, invoices, waybills.

The *form* a document arrived in (original, scan, fax, e-signed) is part of the
fact, because accounting's "originals, not faxes" is a rule about it.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import ClassVar

import attrs

from handoff_rules.model.bounds import bounded_int
from handoff_rules.model.money import Money


class DocumentKind(enum.StrEnum):
    CONTRACT = "contract"
    ADDENDUM = "addendum"
    POWER_OF_ATTORNEY = "power_of_attorney"
    QUOTE = "quote"
    ORDER_CONFIRMATION = "order_confirmation"
    INVOICE = "invoice"
    VAT_INVOICE = "vat_invoice"
    UPD = "upd"
    DELIVERY_NOTE = "delivery_note"
    ACCEPTANCE_ACT = "acceptance_act"
    CREDIT_NOTE = "credit_note"
    RECONCILIATION_ACT = "reconciliation_act"
    CHARTER_EXTRACT = "charter_extract"
    LETTER = "letter"


class DocumentForm(enum.StrEnum):
    """How the document was received; only some forms count as final for some kinds."""

    ORIGINAL = "original"
    COPY = "copy"
    SCAN = "scan"
    FAX = "fax"
    E_SIGNED = "e_signed"
    EDI_STRUCTURED = "edi_structured"
    FACSIMILE_SIGNATURE = "facsimile_signature"


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    TERMINATED = "terminated"


@attrs.frozen(slots=True)
class PoaTerms:
    """What a power of attorney authorises: who may receive, how much, until when."""

    holder_name: str
    holder_person_id: str | None = None
    holder_is_employee: bool | None = None
    holder_id_document_number: str | None = None
    amount_limit: Money | None = None
    goods: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    basis_ref: str | None = None
    revoked_on: date | None = None
    consumed: bool = False
    signed_by_chief_accountant: bool | None = None


@attrs.frozen(slots=True)
class Document:
    """One document of a counterparty, optionally tied to an order.

    Contract fields (status, template, predecessor) and the power-of-attorney
    terms are optional parts of the same fact, so that one register of
    documents can be read in one pass.
    """

    fact_type: ClassVar[str] = "document"

    id: str
    kind: DocumentKind = attrs.field(converter=DocumentKind)
    counterparty_id: str | None = None
    number: str | None = None
    form: DocumentForm | None = attrs.field(
        default=None, converter=attrs.converters.optional(DocumentForm)
    )
    order_id: str | None = None
    issued_on: date | None = None
    signed_on: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    received_on: date | None = None
    final_received_on: date | None = None
    status: ContractStatus | None = attrs.field(
        default=None, converter=attrs.converters.optional(ContractStatus)
    )
    auto_renewal: bool | None = None
    predecessor_id: str | None = None
    has_electronic_exchange_clause: bool | None = None
    template_id: str | None = None
    template_version: str | None = None
    poa: PoaTerms | None = None
    #: A contract's agreed term in months (SAP VEDA VLAUFZ in months or years), for
    #: term checks; a term in days or weeks is not converted.
    term_months: int | None = attrs.field(default=None, validator=bounded_int)
    #: A cancelled contract: the date the cancellation takes effect (SAP VEDA
    #: VWUNDAT), its reason (VKUEGRU) and the cancellation procedure agreed (VKUESCH).
    cancellation_date: date | None = None
    cancellation_reason: str | None = None
    cancellation_procedure: str | None = None


@attrs.frozen(slots=True)
class ContractTemplate:
    """One version of a contract template, for "contract on the current template"."""

    fact_type: ClassVar[str] = "template"

    template_id: str
    version: str
    effective_from: date
    superseded_on: date | None = None

    @property
    def id(self) -> str:
        return f"{self.template_id}@{self.version}"
