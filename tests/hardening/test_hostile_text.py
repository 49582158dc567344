"""Hostile text through ``handoff-rules read``: every record a fact or a reject, never mojibake.

The shared readers (:mod:`handoff_rules.adapters.text`, :mod:`handoff_rules.adapters.tabular`)
serve the native CSV format, the SAP table extracts and the CRM CSV readers; each case
here is fed to the command line as a user would, and checks the exit status, the
reject's file and line, and that the other records still became facts.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.adapters.base import AdapterError
from handoff_rules.adapters.native import NativeCsvAdapter
from handoff_rules.adapters.tabular import CsvDialect, open_table
from handoff_rules.adapters.text import MAX_LINE_CHARS, TextStream, detect_encoding
from handoff_rules.facts import Fact, Reject

#: ``handoff-rules ARGS...`` in-process, as tests/conftest.py's ``cli`` fixture runs it.
CliRun = Callable[..., tuple[int, str, str]]

HEADER = "#handoff-rules: document\nid,kind,form,counterparty_id,number,issued_on\n"


def _row(number: int, value: str | None = None) -> str:
    return f"D-{number},contract,original,C100,{value or number},2024-03-01\n"


def _read(cli: CliRun, path: Path) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]], str]:
    """(exit status, facts, rejects, stderr) of ``handoff-rules read --format jsonl``."""
    code, out, err = cli("read", "--format", "jsonl", str(path))
    *items, summary = [json.loads(line) for line in out.splitlines()]
    facts = [item for item in items if item["record"] == "fact"]
    rejects = [item for item in items if item["record"] == "reject"]
    assert summary["rejects"] == len(rejects)
    assert sum(summary["facts"].values()) == len(facts)
    return code, facts, rejects, err


def _where(reject: dict[str, Any]) -> tuple[str, str]:
    return reject["provenance"]["source"], reject["provenance"]["location"]


def _ids(facts: list[dict[str, Any]]) -> list[str]:
    return [fact["data"]["id"] for fact in facts]


# --- 6: a huge field ---------------------------------------------------------------


def test_a_field_over_the_limits_is_one_reject_and_the_records_after_it_are_read(
    cli: CliRun, tmp_path: Path
) -> None:
    huge = "x" * (MAX_LINE_CHARS + 10)  # a line over the line limit
    wide = "y" * 200_000  # under the line limit, over csv's field limit
    note = "lorem ipsum, dolor\n" * 10_000  # a quoted field of 10,000 lines over the field limit
    path = tmp_path / "huge.csv"
    path.write_text(
        HEADER + _row(1) + _row(2, huge) + _row(3) + _row(4, wide) + _row(5, f'"{note}"') + _row(6),
        encoding="utf-8",
        newline="",
    )
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    assert [_where(r) for r in rejects] == [
        (str(path), "line 4"),
        (str(path), "line 6"),
        (str(path), "lines 7-10007"),
    ]
    assert rejects[0]["reason"] == (
        f"line longer than {MAX_LINE_CHARS:,} characters, the limit; not read"
    )
    assert rejects[1]["reason"] == "a field longer than 131,072 characters, the limit"
    assert rejects[2]["reason"] == "a field longer than 131,072 characters, the limit"
    assert _ids(facts) == ["D-1", "D-3", "D-6"]
    assert [f["provenance"]["line"] for f in facts] == [3, 5, 10008]


def _peak_reading(path: Path) -> int:
    """Peak bytes allocated while reading ``path`` with the native CSV adapter."""
    tracemalloc.start()
    try:
        items = list(NativeCsvAdapter().read(path))
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [type(item) for item in items] == [Fact, Reject, Fact]
    assert isinstance(items[1], Reject)
    assert items[1].provenance.location == "line 4"
    return peak


def test_memory_of_reading_is_bounded_by_the_line_limit_not_by_the_field(tmp_path: Path) -> None:
    """Linear reading, shown without a clock: a field eight times longer costs no more memory.

    The stream holds at most a line of the limit and one decoded chunk; gathering a
    long line by appending each chunk to it (as it once did) holds the whole field,
    and copies it once per chunk, which is what made a 1 GB field take an hour.
    """
    peaks = {}
    for megabytes in (2, 16):
        path = tmp_path / f"field-{megabytes}.csv"
        field = "Ж" * (megabytes * 1024 * 1024 // 2)  # two bytes each in UTF-8
        path.write_text(HEADER + _row(1) + _row(2, field) + _row(3), encoding="utf-8")
        peaks[megabytes] = _peak_reading(path)
    # A line of the limit and a chunk, in the form a str of these characters takes in
    # memory (2 bytes each), held twice while a chunk is appended, and twice again for
    # the slack of the allocator and the decoder.
    bound = 4 * 2 * (MAX_LINE_CHARS + TextStream.CHUNK_BYTES)
    assert peaks[2] < bound
    assert peaks[16] < bound
    assert peaks[16] < 1.25 * peaks[2]


# --- 7: UTF-8 and cp1251 mixed --------------------------------------------------------


def test_a_cp1251_line_in_a_utf8_file_is_a_reject_not_mojibake(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        (HEADER + _row(1) + _row(2, "Čechy")).encode("utf-8")
        + _row(3, "Москва").encode("cp1251")
        + _row(4, "Plzeň").encode("utf-8")
    )
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    (reject,) = rejects
    assert _where(reject) == (str(path), "line 5")
    assert reject["reason"].startswith("not UTF-8 although the file is (bytes b'\\xcc\\xee")
    assert [f["data"]["number"] for f in facts] == ["1", "Čechy", "Plzeň"]


def test_a_utf8_line_after_a_long_utf8_start_keeps_the_file_utf8(
    cli: CliRun, tmp_path: Path
) -> None:
    """Detection reads the first 64 KB; the rest must not turn the whole file into cp1251."""
    rows = [_row(n, "Čechy") for n in range(1, 5_001)]  # about 190 KB
    path = tmp_path / "late.csv"
    path.write_bytes(
        (HEADER + "".join(rows)).encode("utf-8") + _row(5_001, "Москва").encode("cp1251")
    )
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    assert [(_where(r), r["reason"][:31]) for r in rejects] == [
        ((str(path), "line 5003"), "not UTF-8 although the file is ")
    ]
    assert len(facts) == 5_000
    assert {f["data"]["number"] for f in facts} == {"Čechy"}


def test_a_utf8_line_in_a_cp1251_file_is_a_reject(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "mostly-1251.csv"
    path.write_bytes(
        (HEADER + _row(1, "Москва") + _row(2, "Ростов")).encode("cp1251")
        + _row(3, "Čechy").encode("utf-8")
        + _row(4, "Тула").encode("cp1251")
    )
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    (reject,) = rejects
    assert _where(reject) == (str(path), "line 5")
    assert reject["reason"] == "UTF-8 text in a file otherwise read as cp1251 (mixed encodings)"
    assert [f["data"]["number"] for f in facts] == ["Москва", "Ростов", "Тула"]


def test_a_russian_erp_export_in_cp1251_still_reads_whole(cli: CliRun, tmp_path: Path) -> None:
    names = ["ООО «Ромашка»", "ЗАО «Вёшки»", "ИП Ёлкин", "АО «Северсталь» — №2"]
    rows = [_row(n, f'"{names[n % 4]} {n}"') for n in range(1, 3_001)]  # over 64 KB
    path = tmp_path / "erp.csv"
    path.write_bytes((HEADER + "".join(rows)).encode("cp1251"))
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    assert rejects == []
    assert [f["data"]["number"] for f in facts[:2]] == ["ЗАО «Вёшки» 1", "ИП Ёлкин 2"]
    assert len(facts) == 3_000


# --- 8, and the other stray characters -------------------------------------------------


def test_a_byte_order_mark_inside_the_file_is_a_reject_naming_it(
    cli: CliRun, tmp_path: Path
) -> None:
    path = tmp_path / "joined.csv"
    path.write_bytes(
        codecs.BOM_UTF8
        + (HEADER + _row(1)).encode()
        + codecs.BOM_UTF8
        + (_row(2) + _row(3)).encode()
    )
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    (reject,) = rejects
    assert _where(reject) == (str(path), "line 4")
    assert "byte-order mark (U+FEFF)" in reject["reason"]
    assert _ids(facts) == ["D-1", "D-3"]


def test_a_nul_character_is_a_reject(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes((HEADER + _row(1) + _row(2, "12\x0034") + _row(3)).encode())
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    (reject,) = rejects
    assert _where(reject) == (str(path), "line 4")
    assert reject["reason"] == "a NUL character (byte 0), which text never holds"
    assert _ids(facts) == ["D-1", "D-3"]


def test_lone_cr_line_endings_are_line_endings(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    bad_date = "D-3,contract,original,C100,3,2024-13-01\n"
    text = HEADER + _row(1) + _row(2, '"two\rlines"') + bad_date
    path.write_bytes(text.replace("\n", "\r").encode())
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    assert [f["provenance"]["location"] for f in facts] == ["line 3", "lines 4-5"]
    assert facts[1]["data"]["number"] == "two\rlines"
    (reject,) = rejects  # the bad date: lines are counted right after the quoted one
    assert _where(reject) == (str(path), "line 6")


def test_a_quote_open_to_the_end_of_the_file_is_one_reject_from_its_first_line(
    cli: CliRun, tmp_path: Path
) -> None:
    after = "".join(_row(n) for n in range(4, 10_004))  # about 380 KB: over the field limit
    path = tmp_path / "open.csv"
    path.write_text(HEADER + _row(1) + _row(2) + _row(3, '"never closed') + after)
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    (reject,) = rejects
    assert _where(reject) == (str(path), "lines 5-10005")
    assert reject["reason"].startswith(
        "a quoted field is never closed (it runs to the end of the file)"
    )
    assert _ids(facts) == ["D-1", "D-2"]


def test_utf16_with_an_odd_number_of_bytes_rejects_only_the_cut_line(
    cli: CliRun, tmp_path: Path
) -> None:
    path = tmp_path / "cut.csv"
    data = (HEADER + _row(1) + _row(2, "Ромашка") + _row(3)).encode("utf-16")
    path.write_bytes(data[:-3])  # the last line loses its "\n" and half of its "1"
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    (reject,) = rejects
    assert _where(reject) == (str(path), "line 5")
    assert reject["reason"].startswith("the file ends inside a UTF-16 character")
    assert [f["data"]["number"] for f in facts] == ["1", "Ромашка"]


def test_utf16_without_a_byte_order_mark_is_read_as_utf16(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "nobom.csv"
    path.write_bytes((HEADER + _row(1) + _row(2, "Ромашка")).encode("utf-16-le"))
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    assert rejects == []
    assert [f["data"]["number"] for f in facts] == ["1", "Ромашка"]


def test_the_sap_table_reader_gets_the_same_treatment(cli: CliRun, tmp_path: Path) -> None:
    """The shared reader serves the plugins too: a stray BOM and a huge cell in VBAK."""
    pytest.importorskip("handoff_rules_sap")
    header = "MANDT;VBELN;ERDAT;AUDAT;VBTYP;AUART;VKORG;NETWR;WAERK;KUNNR\n"

    def vbak(number: int, customer: str = "0000004711") -> str:
        return f"800;{number:010d};20240304;20240304;C;TA;1000;1.500,00;PLN;{customer}\n"

    path = tmp_path / "VBAK.csv"
    path.write_bytes(
        (header + vbak(1)).encode()
        + codecs.BOM_UTF8
        + vbak(2).encode()
        + vbak(3, "9" * (MAX_LINE_CHARS + 1)).encode()
        + vbak(4).encode()
    )
    code, facts, rejects, err = _read(cli, path)
    assert code == 0, err
    assert [(_where(r)[1], r["reason"][:24]) for r in rejects] == [
        ("line 3", "a stray byte-order mark "),
        ("line 4", "line longer than 1,048,5"),
    ]
    assert {f["provenance"]["line"] for f in facts} == {2, 5}


# --- the property: arbitrary bytes give rows and rejects, every line accounted for ----

_VALID = (
    "id,name,amount\n"
    '1,"Ромашка, ООО",10.00\n'
    '2,"two\r\nlines",20.00\r\n'
    "\n"
    "3,Čechy,30.00\r"
    '4,"say ""hi""",40.00\n'
)
_TOKENS = [
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    b"\x00",
    b'"',
    b",",
    b"\r",
    b"\n",
    b"\r\n",
    b"\xff",
    "Ж".encode("cp1251"),
    "Ж".encode(),
    "Ж".encode()[:1],
    "\ufffd".encode(),
]


