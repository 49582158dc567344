"""CSV reading: dialects, multi-line fields, broken rows reported, headers made usable."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.adapters.base import AdapterError
from handoff_rules.adapters.tabular import (
    CsvDialect,
    HeaderAliases,
    TableReader,
    header_key,
    open_table,
    sniff_dialect,
)
from handoff_rules.adapters.text import MAX_LINE_CHARS


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniffs_each_delimiter(delimiter: str) -> None:
    rows = [["id", "name", "amount"], ["1", "Acme, Inc.; Ltd", "1,5"], ["2", "B", "2"]]
    text = "\n".join(
        delimiter.join(f'"{c}"' if any(d in c for d in ",;|\t") else c for c in row) for row in rows
    )
    dialect = sniff_dialect(text + "\n")
    assert dialect is not None
    assert dialect.delimiter == delimiter


def test_sniff_gives_none_for_one_column() -> None:
    assert sniff_dialect("hello\nworld\n") is None


def test_sniff_ignores_a_cut_last_line() -> None:
    text = "a;b;c\n1;2;3\n4;5"
    assert sniff_dialect(text, complete=False) == CsvDialect(";")


#: A multi-line cell, a blank line, short and long rows, a stray quote, an unclosed quote.
QUIRKY_TABLE = (
    'id;text;amount\r\n1;"two\r\nlines";5\r\n\r\n2;short\r\n3;a;b;extra\r\n4;"x"y;1\r\n'
    '5;a;b;\r\n6;"never closed\r\n'
)


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_carry_physical_lines_and_problems(tmp_path: Path) -> None:
    path = _write(tmp_path, QUIRKY_TABLE)
    with open_table(path) as (table, detected):
        assert detected.encoding == "utf-8"
        assert table.header == ("id", "text", "amount")
        rows = list(table)
    assert [(r.line, r.end_line) for r in rows] == [(2, 3), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9)]
    assert rows[0].values == {"id": "1", "text": "two\r\nlines", "amount": "5"}
    assert rows[0].problem is None
    assert rows[0].location == "lines 2-3"
    assert rows[1].problem == "2 cells, the header has 3"
    assert rows[1].values["amount"] == ""
    assert rows[2].problem == "4 cells, the header has 3"
    assert rows[2].extra == ("extra",)
    assert rows[3].problem is not None
    assert "expected" in rows[3].problem
    assert rows[4].problem is None  # a trailing empty cell is not data
    assert rows[5].problem is not None
    assert "never closed" in rows[5].problem


def test_duplicate_and_blank_headers_are_renamed_and_noted(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,,name,name\n1,2,3,4\n")
    with open_table(path) as (table, _):
        assert table.header == ("id", "column_2", "name", "name~2")
        assert table.raw_header == ("id", "", "name", "name")
        assert len(table.header_notes) == 2
        (row,) = table
    assert row.values == {"id": "1", "column_2": "2", "name": "3", "name~2": "4"}


def test_skip_lines_keeps_file_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "# title\nа;б\n1;2\n", "cp1251")
    with open_table(path, skip_lines=1) as (table, detected):
        assert detected.encoding == "cp1251"
        assert table.header_line == 2
        assert [r.line for r in table] == [3]


def test_unsplittable_and_empty_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="no delimiter"), open_table(_write(tmp_path, "x\ny\n")):
        pass
    with pytest.raises(AdapterError, match="empty file"):
        TableReader(iter([]), source="e.csv", dialect=CsvDialect())


def test_header_aliases() -> None:
    aliases = HeaderAliases({"order_id": ("VBELN", "Sales Document"), "amount": ("NETWR",)})
    header = ["Sales  document", "netwr", "Other"]
    assert aliases.resolve(header) == {"order_id": "Sales  document", "amount": "netwr"}
    assert aliases.unknown(header) == ["Other"]
    assert header_key(" Sales\tDocument ") == "salesdocument"
    with pytest.raises(ValueError, match="both mean 'order_id'"):
        aliases.resolve(["VBELN", " ORDER_ID"])


_CELL = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8)


@settings(deadline=None, max_examples=60)
@given(
    st.sampled_from([",", ";", "\t", "|"]),
    st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=8),
)
def test_quoted_cells_round_trip(
    tmp_path_factory: pytest.TempPathFactory, delimiter: str, rows: list[list[str]]
) -> None:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    text = "a,b,c".replace(",", delimiter) + "\n"
    text += "".join(delimiter.join(quote(c) for c in row) + "\n" for row in rows)
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with open_table(path, dialect=CsvDialect(delimiter)) as (table, _):
        read = list(table)
    assert [list(r.cells) for r in read] == rows
    assert all(r.problem is None for r in read)


def test_records_are_the_rows_without_row_objects(tmp_path: Path) -> None:
    path = _write(tmp_path, QUIRKY_TABLE)
    with open_table(path) as (table, _):
        records = list(table.records())
    with open_table(path) as (table, _):
        rows = list(table)
    assert [(line, end, problem) for line, end, _cells, problem in records] == [
        (r.line, r.end_line, r.problem) for r in rows
    ]
    assert [tuple(cells) for _line, _end, cells, _problem in records] == [r.cells for r in rows]
    assert records[0][2] == ["1", "two\r\nlines", "5"]


def _big_csv(rows: int) -> tuple[str, list[tuple[int, int]]]:
    """A file with multi-line quoted cells here and there, and where each record starts and ends."""
    parts = ["id;note;amount\r\n"]
    spans: list[tuple[int, int]] = []
    line = 2
    for n in range(rows):
        if n % 7 == 0:
            parts.append(f'{n};"first\r\nsecond\r\nthird";{n},50\r\n')
            spans.append((line, line + 2))
            line += 3
        else:
            parts.append(f"{n};Ромашка {n};{n},00\r\n")
            spans.append((line, line))
            line += 1
    return "".join(parts), spans


def test_line_numbers_stay_exact_across_chunk_boundaries(tmp_path: Path) -> None:
    text, spans = _big_csv(20_000)  # about 600 KB: several decoding chunks
    path = _write(tmp_path, text)
    with open_table(path) as (table, _):
        records = list(table.records())
    assert [(line, end) for line, end, _cells, _problem in records] == spans
    assert all(problem is None for *_rest, problem in records)
    assert records[-2][2] == ["19998", "Ромашка 19998", "19998,00"]
    assert records[-1][2] == ["19999", "first\r\nsecond\r\nthird", "19999,50"]


def test_undecodable_bytes_mid_file_are_one_reject_with_their_line_and_offset(
    tmp_path: Path,
) -> None:
    text, spans = _big_csv(20_000)
    data = text.encode("cp1251")
    bad_record = 15_000
    bad_line = spans[bad_record][0]
    cut = 0
    for _ in range(bad_line - 1):  # the bytes of the lines before the bad one
        cut = data.index(b"\n", cut) + 1
    path = tmp_path / "t.csv"
    path.write_bytes(data[:cut] + b"x\x98;y;1,00\r\n" + data[cut:])  # 0x98 is no cp1251 letter
    with open_table(path, encoding="cp1251") as (table, _):
        received = list(table.records())
    after = [(line + 1, end + 1) for line, end in spans[bad_record:]]
    assert [(line, end) for line, end, _cells, _problem in received] == [
        *spans[:bad_record],
        (bad_line, bad_line),
        *after,
    ]
    _line, _end, cells, problem = received[bad_record]
    assert cells == []
    assert problem == f"not cp1251 although the file is (bytes b'\\x98;y;', byte offset {cut + 1})"
    assert all(problem is None for *_rest, problem in received[bad_record + 1 :])


def _spans_and_problems(path: Path, **options: str) -> list[tuple[int, int, str | None]]:
    with open_table(path, **options) as (table, _):
        return [(line, end, problem) for line, end, _cells, problem in table.records()]


@pytest.mark.parametrize(
    ("long_line", "after", "expected"),
    [
        # the long line sits inside a quoted field that closes on the next line
        ("x" * (MAX_LINE_CHARS + 1), 'end";1\n', [(3, 5, "long")]),
        # the long line itself closes the field (a doubled quote before does not)
        ('x""' + "x" * MAX_LINE_CHARS + '";1', "", [(3, 4, "long")]),
        # the long line opens a new quoted field that closes two lines later
        ("x" * MAX_LINE_CHARS + '","y', 'y\nz";1\n', [(3, 6, "long")]),
    ],
)
def test_a_long_line_in_a_quoted_field_is_one_reject_to_the_field_end(
    tmp_path: Path, long_line: str, after: str, expected: list[tuple[int, int, str]]
) -> None:
    path = _write(tmp_path, f'id,note,n\n1,a,1\n2,"start\n{long_line}\n{after}3,b,1\n')
    *records, last = _spans_and_problems(path)
    assert [
        (line, end, "long" if problem and "longer" in problem else problem)
        for line, end, problem in records
    ] == [(2, 2, None), *expected]
    assert last[2] is None
    assert last[0] == expected[-1][1] + 1


def test_a_long_line_opening_a_quote_outside_one_takes_the_lines_it_quotes(tmp_path: Path) -> None:
    path = _write(tmp_path, 'id,note,n\n1,"' + "x" * (MAX_LINE_CHARS + 1) + '\nmore",1\n2,b,1\n')
    assert _spans_and_problems(path) == [
        (2, 3, f"line longer than {MAX_LINE_CHARS:,} characters, the limit; not read"),
        (4, 4, None),
    ]


def test_a_broken_record_in_a_quoted_field_ends_where_its_quotes_do(tmp_path: Path) -> None:
    note = '"' + "lorem, ipsum\n" * 20_000 + 'said ""end""",1\n'  # a field over the limit
    path = _write(tmp_path, "id,note,n\n1,a,1\n2," + note + "3,b,1\n")
    assert _spans_and_problems(path) == [
        (2, 2, None),
        (3, 20_003, "a field longer than 131,072 characters, the limit"),
        (20_004, 20_004, None),
    ]


def test_an_explicit_encoding_is_not_second_guessed_per_line(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("a;b\nМосква;1\nТула;2\n".encode("cp1251") + "Čechy;3\n".encode())
    mixed = "UTF-8 text in a file otherwise read as cp1251 (mixed encodings)"
    assert _spans_and_problems(path) == [(2, 2, None), (3, 3, None), (4, 4, mixed)]
    assert _spans_and_problems(path, encoding="cp1251") == [
        (2, 2, None),
        (3, 3, None),
        (4, 4, None),
    ]
