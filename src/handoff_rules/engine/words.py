"""Fact and field names in a user's words: "the delivery's receiver", not ``receiver_key``.

Every message that tells a person what is missing goes through here, so an
internal spelling (a flat key, a derived value's name) never reaches a
report. Derived values are described by their deriver (``DerivedSpec.words``);
model fields by the small vocabulary below, with a readable default for the
rest (``release_date`` → "release date").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from handoff_rules.engine.derive import BUILTIN_DERIVERS
from handoff_rules.engine.flatten import DERIVED_PREFIX

__all__ = ["fact_noun", "field_words"]

#: What each fact type is called in a sentence.
FACT_NOUNS: Final[Mapping[str, str]] = {
    "counterparty": "counterparty",
    "person": "contact person",
    "document": "document",
    "template": "contract template",
    "order": "order",
    "order_line": "order line",
    "delivery": "delivery",
    "invoice": "invoice",
    "payment": "payment",
    "open_item": "open item",
    "correction": "correction task",
    "opportunity": "opportunity",
    "link": "CRM link",
    "credit_limit": "credit limit",
}

#: Field names that read badly when only their underscores are replaced.
_FIELD_WORDS: Final[Mapping[str, str]] = {
    "id": "number",
    "counterparty_id": "customer",
    "order_id": "order",
    "invoice_id": "invoice",
    "opportunity_id": "opportunity",
    "contact_person_id": "customer contact",
    "customer_po_ref": "customer PO reference",
    "legal_id": "company identifier",
    "legal_id.value": "company identifier",
    "legal_id.valid": "company identifier's checksum",
    "legal_id.scheme": "company identifier's scheme",
    "legal_id.expected_scheme": "required identifier scheme",
    "incoterm": "delivery terms (incoterm)",
    "poa": "power-of-attorney terms",
    "poa.holder_name": "power of attorney's holder",
    "poa.revoked_on": "power of attorney's revocation date",
    "poa.consumed": "power of attorney's use",
    "poa.amount_limit": "power of attorney's amount limit",
    "form": "form of receipt (original, scan, fax …)",
    "final_received_on": "date the final form arrived",
    "net_value": "net value",
    "closed_on": "closing date",
    "detected_on": "detection date",
    "signed_on": "signing date",
    "issued_on": "date of issue",
    "valid_from": "start of validity",
    "valid_until": "end of validity",
    "superseded_on": "date it was superseded",
    "release_date": "release date",
    "has_electronic_exchange_clause": "electronic exchange clause",
    "is_won": "won flag",
    "discount_pct": "discount (percent)",
    "ops_signoff_by": "operations sign-off",
    "ops_signoff_on": "operations sign-off date",
    "credit_limit": "credit limit",
}

_DERIVED_NOUNS: Final[Mapping[str, str]] = {
    "goods_release": "goods release",
    "poa_terms": "power of attorney",
    "payment_difference": "payment difference",
    "credit_exposure": "credit exposure",
}


def fact_noun(fact_type: str) -> str:
    """``delivery`` → "delivery"; ``derived.goods_release`` → "goods release"."""
    if fact_type.startswith(DERIVED_PREFIX):
        name = fact_type[len(DERIVED_PREFIX) :]
        return _DERIVED_NOUNS.get(name, name.replace("_", " "))
    return FACT_NOUNS.get(fact_type, fact_type.replace("_", " "))


def field_words(fact_type: str, path: str) -> str:
    """What a field is, as a person says it: "the delivery's receiver".

    ``path`` is a dotted model path or a derived value's name; a flat key
    (``poa__holder_name``) is accepted too and read as its path.
    """
    path = path.replace("__", ".")
    if path.endswith((".minor", ".currency")) and path.count(".") >= 1:
        path = path.rsplit(".", 1)[0]
    if fact_type.startswith(DERIVED_PREFIX):
        spec = BUILTIN_DERIVERS.get(fact_type[len(DERIVED_PREFIX) :])
        if spec is not None and path in spec.words:
            return spec.words[path]
    words = _FIELD_WORDS.get(path) or path.replace(".", " ").replace("_", " ")
    return f"the {fact_noun(fact_type)}'s {words}"