@st.composite
def _mutated_csv(draw: st.DrawFn) -> bytes:
    data = bytearray(_VALID.encode())
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(_TOKENS) | st.binary(min_size=1, max_size=4))
        if kind == "insert":
            data[pos:pos] = piece
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            data[pos : pos + len(piece)] = piece
    return bytes(data)


def _reference_lines(data: bytes) -> list[str]:
    """The physical lines of ``data`` as the reader sees them, decoded leniently."""
    detected = detect_encoding(data)
    text = data.decode(detected.encoding, errors="replace")
    return io.StringIO(text, newline="").readlines()


_ESCAPES = re.compile("[\udc00-\udcff\x00\ufeff]")


@settings(
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.one_of(_mutated_csv(), st.binary(max_size=300).map(lambda b: b"id,name\n" + b)))
def test_any_bytes_give_rows_and_rejects_and_every_line_is_accounted_for(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("prop") / "t.csv"
    path.write_bytes(data)
    lines = _reference_lines(data)
    first = next((n for n, line in enumerate(lines, 1) if line.strip("\r\n")), 1)
    failure: AdapterError | None = None
    try:
        with open_table(path, dialect=CsvDialect(",")) as (table, _):
            header_end = table.header_end_line
            records = list(table.records())
    except AdapterError as exc:
        failure = exc
    if failure is not None:  # only the header, the first record, may fail the whole file
        assert re.fullmatch(rf"lines? {first}(-\d+)?", failure.location or f"line {first}")
        return
    assert table.header_line == first
    expected_next = header_end + 1
    for line, end, cells, problem in records:
        assert expected_next <= line <= end <= len(lines), (line, end, len(lines))
        # what lies between two records is blank lines, which are no records
        assert all(not lines[n - 1].strip("\r\n") for n in range(expected_next, line))
        expected_next = end + 1
        if problem is None:
            text = "".join(cells)
            assert not _ESCAPES.search(text), cells
            assert "\ufffd" not in text or "\ufffd".encode() in data, cells
    assert all(not lines[n - 1].strip("\r\n") for n in range(expected_next, len(lines) + 1))


@settings(deadline=None, max_examples=150)
@given(_mutated_csv())
def test_the_native_adapter_never_raises_on_a_broken_record(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("native") / "t.csv"
    path.write_bytes(b"#handoff-rules: document\n" + data.replace(b"amount", b"number", 1))
    try:
        items = list(NativeCsvAdapter().read(path))
    except AdapterError:
        return  # a file-level error (the header): clear, with file and line
    assert all(isinstance(item, Fact | Reject) for item in items)
    for item in items:
        if isinstance(item, Fact):
            assert not _ESCAPES.search(json.dumps(item.to_record(), ensure_ascii=False))
