"""Every fixture passes the core's adapter conformance kit, with records reconciled."""

from __future__ import annotations

import pytest
from handoff_rules_sap import SapIdocAdapter, SapTableAdapter

from handoff_rules.testing import check_adapter

from .conftest import DATA

TABLE_FILES = [
    "VBAK.csv", "VBAP.tsv", "KNA1.csv", "LIKP.csv", "LIPS.txt",
    "VBRK.csv", "VBRP.csv", "BSID.csv", "BSAD.csv", "VBFA.csv",
    "LIKP_sqvi.csv", "KNKK.txt", "UKMBP_CMS_SGM.csv", "BSAD_clearings.txt", "VBKD.csv",
    "VBAK_contracts.csv", "VEDA.txt",
]  # fmt: skip
#: Several rows per document (header/item joins, VBPA's partners): one fact per
#: document, whose location names all its rows' lines, plus the rejects.
JOIN_FILES = {
    "LIKP_items_sqvi.csv": 2,
    "VBRK_items_sqvi.csv": 2,
    "VBPA.txt": 2 + 2,
    "KONV.txt": 2 + 3,
    "PRCD_ELEMENTS.csv": 2 + 1,
}

# IDoc records: per IDoc its control record, each document header and each item
# (a rejected header takes its items with it and counts once).
IDOC_RECORDS = {
    "invoic02_zext.xml": 1 + 1 + 2,
    "orders05_two.xml": (1 + 1 + 2) + 1,
    "delvry07.xml": 1 + 1 + 2,
    "debmas06.xml": (1 + 1 + 1) + (1 + 1),
    "orders05_quote.xml": 1 + 1 + 1,
    "invoic02_flat.txt": (1 + 1 + 2) + (1 + 1 + 1),
}


@pytest.mark.parametrize("name", TABLE_FILES)
def test_table_fixtures_conform_and_every_row_is_accounted_for(name):
    path = DATA / name
    rows = sum(1 for line in path.read_bytes().splitlines()[1:] if line.strip())
    report = check_adapter(SapTableAdapter(), path, expected_records=rows)
    table = path.stem.lower()
    for suffix in ("_sqvi", "_clearings", "_contracts"):
        table = table.removesuffix(suffix)
    assert report.format == table


@pytest.mark.parametrize(("name", "documents"), sorted(JOIN_FILES.items()))
def test_a_join_gives_one_record_per_document_naming_all_its_lines(name, documents):
    path = DATA / name
    report = check_adapter(SapTableAdapter(), path, expected_records=documents)
    assert report.format == name.removesuffix("_items_sqvi.csv").partition(".")[0].lower()
    named = [
        int(n)
        for fact in report.facts
        for n in (
            fact.provenance.location.partition("rows on lines ")[2]
            or str(fact.provenance.line)  # a document of one row
        ).split(", ")
    ] + [reject.provenance.line for reject in report.rejects]
    rows = sum(1 for line in path.read_bytes().splitlines()[1:] if line.strip())
    assert sorted(named) == list(range(2, rows + 2))


@pytest.mark.parametrize(("name", "records"), sorted(IDOC_RECORDS.items()))
def test_idoc_fixtures_conform_and_every_record_is_accounted_for(name, records):
    report = check_adapter(SapIdocAdapter(), DATA / name, expected_records=records)
    assert report.format == ("idoc-flat" if name.endswith(".txt") else "idoc-xml")
