"""Table extracts: recognition, SAP value conventions, encodings, dialects, bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest
from handoff_rules_sap.tables import TABLES

from handoff_rules.adapters import AdapterError, Fact, Reject, Sample
from handoff_rules.model import Money, OpenItem, Payment


def _items(adapter, path):
    return list(adapter.read(path))


def test_vbak_semicolon_cp1251_decimal_comma_and_trailing_minus(table_adapter, sap_data, facts_of):
    items = _items(table_adapter, sap_data / "VBAK.csv")
    first, second = facts_of(items, "order")
    assert first.id == "12345"
    assert first.counterparty_id == "4711"
    assert first.net_value == Money(Decimal("1500.00"), "PLN")
    assert first.planned_delivery_date == date(2024, 3, 20)
    assert first.delivery_block is None  # a single-space blank
    assert second.net_value == Money(Decimal("-265.44"), "PLN")
    assert second.customer_po_ref == "Заказ №17/2024"  # cp1251 decoded
    assert second.order_date == date(2024, 3, 5)  # AUDAT 00000000 → ERDAT
    assert second.planned_delivery_date is None
    bad_date, quotation = [i for i in items if isinstance(i, Reject)]
    assert "quotation" in quotation.reason
    assert quotation.provenance.line == 6
    assert "20240230" in bad_date.reason
    assert bad_date.provenance.location == "line 5"
    (contract,) = facts_of(items, "document")  # line 4, VBTYP G
    assert (contract.id, contract.kind, contract.counterparty_id) == (
        "40000017",
        "contract",
        "4711",
    )
    fact = next(i for i in items if isinstance(i, Fact))
    assert fact.provenance.location == "line 2 (VBAK VBELN 0000012345)"


def test_vbap_tab_utf8_bom_and_prefixed_header(table_adapter, sap_data, facts_of):
    items = _items(table_adapter, sap_data / "VBAP.tsv")
    lines = facts_of(items, "order_line")
    assert [(line.order_id, line.line_no, line.item) for line in lines] == [
        ("12345", "10", "100200"),
        ("12345", "20", "100300"),
    ]
    assert lines[1].description == "Płyn chłodniczy 5 l"
    assert lines[1].net_value == Money(Decimal("-1234.56"), "PLN")
    (reject,) = [i for i in items if isinstance(i, Reject)]
    assert "KWMENG" in reject.reason


def test_kna1_company_ids_by_country(table_adapter, sap_data, facts_of):
    parties = {
        p.id: p for p in facts_of(_items(table_adapter, sap_data / "KNA1.csv"), "counterparty")
    }
    assert parties["9901"].name == "ООО «Ромашка»"
    assert parties["9901"].legal_id().scheme == "RU-INN"
    assert parties["9901"].legal_id().is_valid
    assert not parties["9902"].legal_id().is_valid  # kept as written, flagged
    assert parties["4711"].legal_id().scheme == "PL-NIP"
    assert parties["815"].identifiers == ()  # no scheme known for DE


def test_likp_lips_dates_in_both_formats(table_adapter, sap_data, facts_of):
    first, second = facts_of(_items(table_adapter, sap_data / "LIKP.csv"), "delivery")
    assert (first.release_date, first.counterparty_id, first.ship_to) == (
        date(2024, 3, 11),
        "4711",
        "4712",
    )
    assert second.planned_date == date(2024, 3, 21)  # DD.MM.YYYY
    assert second.release_date is None  # 00.00.0000
    flows = facts_of(_items(table_adapter, sap_data / "LIPS.txt"), "derived")
    assert [(f.order_id, f.get("from_item"), f.get("to_doc")) for f in flows] == [
        ("12345", "10", "80001234"),
        ("12345", "20", "80001234"),
    ]


def test_vbrk_invoices_and_cancellation(table_adapter, sap_data, facts_of):
    items = _items(table_adapter, sap_data / "VBRK.csv")
    invoices = facts_of(items, "invoice")
    assert [i.id for i in invoices] == ["90004711", "90004713"]
    assert invoices[0].total == Money(Decimal("1845.00"), "PLN")  # NETWR + MWSBK
    (cancel,) = facts_of(items, "derived")
    assert (cancel.get("from_doc"), cancel.get("to_doc"), cancel.get("to_category")) == (
        "90004711",
        "90004712",
        "N",
    )


def test_vbrp_links_order_and_delivery(table_adapter, sap_data, facts_of):
    flows = facts_of(_items(table_adapter, sap_data / "VBRP.csv"), "derived")
    assert [(f.get("from_doc"), f.get("from_category"), f.order_id) for f in flows] == [
        ("12345", "C", "12345"),
        ("80001234", "J", None),
        ("12346", "C", "12346"),  # VGBEL = AUBEL: one link only
    ]


def test_bsid_open_items_signed_by_debit_credit(table_adapter, sap_data):
    items = _items(table_adapter, sap_data / "BSID.csv")
    open_items = [i.data for i in items if isinstance(i, Fact)]
    assert all(isinstance(o, OpenItem) for o in open_items)
    credit, payment_on_account = open_items
    assert credit.amount == Money(Decimal("-265.44"), "PLN")
    assert credit.due_on == date(2024, 3, 27)  # ZFBDT + 14 days
    assert credit.document_ref == "90004713"
    assert payment_on_account.cleared_on is None
    (reject,) = [i for i in items if isinstance(i, Reject)]
    assert "SHKZG" in reject.reason


def test_bsad_cleared_items_and_the_payment(table_adapter, sap_data):
    items = _items(table_adapter, sap_data / "BSAD.csv")
    data = [i.data for i in items if isinstance(i, Fact)]
    invoice_item, payment_item, payment = data
    assert invoice_item.cleared_on == date(2024, 4, 2)
    assert payment_item.amount == Money(Decimal("-1845.00"), "PLN")
    assert payment == Payment(
        id="1000/1400000017/2024",
        amount=Money(Decimal("1845.00"), "PLN"),
        counterparty_id="4711",
        received_on=date(2024, 4, 2),
        reference="WB-0402",
        invoice_id="90004711",  # the one invoice item its clearing document 1400000017 cleared
    )


def test_vbfa_document_flow_crlf_leading_minus_and_blanks(table_adapter, sap_data, facts_of):
    flows = facts_of(_items(table_adapter, sap_data / "VBFA.csv"), "derived")
    assert {f.name for f in flows} == {"doc_flow"}
    assert [f.get("to_category") for f in flows] == ["J", "R", "M", "N", "Q", "C"]
    assert flows[0].get("currency") is None
    assert flows[0].get("value") == Decimal("0.00")
    assert flows[1].get("movement_type") == "601"
    assert flows[3].get("value") == Decimal("-1500.00")
    assert [f.order_id for f in flows] == ["12345", None, "12345", None, None, None]
    # A WMS transfer order keeps the date-like VBELN as it is, only without zeros.
    assert flows[4].get("to_doc") == "20240311"


def test_table_recognised_by_header_without_a_telling_file_name(table_adapter, sap_data, tmp_path):
    path = tmp_path / "export_2024.txt"
    path.write_bytes((sap_data / "VBAK.csv").read_bytes())
    claim = table_adapter.sniff(Sample.of(path))
    assert claim is not None
    assert claim.format == "vbak"
    assert claim.confidence == 0.8
    path2 = tmp_path / "VBAK.csv"
    path2.write_bytes((sap_data / "VBAK.csv").read_bytes())
    assert table_adapter.sniff(Sample.of(path2)).confidence == 0.9


def test_missing_required_columns_name_file_and_columns(table_adapter, tmp_path):
    path = tmp_path / "BSID.csv"
    path.write_text("BUKRS;KUNNR;BELNR;WRBTR\n1000;1;2;3,00\n", encoding="utf-8")
    with pytest.raises(AdapterError) as caught:
        _items(table_adapter, path)
    message = str(caught.value)
    assert str(path) in message
    assert "GJAHR" in message
    assert "BUZEI" in message
    assert "SHKZG" in message
    assert "WAERS" in message
    assert caught.value.location == "line 1"


def test_row_with_wrong_cell_count_is_a_reject(table_adapter, tmp_path, facts_of):
    path = tmp_path / "KNA1.csv"
    path.write_text("KUNNR;NAME1;LAND1\n0000000001;A;PL\n0000000002;B\n0000000003;C;CZ\n")
    items = _items(table_adapter, path)
    assert [p.id for p in facts_of(items, "counterparty")] == ["1", "3"]
    (reject,) = [i for i in items if isinstance(i, Reject)]
    assert reject.provenance.line == 3
    assert "cells" in reject.reason


def test_empty_required_key_is_a_reject(table_adapter, tmp_path):
    path = tmp_path / "VBAK.csv"
    path.write_text("VBELN;AUART\n ;TA\n")
    (reject,) = _items(table_adapter, path)
    assert isinstance(reject, Reject)
    assert "VBELN" in reject.reason


def test_amount_without_currency_is_a_reject(table_adapter, tmp_path):
    path = tmp_path / "VBAK.csv"
    path.write_text("VBELN;AUART;NETWR;WAERK\n0000000001;TA;10,00; \n0000000002;TA;0,00; \n")
    first, second = _items(table_adapter, path)
    assert isinstance(first, Reject)
    assert "no currency" in first.reason
    assert isinstance(second, Fact)
    assert second.data.net_value is None


def _late_latin1(path):
    good = "KUNNR;NAME1;LAND1\n" + "".join(f"{n:010d};Name;PL\n" for n in range(20000))
    return good.encode() + "0000099999;Gr\u00fcn;DE\n".encode("latin-1")


def test_a_late_latin1_byte_is_read_as_latin1_not_mojibake(table_adapter, tmp_path, facts_of):
    path = tmp_path / "KNA1.csv"
    path.write_bytes(_late_latin1(path))
    parties = facts_of(_items(table_adapter, path), "counterparty")
    assert len(parties) == 20001
    assert parties[-1].name == "Gr\u00fcn"


def test_bytes_contradicting_a_utf8_bom_are_a_reject_naming_their_line(table_adapter, tmp_path):
    path = tmp_path / "KNA1.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _late_latin1(path))
    *received, bad = _items(table_adapter, path)
    # Every row before the bad line, chunks of decoded text after the start, is a fact.
    assert len(received) == 20000
    assert all(isinstance(item, Fact) for item in received)
    assert received[-1].provenance.line == 20001
    assert isinstance(bad, Reject)
    assert bad.provenance.location == "line 20002"
    assert bad.reason.startswith("not UTF-8 although the file is (bytes b'\\xfcn;D', byte offset ")


def test_two_columns_for_one_field_the_first_wins(table_adapter, tmp_path, facts_of):
    path = tmp_path / "VBAP.csv"
    path.write_text(
        "VBAP-VBELN;POSNR;VBELN;KWMENG\n0000000001;000010;0000000009;2,000\n", encoding="utf-8"
    )
    (line,) = facts_of(_items(table_adapter, path), "order_line")
    assert (line.order_id, line.line_no, line.quantity) == ("1", "10", Decimal("2.000"))


def test_a_record_over_several_lines_is_located_by_its_lines(table_adapter, tmp_path):
    path = tmp_path / "VBAP.csv"
    path.write_text(
        'VBELN;POSNR;ARKTX;KWMENG\n0000000001;000010;"two\nlines";1\n0000000001;;x;1\n',
        encoding="utf-8",
    )
    fact, reject = _items(table_adapter, path)
    assert fact.provenance.location == "lines 2-3 (VBAP VBELN 0000000001 POSNR 000010)"
    assert fact.provenance.line == 2
    assert fact.data.description == "two\nlines"
    assert reject.provenance.location == "line 4"
    assert reject.raw == "0000000001 |  | x | 1"


def test_real_sap_event_extract_is_not_claimed(table_adapter, sap_data):
    path = sap_data / "sap-ap-ar-docflow" / "ap_ar_doc_flow_transactions.csv"
    assert table_adapter.sniff(Sample.of(path)) is None
    with pytest.raises(AdapterError, match="not a known SAP table extract"):
        _items(table_adapter, path)


def test_a_table_key_must_be_required_fields():
    # Provenance names a row by its key; only required fields are sure to be there.
    with pytest.raises(ValueError, match="key fields"):
        attrs.evolve(TABLES["VBAP"], key=("VBELN", "MATNR"))
