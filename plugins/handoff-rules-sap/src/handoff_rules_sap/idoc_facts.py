"""What an IDoc says, as facts: orders, deliveries, invoices, customers.

The IDoc type comes from the control record (IDOCTYP, else MESTYP), never
from the root element. Each supported IDoc gives:

- one ``derived`` fact named ``idoc`` with the control record and segment
  counts (customer segments skipped are counted there);
- its document: ORDERS05 → Order + OrderLine per E1EDP01; DELVRY0x → Delivery
  per E1EDL20 + a ``doc_flow`` per E1EDL24; INVOIC0x → Invoice + a ``doc_flow``
  per E1EDP01; DEBMAS0x → Counterparty per E1KNA1M + Person per E1KNVKM.

A header field that cannot be read rejects the document (its items with it:
they would point at nothing); a bad item rejects that item only. Ids drop
leading zeros (the model's form); the raw number stays in the provenance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Final

import attrs

from handoff_rules.adapters import Fact, Provenance, Reject
from handoff_rules.model import (
    SCHEME_BY_COUNTRY,
    CompanyId,
    Counterparty,
    Delivery,
    Derived,
    Invoice,
    Money,
    Order,
    OrderLine,
    Person,
)
from handoff_rules.model.trusted import trusted_constructor
from handoff_rules_sap.fields import (
    FieldProblem,
    key_value,
    money,
    number,
    optional_id,
    sap_date,
    sap_id,
    text,
)
from handoff_rules_sap.idoc_terms import (
    BILL_TO,
    CONTACT,
    NET_TOTALS,
    PAYER,
    SHIP_TO,
    SOLD_TO,
    VENDOR,
    SegmentProblem,
    common_item_ship_to,
    incoterm,
    item_delivery_date,
    item_net_value,
    item_partner,
    item_tax,
    payment_days,
    purchase_order_reason,
)
from handoff_rules_sap.segments import IDoc, Segment

SUPPORTED: Final = {
    "order": (re.compile(r"ORDERS0[1-5]$"), ("ORDERS", "ORDRSP", "ORDCHG")),
    "delivery": (re.compile(r"DELVRY0[1-7]$"), ("DESADV", "SHPCON", "WHSCON", "SHPORD")),
    "invoice": (re.compile(r"INVOIC0[12]$"), ("INVOIC",)),
    "customer": (re.compile(r"DEBMAS0\d$"), ("DEBMAS",)),
}
SUPPORTED_TEXT: Final = "ORDERS05, DELVRY03/05/07, INVOIC02, DEBMAS0x"


Item = Fact | Reject


def idoc_kind(idoc: IDoc) -> str | None:
    """Which document an IDoc carries, from its basic type or, failing that, message type."""
    for kind, (basic, _messages) in SUPPORTED.items():
        if idoc.idoctyp and basic.match(idoc.idoctyp):
            return kind
    if not idoc.idoctyp:
        for kind, (_basic, messages) in SUPPORTED.items():
            if idoc.mestyp in messages:
                return kind
    return None


@attrs.frozen(slots=True)
class Context:
    """Who is reading which file: what every provenance repeats."""

    adapter: str
    version: str
    source: str

    def at(self, idoc: IDoc, segment: Segment | None, raw: str = "") -> Provenance:
        if segment is None:
            where = f"IDoc {idoc.docnum} control record EDI_DC40"
            line = idoc.line
        else:
            where = f"IDoc {idoc.docnum} segment {segment.number} {segment.name}"
            line = segment.line
        if raw:
            where = f"{where} ({raw})"
        return _provenance(self.adapter, self.source, where, self.version, line)

    def reject(
        self,
        idoc: IDoc,
        segment: Segment | None,
        reason: str,
        fact_type: str | None,
        keys: Mapping[str, str | None] | None = None,
    ) -> Reject:
        raw = " ".join(
            f"{k}={v.strip()}"
            for k, v in (segment.fields if segment else {}).items()
            if v and v.strip()
        )
        return Reject(
            reason=reason,
            provenance=self.at(idoc, segment),
            type=fact_type,
            raw=raw[:200] or None,
            keys=keys or {},
        )


def _by_qualifier(idoc: IDoc, name: str, qualifier: str) -> dict[str, Segment]:
    """Top-level segments of a type by their qualifier field; the first of each wins."""
    result: dict[str, Segment] = {}
    for segment in idoc.top(name):
        result.setdefault(segment.get(qualifier), segment)
    return result


def _date_of(segments: Mapping[str, Segment], qualifier: str, field: str) -> date | None:
    segment = segments.get(qualifier)
    if segment is None:
        return None
    try:
        return sap_date(segment.get(field), f"{segment.name} {qualifier} {field}")
    except FieldProblem as exc:
        raise SegmentProblem(str(exc), segment) from None


def _where(exc: Exception, default: Segment) -> Segment:
    return exc.segment if isinstance(exc, SegmentProblem) else default


def _with_items(idoc: IDoc, item: str) -> str:
    count = sum(1 for _ in idoc.indexed(item))
    return f" (its {count} item(s) are not read either)" if count else ""


def _ref(refs: Mapping[str, Segment], qualifier: str) -> str | None:
    segment = refs.get(qualifier)
    return optional_id(segment.get("BELNR")) if segment else None


def _partner(partners: Mapping[str, Segment], role: str, field: str = "PARTN") -> str | None:
    segment = partners.get(role)
    return optional_id(segment.get(field)) if segment else None


def _key_in(segments: Mapping[str, Segment], qualifier: str, field: str) -> str | None:
    segment = segments.get(qualifier)
    return key_value(segment.get(field)) if segment else None


def _order_keys(
    refs: Mapping[str, Segment], header: Segment | None, partners: Mapping[str, Segment]
) -> dict[str, str | None]:
    """An ORDERS IDoc's business keys, readable even when its values are not."""
    number = _key_in(refs, "002", "BELNR") or (key_value(header.get("BELNR")) if header else None)
    return {"order": number, "counterparty": _key_in(partners, SOLD_TO, "PARTN")}


