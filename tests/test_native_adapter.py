"""The native formats: CSV, YAML/JSON facts files and the JSON Lines of ``read``."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from handoff_rules.adapters.base import AdapterError, Sample
from handoff_rules.adapters.native import (
    NATIVE_ADAPTERS,
    NativeCsvAdapter,
    NativeJsonlAdapter,
    NativeYamlAdapter,
)
from handoff_rules.adapters.native_schema import CSV_FACT_TYPES, csv_columns
from handoff_rules.adapters.registry import choose_adapter
from handoff_rules.facts import Fact, Reject
from handoff_rules.model import Counterparty, Document, DocumentForm, Money, Order, Payment, to_dict
from handoff_rules.testing import check_adapter
from handoff_rules.testing.strategies import fact_lists

DATA = Path(__file__).parent / "data" / "native"
SAMPLES = Path("/work/shared/domain/samples")


def _read(
    adapter: NativeCsvAdapter | NativeYamlAdapter | NativeJsonlAdapter, path: Path
) -> tuple[list[Fact], list[Reject]]:
    items = list(adapter.read(path))
    return [i for i in items if isinstance(i, Fact)], [i for i in items if isinstance(i, Reject)]


def test_documents_csv_one_bad_row_is_a_reject_with_its_line() -> None:
    path = DATA / "documents.csv"
    report = check_adapter(NativeCsvAdapter(), path, expected_records=4)
    assert [f.provenance.line for f in report.facts] == [3, 4, 5]
    (reject,) = report.rejects
    assert str(reject.provenance) == f"{path}: line 6"
    assert reject.type == "document"
    assert "issued_on" in reject.reason
    assert "holder_is_employee" in reject.reason
    assert reject.raw is not None
    assert reject.raw.startswith("BAD-1")
    poa = report.facts[0].data
    assert isinstance(poa, Document)
    assert poa.poa is not None
    assert poa.form is DocumentForm.ORIGINAL
    assert poa.poa.amount_limit == Money("500000.00", "RUB")
    assert poa.poa.goods == ("steel", "pipes")
    assert poa.poa.holder_is_employee is True
    assert poa.valid_until == date(2024, 3, 31)


def test_csv_type_recognised_from_the_header_alone() -> None:
    path = DATA / "orders_no_marker.csv"
    claim = NativeCsvAdapter().sniff(Sample.of(path))
    assert claim is not None
    assert claim.confidence < 0.95
    report = check_adapter(NativeCsvAdapter(), path, expected_records=2)
    first = report.facts[0].data
    assert isinstance(first, Order)
    assert first.net_value == Money("1234.56", "RUB")
    assert first.payment_days == 30
    assert first.id == "4711"


def test_csv_column_errors_stop_the_file_with_the_header_line(tmp_path: Path) -> None:
    cases = {
        "#handoff-rules: document\nid,kind,colour\n": "unknown columns for document: colour",
        "#handoff-rules: document\nid,form\n": "document needs the columns kind",
        "#handoff-rules: spaceship\nid,kind\n": "unknown fact type 'spaceship'",
        "#handoff-rules: document\nid,kind,id\n": "repeats",
        "id,name\nC1,x\n": "fits counterparty, opportunity",
    }
    for text, message in cases.items():
        path = tmp_path / "f.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(AdapterError, match=message) as info:
            list(NativeCsvAdapter().read(path))
        assert str(path) in str(info.value)


def test_csv_identifiers_and_unnamed_columns(tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(
        "id;name;identifiers;;\n"
        "C100;OOO Romashka;RU-INN:7707083893 | CZ-ICO:25123890;;\n"
        "C200;Acme;;stray;\n"
        "C300;Bad;7707083893;;\n",
        encoding="cp1251",
    )
    report = check_adapter(NativeCsvAdapter(), path, expected_records=3)
    (fact,) = report.facts
    assert isinstance(fact.data, Counterparty)
    assert [(i.scheme, i.value, i.is_valid) for i in fact.data.identifiers] == [
        ("RU-INN", "7707083893", True),
        ("CZ-ICO", "25123890", False),  # kept and flagged, not rejected
    ]
    assert [r.reason for r in report.rejects] == [
        "a value in column 4, which has no header",
        "invalid counterparty: identifiers[0]: expected SCHEME:value (e.g. CZ-ICO:25123891), "
        "got '7707083893'",
    ]


def test_csv_broken_row_shape_is_rejected_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "pay.csv"
    path.write_text(
        "#handoff-rules: payment\nid\tamount\tcounterparty_id\n"
        'Z1\t10,00 EUR\tC1\nZ2\t5 EUR\nZ3\t1 EUR\tC1\textra\nZ4\t"7\n,00 EUR"\tC1\n'
        "Z5\t1e400 EUR\tC1\n",
        encoding="utf-8",
    )
    facts, rejects = _read(NativeCsvAdapter(), path)
    assert [f.provenance.location for f in facts] == ["line 3"]
    assert isinstance(facts[0].data, Payment)
    assert facts[0].data.amount == Money("10.00", "EUR")
    assert [(r.provenance.location, r.reason) for r in rejects] == [
        ("line 4", "2 cells, the header has 3"),
        ("line 5", "4 cells, the header has 3"),
        (
            "lines 6-7",
            "invalid payment: amount: expected an amount and a currency "
            "(1234.56 RUB), got '7\\n,00 EUR'",
        ),
        (
            "line 8",
            "invalid payment: amount.amount: '1e400' is out of range: "
            "a decimal may have at most 14 digits before the decimal point",
        ),
    ]


def test_yaml_facts_with_line_numbers_and_rejects() -> None:
    path = DATA / "poa.yaml"
    report = check_adapter(NativeYamlAdapter(), path, expected_records=3)
    first, person = report.facts
    assert first.provenance.location == "lines 4-17"
    assert person.provenance.location == "lines 25-26"
    doc = first.data
    assert isinstance(doc, Document)
    assert doc.poa is not None
    assert doc.number == "0000017"  # not an octal number
    assert doc.poa.holder_is_employee is True
    assert doc.poa.amount_limit == Money(500000, "RUB")
    (reject,) = report.rejects
    assert reject.provenance.location == "lines 18-24"
    assert "valid_until" in reject.reason


def test_json_facts_file_with_tabs() -> None:
    path = DATA / "register.json"
    report = check_adapter(NativeYamlAdapter(), path, expected_records=3)
    assert [f.type for f in report.facts] == ["template", "payment"]
    (reject,) = report.rejects
    assert reject.provenance.line == 5
    assert "unknown fact type 'contract'" in reject.reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("handoff-rules-facts: 2\nfacts: []\n", "must be 1"),
        ("handoff-rules-facts: 1\nfacts: {a: 1}\n", "must be a list"),
        ("handoff-rules-facts: 1\nextra: 1\n", "unknown top-level keys"),
        ("handoff-rules-facts: 1\nfacts: [\n", "not valid YAML"),
    ],
)
def test_yaml_file_level_errors(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AdapterError, match=message):
        list(NativeYamlAdapter().read(path))


def test_yaml_item_errors_become_rejects(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(
        "handoff-rules-facts: 1\nfacts:\n"
        "  - {type: person, data: {id: P, full_name: A, id: Q}}\n"
        "  - [1, 2]\n"
        "  - {type: person, data: {id: P, full_name: A}, extra: 1}\n"
        "  - {type: order, data: {id: O, payment_days: 3.5}}\n",
        encoding="utf-8",
    )
    facts, rejects = _read(NativeYamlAdapter(), path)
    assert facts == []
    assert [r.provenance.line for r in rejects] == [3, 4, 5, 6]
    assert "given twice" in rejects[0].reason
    assert "whole number" in rejects[3].reason
    assert "facts: []" not in path.read_text()
    empty = tmp_path / "empty.yaml"
    empty.write_text("handoff-rules-facts: 1\nfacts:\n", encoding="utf-8")
    assert list(NativeYamlAdapter().read(empty)) == []


def test_jsonl_written_by_read_is_read_back(tmp_path: Path) -> None:
    sources = [DATA / "documents.csv", DATA / "poa.yaml"]
    items = [
        i
        for p in sources
        for a in (NativeCsvAdapter(), NativeYamlAdapter())
        if a.sniff(Sample.of(p))
        for i in a.read(p)
    ]
    path = tmp_path / "out.jsonl"
    lines = [json.dumps(i.to_record(), ensure_ascii=False) for i in items]
    lines.append(json.dumps({"record": "summary", "facts": {}, "rejects": 2}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_adapter(NativeJsonlAdapter(), path, passthrough_provenance=True)
    assert list(report.facts) + list(report.rejects) != []
    assert [i.to_record() for i in items] == [
        i.to_record() for i in NativeJsonlAdapter().read(path)
    ]


def test_jsonl_bad_lines_are_rejects(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    good = {"record": "fact", "type": "order", "data": {"id": "1"}}
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps(
                    {**good, "data": {"id": "2", "net_value": {"amount": 1.5, "currency": "EUR"}}}
                ),
                "[1]",
                json.dumps({"record": "note"}),
                "",
                json.dumps({"record": "summary", "facts": {}, "rejects": 0}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = check_adapter(NativeJsonlAdapter(), path, expected_records=5)
    (fact,) = report.facts
    assert fact.provenance.adapter == "native-jsonl"
    assert fact.provenance.line == 1
    assert [r.provenance.line for r in report.rejects] == [2, 3, 4, 5]
    assert "float" in report.rejects[1].reason
    assert report.rejects[1].type == "order"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fact_lists(max_size=10))
def test_any_facts_round_trip_through_jsonl_and_yaml(tmp_path: Path, facts: list[Fact]) -> None:
    jsonl = tmp_path / "f.jsonl"
    jsonl.write_text("".join(json.dumps(f.to_record()) + "\n" for f in facts), encoding="utf-8")
    assert list(NativeJsonlAdapter().read(jsonl)) == facts
    doc = {
        "handoff-rules-facts": 1,
        "facts": [{"type": f.type, "data": to_dict(f.data)} for f in facts],
    }
    facts_file = tmp_path / "f.json"
    facts_file.write_text(json.dumps(doc, indent="\t", ensure_ascii=False), encoding="utf-8")
    read = list(NativeYamlAdapter().read(facts_file))
    assert [r.data for r in read if isinstance(r, Fact)] == [f.data for f in facts]


def test_every_csv_layout_is_documented_and_typed() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "reference" / "native-formats.rst").read_text()
    for fact_type in CSV_FACT_TYPES:
        assert f"``{fact_type}``" in docs
        names = [c.name for c in csv_columns(fact_type)]
        assert len(names) == len(set(names))
        for column in csv_columns(fact_type):
            assert column.name in docs, (fact_type, column.name)
    assert "poa.holder_name" in docs


def test_decimal_comma_and_trailing_minus_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(
        'order_id;line_no;quantity;net_value\n4711;10;1.234,5-;"1 234,00 EUR"\n', encoding="utf-8"
    )
    (fact,) = list(NativeCsvAdapter().read(path))
    assert isinstance(fact, Fact)
    assert fact.data.quantity == Decimal("-1234.5")  # type: ignore[union-attr]


def _foreign_files() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file()) if SAMPLES.exists() else []


@pytest.mark.parametrize("path", _foreign_files(), ids=lambda p: p.name)
def test_foreign_exports_are_never_claimed(path: Path) -> None:
    sample = Sample.of(path)
    for factory in NATIVE_ADAPTERS:
        assert factory().sniff(sample) is None, (factory, path)


def test_native_files_are_each_claimed_by_exactly_one_native_adapter() -> None:
    adapters = [factory() for factory in NATIVE_ADAPTERS]
    expected = {
        "documents.csv": "native-csv",
        "orders_no_marker.csv": "native-csv",
        "poa.yaml": "native-yaml",
        "register.json": "native-yaml",
    }
    for name, adapter_name in expected.items():
        adapter, _ = choose_adapter(DATA / name, adapters)
        assert adapter.name == adapter_name
        claims = [a.name for a in adapters if a.sniff(Sample.of(DATA / name))]
        assert claims == [adapter_name]


def test_yaml_aliases_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        "handoff-rules-facts: 1\na: &a [x, x]\nb: &b [*a, *a]\nfacts: []\n", encoding="utf-8"
    )
    with pytest.raises(AdapterError, match=r"line 3: .*aliases"):
        list(NativeYamlAdapter().read(bomb))
    deep = tmp_path / "deep.yaml"
    deep.write_text("handoff-rules-facts: 1\nfacts:\n  - " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(AdapterError, match="nested too deeply"):
        list(NativeYamlAdapter().read(deep))
    deep_line = tmp_path / "deep.jsonl"
    deep_line.write_text('{"record": "summary"}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    (reject,) = list(NativeJsonlAdapter().read(deep_line))
    assert isinstance(reject, Reject)
    assert reject.provenance.line == 2
    assert "nested too deeply" in reject.reason
