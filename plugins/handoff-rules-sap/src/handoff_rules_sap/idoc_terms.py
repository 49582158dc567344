"""The parts of an ORDERS/INVOIC IDoc that lie beyond the header fields.

Terms of delivery (E1EDK17) and payment (E1EDK18), partners given per item
(E1EDPA1), item amounts S/4 writes only in E1EDP26, item tax (E1EDP04), and
the direction of an ORDERS IDoc: a purchase order a buyer's SAP sends out uses
the same basic type as the sales order a seller's SAP receives, and only the
control record tells them apart.

Qualifiers are SAP's fixed domain values: E1EDK17 QUALF 001 is the incoterm
(002 its place); E1EDK18 QUALF 001-003 are the tiers of the payment terms
(days, cash-discount percent); E1EDP26 QUALF (QUALIBETRG) 001 gross price,
002 gross value, 003 net value, 004 amount qualifying for cash discount,
005 absolute net value.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from handoff_rules_sap.fields import (
    FieldProblem,
    days,
    number,
    optional_id,
    sap_date,
    text,
)
from handoff_rules_sap.segments import IDoc, Segment

#: Partner functions (PARVW) as SAP stores them.
SOLD_TO, SHIP_TO, BILL_TO, PAYER, CONTACT, VENDOR = "AG", "WE", "RE", "RG", "AP", "LF"

#: E1EDK17 QUALF of the incoterm itself (002 is its place).
INCOTERM: Final = "001"
#: E1EDP26 QUALF of an item's net value: what SAP's own inbound processing reads.
ITEM_NET_VALUE: Final = "003"
#: E1EDS01 SUMID of the net value of an invoice, then of any document.
NET_TOTALS: Final = ("010", "002")
#: Messages SAP's purchasing sends (output NEU, process codes ME10/ME11); sales answers ORDRSP.
PURCHASE_MESSAGES: Final = frozenset({"ORDERS", "ORDCHG"})
#: Partner type of a vendor in the control record (RCVPRT).
VENDOR_PARTNER_TYPE: Final = "LI"


class SegmentProblem(FieldProblem):
    """A field problem in a known segment, so the reject points at that segment."""

    def __init__(self, message: str, segment: Segment) -> None:
        super().__init__(message)
        self.segment = segment


def _in(segment: Segment, read: str) -> SegmentProblem:
    return SegmentProblem(read, segment)


def incoterm(idoc: IDoc) -> str | None:
    """The incoterm code (E1EDK17 QUALF 001 LKOND); a segment without a qualifier counts too."""
    for segment in idoc.top("E1EDK17"):
        if segment.get("QUALF") in (INCOTERM, ""):
            return text(segment.get("LKOND"))
    return None


def payment_days(idoc: IDoc) -> int | None:
    """Days to pay without deduction: the E1EDK18 tier without a cash-discount percent.

    ``14 days 2 %, 30 days net`` is two tiers, 001 (14, 2) and 002 (30, 0): the
    customer owes the full amount after 30 days, the number a promise of "30
    days" in a CRM is compared with. Terms of a single tier give that tier's days.
    """
    tiers = sorted(idoc.top("E1EDK18"), key=lambda s: s.get("QUALF"))
    chosen: Segment | None = None
    for tier in tiers:
        try:
            percent = number(tier.get("PRZNT"), f"E1EDK18 {tier.get('QUALF')} PRZNT")
        except FieldProblem as exc:
            raise _in(tier, str(exc)) from None
        if not tier.get("TAGE"):
            continue
        chosen = tier
        if not percent:
            break
    if chosen is None:
        return None
    try:
        return days(chosen.get("TAGE"), f"E1EDK18 {chosen.get('QUALF')} TAGE")
    except FieldProblem as exc:
        raise _in(chosen, str(exc)) from None


def item_partner(idoc: IDoc, index: int, role: str) -> str | None:
    """The partner of that function given for one item (E1EDPA1 PARTN)."""
    for segment in idoc.children(index, "E1EDPA1"):
        if segment.get("PARVW") == role:
            return optional_id(segment.get("PARTN"))
    return None


def common_item_ship_to(idoc: IDoc) -> str | None:
    """The ship-to every item names, when they all name the same one (else None)."""
    found = {item_partner(idoc, index, SHIP_TO) for index, _ in idoc.indexed("E1EDP01")}
    if len(found) == 1:
        return found.pop()
    return None


def item_net_value(idoc: IDoc, index: int, item: Segment) -> Decimal | None:
    """E1EDP01 NETWR, else the E1EDP26 net value (S/4 leaves NETWR empty)."""
    amount = number(item.get("NETWR"), "E1EDP01 NETWR")
    if amount is not None:
        return amount
    for segment in idoc.children(index, "E1EDP26"):
        if segment.get("QUALF") == ITEM_NET_VALUE:
            try:
                return number(segment.get("BETRG"), f"E1EDP26 {ITEM_NET_VALUE} BETRG")
            except FieldProblem as exc:
                raise _in(segment, str(exc)) from None
    return None


def item_tax(idoc: IDoc, index: int) -> tuple[Decimal | None, Decimal | None]:
    """The item's tax amount (sum of E1EDP04 MWSBT) and its rate when there is one rate."""
    segments = list(idoc.children(index, "E1EDP04"))
    amounts: list[Decimal] = []
    rates: set[Decimal] = set()
    for segment in segments:
        try:
            amount = number(segment.get("MWSBT"), "E1EDP04 MWSBT")
            rate = number(segment.get("MSATZ"), "E1EDP04 MSATZ")
        except FieldProblem as exc:
            raise _in(segment, str(exc)) from None
        if amount is not None:
            amounts.append(amount)
        if rate is not None:
            rates.add(rate)
    total = sum(amounts, Decimal(0)) if amounts else None
    return total, (next(iter(rates)) if len(rates) == 1 else None)


def item_delivery_date(idoc: IDoc, index: int) -> date | None:
    """The date of the item's first schedule line (the earliest E1EDP20 EDATU)."""
    found: list[date] = []
    for segment in idoc.children(index, "E1EDP20"):
        try:
            when = sap_date(segment.get("EDATU"), "E1EDP20 EDATU")
        except FieldProblem as exc:
            raise _in(segment, str(exc)) from None
        if when is not None:
            found.append(when)
    return min(found, default=None)


def purchase_order_reason(idoc: IDoc, vendor: str | None) -> str | None:
    """Why an ORDERS IDoc is a purchase order its buyer sent out, or None for a sales order.

    SAP purchasing sends ORDERS/ORDCHG outbound to a partner of type LI (vendor);
    SAP sales receives ORDERS inbound and answers with ORDRSP. So an outbound
    ORDERS/ORDCHG, or one addressed to a vendor, is the buyer's own purchase
    order. A vendor partner (LF) alone says nothing: customers' orders that
    arrive at the seller name the seller as LF too.
    """
    direction = idoc.control_value("DIRECT")
    receiver_type = idoc.control_value("RCVPRT")
    if direction == "1" and idoc.mestyp in PURCHASE_MESSAGES:
        signal = f"outbound message {idoc.mestyp}, DIRECT 1"
    elif receiver_type == VENDOR_PARTNER_TYPE:
        signal = "receiver partner type LI, a vendor"
    else:
        return None
    sender = idoc.control_value("SNDPRN") or "(no sender in the control record)"
    to = vendor or optional_id(idoc.control_value("RCVPRN")) or "(no vendor named)"
    return (
        f"a purchase order sent by {sender} to vendor {to} ({signal}); "
        "handoff-rules reads sales orders"
    )