def _invoice_keys(
    refs: Mapping[str, Segment], header: Segment | None, partners: Mapping[str, Segment]
) -> dict[str, str | None]:
    """An INVOIC IDoc's business keys, readable even when its values are not."""
    return {
        "invoice": (key_value(header.get("BELNR")) if header else None)
        or _key_in(refs, "009", "BELNR"),
        "order": _key_in(refs, "002", "BELNR"),
        "delivery": _key_in(refs, "012", "BELNR"),
        "counterparty": _key_in(partners, SOLD_TO, "PARTN")
        or _key_in(partners, PAYER, "PARTN")
        or _key_in(partners, BILL_TO, "PARTN"),
    }


def _total(totals: Mapping[str, Segment], qualifier: str, currency: str) -> Money | None:
    """The E1EDS01 total of that SUMID qualifier, in its own currency or the document's."""
    segment = totals.get(qualifier)
    if segment is None:
        return None
    where = f"E1EDS01 {qualifier} SUMME"
    return money(number(segment.get("SUMME"), where), segment.get("WAERQ") or currency, where)


def _summary(idoc: IDoc, ctx: Context, kind: str, order_id: str | None, party: str | None) -> Fact:
    created = None
    try:
        created = sap_date(idoc.control_value("CREDAT"), "EDI_DC40 CREDAT")
    except FieldProblem:
        created = None
    values: dict[str, object] = {
        "idoctyp": idoc.idoctyp,
        "cimtyp": idoc.cimtyp or None,
        "mestyp": idoc.mestyp,
        "direction": idoc.control_value("DIRECT") or None,
        "sender": idoc.control_value("SNDPRN") or None,
        "receiver": idoc.control_value("RCVPRN") or None,
        "created_on": created,
        "segments": len(idoc.segments),
        "custom_segments_skipped": idoc.custom_segments,
        "document": kind,
    }
    return Fact(
        Derived(
            name="idoc",
            subject=idoc.docnum or "?",
            values=values,
            order_id=order_id,
            counterparty_id=party,
        ),
        ctx.at(idoc, None),
    )


