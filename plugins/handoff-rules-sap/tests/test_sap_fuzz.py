"""Mutated IDocs and extracts: the only exception that may escape is AdapterError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from handoff_rules_sap import SapIdocAdapter, SapTableAdapter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.adapters import AdapterError, Fact, Reject

from .conftest import DATA

IDOC_FILES = [
    "invoic02_zext.xml",
    "orders05_two.xml",
    "delvry07.xml",
    "debmas06.xml",
    "invoic02_flat.txt",
]
TABLE_FILES = ["VBAK.csv", "VBAP.tsv", "KNA1.csv", "BSAD.csv", "VBFA.csv", "VBRK.csv", "VEDA.txt"]

# Bytes that matter to the formats: markup, separators, signs, quotes, encodings.
INTERESTING = st.sampled_from(
    [
        b"<",
        b">",
        b"&",
        b"&lol;",
        b"<!DOCTYPE x>",
        b"]]>",
        b"\x00",
        b"\xff",
        b"\xc3",
        b"\xd0",
        b";",
        b"\t",
        b",",
        b'"',
        b"\n",
        b"\r\n",
        b"-",
        b"1.234,56-",
        b"00000000",
        b"99999999",
        b"E2EDK01005",
        b"Z1X",
        b'SEGMENT="1"',
        b"</IDOC>",
        b"<IDOC>",
        b" ",
    ]
)


@st.composite
def mutated(draw: st.DrawFn, names: list[str]) -> tuple[str, bytes]:
    name = draw(st.sampled_from(names))
    data = bytearray((DATA / name).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate"]))
        if kind == "insert":
            data[at:at] = draw(INTERESTING | st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "replace":
            data[at : at + 1] = draw(INTERESTING)
        elif kind == "truncate":
            del data[at:]
        else:
            end = min(len(data), at + draw(st.integers(1, 200)))
            data[at:at] = data[at:end]
    return name, bytes(data)


def _read_all(adapter: SapIdocAdapter | SapTableAdapter, name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        error: AdapterError | None = None
        try:
            for item in adapter.read(path):
                assert isinstance(item, Fact | Reject)
        except AdapterError as exc:
            error = exc
        if error is not None:
            assert str(path) in str(error)


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutated(IDOC_FILES))
def test_mutated_idocs_raise_nothing_but_adapter_error(case: tuple[str, bytes]) -> None:
    _read_all(SapIdocAdapter(), *case)


@FUZZ
@given(mutated(TABLE_FILES))
def test_mutated_extracts_raise_nothing_but_adapter_error(case: tuple[str, bytes]) -> None:
    _read_all(SapTableAdapter(), *case)


@pytest.mark.parametrize("name", IDOC_FILES + TABLE_FILES)
def test_every_truncation_point_of_the_first_kilobyte_is_handled(name: str) -> None:
    adapter = SapIdocAdapter() if name in IDOC_FILES else SapTableAdapter()
    data = (DATA / name).read_bytes()
    for end in range(0, min(len(data), 1024), 37):
        _read_all(adapter, name, data[:end])
