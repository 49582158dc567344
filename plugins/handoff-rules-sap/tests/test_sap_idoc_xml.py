"""IDoc XML: types from the control record, segment mapping, quirks, hostile files."""

from __future__ import annotations

import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_sap import SapIdocAdapter
from handoff_rules_sap.idoc_xml import iter_idocs

from handoff_rules.adapters import AdapterError, Fact, Reject
from handoff_rules.model import Counterparty, Delivery, Derived, Invoice, Money, Order, OrderLine


def _read(adapter: SapIdocAdapter, path: Path) -> list[Fact | Reject]:
    return list(adapter.read(path))


def test_invoice_with_extension_root_and_nested_z_segments(idoc_adapter, sap_data, facts_of):
    items = _read(idoc_adapter, sap_data / "invoic02_zext.xml")
    (invoice,) = facts_of(items, "invoice")
    assert isinstance(invoice, Invoice)
    assert invoice.id == "90004711"  # E1EDK01 BELNR 0090004711, zeros dropped
    assert invoice.order_id == "12345"  # E1EDK02 QUALF 002
    assert invoice.delivery_id == "80001234"  # E1EDK02 QUALF 012
    assert invoice.counterparty_id == "300412"  # E1EDKA1 AG
    assert invoice.issued_on == date(2024, 3, 12)  # E1EDK03 026
    assert invoice.due_on == date(2024, 4, 11)  # E1EDK03 028
    assert invoice.total == Money(Decimal("2416.95"), "EUR")  # E1EDS01 011
    assert invoice.payment_terms == "N030"
    summary = next(d for d in facts_of(items, "derived") if d.name == "idoc")
    assert summary.get("idoctyp") == "INVOIC02"
    assert summary.get("cimtyp") == "ZINVOIC_NORD"
    # ZEXT_K01 in E1EDK01, ZMARM1 (+ nested ZMARM2) and ZMARM1 in the items.
    assert summary.get("custom_segments_skipped") == 4
    header = next(i for i in items if isinstance(i, Fact) and i.type == "invoice")
    assert header.provenance.location == (
        "IDoc 0000000004711001 segment 000001 E1EDK01 (BELNR 0090004711)"
    )
    assert header.provenance.line is not None


def test_invoice_items_link_order_items(idoc_adapter, sap_data, facts_of):
    flows = [
        d
        for d in facts_of(_read(idoc_adapter, sap_data / "invoic02_zext.xml"), "derived")
        if d.name == "doc_flow"
    ]
    assert [(f.get("from_doc"), f.get("from_item"), f.get("to_item")) for f in flows] == [
        ("12345", "10", "10"),
        ("12345", "20", "20"),
    ]
    assert flows[0].get("material") == "10002119"  # 000000000010002119
    assert flows[0].get("value") == Decimal("1512.00")
    assert all(f.order_id == "12345" for f in flows)


def test_two_orders_in_one_file_with_partner_roles(idoc_adapter, sap_data, facts_of):
    items = _read(idoc_adapter, sap_data / "orders05_two.xml")
    (order,) = facts_of(items, "order")
    assert isinstance(order, Order)
    assert order.id == "12345"  # E1EDK02 QUALF 002 wins over E1EDK01 BELNR (the PO)
    assert order.customer_po_ref == "ZAM/2024/0311"
    assert (order.sold_to, order.ship_to, order.bill_to, order.payer) == (
        "4711",
        "4712",
        "4711",
        "4711",
    )
    assert order.counterparty_id == "4711"
    assert order.order_date == date(2024, 3, 4)
    assert order.planned_delivery_date == date(2024, 3, 20)
    assert order.net_value == Money(Decimal("265.44"), "PLN")
    assert (order.order_type, order.sales_org) == ("TA", "1000")
    assert order.contract_id == "40000017"
    assert order.delivery_block == "01"
    lines = facts_of(items, "order_line")
    assert lines == [
        OrderLine(
            order_id="12345",
            line_no="10",
            item="100200",
            description="Filtr oleju FO-200",
            quantity=Decimal("120.000"),
            unit="PCE",
            net_value=Money(Decimal("1500.00"), "PLN"),
            ship_to="4712",  # the order's: the item names none of its own
            unit_price=Money(Decimal("12.50"), "PLN"),
            price_unit=Decimal("1"),
            delivery_date=date(2024, 3, 20),  # E1EDP20 EDATU
        ),
        OrderLine(
            order_id="12345",
            line_no="20",
            item="100300",
            quantity=Decimal("4.000"),  # decimal comma
            unit="PCE",
            net_value=Money(Decimal("-1234.56"), "PLN"),  # trailing minus
            ship_to="4712",
        ),
    ]
    # The second IDoc has an impossible date: it is a reject naming the segment, not a crash.
    (reject,) = [i for i in items if isinstance(i, Reject)]
    assert reject.type == "order"
    assert "20240231" in reject.reason
    assert "1 item" in reject.reason
    assert reject.provenance.location == "IDoc 0000000000520002 segment 000003 E1EDK03"


