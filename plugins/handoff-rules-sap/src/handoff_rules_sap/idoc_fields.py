"""The field mapping of the IDoc formats: which model field each segment field fills.

One table per document kind (``idoc_facts`` maps them): fact type → model
field → the ``SEGMENT FIELD`` sources it is read from, or a bare ``SEGMENT``
for a value the segment's presence gives (a doc_flow's ``to_category``). The
``supplies`` of ``idoc-xml`` is every entry; that of ``idoc-flat`` only what the
shipped flat layouts (``layouts.txt``) can read: a field whose every source lies
in a segment without a layout cannot be filled from a flat file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from handoff_rules_sap.layouts import layouts
from handoff_rules_sap.supplies import Fills, merge

Sources = tuple[str, ...]

_CONTROL: Final[Mapping[str, Sources]] = {
    "subject": ("EDI_DC40 DOCNUM",),
    "idoctyp": ("EDI_DC40 IDOCTYP",),
    "cimtyp": ("EDI_DC40 CIMTYP",),
    "mestyp": ("EDI_DC40 MESTYP",),
    "direction": ("EDI_DC40 DIRECT",),
    "sender": ("EDI_DC40 SNDPRN",),
    "receiver": ("EDI_DC40 RCVPRN",),
    "created_on": ("EDI_DC40 CREDAT",),
    "segments": ("EDI_DC40",),
    "custom_segments_skipped": ("EDI_DC40",),
    "document": ("EDI_DC40 IDOCTYP", "EDI_DC40 MESTYP"),
}

_ORDER_NUMBER: Final = ("E1EDK02 BELNR", "E1EDK01 BELNR")

ORDERS: Final[Mapping[str, Mapping[str, Sources]]] = {
    "derived.idoc": {
        **_CONTROL,
        "order_id": _ORDER_NUMBER,
        "counterparty_id": ("E1EDKA1 PARTN",),
    },
    "order": {
        "id": _ORDER_NUMBER,
        "counterparty_id": ("E1EDKA1 PARTN",),
        "order_date": ("E1EDK03 DATUM",),
        "net_value": ("E1EDS01 SUMME",),
        "currency": ("E1EDK01 CURCY",),
        "customer_po_ref": ("E1EDK02 BELNR",),
        "sold_to": ("E1EDKA1 PARTN",),
        "ship_to": ("E1EDKA1 PARTN", "E1EDPA1 PARTN"),
        "bill_to": ("E1EDKA1 PARTN",),
        "payer": ("E1EDKA1 PARTN",),
        "incoterm": ("E1EDK17 LKOND",),
        "payment_terms": ("E1EDK01 ZTERM",),
        "payment_days": ("E1EDK18 TAGE",),
        "contact_person_id": ("E1EDKA1 PARTN",),
        "contract_id": ("E1EDK02 BELNR",),
        "quote_id": ("E1EDK02 BELNR",),
        "planned_delivery_date": ("E1EDK03 DATUM",),
        "order_type": ("E1EDK14 ORGID",),
        "sales_org": ("E1EDK14 ORGID",),
        "delivery_block": ("E1EDK01 LIFSK",),
    },
    "order_line": {
        "order_id": _ORDER_NUMBER,
        "line_no": ("E1EDP01 POSEX",),
        "item": ("E1EDP19 IDTNR", "E1EDP01 MATNR_LONG", "E1EDP01 MATNR"),
        "description": ("E1EDP19 KTEXT",),
        "quantity": ("E1EDP01 MENGE",),
        "unit": ("E1EDP01 MENEE",),
        "net_value": ("E1EDP01 NETWR", "E1EDP26 BETRG"),
        "ship_to": ("E1EDPA1 PARTN", "E1EDKA1 PARTN"),
        "unit_price": ("E1EDP01 VPREI",),
        "price_unit": ("E1EDP01 PEINH",),
        "delivery_date": ("E1EDP20 EDATU",),
    },
}

_DELIVERY_ORDER: Final = ("E1EDL24 VGBEL", "E1EDL43 BELNR")

DELIVERIES: Final[Mapping[str, Mapping[str, Sources]]] = {
    "derived.idoc": {
        **_CONTROL,
        "order_id": ("E1EDL24 VGBEL",),
        "counterparty_id": ("E1ADRM1 PARTNER_ID",),
    },
    "delivery": {
        "id": ("E1EDL20 VBELN",),
        "order_id": ("E1EDL24 VGBEL",),
        "counterparty_id": ("E1ADRM1 PARTNER_ID",),
        "ship_to": ("E1ADRM1 PARTNER_ID",),
        "planned_date": ("E1EDT13 NTANF",),
        "release_date": ("E1EDT13 ISDD",),
    },
    "derived.doc_flow": {
        "subject": ("E1EDL24 POSNR",),
        "order_id": _DELIVERY_ORDER,
        "counterparty_id": ("E1ADRM1 PARTNER_ID",),
        "from_doc": _DELIVERY_ORDER,
        "from_item": ("E1EDL24 VGPOS", "E1EDL43 POSNR"),
        "from_category": _DELIVERY_ORDER,
        "to_doc": ("E1EDL20 VBELN",),
        "to_item": ("E1EDL24 POSNR",),
        "to_category": ("E1EDL24",),
        "material": ("E1EDL24 MATNR",),
        "quantity": ("E1EDL24 LFIMG",),
        "unit": ("E1EDL24 VRKME",),
    },
}

_INVOICE_PARTY: Final = ("E1EDKA1 PARTN",)

INVOICES: Final[Mapping[str, Mapping[str, Sources]]] = {
    "derived.idoc": {
        **_CONTROL,
        "order_id": ("E1EDK02 BELNR",),
        "counterparty_id": _INVOICE_PARTY,
    },
    "invoice": {
        "id": ("E1EDK01 BELNR", "E1EDK02 BELNR"),
        "order_id": ("E1EDK02 BELNR",),
        "delivery_id": ("E1EDK02 BELNR",),
        "counterparty_id": _INVOICE_PARTY,
        "issued_on": ("E1EDK03 DATUM", "E1EDK02 DATUM"),
        "due_on": ("E1EDK03 DATUM",),
        "total": ("E1EDS01 SUMME",),
        "payment_terms": ("E1EDK01 ZTERM",),
        "buyer_legal_id": ("E1EDK01 KUNDEUINR",),
        "sold_to": ("E1EDKA1 PARTN",),
        "ship_to": ("E1EDKA1 PARTN",),
        "bill_to": ("E1EDKA1 PARTN",),
        "payer": ("E1EDKA1 PARTN",),
        "incoterm": ("E1EDK17 LKOND",),
    },
    "derived.doc_flow": {
        "subject": ("E1EDP01 POSEX",),
        "order_id": ("E1EDP02 BELNR", "E1EDK02 BELNR"),
        "counterparty_id": _INVOICE_PARTY,
        "from_doc": ("E1EDP02 BELNR", "E1EDK02 BELNR"),
        "from_item": ("E1EDP02 ZEILE",),
        "from_category": ("E1EDP02 QUALF", "E1EDK02 BELNR"),
        "to_doc": ("E1EDK01 BELNR", "E1EDK02 BELNR"),
        "to_item": ("E1EDP01 POSEX",),
        "to_category": ("E1EDP01",),
        "material": ("E1EDP19 IDTNR", "E1EDP01 MATNR_LONG", "E1EDP01 MATNR"),
        "quantity": ("E1EDP01 MENGE",),
        "unit": ("E1EDP01 MENEE",),
        "value": ("E1EDP01 NETWR", "E1EDP26 BETRG"),
        "currency": ("E1EDP01 CURCY", "E1EDK01 CURCY"),
        "tax": ("E1EDP04 MWSBT",),
        "tax_rate": ("E1EDP04 MSATZ",),
        "net_weight": ("E1EDP01 NTGEW",),
        "gross_weight": ("E1EDP01 BRGEW",),
        "weight_unit": ("E1EDP01 GEWEI",),
    },
}

CUSTOMERS: Final[Mapping[str, Mapping[str, Sources]]] = {
    "derived.idoc": {**_CONTROL, "counterparty_id": ("E1KNA1M KUNNR",)},
    "counterparty": {
        "id": ("E1KNA1M KUNNR",),
        "name": ("E1KNA1M NAME1", "E1KNA1M NAME2"),
        "country": ("E1KNA1M LAND1",),
        "identifiers": ("E1KNA1M STCD1", "E1KNA1M STCD2"),
        "customer_group": ("E1KNVVM KDGRP",),
    },
    "person": {
        "id": ("E1KNVKM PARNR",),
        "full_name": ("E1KNVKM NAMEV", "E1KNVKM NAME1"),
        "counterparty_id": ("E1KNA1M KUNNR",),
        "position": ("E1KNVKM PAFKT",),
    },
}

#: Document kind (``idoc_facts.SUPPORTED``) → its mapping.
BY_KIND: Final = {
    "order": ORDERS,
    "delivery": DELIVERIES,
    "invoice": INVOICES,
    "customer": CUSTOMERS,
}


def xml_fills() -> Fills:
    """What IDoc XML can fill: every mapped field of every supported IDoc type."""
    return merge(BY_KIND.values())


def _flat_readable(source: str) -> bool:
    segment, _, field = source.partition(" ")
    slots = layouts().get(segment)
    if slots is None:
        return False
    return not field or any(slot.name == field for slot in slots)


def flat_fills() -> Fills:
    """What a flat IDoc file can fill: the mapped fields one of whose sources has a layout.

    A fact type is left out when its first field (its id) cannot be read: a flat
    file gives no such fact, only rejects.
    """
    readable: list[Fills] = []
    for mapping in BY_KIND.values():
        kept: dict[str, dict[str, Sources]] = {}
        for fact_type, fields in mapping.items():
            fillable = {f: s for f, s in fields.items() if any(map(_flat_readable, s))}
            if next(iter(fields)) in fillable:
                kept[fact_type] = fillable
        readable.append(kept)
    return merge(readable)
