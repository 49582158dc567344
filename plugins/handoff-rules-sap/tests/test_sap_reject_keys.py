"""A rejected SAP record still names the order, delivery, invoice and customer it shows.

The keys are in the form the facts use (no leading zeros), so the case builder
can attach the reject to the case it belonged to and make that case's rules
indeterminate rather than let them pass without the record.
"""

from __future__ import annotations

from pathlib import Path

from handoff_rules_sap import SapIdocAdapter, SapTableAdapter

from handoff_rules.adapters import Reject


def _rejects(adapter: SapIdocAdapter | SapTableAdapter, path: Path) -> list[Reject]:
    return [item for item in adapter.read(path) if isinstance(item, Reject)]


def _mutated(source: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_likp_row_with_a_bad_date_names_its_delivery_order_and_customer(sap_data):
    (reject,) = _rejects(SapTableAdapter(), sap_data / "LIKP_sqvi.csv")
    assert "WADAT_IST" in reject.reason
    assert dict(reject.keys) == {"delivery": "80001302", "order": "12361", "counterparty": "9901"}


def test_keys_reach_the_jsonl_record(sap_data):
    (reject,) = _rejects(SapTableAdapter(), sap_data / "LIKP_sqvi.csv")
    assert reject.to_record()["keys"]["order"] == "12361"
    assert Reject.from_record(reject.to_record()) == reject


def test_table_rejects_name_the_keys_of_their_table(sap_data):
    adapter = SapTableAdapter()
    (bad_date,) = [r for r in _rejects(adapter, sap_data / "VBAK.csv") if "ERDAT" in r.reason]
    assert dict(bad_date.keys) == {"order": "12347", "counterparty": "4711"}
    (bad_quantity,) = _rejects(adapter, sap_data / "VBAP.tsv")
    assert dict(bad_quantity.keys) == {"order": "12346"}
    (bad_sign,) = _rejects(adapter, sap_data / "BSID.csv")
    assert dict(bad_sign.keys) == {"counterparty": "9901"}  # no VBELN, XBLNR on that row


def test_a_quotation_in_vbak_is_no_broken_order_and_names_no_case(sap_data):
    """A full VBAK extract holds quotations: they are rejects, but tying them to
    their customer would make every order of that customer undecidable."""
    (quotation,) = [
        r for r in _rejects(SapTableAdapter(), sap_data / "VBAK.csv") if "quotation" in r.reason
    ]
    assert "quotation" in quotation.reason
    assert quotation.keys == ()


def test_a_broken_contract_in_vbak_is_a_document_reject_of_its_customer(tmp_path):
    """A contract row is read as the customer's contract: when it cannot be read,
    its customer's orders lack a contract that may be in force, so the reject
    names the customer, as a document (the contract check becomes undecided)."""
    path = tmp_path / "VBAK.csv"
    path.write_text(
        "VBELN;AUART;VBTYP;KUNNR;AUDAT;GUEBG;GUEEN\n"
        "0040000020;WK;G;0000005100;20240105;20240101;20241331\n",
        encoding="utf-8",
    )
    (reject,) = _rejects(SapTableAdapter(), path)
    assert "GUEEN" in reject.reason
    assert reject.type == "document"
    assert dict(reject.keys) == {"counterparty": "5100"}


def test_open_item_and_vbrp_keys(tmp_path):
    bsid = tmp_path / "BSID.csv"
    bsid.write_text(
        "BUKRS;KUNNR;GJAHR;BELNR;BUZEI;SHKZG;WRBTR;WAERS;XBLNR;VBELN;BUDAT\n"
        "1000;0000004711;2024;0090000104;001;S;12,00;PLN;0090004714; ;20240231\n",
        encoding="utf-8",
    )
    (reject,) = _rejects(SapTableAdapter(), bsid)
    assert dict(reject.keys) == {"invoice": "90004714", "counterparty": "4711"}
    vbrp = tmp_path / "VBRP.csv"
    vbrp.write_text(
        "VBELN;POSNR;FKIMG;NETWR;WAERK;AUBEL;AUPOS;VGBEL;VGPOS\n"
        "0090004711;000010;x;1,00;PLN;0000012345;000010;0080001234;000010\n",
        encoding="utf-8",
    )
    (reject,) = _rejects(SapTableAdapter(), vbrp)
    assert dict(reject.keys) == {"invoice": "90004711", "order": "12345", "delivery": "80001234"}


def test_vbfa_keys_follow_the_document_categories(tmp_path):
    path = tmp_path / "VBFA.csv"
    path.write_text(
        "VBELV;POSNV;VBTYP_V;VBELN;POSNN;VBTYP_N;RFMNG;MEINS\n"
        "0000012345;000010;C;0080001234;000010;J;zwei;ST\n"
        "0080001234;000010;J;0090004711;000010;M;zwei;ST\n"
        "0000012345;000010;C;4900001234;000001;R;zwei;ST\n",
        encoding="utf-8",
    )
    keys = [dict(r.keys) for r in _rejects(SapTableAdapter(), path)]
    assert keys == [
        {"order": "12345", "delivery": "80001234"},
        {"delivery": "80001234", "invoice": "90004711"},
        {"order": "12345"},  # R: a goods movement, no key of a case
    ]


def test_a_short_row_keeps_its_keys_a_shifted_row_only_the_leading_ones(tmp_path):
    path = tmp_path / "VBAK.csv"
    path.write_text(
        "VBELN;AUART;KUNNR;BSTNK;NETWR;WAERK\n"
        "0000012350;TA;0000004711\n"  # cut off after KUNNR: the cells it has are in place
        "0000012351;TA;0000004711;PO;with;separator;10,00;PLN\n"
        "0000012352;TA;0000004711;PO;10,00;PLN\n",
        encoding="utf-8",
    )
    short, shifted = _rejects(SapTableAdapter(), path)
    assert dict(short.keys) == {"order": "12350", "counterparty": "4711"}
    # AUART might hold the separator as well as BSTNK: only VBELN is surely in place
    assert dict(shifted.keys) == {"order": "12351"}


def test_a_bad_idoc_header_names_its_order_and_sold_to(sap_data):
    (reject,) = _rejects(SapIdocAdapter(), sap_data / "orders05_two.xml")
    assert "E1EDK03" in reject.reason
    assert dict(reject.keys) == {"order": "12346", "counterparty": "4711"}


def test_a_bad_order_item_names_its_order(sap_data, tmp_path):
    path = _mutated(
        sap_data / "orders05_two.xml", tmp_path, "<MENGE>120.000</MENGE>", "<MENGE>12O</MENGE>"
    )
    rejects = _rejects(SapIdocAdapter(), path)
    (item,) = [r for r in rejects if "MENGE" in r.reason]
    assert item.type == "order_line"
    assert dict(item.keys) == {"order": "12345", "counterparty": "4711"}


def test_a_bad_delivery_segment_names_delivery_order_and_customer(sap_data, tmp_path):
    path = _mutated(
        sap_data / "delvry07.xml", tmp_path, "<ISDD>20240311</ISDD>", "<ISDD>20241311</ISDD>"
    )
    (reject,) = _rejects(SapIdocAdapter(), path)
    assert reject.type == "delivery"
    assert dict(reject.keys) == {"delivery": "80001234", "order": "12345", "counterparty": "4711"}


def test_a_bad_invoice_total_names_invoice_order_delivery_and_customer(sap_data, tmp_path):
    path = _mutated(
        sap_data / "invoic02_zext.xml",
        tmp_path,
        "<SUMID>011</SUMID>\n      <SUMME>2416.95</SUMME>",
        "<SUMID>011</SUMID>\n      <SUMME>2.416.95</SUMME>",
    )
    (reject,) = _rejects(SapIdocAdapter(), path)
    assert reject.type == "invoice"
    assert dict(reject.keys) == {
        "invoice": "90004711",
        "order": "12345",
        "delivery": "80001234",
        "counterparty": "300412",
    }


def test_a_contact_without_name_names_its_customer(sap_data, tmp_path):
    text = (sap_data / "debmas06.xml").read_text(encoding="utf-8")
    start, end = text.index("<E1KNVKM"), text.index("</E1KNVKM>")
    contact = text[start:end]
    assert "<NAME1>" in contact
    blanked = contact.replace("<NAME1>", "<NAME1_X>").replace("</NAME1>", "</NAME1_X>")
    blanked = blanked.replace("<NAMEV>", "<NAMEV_X>").replace("</NAMEV>", "</NAMEV_X>")
    path = tmp_path / "debmas06.xml"
    path.write_text(text[:start] + blanked + text[end:], encoding="utf-8")
    (reject,) = _rejects(SapIdocAdapter(), path)
    assert reject.type == "person"
    assert set(dict(reject.keys)) == {"counterparty"}