def test_delivery_with_goods_issue_and_item_references(idoc_adapter, sap_data, facts_of):
    items = _read(idoc_adapter, sap_data / "delvry07.xml")
    (delivery,) = facts_of(items, "delivery")
    assert delivery == Delivery(
        id="80001234",
        order_id="12345",
        counterparty_id="4711",
        ship_to="4712",
        planned_date=date(2024, 3, 10),
        release_date=date(2024, 3, 11),
    )
    flows = [d for d in facts_of(items, "derived") if d.name == "doc_flow"]
    # Item 20 has no VGBEL: the E1EDL43 QUALF C reference is used.
    assert [(f.get("from_doc"), f.get("from_item"), f.get("quantity")) for f in flows] == [
        ("12345", "10", Decimal("120.000")),
        ("12345", "20", Decimal("4.000")),
    ]
    summary = next(d for d in facts_of(items, "derived") if d.name == "idoc")
    assert summary.get("custom_segments_skipped") == 1


def test_customer_master_with_contact_and_company_ids(idoc_adapter, sap_data, facts_of):
    items = _read(idoc_adapter, sap_data / "debmas06.xml")
    parties = facts_of(items, "counterparty")
    assert [p.id for p in parties] == ["4711", "9901"]
    polish, russian = parties
    assert isinstance(polish, Counterparty)
    assert polish.legal_id() is not None
    assert polish.legal_id().is_valid
    assert polish.customer_group == "02"
    assert russian.legal_id() is not None
    assert not russian.legal_id().is_valid
    (person,) = facts_of(items, "person")
    assert (person.id, person.full_name, person.counterparty_id) == (
        "4711/71",
        "Anna Kowalska",
        "4711",
    )


def _idoc(idoctyp: str, body: str, docnum: str = "0000000000000001", mestyp: str = "") -> str:
    return (
        f"<IDOC BEGIN='1'><EDI_DC40 SEGMENT='1'><DOCNUM>{docnum}</DOCNUM>"
        f"<IDOCTYP>{idoctyp}</IDOCTYP><MESTYP>{mestyp}</MESTYP></EDI_DC40>{body}</IDOC>"
    )


ORDER_BODY = (
    "<E1EDK01 SEGMENT='1'><CURCY>EUR</CURCY><BELNR>0000000042</BELNR></E1EDK01>"
    "<E1EDP01 SEGMENT='1'><POSEX>000010</POSEX><MENGE>1</MENGE></E1EDP01>"
)


def test_type_comes_from_control_record_not_root(idoc_adapter, tmp_path, facts_of):
    path = tmp_path / "anything.xml"
    path.write_text(f"<WHATEVER_ROOT>{_idoc('ORDERS05', ORDER_BODY)}</WHATEVER_ROOT>")
    assert [o.id for o in facts_of(_read(idoc_adapter, path), "order")] == ["42"]


def test_message_type_used_when_basic_type_is_missing(idoc_adapter, tmp_path, facts_of):
    path = tmp_path / "orders.xml"
    path.write_text(f"<X>{_idoc('', ORDER_BODY, mestyp='ORDERS')}</X>")
    assert len(facts_of(_read(idoc_adapter, path), "order")) == 1


def test_namespaced_wrapper_is_read(idoc_adapter, tmp_path, facts_of):
    path = tmp_path / "soap.xml"
    path.write_text(
        "<ns:Send xmlns:ns='http://Microsoft.LobServices.Sap/2007/03/Idoc/2/ORDERS05//720/Send'>"
        f"<ns:idocData><ORDERS05>{_idoc('ORDERS05', ORDER_BODY)}</ORDERS05></ns:idocData>"
        "</ns:Send>"
    )
    assert len(facts_of(_read(idoc_adapter, path), "order")) == 1


