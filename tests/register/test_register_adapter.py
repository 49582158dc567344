"""The ``document-register`` adapter: CSV and xlsx registers in English and Russian."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook as NewWorkbook

from handoff_rules.adapters import AdapterError, Fact, Reject, Sample
from handoff_rules.adapters.native import NATIVE_ADAPTERS
from handoff_rules.adapters.native_schema import CSV_FACT_TYPES, model_paths
from handoff_rules.adapters.register import DocumentRegisterAdapter
from handoff_rules.adapters.register import xlsx as xlsx_module
from handoff_rules.engine.flatten import field_schema
from handoff_rules.model import CreditLimit, Document, DocumentForm, DocumentKind, Money

DATA = Path(__file__).parents[1] / "data" / "register"
ROOT = Path(__file__).parents[2]
ADAPTER = DocumentRegisterAdapter()
CliRun = Callable[..., tuple[int, str, str]]

_POA_TAIL = [datetime(2024, 6, 30), "Иванов", 150000.5, "RUB"]
HEADER_RU = ["Номер документа", "Вид", "Контрагент", "Заказ", "Форма", "Дата", "Действует до"]


def _read(path: Path) -> list[Fact | Reject]:
    return list(ADAPTER.read(path))


def _facts(items: Sequence[Fact | Reject]) -> list[Fact]:
    return [i for i in items if isinstance(i, Fact)]


def _rejects(items: Sequence[Fact | Reject]) -> list[Reject]:
    return [i for i in items if isinstance(i, Reject)]


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


# --- CSV in both languages ------------------------------------------------------------


def test_an_english_register_with_a_title_line_and_declared_us_dates() -> None:
    items = _read(DATA / "register-en.csv")
    assert not _rejects(items)
    contract, poa, upd, limit = (f.data for f in _facts(items))
    assert contract == Document(
        id="SA-2024-15",
        kind=DocumentKind.CONTRACT,
        counterparty_id="C100",
        number="SA-2024-15",
        form=DocumentForm.ORIGINAL,
        issued_on=date(2024, 1, 10),
        valid_from=date(2024, 1, 10),
        valid_until=date(2024, 12, 31),
        status="signed",  # type: ignore[arg-type]
    )
    assert isinstance(poa, Document)
    assert poa.poa is not None
    assert poa.poa.holder_name == "Ivan Petrov"
    assert poa.poa.amount_limit == Money("500000.00", "RUB")
    assert poa.order_id == "4712"
    assert isinstance(upd, Document)
    assert upd.form is DocumentForm.FAX
    assert limit == CreditLimit("C100", Money("250000.00", "EUR"))
    assert [f.provenance.line for f in _facts(items)] == [3, 4, 5, 6]  # the title is line 1


def test_a_russian_register_in_cp1251() -> None:
    items = _read(DATA / "register-ru-cp1251.csv")
    assert not _rejects(items)
    contract, poa, vat, limit = (f.data for f in _facts(items))
    assert isinstance(contract, Document)
    assert (contract.id, contract.kind, contract.form) == (
        "Д-2024/15",
        DocumentKind.CONTRACT,
        DocumentForm.E_SIGNED,
    )
    assert contract.status == "signed"
    assert isinstance(poa, Document)
    assert poa.poa is not None
    assert poa.poa.holder_name == "Иванов Иван Иванович"
    assert poa.final_received_on == date(2024, 6, 1)
    assert isinstance(vat, Document)
    assert (vat.kind, vat.form, vat.received_on) == (
        DocumentKind.VAT_INVOICE,
        DocumentForm.SCAN,
        date(2024, 6, 5),
    )
    assert limit == CreditLimit("C200", Money("1500000.00", "RUB"))


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("Договор", "contract"),
        ("дополнительное соглашение", "addendum"),
        ("ДОВЕРЕННОСТЬ", "power_of_attorney"),
        ("power_of_attorney", "power_of_attorney"),
        ("Счёт-фактура", "vat_invoice"),
        ("счет фактура", "vat_invoice"),
        ("УПД", "upd"),
        ("ТОРГ-12", "delivery_note"),
        ("Waybill", "delivery_note"),
        ("акт сверки", "reconciliation_act"),
        ("Акт", "acceptance_act"),
    ],
)
def test_kinds_in_either_language(tmp_path: Path, word: str, kind: str) -> None:
    holder = "Петров" if kind == "power_of_attorney" else ""
    path = _csv(tmp_path, [["No", "Kind", "Counterparty", "Holder"], ["1", word, "C1", holder]])
    (fact,) = _read(path)
    assert isinstance(fact, Fact)
    assert isinstance(fact.data, Document)
    assert fact.data.kind == kind


@pytest.mark.parametrize(
    ("word", "form"),
    [
        ("оригинал", "original"),
        ("Копия", "copy"),
        ("скан", "scan"),
        ("скан-копия", "scan"),
        ("PDF", "scan"),
        ("факс", "fax"),
        ("ЭДО", "e_signed"),
        ("e-signed", "e_signed"),
        ("КЭП", "e_signed"),
        ("EDI", "edi_structured"),
        ("факсимиле", "facsimile_signature"),
    ],
)
def test_forms_in_either_language(tmp_path: Path, word: str, form: str) -> None:
    path = _csv(tmp_path, [["No", "Kind", "Counterparty", "Form"], ["1", "UPD", "C1", word]])
    (fact,) = _read(path)
    assert isinstance(fact, Fact)
    assert isinstance(fact.data, Document)
    assert fact.data.form == form


@pytest.mark.parametrize(
    ("header", "cell", "expected"),
    [
        ("Valid until", "2024-06-30", date(2024, 6, 30)),
        ("Valid until", "30.06.2024", date(2024, 6, 30)),
        ("Valid until", "06/30/2024", date(2024, 6, 30)),  # month first: the only reading
        ("Valid until", "06/06/2024", date(2024, 6, 6)),  # either order reads the same
        ("Valid until (dd/mm/yyyy)", "03/06/2024", date(2024, 6, 3)),
        ("Valid until (mm/dd/yyyy)", "03/06/2024", date(2024, 3, 6)),
        ("Действует до (ДД.ММ.ГГГГ)", "03.06.2024", date(2024, 6, 3)),
    ],
)
def test_dates(tmp_path: Path, header: str, cell: str, expected: date) -> None:
    path = _csv(tmp_path, [["No", "Kind", "Counterparty", header], ["1", "contract", "C1", cell]])
    (fact,) = _read(path)
    assert isinstance(fact, Fact)
    assert isinstance(fact.data, Document)
    assert fact.data.valid_until == expected


# --- every reject ----------------------------------------------------------------------

_REJECTS: list[tuple[dict[str, str], str]] = [
    ({"Вид": ""}, "no kind (Вид is blank)"),
    ({"Вид": "накладная ТТН"}, "Вид: unknown word 'накладная ТТН' (known: "),
    ({"Форма": "голубиная почта"}, "Форма: unknown word 'голубиная почта'"),
    ({"Действует до": "03/04/2024"}, "ambiguous date '03/04/2024'"),
    ({"Действует до": "25/05/2024"}, "'25/05/2024' is not month first"),
    ({"Дата": "вчера"}, "Дата: not a date in format %Y-%m-%d or %d.%m.%Y"),
    ({"Статус": "в архиве"}, "Статус: unknown word 'в архиве'"),
    ({"Автопролонгация": "может быть"}, "Автопролонгация: expected a yes/no flag"),
    ({"Лимит суммы": "1000"}, "Лимит суммы: no currency"),
    ({"Лимит суммы": "1000 EUR", "Валюта": "RUB"}, "written in EUR, but Валюта says RUB"),
    ({"Лимит суммы": "много", "Валюта": "RUB"}, "Лимит суммы: expected an amount"),
    ({"Валюта": "тугрики", "Лимит суммы": "5"}, "not a currency: 'тугрики'"),
    ({"Вид": "Договор", "Кредитный лимит": "5 RUB"}, "a contract with a Кредитный лимит"),
    ({"Доверенное лицо": ""}, "a power of attorney needs its holder (Доверенное лицо)"),
    ({"Вид": "Договор", "Лимит суммы": "5 RUB"}, "Доверенное лицо, Лимит суммы: no place in"),
    ({"Номер документа": ""}, "no document number (Номер документа is blank)"),
    ({"Лимит суммы": "1,005", "Валюта": "JPY"}, "has more decimals than JPY allows"),
    (
        {"Вид": "кредитный лимит", "Контрагент": "", "Доверенное лицо": "", "Кредитный лимит": "5"},
        "a credit limit needs its counterparty (Контрагент); Кредитный лимит: no currency",
    ),
    (
        {"Вид": "кредитный лимит", "Доверенное лицо": "", "Форма": "скан"},
        "Форма: no place in a credit limit; a credit limit needs an amount in Кредитный лимит",
    ),
]

_RU_COLUMNS = [
    "Номер документа",
    "Вид",
    "Контрагент",
    "Заказ",
    "Форма",
    "Дата",
    "Действует до",
    "Статус",
    "Автопролонгация",
    "Доверенное лицо",
    "Лимит суммы",
    "Валюта",
    "Кредитный лимит",
]
_GOOD_POA = {
    "Номер документа": "17",
    "Вид": "доверенность",
    "Контрагент": "C200",
    "Заказ": "5001",
    "Доверенное лицо": "Иванов",
}


@pytest.mark.parametrize(("change", "reason"), _REJECTS, ids=[r for _, r in _REJECTS])
def test_every_reject_names_its_line_keys_and_reason(
    tmp_path: Path, change: dict[str, str], reason: str
) -> None:
    row = {**_GOOD_POA, **change}
    path = _csv(tmp_path, [_RU_COLUMNS, [row.get(c, "") for c in _RU_COLUMNS]])
    (item,) = _read(path)
    assert isinstance(item, Reject), item
    assert reason in item.reason
    assert item.provenance.line == 2
    assert item.provenance.location == "line 2"
    expected_keys = {"order": "5001"} | ({"counterparty": "C200"} if row["Контрагент"] else {})
    assert dict(item.keys) == expected_keys
    assert item.raw is not None
    assert "5001" in item.raw


def test_a_row_with_too_many_cells_is_a_reject_with_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("No;Kind;Counterparty;Order\n1;contract;C1;4711;surplus\n", encoding="utf-8")
    (item,) = _read(path)
    assert isinstance(item, Reject)
    assert item.reason == "5 cells, the header has 4"
    assert dict(item.keys) == {"order": "4711", "counterparty": "C1"}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "No;Kind;Counterparty;Valid untill",
            r"unknown column 'Valid untill' \(column 4\); did you mean 'Valid until'",
        ),
        ("No;Kind;Counterparty;Вид", "columns 2 and 4 both mean 'kind'"),
        ("No;Name;Amount", "no register header in the first 10 lines"),
    ],
)
def test_headers_that_would_lose_values_stop_the_file(
    tmp_path: Path, header: str, message: str
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f"{header}\n1;contract;C1;2024-01-01\n", encoding="utf-8")
    with pytest.raises(AdapterError, match=message):
        _read(path)


def test_unknown_columns_are_ignored(tmp_path: Path) -> None:
    path = _csv(tmp_path, [["No", "Kind", "Counterparty", "Примечание"], ["1", "UPD", "C1", "x"]])
    (fact,) = _read(path)
    assert isinstance(fact, Fact)


# --- xlsx ------------------------------------------------------------------------------


def test_an_xlsx_register_reads_typed_cells_and_every_register_sheet(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path,
        {
            "Documents": [
                ["Реестр документов на 03.06.2024"],
                [],
                [*HEADER_RU, "Доверенное лицо", "Лимит суммы", "Валюта"],
                ["Д-15", "Договор", "C200", None, "оригинал", datetime(2024, 1, 10), None],
                [17, "Доверенность", "C200", 5001, "скан", datetime(2024, 6, 1), *_POA_TAIL],
                [],
                ["881", "Накладная", "C200", 5001, "факс", 45447, None],
            ],
            "Limits": [
                ["Counterparty", "Credit limit", "Currency", "Credit control area", "Valid until"],
                ["C200", 1_500_000, "RUB", "1000", date(2024, 12, 31)],
            ],
            "Lists": [["Виды"], ["Договор"], ["Доверенность"]],
            "Empty": [],
        },
    )
    items = _read(path)
    contract, poa, limit = (f.data for f in _facts(items))
    assert isinstance(contract, Document)
    assert contract.issued_on == date(2024, 1, 10)
    assert isinstance(poa, Document)
    assert (poa.id, poa.order_id, poa.valid_until) == ("17", "5001", date(2024, 6, 30))
    assert poa.poa is not None
    assert poa.poa.amount_limit == Money("150000.50", "RUB")
    assert limit == CreditLimit("C200", Money("1500000", "RUB"), "1000", date(2024, 12, 31))
    serial, lists = _rejects(items)
    assert serial.provenance.location == "sheet Documents row 7"
    assert serial.provenance.line == 7
    assert "a number (45447), not a date" in serial.reason
    assert dict(serial.keys) == {"order": "5001", "counterparty": "C200"}
    assert lists.provenance.location == "sheet Lists row 1"
    assert lists.reason.startswith("sheet Lists has no register header")
    assert [f.provenance.location for f in _facts(items)] == [
        "sheet Documents row 4",
        "sheet Documents row 5",
        "sheet Limits row 2",
    ]


def test_a_value_beyond_the_last_column_read_is_a_reject(tmp_path: Path) -> None:
    row: list[object] = ["1", "contract", "C1"] + [None] * (xlsx_module.MAX_COLUMNS - 3)
    path = _xlsx(tmp_path, {"R": [["No", "Kind", "Counterparty"], [*row, "far away"]]})
    (item,) = _read(path)
    assert isinstance(item, Reject)
    assert item.reason == "a value beyond column 256, the last one read"
    assert dict(item.keys) == {"counterparty": "C1"}


def test_a_near_miss_column_in_a_workbook_stops_it_at_the_header(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, {"R": [["Title"], ["No", "Kind", "Counterparty", "Vaild until"]]})
    with pytest.raises(AdapterError, match=r"sheet R row 2: unknown column 'Vaild until'"):
        _read(path)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"Document no;Kind\n"), "not an xlsx workbook"),
        (
            lambda p: p.write_bytes(xlsx_module.OLE_MAGIC + bytes(600)),
            "a password-protected workbook or a legacy .xls file",
        ),
        (lambda p: p.write_bytes(xlsx_module.ZIP_MAGIC + b"junk"), "not a readable xlsx"),
        (lambda p: _zip(p, {"word/document.xml": b"<w/>"}), "no xl/workbook.xml"),
        (
            lambda p: _zip(p, {"xl/workbook.xml": b"<workbook", "[Content_Types].xml": b"<"}),
            "not a readable xlsx workbook: ",
        ),
        (
            lambda p: _zip(p, {"xl/workbook.xml": b"<a/>", "xl/big.xml": bytes(300 * 2**20)}),
            "unpacks to 314,572,804 bytes, more than the 268,435,456",
        ),
    ],
    ids=["text", "encrypted", "broken-zip", "docx", "bad-xml", "zip-bomb"],
)
def test_bad_workbooks_are_one_line_errors(
    tmp_path: Path, cli: CliRun, make: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "register.xlsx"
    make(path)
    with pytest.raises(AdapterError, match=message) as info:
        _read(path)
    assert "\n" not in str(info.value)
    code, _, err = cli("read", str(path), "--adapter", "document-register")
    assert code == 2
    assert message.split(":")[0] in err
    assert "Traceback" not in err


# --- sniffing --------------------------------------------------------------------------


def test_registers_are_claimed(tmp_path: Path) -> None:
    for path in (DATA / "register-en.csv", DATA / "register-ru-cp1251.csv"):
        claim = ADAPTER.sniff(Sample.of(path))
        assert claim is not None
        assert claim.format == "register-csv"
    book = _xlsx(tmp_path, {"S": [["Номер", "Вид", "Контрагент"], ["1", "УПД", "C1"]]})
    claim = ADAPTER.sniff(Sample.of(book))
    assert claim is not None
    assert (claim.format, claim.confidence) == ("register-xlsx", 0.8)


def test_other_workbooks_and_tables_are_not_claimed(tmp_path: Path) -> None:
    other = _xlsx(tmp_path, {"S": [["Material", "Plant", "Quantity"], ["M1", "1000", 5]]})
    assert ADAPTER.sniff(Sample.of(other)) is None
    native = tmp_path / "documents.csv"
    native.write_text("id,kind,number,counterparty_id\nD1,contract,1,C1\n", encoding="utf-8")
    assert ADAPTER.sniff(Sample.of(native)) is None
    assert any(a().sniff(Sample.of(native)) for a in NATIVE_ADAPTERS)


def _foreign_files() -> list[Path]:
    roots = [
        ROOT / "tests" / "data" / "native",
        ROOT / "examples",
        ROOT / "plugins",
        Path("/work/shared/domain/samples"),
    ]
    found: list[Path] = []
    for root in roots:
        if root.exists():
            found.extend(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    registers = {
        ROOT / "examples" / "o2c" / "exports" / "document-register.xlsx",
        ROOT / "plugins/handoff-rules-crm/tests/data/crm-sap-register/register/register.csv",
    }
    return sorted(
        p for p in found if p.suffix.lower() not in (".py", ".pyc") and p not in registers
    )


def test_no_native_sap_or_crm_file_is_claimed() -> None:
    claimed = [p for p in _foreign_files() if ADAPTER.sniff(Sample.of(p)) is not None]
    assert claimed == []
    assert len(_foreign_files()) > 50


# --- declarations and round trips ------------------------------------------------------


def test_supplies_name_only_model_paths_and_every_mapped_column() -> None:
    csv_format, xlsx_format, *_ = ADAPTER.formats
    assert csv_format.supplies == xlsx_format.supplies
    by_type = {s.fact_type: s.fields for s in csv_format.supplies}
    assert set(by_type) == {"document", "credit_limit"}
    for fact_type, fields in by_type.items():
        assert set(fields) <= set(model_paths(fact_type))
    assert {"kind", "form", "final_received_on", "poa.holder_name", "poa.revoked_on"} <= set(
        by_type["document"]
    )
    assert set(by_type["credit_limit"]) == set(model_paths("credit_limit"))


@pytest.mark.parametrize("fact_type", CSV_FACT_TYPES)
def test_native_formats_supply_every_field_of_every_type(fact_type: str) -> None:
    schema = field_schema(fact_type)
    assert schema is not None
    assert model_paths(fact_type) == tuple(schema)
    for adapter in NATIVE_ADAPTERS:
        (fmt,) = adapter().formats
        supplies = {s.fact_type: s.fields for s in fmt.supplies}
        assert supplies[fact_type] == tuple(schema)


def test_read_jsonl_round_trips_through_the_native_reader(tmp_path: Path, cli: CliRun) -> None:
    source = DATA / "register-ru-cp1251.csv"
    code, out, _ = cli("read", str(source), "--format", "jsonl")
    assert code == 0
    written = tmp_path / "facts.jsonl"
    written.write_text(out, encoding="utf-8")
    again = list(NATIVE_ADAPTERS[1]().read(written))
    assert again == _read(source)
    summary = json.loads(out.splitlines()[-1])
    assert summary["facts"] == {"credit_limit": 1, "document": 3}


_CELLS = st.sampled_from(
    [
        "",
        "C1",
        "4711",
        "17",
        "договор",
        "доверенность",
        "УПД",
        "кредитный лимит",
        "скан",
        "оригинал",
        "телепатия",
        "2024-06-03",
        "03.06.2024",
        "03/04/2024",
        "1 500,00",
        "1000 EUR",
        "RUB",
        "Иванов",
        "да",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_CELLS, min_size=len(_RU_COLUMNS), max_size=len(_RU_COLUMNS))))
def test_every_row_is_one_fact_or_one_reject(tmp_path: Path, rows: list[list[str]]) -> None:
    rows = [r for r in rows if any(r)]  # a blank line is no record
    path = _csv(tmp_path, [_RU_COLUMNS, *rows])
    items = _read(path)
    assert len(items) == len(rows)
    assert [i.provenance.line for i in items] == list(range(2, len(rows) + 2))


def test_money_from_a_float_cell_is_the_decimal_the_sheet_shows(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path, {"L": [["Counterparty", "Credit limit", "Currency"], ["C1", 0.1, "EUR"]]}
    )
    (fact,) = _read(path)
    assert isinstance(fact, Fact)
    assert isinstance(fact.data, CreditLimit)
    assert fact.data.limit.amount == Decimal("0.10")


def test_every_header_spelling_and_word_is_documented() -> None:
    from handoff_rules.adapters.register.columns import ALIASES
    from handoff_rules.adapters.register.words import FORMS, KINDS, STATUSES, word_key

    docs = (ROOT / "docs" / "reference" / "document-register.rst").read_text(encoding="utf-8")
    for canonical, spellings in ALIASES.items():
        assert f"``{canonical}``" in docs
        for spelling in spellings:
            assert spelling in docs, spelling
    words = word_key(docs)
    for table in (KINDS, FORMS, STATUSES):
        for key, value in table.items():
            assert key in words, key
            assert f"{value}:" in docs, value
