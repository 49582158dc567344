"""Facts completed by other rows of their file: BSAD payments, LIKP/LIPS and VBRK/VBRP joins.

The decision tests run ``handoff-rules check`` on both engines: a payment
that names its invoice is what ACC-PAY-001 (payment differences) judges; one
that names none leaves the rule with nothing to decide.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_sap import SapTableAdapter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.adapters import AdapterError, Fact
from handoff_rules.adapters.tabular import TableReader
from handoff_rules.cli import main
from handoff_rules.model import Delivery, Invoice, Money, Payment


def _data(path: Path) -> list[object]:
    return [item.data for item in SapTableAdapter().read(path) if isinstance(item, Fact)]


def test_a_payment_names_the_one_invoice_its_clearing_cleared(sap_data):
    payments = {p.id: p for p in _data(sap_data / "BSAD_clearings.txt") if isinstance(p, Payment)}
    # cleared one debit item, whose billing document is 90004720 (its FI document is another)
    assert payments["1000/1400000030/2024"].invoice_id == "90004720"
    assert payments["1000/1400000030/2024"].amount == Money(Decimal("1840.00"), "PLN")
    # cleared two invoices at once: the 500.00 is the payment of neither alone
    assert payments["1000/1400000031/2024"].invoice_id is None
    # REBZG names the invoice's FI document 0100000723, whose line gives billing document
    # 90004723 (the clearing also took an interest item, so AUGBL alone would not tell)
    assert payments["1000/1400000032/2024"].invoice_id == "90004723"


def test_the_original_bsad_fixture_links_its_payment(sap_data):
    (payment,) = [p for p in _data(sap_data / "BSAD.csv") if isinstance(p, Payment)]
    assert payment.invoice_id == "90004711"


def test_facts_come_in_file_order_each_payment_after_its_line(sap_data):
    items = list(SapTableAdapter().read(sap_data / "BSAD_clearings.txt"))
    assert [i.provenance.line for i in items] == sorted(i.provenance.line for i in items)
    payments = [i for i in items if isinstance(i, Fact) and isinstance(i.data, Payment)]
    assert [p.provenance.line for p in payments] == [3, 6, 9]
    assert "BELNR 1400000030" in payments[0].provenance.location
    # the invoice cleared by 1400000032 comes before the payment, the one of 1400000030
    # too: the first pass, not the order of rows, links them (see the property test)


def test_a_credit_cleared_with_an_invoice_makes_the_clearing_ambiguous(tmp_path):
    path = tmp_path / "BSAD.csv"
    path.write_text(
        "BUKRS;KUNNR;AUGDT;AUGBL;GJAHR;BELNR;BUZEI;BUDAT;WAERS;XBLNR;SHKZG;WRBTR;VBELN\n"
        "1000;4711;20240405;1400000040;2024;0100000740;001;20240312;PLN;;S;100,00;0090004740\n"
        "1000;4711;20240405;1400000040;2024;0100000741;001;20240313;PLN;;H;20,00;0090004741\n"
        "1000;4711;20240405;1400000040;2024;1400000040;001;20240405;PLN;;H;80,00;\n",
        encoding="utf-8",
    )
    (payment,) = [p for p in _data(path) if isinstance(p, Payment)]
    assert payment.invoice_id is None


def test_a_payment_held_back_is_still_given_when_the_file_stops(tmp_path, monkeypatch):
    path = tmp_path / "BSAD.csv"
    path.write_text(
        "BUKRS;KUNNR;AUGDT;AUGBL;GJAHR;BELNR;BUZEI;BUDAT;WAERS;XBLNR;SHKZG;WRBTR;VBELN\n"
        "1000;4711;20240405;1400000030;2024;0100000720;001;20240312;PLN;;S;1.845,00;0090004720\n"
        "1000;4711;20240405;1400000030;2024;1400000030;001;20240405;PLN;;H;1.840,00;\n"
        "1000;4711;20240405;1400000030;2024;0100000721;001;20240312;PLN;;S;1,00;0090004721\n",
        encoding="utf-8",
    )
    records = TableReader.records

    def failing(self: TableReader) -> Iterator[tuple[int, int, list[str], str | None]]:
        for number, record in enumerate(records(self)):
            if number == 2:
                raise OSError(5, "Input/output error")
            yield record

    monkeypatch.setattr(TableReader, "records", failing)
    read: list[object] = []

    def read_all() -> None:
        read.extend(item.data for item in SapTableAdapter().read(path) if isinstance(item, Fact))

    with pytest.raises(AdapterError, match="Input/output error"):
        read_all()
    (payment,) = [p for p in read if isinstance(p, Payment)]
    # the third line, which would have made the clearing ambiguous, was never read
    assert payment.invoice_id == "90004720"


def test_a_likp_lips_join_gives_one_delivery_per_document(sap_data):
    deliveries = [d for d in _data(sap_data / "LIKP_items_sqvi.csv") if isinstance(d, Delivery)]
    assert [(d.id, d.order_id) for d in deliveries] == [
        ("80001401", "12345"),  # two items of order 12345
        ("80001402", None),  # items of orders 12346 and 12348: the delivery is of neither alone
    ]


def test_a_vbrk_vbrp_join_gives_one_invoice_with_its_order(sap_data):
    invoices = [i for i in _data(sap_data / "VBRK_items_sqvi.csv") if isinstance(i, Invoice)]
    assert [(i.id, i.order_id, i.total) for i in invoices] == [
        ("90004720", "12345", Money(Decimal("1845.00"), "PLN")),
        ("90004721", None, Money(Decimal("300.00"), "PLN")),
    ]


def test_plain_header_tables_are_read_row_by_row(sap_data):
    assert [d.order_id for d in _data(sap_data / "LIKP.csv")] == [None, None]
    assert [i.order_id for i in _data(sap_data / "VBRK.csv") if isinstance(i, Invoice)] == [
        None,
        None,
    ]


def _check(folder: Path, engine: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    try:
        main(
            [
                "check",
                str(folder),
                "--at",
                "2024-04-15",
                "--checkpoint",
                "H5",
                "--engine",
                engine,
                "--format",
                "json",
            ]
        )
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, _err = capsys.readouterr()
    (decision,) = [d for d in json.loads(out)["decisions"] if d["case"] == "12345"]
    return code, decision


@pytest.fixture
def payment_exports(sap_data: Path, tmp_path: Path) -> Path:
    """Order 12345, its invoice 90004720 (1,845.00 PLN) and the payment of 1,840.00 PLN."""
    shutil.copy(sap_data / "VBAK.csv", tmp_path / "VBAK.csv")
    shutil.copy(sap_data / "VBRK_items_sqvi.csv", tmp_path / "VBRK_items_sqvi.csv")
    shutil.copy(sap_data / "BSAD_clearings.txt", tmp_path / "BSAD_clearings.txt")
    return tmp_path


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_a_small_underpayment_is_written_off_within_tolerance(payment_exports, engine, capsys):
    _code, decision = _check(payment_exports, engine, capsys)
    findings = [f for f in decision["findings"] if f["rule"] == "ACC-PAY-001"]
    assert [(f["result"], f["subject"]) for f in findings] == [("pass", "1000/1400000030/2024")]
    (action,) = [a for a in decision["actions"] if a["rule"] == "ACC-PAY-001"]
    assert action["kind"] == "write_off"
    assert (action["params"]["amount"], action["params"]["invoice"]) == ("5.00", "90004720")


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_an_underpayment_beyond_tolerance_blocks_closing(payment_exports, engine, capsys):
    path = payment_exports / "BSAD_clearings.txt"
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(text.replace("1.840,00", "1.800,00"), encoding="utf-8")
    code, decision = _check(payment_exports, engine, capsys)
    findings = [f for f in decision["findings"] if f["rule"] == "ACC-PAY-001"]
    assert [f["result"] for f in findings] == ["fail"]
    assert "45.00" in findings[0]["message"]
    assert decision["outcome"] == "block"
    assert code == 1


def _shuffled(source: Path, order: list[int], target: Path) -> Path:
    header, *rows = source.read_bytes().splitlines(keepends=True)
    target.write_bytes(header + b"".join(rows[i] for i in order))
    return target


def _links(path: Path) -> set[tuple[str, str | None]]:
    """What the links decided: each payment's invoice, each join document's order."""
    found: set[tuple[str, str | None]] = set()
    for data in _data(path):
        if isinstance(data, Payment):
            found.add((data.id, data.invoice_id))
        elif isinstance(data, Delivery | Invoice):
            found.add((data.id, data.order_id))
    return found


@pytest.mark.parametrize(
    "name", ["BSAD_clearings.txt", "LIKP_items_sqvi.csv", "VBRK_items_sqvi.csv"]
)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_links_do_not_depend_on_the_order_of_rows(sap_data, tmp_path, name, data):
    source = sap_data / name
    rows = len(source.read_bytes().splitlines()) - 1
    order = data.draw(st.permutations(range(rows)))
    shuffled = _shuffled(source, order, tmp_path / name)
    found = _links(shuffled)
    assert found == _links(source)
    assert len({document for document, _linked in found}) == len(found)  # one link each
    assert any(linked is not None for _document, linked in found)