MATERIAL_BODY = '<E1MARAM SEGMENT="1"><MATNR>1</MATNR></E1MARAM>'


def test_idoc_in_a_default_namespace_is_read(idoc_adapter, tmp_path, facts_of):
    path = tmp_path / "ns.xml"
    path.write_text(
        "<ORDERS05 xmlns='urn:sap-com:document:sap:idoc:soap:messages'>"
        f"{_idoc('ORDERS05', ORDER_BODY)}</ORDERS05>"
    )
    items = _read(idoc_adapter, path)
    assert [o.id for o in facts_of(items, "order")] == ["42"]
    assert [line.line_no for line in facts_of(items, "order_line")] == ["10"]


def test_unsupported_idoc_type_is_a_reject_and_the_rest_is_read(idoc_adapter, tmp_path):
    path = tmp_path / "mixed.xml"
    path.write_text(
        f"<X>{_idoc('MATMAS05', MATERIAL_BODY)}"
        f"{_idoc('ORDERS05', ORDER_BODY, docnum='0000000000000002')}</X>"
    )
    items = _read(idoc_adapter, path)
    rejects = [i for i in items if isinstance(i, Reject)]
    assert len(rejects) == 1
    assert "MATMAS05" in rejects[0].reason
    assert rejects[0].provenance.location == "IDoc 0000000000000001 control record EDI_DC40"
    assert any(isinstance(i, Fact) and i.type == "order" for i in items)


def test_item_without_number_is_rejected_alone(idoc_adapter, tmp_path, facts_of):
    path = tmp_path / "o.xml"
    body = ORDER_BODY + "<E1EDP01 SEGMENT='1'><MENGE>2</MENGE></E1EDP01>"
    path.write_text(f"<X>{_idoc('ORDERS05', body)}</X>")
    items = _read(idoc_adapter, path)
    assert len(facts_of(items, "order_line")) == 1
    (reject,) = [i for i in items if isinstance(i, Reject)]
    assert reject.type == "order_line"
    assert "POSEX" in reject.reason


XXE = """<?xml version="1.0"?>
<!DOCTYPE ORDERS05 [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ORDERS05><IDOC BEGIN="1"><EDI_DC40 SEGMENT="1"><DOCNUM>1</DOCNUM>
<IDOCTYP>ORDERS05</IDOCTYP></EDI_DC40>
<E1EDK01 SEGMENT="1"><BELNR>&xxe;</BELNR></E1EDK01></IDOC></ORDERS05>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ORDERS05><IDOC BEGIN="1"><EDI_DC40 SEGMENT="1"><DOCNUM>1</DOCNUM>
<IDOCTYP>ORDERS05</IDOCTYP></EDI_DC40><E1EDK01 SEGMENT="1"><BELNR>&lol9;</BELNR>
</E1EDK01></IDOC></ORDERS05>
"""