def map_idoc(idoc: IDoc, ctx: Context) -> Iterator[Item]:
    """The facts (and rejects) of one IDoc."""
    kind = idoc_kind(idoc)
    if kind is None:
        yield ctx.reject(
            idoc,
            None,
            f"IDoc type {idoc.idoctyp or '(none)'} / message {idoc.mestyp or '(none)'} is not "
            f"read by this adapter (supported: {SUPPORTED_TEXT})",
            None,
        )
        return
    mapper = {
        "order": _order_idoc,
        "delivery": _delivery_idoc,
        "invoice": _invoice_idoc,
        "customer": _customer_idoc,
    }[kind]
    yield from mapper(idoc, ctx)


# -- ORDERS05 ---------------------------------------------------------------------------------


def _order_idoc(idoc: IDoc, ctx: Context) -> Iterator[Item]:
    header = idoc.first("E1EDK01")
    refs = _by_qualifier(idoc, "E1EDK02", "QUALF")
    dates = _by_qualifier(idoc, "E1EDK03", "IDDAT")
    orgs = _by_qualifier(idoc, "E1EDK14", "QUALF")
    partners = _by_qualifier(idoc, "E1EDKA1", "PARVW")
    totals = _by_qualifier(idoc, "E1EDS01", "SUMID")
    # the business keys a reject names; read only for a reject (they never fail)
    if header is None:
        keys = _order_keys(refs, header, partners)
        yield ctx.reject(idoc, None, "ORDERS IDoc without header segment E1EDK01", "order", keys)
        return
    raw_number = refs["002"].get("BELNR") if "002" in refs else header.get("BELNR")
    if not raw_number:
        yield ctx.reject(
            idoc,
            header,
            "no order number: E1EDK02 QUALF 002 and E1EDK01 BELNR are empty",
            "order",
            _order_keys(refs, header, partners),
        )
        return
    purchase = purchase_order_reason(idoc, _key_in(partners, VENDOR, "PARTN"))
    if purchase is not None:
        # keys name no case: the number is the buyer's PO, the parties are not our customers
        yield ctx.reject(
            idoc,
            None,
            f"order {raw_number} is {purchase}{_with_items(idoc, 'E1EDP01')}",
            "order",
        )
        return
    order_id = sap_id(raw_number)
    currency = header.get("CURCY")
    try:
        net = _total(totals, "002", currency)
        sold_to = _partner(partners, SOLD_TO)
        order = Order(
            id=order_id,
            counterparty_id=sold_to,
            order_date=_date_of(dates, "012", "DATUM") or _date_of(dates, "022", "DATUM"),
            net_value=net,
            currency=currency or None,
            customer_po_ref=_ref(refs, "001") if "002" in refs else None,
            sold_to=sold_to,
            ship_to=_partner(partners, SHIP_TO) or common_item_ship_to(idoc),
            bill_to=_partner(partners, BILL_TO),
            payer=_partner(partners, PAYER),
            incoterm=incoterm(idoc),
            payment_terms=text(header.get("ZTERM")),
            payment_days=payment_days(idoc),
            contact_person_id=_contact_person(partners, sold_to),
            contract_id=_ref(refs, "005") or _ref(refs, "006"),
            quote_id=_ref(refs, "004"),
            planned_delivery_date=_date_of(dates, "002", "DATUM"),
            order_type=text(orgs["012"].get("ORGID")) if "012" in orgs else None,
            sales_org=text(orgs["008"].get("ORGID")) if "008" in orgs else None,
            delivery_block=text(header.get("LIFSK")),
        )
    except (FieldProblem, ValueError) as exc:
        yield ctx.reject(
            idoc,
            _where(exc, header),
            f"order {raw_number}: {exc}{_with_items(idoc, 'E1EDP01')}",
            "order",
            _order_keys(refs, header, partners),
        )
        return
    yield _summary(idoc, ctx, "order", order_id, sold_to)
    yield _fact(order, ctx.at(idoc, header, f"BELNR {raw_number}"))
    for index, item in idoc.indexed("E1EDP01"):
        yield _order_line(idoc, ctx, order, currency, index, item)


def _contact_person(partners: Mapping[str, Segment], sold_to: str | None) -> str | None:
    """The contact person (AP), numbered under the sold-to as KNVK and VBPA number contacts."""
    number = _partner(partners, CONTACT)
    return f"{sold_to}/{number}" if number and sold_to else None


