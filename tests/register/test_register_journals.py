"""Templates, correction tasks and goods receipts kept in a register, as facts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from openpyxl import Workbook as NewWorkbook

from handoff_rules import check
from handoff_rules.adapters import AdapterError, Fact, Reject, Sample
from handoff_rules.adapters.register import DocumentRegisterAdapter
from handoff_rules.adapters.registry import claimed_formats
from handoff_rules.cli import cli
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.facts import Provenance
from handoff_rules.model import (
    ContractTemplate,
    CorrectionTask,
    Delivery,
    Document,
    DocumentKind,
    Money,
    Order,
)

ADAPTER = DocumentRegisterAdapter()
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])
CliRun = Callable[..., tuple[int, str, str]]

TEMPLATES_EN = [
    ["Template", "Template version", "Effective from", "Superseded on"],
    ["SALES-STD", "3", "2023-01-01", "2024-01-01"],
    ["SALES-STD", "4", "2024-01-01", ""],
]
TEMPLATES_RU = [
    ["Шаблон", "Версия шаблона", "Действует с", "Заменён"],
    ["ДП-ОСН", "3", "01.01.2023", "01.01.2024"],
]
CORRECTIONS_EN = [
    [
        "Correction",
        "Document",
        "Order",
        "Field",
        "Customer-facing",
        "Detected by",
        "Detected on",
        "Assignee",
        "Closed on",
        "Corrected by",
        "Via correction document",
    ],
    ["K-1", "INV-9", "4712", "price", "yes", "ACC", "2024-06-01", "ivanova", "", "", ""],
    [
        "K-2",
        "INV-9",
        "4712",
        "bank",
        "no",
        "ACC",
        "2024-05-01",
        "petrov",
        "2024-05-03",
        "petrov",
        "X",
    ],
]
CORRECTIONS_RU = [
    [
        "Номер исправления",
        "Документ",
        "Заказ",
        "Поле",
        "Видно клиенту",
        "Обнаружил",
        "Дата обнаружения",
        "Исполнитель",
        "Дата закрытия",
        "Исправил",
        "Корректировочным документом",
    ],
    ["И-7", "УПД-881", "4712", "цена", "да", "бухгалтерия", "03.06.2024", "Иванова", "", "", "нет"],
]
RECEIPTS_EN = [
    ["Delivery", "Received by", "Holder ID", "Passport", "POA no", "Release date", "Order"],
    ["0080000123", "Ivan Petrov", "P-7", "4510 123456", "17", "2024-06-04", "4712"],
]
RECEIPTS_RU = [
    [
        "Номер поставки",
        "Получил",
        "Код доверенного лица",
        "Паспорт",
        "№ доверенности",
        "Дата отпуска",
    ],
    ["0080000123", "Иван Петров", "P-7", "4510 123456", "17", "04.06.2024"],
]


def _read(path: Path) -> list[Fact | Reject]:
    return list(ADAPTER.read(path))


def _csv(tmp_path: Path, rows: Sequence[Sequence[str]], name: str = "register.csv") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerows(rows)
    path = tmp_path / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _xlsx(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "reg.xlsx") -> Path:
    book = NewWorkbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def _data(items: Sequence[Fact | Reject]) -> list[object]:
    assert all(isinstance(i, Fact) for i in items), items
    return [i.data for i in items if isinstance(i, Fact)]


# --- each kind from CSV, in English and in Russian -------------------------------------


def test_templates_from_csv_in_either_language(tmp_path: Path) -> None:
    assert _data(_read(_csv(tmp_path, TEMPLATES_EN))) == [
        ContractTemplate("SALES-STD", "3", date(2023, 1, 1), date(2024, 1, 1)),
        ContractTemplate("SALES-STD", "4", date(2024, 1, 1)),
    ]
    russian = _csv(tmp_path, TEMPLATES_RU, "ru.csv")
    russian.write_bytes(russian.read_text(encoding="utf-8").encode("cp1251"))
    assert _data(_read(russian)) == [
        ContractTemplate("ДП-ОСН", "3", date(2023, 1, 1), date(2024, 1, 1))
    ]


def test_corrections_from_csv_in_either_language(tmp_path: Path) -> None:
    open_task, closed = _data(_read(_csv(tmp_path, CORRECTIONS_EN)))
    assert open_task == CorrectionTask(
        id="K-1",
        document_id="INV-9",
        order_id="4712",
        field="price",
        customer_facing=True,
        detected_by="ACC",
        detected_on=date(2024, 6, 1),
        assignee="ivanova",
    )
    assert closed == CorrectionTask(
        id="K-2",
        document_id="INV-9",
        order_id="4712",
        field="bank",
        customer_facing=False,
        detected_by="ACC",
        detected_on=date(2024, 5, 1),
        assignee="petrov",
        closed_on=date(2024, 5, 3),
        corrected_by="petrov",
        via_correction_document=True,
    )
    (russian,) = _data(_read(_csv(tmp_path, CORRECTIONS_RU, "ru.csv")))
    assert russian == CorrectionTask(
        id="И-7",
        document_id="УПД-881",
        order_id="4712",
        field="цена",
        customer_facing=True,
        detected_by="бухгалтерия",
        detected_on=date(2024, 6, 3),
        assignee="Иванова",
        via_correction_document=False,
    )


@pytest.mark.parametrize(
    ("rows", "name"), [(RECEIPTS_EN, "Ivan Petrov"), (RECEIPTS_RU, "Иван Петров")]
)
def test_a_receipt_is_a_part_of_its_delivery_numbered_as_sap_numbers_it(
    tmp_path: Path, rows: list[list[str]], name: str
) -> None:
    (item,) = _read(_csv(tmp_path, rows))
    assert isinstance(item, Fact)
    assert item.part
    assert item.provenance.location == "line 2"
    assert item.data == Delivery(
        id="80000123",  # leading zeros dropped, as the SAP readers drop them
        release_date=date(2024, 6, 4),
        receiver_name=name,
        receiver_person_id="P-7",
        receiver_id_document_number="4510 123456",
        order_id="4712" if rows is RECEIPTS_EN else None,
    )


def test_a_csv_claims_the_format_of_its_kind(tmp_path: Path) -> None:
    for rows, fmt in (
        (TEMPLATES_RU, "register-templates"),
        (CORRECTIONS_EN, "register-corrections"),
        (RECEIPTS_RU, "register-receipts"),
    ):
        claim = ADAPTER.sniff(Sample.of(_csv(tmp_path, rows, f"{fmt}.csv")))
        assert claim is not None
        assert (claim.format, claim.also) == (fmt, ())


# --- a workbook with four kinds of sheet ------------------------------------------------


def _workbook(tmp_path: Path) -> Path:
    return _xlsx(
        tmp_path,
        {
            "Documents": [
                ["Реестр документов"],
                ["Номер", "Вид", "Контрагент", "Заказ", "Шаблон", "Версия шаблона", "Подписан"],
                ["Д-15", "договор", "C100", None, "SALES-STD", "3", datetime(2024, 3, 1)],
            ],
            "Templates": [
                ["Template", "Template version", "Effective from", "Superseded on"],
                ["SALES-STD", 3, datetime(2023, 1, 1), datetime(2024, 1, 1)],
            ],
            "Исправления": [
                ["Исправление", "Заказ", "Поле", "Видно клиенту", "Обнаружено", "Исполнитель"],
                ["И-1", 4712, "цена", True, datetime(2024, 6, 1), None],
            ],
            "Receipts": [
                ["Delivery", "Received by", "Released on", "Counterparty"],
                [80000123, "Ivan Petrov", datetime(2024, 6, 4), "C100"],
            ],
        },
    )


def test_a_workbook_reads_each_sheet_with_its_own_header(tmp_path: Path) -> None:
    items = _read(_workbook(tmp_path))
    contract, template, correction, receipt = items
    assert isinstance(contract, Fact)
    assert isinstance(contract.data, Document)
    assert contract.data.kind is DocumentKind.CONTRACT
    assert (contract.data.template_id, contract.data.template_version) == ("SALES-STD", "3")
    assert isinstance(template, Fact)
    assert template.data == ContractTemplate("SALES-STD", "3", date(2023, 1, 1), date(2024, 1, 1))
    assert template.provenance.location == "sheet Templates row 2"
    assert isinstance(correction, Fact)
    assert correction.data == CorrectionTask(
        id="И-1", order_id="4712", field="цена", customer_facing=True, detected_on=date(2024, 6, 1)
    )
    assert isinstance(receipt, Fact)
    assert receipt.part
    assert receipt.data == Delivery(
        id="80000123",
        counterparty_id="C100",
        release_date=date(2024, 6, 4),
        receiver_name="Ivan Petrov",
    )


def test_a_workbook_claims_the_formats_of_every_kind_of_sheet_it_holds(tmp_path: Path) -> None:
    claim = ADAPTER.sniff(Sample.of(_workbook(tmp_path)))
    assert claim is not None
    assert claim.format == "register-xlsx"
    assert claim.also == ("register-templates", "register-corrections", "register-receipts")
    supplied = {s.fact_type for f in claimed_formats(ADAPTER, claim) for s in f.supplies}
    assert supplied == {"document", "credit_limit", "template", "correction", "delivery"}
    only_receipts = _xlsx(tmp_path, {"R": RECEIPTS_EN}, "receipts.xlsx")  # type: ignore[dict-item]
    claim = ADAPTER.sniff(Sample.of(only_receipts))
    assert claim is not None
    assert (claim.format, claim.also) == ("register-receipts", ())


# --- rejects ----------------------------------------------------------------------------


def test_rejects_name_their_sheet_row_and_keys(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path,
        {
            "Templates": [
                ["Шаблон", "Версия шаблона", "Действует с"],
                ["ДП-ОСН", None, "первое января"],
            ],
            "Corrections": [
                ["Correction", "Order", "Field", "Customer-facing", "Detected on"],
                [None, "4712", "price", "maybe", "2024-06-01"],
            ],
            "Receipts": [
                ["Delivery", "Received by", "Order", "Counterparty", "Release date"],
                ["0080000123", None, "4712", "C100", "2024-06-04"],
                ["0080000124", "Ivan Petrov", "4713", "C100", "03/06/2024"],
                [None, "Ivan Petrov", "4714", "C100", None],
            ],
        },
    )
    template, correction, no_receiver, bad_date, no_delivery = items = _read(path)
    assert all(isinstance(i, Reject) for i in items), items
    assert isinstance(template, Reject)
    assert template.provenance.location == "sheet Templates row 2"
    assert "no template version (Версия шаблона is blank)" in template.reason
    assert "Действует с:" in template.reason
    assert template.type == "template"
    assert dict(template.keys) == {}
    assert isinstance(correction, Reject)
    assert correction.provenance.location == "sheet Corrections row 2"
    assert "Customer-facing: expected a yes/no flag" in correction.reason
    assert "no correction number (Correction is blank)" in correction.reason
    assert dict(correction.keys) == {"order": "4712"}
    assert isinstance(no_receiver, Reject)
    assert no_receiver.provenance.location == "sheet Receipts row 2"
    assert no_receiver.reason == "no receiver (Received by is blank)"
    assert dict(no_receiver.keys) == {
        "delivery": "80000123",
        "order": "4712",
        "counterparty": "C100",
    }
    assert isinstance(bad_date, Reject)
    assert "ambiguous date" in bad_date.reason
    assert dict(bad_date.keys)["delivery"] == "80000124"
    assert isinstance(no_delivery, Reject)
    assert no_delivery.reason == "no delivery number (Delivery is blank)"
    assert dict(no_delivery.keys) == {"order": "4714", "counterparty": "C100"}


def test_a_csv_row_of_the_wrong_shape_keeps_the_delivery_key(tmp_path: Path) -> None:
    path = tmp_path / "receipts.csv"
    path.write_text("Delivery;Received by\n0080000123;Ivan;surplus\n", encoding="utf-8")
    (item,) = _read(path)
    assert isinstance(item, Reject)
    assert item.provenance.location == "line 2"
    assert dict(item.keys) == {"delivery": "80000123"}


def test_a_second_receiver_of_one_delivery_is_a_reject(tmp_path: Path) -> None:
    rows = [
        ["Delivery", "Received by"],
        ["80001", "Ivan Petrov"],
        ["0080001", "Ivan Petrov"],  # the same receiver again: the same part
        ["80001", "Olga Sidorova"],
    ]
    first, again, other = _read(_csv(tmp_path, rows))
    assert isinstance(first, Fact)
    assert isinstance(again, Fact)
    assert isinstance(other, Reject)
    assert other.reason == (
        "delivery 80001 was collected by Ivan Petrov (line 2): one delivery has one receiver"
    )
    assert dict(other.keys) == {"delivery": "80001"}


def test_a_near_miss_in_a_journal_header_stops_the_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, [["Delivery", "Received by", "Pasport"], ["1", "A", "B"]])
    with pytest.raises(AdapterError, match="did you mean 'Passport'"):
        _read(path)


def test_a_header_of_no_kind_names_every_kind(tmp_path: Path) -> None:
    path = _csv(tmp_path, [["Template", "Effective from"], ["T", "2024-01-01"]])
    with pytest.raises(AdapterError) as raised:
        _read(path)
    for words in ("templates (", "corrections (", "goods receipts (", "Received by/Получил"):
        assert words in str(raised.value)


# --- declared supplies are what rows fill ---------------------------------------------


def _filled(data: object) -> set[str]:
    return {
        field.name
        for field in attrs.fields(type(data))
        if getattr(data, field.name) not in (None, "", ())
    } | ({"id"} if getattr(data, "id", None) else set())


def test_each_format_declares_exactly_the_fields_its_rows_fill(tmp_path: Path) -> None:
    """Both ways: nothing filled is undeclared, nothing declared is never filled."""
    documents = _csv(
        tmp_path,
        [
            [
                "Номер",
                "Вид",
                "Контрагент",
                "Кредитный лимит",
                "Валюта",
                "Область кредитного контроля",
            ],
            ["1", "", "C1", "100", "EUR", "1000"],
        ],
        "limits.csv",
    )
    sources = {
        "register-templates": [_csv(tmp_path, TEMPLATES_EN, "t.csv")],
        "register-corrections": [_csv(tmp_path, CORRECTIONS_EN, "c.csv")],
        "register-receipts": [_csv(tmp_path, RECEIPTS_EN, "r.csv"), _workbook(tmp_path)],
    }
    declared = {f.name: {s.fact_type: set(s.fields) for s in f.supplies} for f in ADAPTER.formats}
    for fmt, paths in sources.items():
        filled: dict[str, set[str]] = {}
        for path in paths:
            for item in _read(path):
                assert isinstance(item, Fact)
                if item.type in declared[fmt]:
                    filled.setdefault(item.type, set()).update(_filled(item.data))
        assert filled == declared[fmt], fmt
    (limit,) = _read(documents)
    assert isinstance(limit, Fact)
    assert _filled(limit.data) == {"id", "counterparty_id", "limit", "area"}


# --- what the rules make of them --------------------------------------------------------


def _here(name: str) -> Provenance:
    return Provenance("test", name, "1")


def _poa_results(engine: str, facts: list[Fact]) -> dict[str, str]:
    result = check(facts=facts, at=date(2024, 6, 4), engine=engine, checkpoints=["H3"])
    return {
        finding.rule: finding.result.value
        for decision in result.decisions
        for finding in decision.findings
        if finding.rule == "ACC-POA-001"
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_a_receipt_gives_the_erp_delivery_its_receiver(tmp_path: Path, engine: str) -> None:
    order = Fact(
        Order(
            id="4712",
            counterparty_id="C100",
            order_date=date(2024, 6, 3),
            net_value=Money(Decimal("900.00"), "EUR"),
        ),
        _here("VBAK"),
    )
    delivery = Fact(
        Delivery(
            id="80000123", order_id="4712", counterparty_id="C100", release_date=date(2024, 6, 4)
        ),
        _here("LIKP"),
    )
    poa = _read(
        _csv(
            tmp_path,
            [
                [
                    "Номер",
                    "Вид",
                    "Контрагент",
                    "Дата",
                    "Действует с",
                    "Действует до",
                    "Доверенное лицо",
                ],
                [
                    "17",
                    "доверенность",
                    "C100",
                    "01.06.2024",
                    "01.06.2024",
                    "15.06.2024",
                    "IVAN PETROV",
                ],
            ],
            "poa.csv",
        )
    )
    receipts = _read(_csv(tmp_path, RECEIPTS_EN, "receipts.csv"))
    facts = [f for f in [order, delivery, *poa, *receipts] if isinstance(f, Fact)]
    assert len(facts) == 4
    without = _poa_results(engine, [order, delivery, *facts[2:3]])
    assert without == {"ACC-POA-001": "indeterminate"}  # nobody known to have taken the goods
    assert _poa_results(engine, facts) == {"ACC-POA-001": "pass"}
    stranger = [
        attrs.evolve(f, data=attrs.evolve(f.data, receiver_name="Olga Sidorova"))
        if isinstance(f.data, Delivery) and f.part
        else f
        for f in facts
    ]
    assert _poa_results(engine, stranger) == {"ACC-POA-001": "fail"}


def _rules(document: dict[str, object]) -> dict[str, str]:
    rules = document["rules"]
    assert isinstance(rules, list)
    return {r["rule"]: r["evaluability"] for r in rules}


def test_pack_needs_counts_the_sheets_a_register_has(tmp_path: Path) -> None:
    args = ["pack", "needs", "--at", "2024-06-04", "--format", "json"]
    documents_only = _xlsx(tmp_path, {"D": [["Номер", "Вид", "Контрагент"], ["1", "УПД", "C1"]]})
    with_documents = _rules(
        json.loads(CliRunner().invoke(cli, [*args, str(documents_only)]).output)
    )
    result = CliRunner().invoke(cli, [*args, str(_workbook(tmp_path))])
    assert result.exit_code == 0, result.output
    with_all = _rules(json.loads(result.output))
    for rule in ("LEG-CTR-002", "SAL-ERR-001"):
        assert with_documents[rule] == "not_evaluable", rule
        assert with_all[rule] != "not_evaluable", rule
    assert with_all["LEG-CTR-002"] == "evaluable"
    assert with_all["SAL-ERR-001"] == "partial"  # the order's owner is in no file given


def test_every_journal_header_spelling_is_documented() -> None:
    from handoff_rules.adapters.register.columns import (
        CORRECTION_ALIASES,
        RECEIPT_ALIASES,
        TEMPLATE_ALIASES,
    )

    docs = (Path(__file__).parents[2] / "docs" / "reference" / "document-register.rst").read_text(
        encoding="utf-8"
    )
    for table in (TEMPLATE_ALIASES, CORRECTION_ALIASES, RECEIPT_ALIASES):
        for canonical, spellings in table.items():
            assert f"``{canonical}``" in docs
            for spelling in spellings:
                assert spelling in docs, spelling


@pytest.mark.parametrize("engine", ENGINES)
def test_a_contract_on_a_superseded_template_is_decided_from_the_workbook(
    tmp_path: Path, engine: str
) -> None:
    order = Fact(
        Order(id="4712", counterparty_id="C100", order_date=date(2024, 6, 3)), _here("VBAK")
    )
    register = _workbook(tmp_path)  # contract of 2024-03-01 on SALES-STD 3, superseded 2024-01-01
    result = check([register], facts=[order], at=date(2024, 6, 4), engine=engine)
    found = {
        (decision.checkpoint.value, finding.rule): finding.result.value
        for decision in result.decisions
        for finding in decision.findings
    }
    assert found[("H1", "LEG-CTR-002")] == "fail"
    assert found[("H5", "SAL-ERR-001")] == "fail"  # customer-facing, no assignee
    assert found[("H5", "ACC-CLS-001")] == "fail"  # correction И-1 still open
