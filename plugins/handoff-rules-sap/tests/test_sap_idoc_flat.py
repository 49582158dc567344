"""Flat (fixed-width) IDoc files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from handoff_rules_sap.flat_writer import control_record, data_record
from handoff_rules_sap.segments import segment_type

from handoff_rules.adapters import AdapterError, Fact, Reject, Sample
from handoff_rules.model import Money


def test_definition_names_map_to_segment_types():
    known = {"E1EDK01": 1, "E1EDK14": 1, "E1EDKA1": 1}
    assert segment_type("E2EDK01005", known) == "E1EDK01"
    assert segment_type("E2EDK14", known) == "E1EDK14"
    assert segment_type("E1EDKA1", known) == "E1EDKA1"
    assert segment_type("E2EDKA1003") == "E1EDKA1"


def test_flat_invoices_are_read_like_xml(idoc_adapter, sap_data, facts_of):
    path = sap_data / "invoic02_flat.txt"
    assert idoc_adapter.sniff(Sample.of(path)).format == "idoc-flat"
    items = list(idoc_adapter.read(path))
    invoices = facts_of(items, "invoice")
    assert [i.id for i in invoices] == ["95012001", "95012002"]
    first = invoices[0]
    assert first.order_id == "45001"
    assert first.counterparty_id == "200017"
    assert (first.issued_on, first.due_on) == (date(2023, 5, 15), date(2023, 6, 14))
    assert first.total == Money(Decimal("2100.18"), "USD")
    summaries = [d for d in facts_of(items, "derived") if d.name == "idoc"]
    assert [s.get("custom_segments_skipped") for s in summaries] == [2, 2]
    flows = [d for d in facts_of(items, "derived") if d.name == "doc_flow"]
    assert [(f.get("to_doc"), f.get("to_item"), f.get("value")) for f in flows] == [
        ("95012001", "10", Decimal("1500.00")),
        ("95012001", "20", Decimal("310.50")),
        ("95012002", "10", Decimal("99.90")),
    ]
    header = next(i for i in items if isinstance(i, Fact) and i.type == "invoice")
    assert header.provenance.location == (
        "IDoc 0000003075576582 segment 000001 E1EDK01 (BELNR 0095012001)"
    )
    assert header.provenance.line == 2


def _file(tmp_path, lines, name="flat.txt"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _order_idoc(docnum="0000000000000009"):
    return [
        control_record({"DOCNUM": docnum, "IDOCTYP": "ORDERS05", "MESTYP": "ORDERS"}),
        data_record(
            "E1EDK01",
            {"CURCY": "EUR", "BELNR": "0000000077"},
            docnum=docnum,
            segnum=1,
            name="E2EDK01005",
        ),
        data_record(
            "E1EDP01",
            {"POSEX": "000010", "MENGE": "3", "NETWR": "30.00"},
            docnum=docnum,
            segnum=2,
            name="E2EDP01011",
        ),
    ]


def test_a_broken_record_header_is_a_reject_and_the_rest_is_read(idoc_adapter, tmp_path, facts_of):
    lines = _order_idoc()
    lines.insert(2, "E2EDP01011" + "x" * 70)
    items = list(idoc_adapter.read(_file(tmp_path, lines)))
    (reject,) = [i for i in items if isinstance(i, Reject)]
    assert reject.provenance.location == "line 3 (IDoc 0000000000000009)"
    assert "hierarchy level" in reject.reason
    assert [line.line_no for line in facts_of(items, "order_line")] == ["10"]


def test_data_before_control_and_overlong_records_are_rejects(idoc_adapter, tmp_path):
    lines = _order_idoc()
    lines.insert(0, lines[1])
    lines.append(lines[2] + "EXTRA")
    items = list(idoc_adapter.read(_file(tmp_path, lines)))
    reasons = [i.reason for i in items if isinstance(i, Reject)]
    assert any("before any control record" in r for r in reasons)
    assert any("longer than 1063" in r for r in reasons)


def test_truncated_last_record_is_an_adapter_error_after_earlier_idocs(idoc_adapter, tmp_path):
    lines = _order_idoc("0000000000000001") + _order_idoc("0000000000000002")
    path = tmp_path / "cut.txt"
    text = "\n".join(lines)
    path.write_text(text[: text.rindex("\n") + 40], encoding="utf-8")
    received = []
    with pytest.raises(AdapterError, match="truncated") as caught:
        received.extend(idoc_adapter.read(path))  # keeps what came before the error
    assert caught.value.location == "line 6"
    assert any(isinstance(i, Fact) and i.type == "order" for i in received)


def test_not_a_flat_idoc_is_refused(idoc_adapter, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    assert idoc_adapter.sniff(Sample.of(path)) is None
    with pytest.raises(AdapterError, match="not an IDoc"):
        list(idoc_adapter.read(path))


def test_writer_refuses_values_longer_than_their_field():
    with pytest.raises(ValueError, match="longer than its 3"):
        data_record("E1EDK01", {"CURCY": "EURO"}, docnum="1", segnum=1)