def _material(idoc: IDoc, index: int, item: Segment) -> tuple[str | None, str | None]:
    """Our material number and its text: E1EDP19 QUALF 002, else the item's MATNR."""
    ids = {s.get("QUALF"): s for s in idoc.children(index, "E1EDP19")}
    ours = ids.get("002")
    material = ours.get("IDTNR") if ours else item.get("MATNR_LONG") or item.get("MATNR")
    description = (ours or ids.get("001") or item).get("KTEXT") or None
    return (sap_id(material) if material else None), description


#: What an order line is made of is read by the parsers of :mod:`handoff_rules_sap.fields`
#: and :mod:`handoff_rules_sap.idoc_terms`; the facts' envelopes check nothing.
_new_order_line: Final = trusted_constructor(OrderLine)
_provenance: Final = trusted_constructor(Provenance)
_fact: Final = trusted_constructor(Fact)


def _order_line(
    idoc: IDoc, ctx: Context, order: Order, currency: str, index: int, item: Segment
) -> Item:
    order_id = order.id
    raw_line = item.get("POSEX")
    if not raw_line:
        keys = {"order": order_id, "counterparty": order.counterparty_id}
        return ctx.reject(idoc, item, "order item without item number POSEX", "order_line", keys)
    try:
        material, description = _material(idoc, index, item)
        code = item.get("CURCY") or currency
        line = _new_order_line(
            order_id=order_id,
            line_no=sap_id(raw_line),
            item=material,
            description=description,
            quantity=number(item.get("MENGE"), "E1EDP01 MENGE"),
            unit=text(item.get("MENEE")),
            net_value=money(item_net_value(idoc, index, item), code, "E1EDP01 NETWR"),
            ship_to=item_partner(idoc, index, SHIP_TO) or order.ship_to,
            unit_price=money(number(item.get("VPREI"), "E1EDP01 VPREI"), code, "E1EDP01 VPREI"),
            price_unit=number(item.get("PEINH"), "E1EDP01 PEINH"),
            delivery_date=item_delivery_date(idoc, index),
        )
    except (FieldProblem, ValueError) as exc:
        keys = {"order": order_id, "counterparty": order.counterparty_id}
        return ctx.reject(
            idoc, _where(exc, item), f"order {order_id} item {raw_line}: {exc}", "order_line", keys
        )
    return _fact(line, ctx.at(idoc, item, f"POSEX {raw_line}"))


# -- DELVRY0x ---------------------------------------------------------------------------------


def _doc_flow(
    *,
    from_doc: str | None,
    from_item: str | None,
    from_category: str | None,
    to_doc: str,
    to_item: str | None,
    to_category: str,
    extra: Mapping[str, object],
    order_id: str | None,
    counterparty_id: str | None = None,
) -> Derived:
    subject = f"{from_doc or '?'}/{from_item or '-'}->{to_doc}/{to_item or '-'}:{to_category}"
    values: dict[str, object] = {
        "from_doc": from_doc,
        "from_item": from_item,
        "from_category": from_category,
        "to_doc": to_doc,
        "to_item": to_item,
        "to_category": to_category,
        **extra,
    }
    return Derived(
        name="doc_flow",
        subject=subject,
        values=values,
        order_id=order_id,
        counterparty_id=counterparty_id,
    )