@pytest.mark.parametrize(("name", "text"), [("xxe.xml", XXE), ("bomb.xml", BILLION_LAUGHS)])
def test_dtd_external_entity_and_entity_bomb_are_refused(idoc_adapter, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(AdapterError) as caught:
        _read(idoc_adapter, path)
    message = str(caught.value)
    assert str(path) in message
    assert "line 2" in message
    assert "DOCTYPE" in message
    assert "root:" not in message  # nothing of /etc/passwd


def test_doctype_after_a_long_comment_is_refused_by_the_parser_check(idoc_adapter, tmp_path):
    path = tmp_path / "late.xml"
    padding = "<!--" + "x" * 70_000 + "-->\n"
    path.write_text(padding + XXE.split("\n", 1)[1])
    with pytest.raises(AdapterError, match="DOCTYPE"):
        _read(idoc_adapter, path)


def test_truncated_file_keeps_what_was_read_and_names_the_line(idoc_adapter, sap_data, tmp_path):
    text = (sap_data / "orders05_two.xml").read_text(encoding="utf-8")
    cut = text.index("<E1EDKA1", text.index("0000000000520002"))
    path = tmp_path / "cut.xml"
    path.write_text(text[:cut], encoding="utf-8")
    received: list[Fact | Reject] = []
    with pytest.raises(AdapterError) as caught:
        received.extend(idoc_adapter.read(path))  # keeps what came before the error
    assert any(isinstance(i, Fact) and i.type == "order" for i in received)
    message = str(caught.value)
    assert str(path) in message
    assert "truncated" in message
    assert "line " in message
    assert "after IDoc 0000000000520001" in message


def test_malformed_xml_names_file_and_line(idoc_adapter, tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(f"<X>{_idoc('ORDERS05', ORDER_BODY)}\n<IDOC><EDI_DC40></IDOC></X>")
    with pytest.raises(AdapterError, match=r"malformed XML.*read 1 IDoc") as caught:
        _read(idoc_adapter, path)
    assert caught.value.location == "line 2"


def test_complete_idocs_before_extra_content_are_all_read(idoc_adapter, tmp_path):
    """Content after the root element is an error only after the IDocs before it are read."""
    path = tmp_path / "extra.xml"
    body = "".join(_idoc("ORDERS05", ORDER_BODY, docnum=f"{n:016d}") for n in range(1, 5))
    path.write_text(f"<X>{body}</X>\n<trailer/>")
    received: list[Fact | Reject] = []
    with pytest.raises(AdapterError, match=r"read 4 IDoc") as caught:
        received.extend(idoc_adapter.read(path))
    assert caught.value.location == "line 2"
    assert sum(1 for i in received if isinstance(i, Fact) and i.type == "order") == 4


@pytest.mark.parametrize("cut", ["</IDO", "</IDOC", "<E1EDP01 SEGMENT='1'><POSEX>0000"])
def test_an_idoc_cut_off_at_the_end_is_never_taken_as_complete(idoc_adapter, tmp_path, cut):
    """A parser that closes the elements left open at the end must not complete a cut IDoc."""
    first = _idoc("ORDERS05", ORDER_BODY, docnum="0000000000000001")
    second = _idoc("ORDERS05", ORDER_BODY, docnum="0000000000000002")
    text = f"<X>{first}\n{second}"
    path = tmp_path / "cut.xml"
    path.write_text(text[: text.rindex(cut) + len(cut)])
    received: list[Fact | Reject] = []
    with pytest.raises(AdapterError, match=r"read 1 IDoc"):
        received.extend(idoc_adapter.read(path))
    assert sum(1 for i in received if isinstance(i, Fact) and i.type == "order") == 1


def test_wrong_encoding_is_an_adapter_error(idoc_adapter, tmp_path):
    path = tmp_path / "latin1.xml"
    text = f"<?xml version='1.0' encoding='UTF-8'?><X>{_idoc('ORDERS05', ORDER_BODY)}</X>"
    path.write_bytes(text.replace("EUR", "EUR\u00e4").encode("latin-1"))
    with pytest.raises(AdapterError, match="encoding"):
        _read(idoc_adapter, path)


def test_file_without_idocs_is_an_adapter_error(idoc_adapter, tmp_path):
    path = tmp_path / "empty.xml"
    path.write_text("<EDI_DC40_LIST><EDI_DC40 /></EDI_DC40_LIST>")
    with pytest.raises(AdapterError, match="no IDOC element"):
        _read(idoc_adapter, path)


def test_memory_stays_flat_as_the_file_grows(tmp_path):
    """Reading 4x as many IDocs must not need notably more memory (one IDoc at a time)."""

    def peak(count: int) -> int:
        path = tmp_path / f"many{count}.xml"
        with path.open("w") as out:
            out.write("<ORDERS05>")
            for n in range(count):
                out.write(_idoc("ORDERS05", ORDER_BODY * 3, docnum=f"{n:016d}"))
            out.write("</ORDERS05>")
        tracemalloc.start()
        for _ in iter_idocs(path):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(500), peak(2000)
    assert large < small * 1.5 + 64 * 1024


def test_summary_fact_is_plain_derived(idoc_adapter, sap_data):
    first = next(iter(idoc_adapter.read(sap_data / "delvry07.xml")))
    assert isinstance(first, Fact)
    assert isinstance(first.data, Derived)
    assert first.provenance.location == "IDoc 0000000000730001 control record EDI_DC40"
