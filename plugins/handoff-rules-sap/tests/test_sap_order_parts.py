"""VBPA and VBKD: the order data VBAK lacks, as order facts with only those fields.

SUP-DOC-001 (order data complete) asks for a ship-to party, payer, contact
person, incoterm, payment terms and customer PO: VBAK has only the PO. These
tests show that VBAK, VBPA and VBKD together fill every one, so the rule
decides once an order's facts are combined: VBPA and VBKD give *parts*, which
the core combines with VBAK's order when it builds the case.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from handoff_rules_sap import SapTableAdapter

from handoff_rules import check
from handoff_rules.adapters import Fact, Reject
from handoff_rules.model import Order


def _read(path: Path) -> tuple[list[Fact], list[Reject]]:
    items = list(SapTableAdapter().read(path))
    return [i for i in items if isinstance(i, Fact)], [i for i in items if isinstance(i, Reject)]


def test_vbpa_gives_one_order_per_document_with_its_header_partners(sap_data):
    facts, _rejects = _read(sap_data / "VBPA.txt")
    orders = {f.data.id: f.data for f in facts}
    assert set(orders) == {"12345", "12346"}
    first = orders["12345"]
    assert (first.sold_to, first.ship_to, first.bill_to, first.payer) == (
        "4711",
        "4712",
        "4711",
        "4711",
    )
    # the contact's row names no customer: numbered under the sold-to, as KNVK is
    assert first.contact_person_id == "4711/17"
    assert first.incoterm is None
    assert first.net_value is None
    # SE16's English display of the partner functions (SH, PY, CP)
    second = orders["12346"]
    assert (second.ship_to, second.payer, second.contact_person_id) == ("9901", "9901", "9901/21")
    assert second.sold_to is None
    location = facts[0].provenance.location
    assert location.startswith("line 2 (VBPA VBELN 0000012345 POSNR 000000 PARVW AG)")
    assert location.endswith("with its rows on lines 2, 3, 4, 5, 6, 7, 8")


def test_vbpa_item_partners_and_broken_rows_are_rejects(sap_data):
    _facts, rejects = _read(sap_data / "VBPA.txt")
    item, no_customer = rejects
    assert "POSNR 000010" in item.reason
    assert "only the order's own" in item.reason
    assert item.keys == ()  # an item's partner is no broken order: it names none
    assert "WE without a customer number" in no_customer.reason
    assert dict(no_customer.keys) == {"order": "12347"}


def test_vbkd_gives_the_order_terms(sap_data):
    facts, rejects = _read(sap_data / "VBKD.csv")
    assert [f.data for f in facts] == [
        Order(id="12345", incoterm="FCA", payment_terms="ZB14", customer_po_ref="ZAM/2024/0311"),
        Order(id="12346", payment_terms="ZB30"),
    ]
    (item,) = rejects
    assert "POSNR 000010" in item.reason
    assert item.keys == ()


def _facts(paths: list[Path]) -> list[Fact]:
    return [f for path in paths for f in _read(path)[0]]


def test_vbpa_and_vbkd_orders_are_parts_and_vbak_orders_are_whole(sap_data):
    assert {f.part for f in _facts([sap_data / "VBPA.txt", sap_data / "VBKD.csv"])} == {True}
    assert {f.part for f in _facts([sap_data / "VBAK.csv"]) if f.type == "order"} == {False}


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_vbak_vbpa_and_vbkd_together_complete_the_order_data(sap_data, engine):
    tables = [sap_data / name for name in ("VBAK.csv", "VBPA.txt", "VBKD.csv")]
    run = check(facts=_facts(tables), at=date(2024, 3, 20), checkpoints=["H3"], engine=engine)
    results = {
        decision.case: [
            (f.result.value, f.message) for f in decision.findings if f.rule == "SUP-DOC-001"
        ]
        for decision in run.decisions
    }
    assert results["12345"] == [
        ("pass", "Order data complete at handoff: satisfied for order 12345")
    ]
    # 12346 has its partners and payment terms, but its VBKD row has no incoterm
    assert [r for r, _m in results["12346"]] == ["fail"]
    assert "incoterm" in results["12346"][0][1]


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_vbak_alone_leaves_the_order_data_incomplete(sap_data, engine):
    run = check(
        facts=_facts([sap_data / "VBAK.csv"]),
        at=date(2024, 3, 20),
        checkpoints=["H3"],
        engine=engine,
    )
    (finding,) = [
        f for d in run.decisions if d.case == "12345" for f in d.findings if f.rule == "SUP-DOC-001"
    ]
    assert finding.result.value == "fail"
    assert "ship-to" in finding.message


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_a_check_over_the_three_tables_judges_one_order_naming_every_row(
    sap_data, tmp_path, engine
):
    for name in ("VBAK.csv", "VBPA.txt", "VBKD.csv"):
        shutil.copy(sap_data / name, tmp_path / name)
    run = check([tmp_path], at=date(2024, 3, 20), checkpoints=["H1"], engine=engine)
    (decision,) = [d for d in run.decisions if d.case == "12345"]
    (finding,) = [f for f in decision.findings if f.rule == "SUP-DOC-001"]
    assert finding.result.value == "pass"
    assert {Path(p.source).name for p in finding.sources} == {"VBAK.csv", "VBPA.txt", "VBKD.csv"}
    # VBAK's fields decide the rules only VBAK could: nothing is indeterminate for lack of them
    assert not [
        f
        for f in decision.findings
        if f.rule == "LEG-CTR-001" and f.result.value == "indeterminate"
    ]