def _delivery_idoc(idoc: IDoc, ctx: Context) -> Iterator[Item]:
    headers = list(idoc.indexed("E1EDL20"))
    if not headers:
        yield ctx.reject(idoc, None, "DELVRY IDoc without delivery header E1EDL20", "delivery")
        return
    summary_done = False
    for index, header in headers:
        raw_number = header.get("VBELN")
        partners = {s.get("PARTNER_Q"): s for s in idoc.children(index, "E1ADRM1")}
        items = list(idoc.indexed("E1EDL24", index))
        orders = {sap_id(item.get("VGBEL")) for _, item in items if item.get("VGBEL")}
        keys = {
            "delivery": key_value(raw_number),
            "order": key_value(next(iter(orders))) if len(orders) == 1 else None,
            "counterparty": _key_in(partners, SOLD_TO, "PARTNER_ID")
            or _key_in(partners, SHIP_TO, "PARTNER_ID"),
        }
        if not raw_number:
            yield ctx.reject(
                idoc, header, "delivery without number E1EDL20 VBELN", "delivery", keys
            )
            continue
        delivery_id = sap_id(raw_number)
        deadlines = {s.get("QUALF"): s for s in idoc.children(index, "E1EDT13")}
        try:
            goods_issue = deadlines.get("006")
            delivery = Delivery(
                id=delivery_id,
                order_id=next(iter(orders)) if len(orders) == 1 else None,
                counterparty_id=_partner(partners, SOLD_TO, "PARTNER_ID")
                or _partner(partners, SHIP_TO, "PARTNER_ID"),
                ship_to=_partner(partners, SHIP_TO, "PARTNER_ID"),
                planned_date=sap_date(goods_issue.get("NTANF"), "E1EDT13 006 NTANF")
                if goods_issue
                else None,
                release_date=sap_date(goods_issue.get("ISDD"), "E1EDT13 006 ISDD")
                if goods_issue
                else None,
            )
        except (FieldProblem, ValueError) as exc:
            yield ctx.reject(
                idoc,
                header,
                f"delivery {raw_number}: {exc} (its {len(items)} item(s) are not read either)",
                "delivery",
                keys,
            )
            continue
        if not summary_done:
            yield _summary(idoc, ctx, "delivery", delivery.order_id, delivery.counterparty_id)
            summary_done = True
        yield Fact(delivery, ctx.at(idoc, header, f"VBELN {raw_number}"))
        for item_index, item in items:
            yield _delivery_item(idoc, ctx, delivery, item_index, item)


def _delivery_item(idoc: IDoc, ctx: Context, delivery: Delivery, index: int, item: Segment) -> Item:
    raw_item = item.get("POSNR")
    order_ref = item.get("VGBEL")
    order_item = item.get("VGPOS")
    if not order_ref:
        for ref in idoc.children(index, "E1EDL43"):
            if ref.get("QUALF") == "C":
                order_ref, order_item = ref.get("BELNR"), ref.get("POSNR")
                break
    keys = {
        "delivery": delivery.id,
        "order": key_value(order_ref) or delivery.order_id,
        "counterparty": delivery.counterparty_id,
    }
    if not raw_item:
        return ctx.reject(idoc, item, "delivery item without POSNR", "derived", keys)
    try:
        flow = _doc_flow(
            from_doc=optional_id(order_ref),
            from_item=optional_id(order_item),
            from_category="C" if order_ref else None,
            to_doc=delivery.id,
            to_item=sap_id(raw_item),
            to_category="J",
            extra={
                "material": optional_id(item.get("MATNR")),
                "quantity": number(item.get("LFIMG"), "E1EDL24 LFIMG"),
                "unit": text(item.get("VRKME")),
            },
            order_id=optional_id(order_ref),
            counterparty_id=delivery.counterparty_id,
        )
    except (FieldProblem, ValueError) as exc:
        return ctx.reject(
            idoc, item, f"delivery {delivery.id} item {raw_item}: {exc}", "derived", keys
        )
    return Fact(flow, ctx.at(idoc, item, f"POSNR {raw_item}"))


# -- INVOIC02 ---------------------------------------------------------------------------------


def _invoice_idoc(idoc: IDoc, ctx: Context) -> Iterator[Item]:
    header = idoc.first("E1EDK01")
    refs = _by_qualifier(idoc, "E1EDK02", "QUALF")
    dates = _by_qualifier(idoc, "E1EDK03", "IDDAT")
    partners = _by_qualifier(idoc, "E1EDKA1", "PARVW")
    totals = _by_qualifier(idoc, "E1EDS01", "SUMID")
    keys = _invoice_keys(refs, header, partners)
    if header is None:
        yield ctx.reject(idoc, None, "INVOIC IDoc without header segment E1EDK01", "invoice", keys)
        return
    raw_number = header.get("BELNR") or (refs["009"].get("BELNR") if "009" in refs else "")
    if not raw_number:
        yield ctx.reject(
            idoc,
            header,
            "no invoice number: E1EDK01 BELNR and E1EDK02 QUALF 009 are empty",
            "invoice",
            keys,
        )
        return
    invoice_id = sap_id(raw_number)
    currency = header.get("CURCY")
    try:
        total = _total(totals, "011", currency)
        party = (
            _partner(partners, SOLD_TO) or _partner(partners, PAYER) or _partner(partners, BILL_TO)
        )
        issued = _date_of(dates, "026", "DATUM") or (
            sap_date(refs["009"].get("DATUM"), "E1EDK02 009 DATUM") if "009" in refs else None
        )
        invoice = Invoice(
            id=invoice_id,
            order_id=_ref(refs, "002"),
            delivery_id=_ref(refs, "012"),
            counterparty_id=party,
            issued_on=issued,
            due_on=_date_of(dates, "028", "DATUM"),
            total=total,
            payment_terms=text(header.get("ZTERM")),
            buyer_legal_id=text(header.get("KUNDEUINR")),
            sold_to=_partner(partners, SOLD_TO),
            ship_to=_partner(partners, SHIP_TO),
            bill_to=_partner(partners, BILL_TO),
            payer=_partner(partners, PAYER),
            incoterm=incoterm(idoc),
        )
        _check_lines_add_up(idoc, totals, currency)
    except (FieldProblem, ValueError) as exc:
        yield ctx.reject(
            idoc,
            _where(exc, header),
            f"invoice {raw_number}: {exc}{_with_items(idoc, 'E1EDP01')}",
            "invoice",
            keys,
        )
        return
    yield _summary(idoc, ctx, "invoice", invoice.order_id, party)
    yield Fact(invoice, ctx.at(idoc, header, f"BELNR {raw_number}"))
    for index, item in idoc.indexed("E1EDP01"):
        yield _invoice_item(idoc, ctx, invoice, currency, index, item)


def _check_lines_add_up(idoc: IDoc, totals: Mapping[str, Segment], currency: str) -> None:
    """Refuse an invoice whose item net values do not add up to its net total (E1EDS01).

    The invoice is what the customer owes; when its own items say otherwise,
    neither figure can be trusted, so the document is a reject (and the cases
    that need it indeterminate) rather than a fact with a quiet contradiction.
    Checked only when every item has a readable value in the total's currency.
    """
    sumid = next((q for q in NET_TOTALS if q in totals), None)
    if sumid is None:
        return
    segment = totals[sumid]
    where = f"E1EDS01 {sumid} SUMME"
    try:
        stated = number(segment.get("SUMME"), where)
    except FieldProblem as exc:
        raise SegmentProblem(str(exc), segment) from None
    code = segment.get("WAERQ") or currency
    values: list[Decimal] = []
    for index, item in idoc.indexed("E1EDP01"):
        try:
            value = item_net_value(idoc, index, item)
        except FieldProblem:
            return  # that item is rejected on its own; the sum is not comparable
        if value is None or (item.get("CURCY") or currency) != code:
            return
        values.append(value)
    added = sum(values, Decimal(0))
    if values and stated is not None and added != stated:
        raise SegmentProblem(
            f"its {len(values)} item net value(s) add up to {added} {code}, "
            f"but the net total {where} is {stated} {code}",
            segment,
        )


def _invoice_item(
    idoc: IDoc, ctx: Context, invoice: Invoice, currency: str, index: int, item: Segment
) -> Item:
    raw_item = item.get("POSEX")
    refs = {s.get("QUALF"): s for s in idoc.children(index, "E1EDP02")}
    keys = {
        "invoice": invoice.id,
        "order": _key_in(refs, "002", "BELNR") or invoice.order_id,
        "delivery": _key_in(refs, "016", "BELNR") or invoice.delivery_id,
        "counterparty": invoice.counterparty_id,
    }
    if not raw_item:
        return ctx.reject(idoc, item, "invoice item without item number POSEX", "derived", keys)
    source = refs.get("002") or refs.get("016")
    from_doc = optional_id(source.get("BELNR")) if source else invoice.order_id
    from_item = optional_id(source.get("ZEILE")) if source else None
    category = (
        ("C" if source is refs.get("002") else "J") if source else ("C" if from_doc else None)
    )
    try:
        material, _description = _material(idoc, index, item)
        code = item.get("CURCY") or currency
        value = money(item_net_value(idoc, index, item), code, "E1EDP01 NETWR")
        tax, tax_rate = item_tax(idoc, index)
        flow = _doc_flow(
            from_doc=from_doc,
            from_item=from_item,
            from_category=category,
            to_doc=invoice.id,
            to_item=sap_id(raw_item),
            to_category="M",
            extra={
                "material": material,
                "quantity": number(item.get("MENGE"), "E1EDP01 MENGE"),
                "unit": text(item.get("MENEE")),
                "value": value.amount if value else None,
                "currency": value.currency if value else None,
                "tax": tax,
                "tax_rate": tax_rate,
                "net_weight": number(item.get("NTGEW"), "E1EDP01 NTGEW"),
                "gross_weight": number(item.get("BRGEW"), "E1EDP01 BRGEW"),
                "weight_unit": text(item.get("GEWEI")),
            },
            order_id=(from_doc if category == "C" else None) or invoice.order_id,
            counterparty_id=invoice.counterparty_id,
        )
    except (FieldProblem, ValueError) as exc:
        return ctx.reject(
            idoc, _where(exc, item), f"invoice {invoice.id} item {raw_item}: {exc}", "derived", keys
        )
    return Fact(flow, ctx.at(idoc, item, f"POSEX {raw_item}"))


# -- DEBMAS0x ---------------------------------------------------------------------------------


def company_ids(country: str | None, *values: str) -> tuple[CompanyId, ...]:
    """The national company id among SAP's tax-number fields (STCD1, STCD2 …).

    Only for countries whose scheme the model knows; the first value that
    passes the scheme's checksum wins, else the first non-blank one is kept
    (flagged invalid by the model). A French 14-digit SIRET also gives its SIREN.
    """
    scheme = SCHEME_BY_COUNTRY.get((country or "").upper())
    candidates = [v.strip() for v in values if v and v.strip()]
    if scheme is None or not candidates:
        return ()
    chosen = next((v for v in candidates if CompanyId(scheme.value, v).is_valid), candidates[0])
    digits = "".join(ch for ch in chosen if ch.isdigit())
    if scheme.value == "FR-SIREN" and len(digits) == 14:
        return (CompanyId("FR-SIRET", digits), CompanyId("FR-SIREN", digits[:9]))
    return (CompanyId(scheme.value, chosen),)


def _customer_idoc(idoc: IDoc, ctx: Context) -> Iterator[Item]:
    customers = list(idoc.indexed("E1KNA1M"))
    if not customers:
        yield ctx.reject(idoc, None, "DEBMAS IDoc without customer segment E1KNA1M", "counterparty")
        return
    summary_done = False
    for index, segment in customers:
        raw_number = segment.get("KUNNR")
        if not raw_number:
            yield ctx.reject(idoc, segment, "customer without number E1KNA1M KUNNR", "counterparty")
            continue  # no number: no key to name either
        customer_id = sap_id(raw_number)
        country = text(segment.get("LAND1"))
        sales = idoc.first("E1KNVVM", index)
        name = " ".join(p for p in (segment.get("NAME1"), segment.get("NAME2")) if p) or None
        party = Counterparty(
            id=customer_id,
            name=name,
            country=country,
            identifiers=company_ids(country, segment.get("STCD1"), segment.get("STCD2")),  # type: ignore[arg-type]  # attrs converter=tuple
            customer_group=text(sales.get("KDGRP")) if sales else None,
        )
        if not summary_done:
            yield _summary(idoc, ctx, "customer", None, customer_id)
            summary_done = True
        yield Fact(party, ctx.at(idoc, segment, f"KUNNR {raw_number}"))
        for contact in idoc.children(index, "E1KNVKM"):
            yield _contact(idoc, ctx, customer_id, contact)


def _contact(idoc: IDoc, ctx: Context, customer_id: str, contact: Segment) -> Item:
    raw_number = contact.get("PARNR")
    full_name = " ".join(p for p in (contact.get("NAMEV"), contact.get("NAME1")) if p)
    if not raw_number or not full_name:
        return ctx.reject(
            idoc,
            contact,
            "contact person without number PARNR or name NAMEV/NAME1",
            "person",
            {"counterparty": customer_id},
        )
    person = Person(
        id=f"{customer_id}/{sap_id(raw_number)}",
        full_name=full_name,
        counterparty_id=customer_id,
        position=text(contact.get("PAFKT")),
    )
    return Fact(person, ctx.at(idoc, contact, f"PARNR {raw_number}"))
