"""Each format's ``supplies`` says exactly what its reader fills, checked on every fixture.

The declarations are built from the field mappings (``TableSpec.fills``,
``idoc_fields``); these tests read every fixture, flat copies of the XML IDocs
included, and compare what the facts carry with what the format declares, both
ways: nothing filled is undeclared, nothing declared is never filled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from handoff_rules_sap import SapIdocAdapter, SapTableAdapter
from handoff_rules_sap.flat_writer import control_record, data_record
from handoff_rules_sap.idoc_xml import iter_idocs
from handoff_rules_sap.layouts import layouts
from handoff_rules_sap.segments import IDoc

from handoff_rules.adapters import Fact, Sample
from handoff_rules.model import Derived

DATA = Path(__file__).parent / "data"
XML_FIXTURES = sorted(DATA.glob("*.xml"))
TABLE_FIXTURES = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".tsv", ".txt"))


def _flat_copy(idoc: IDoc) -> list[str]:
    """The IDoc as a flat file writes it: only the fields the flat layouts have."""
    control = {k: v for k, v in idoc.control.items() if v and k != "TABNAM"}
    slots = {slot.name for slot in layouts()["EDI_DC40"]}
    records = [control_record({k: v for k, v in control.items() if k in slots})]
    depth: dict[int, int] = {}
    for index, segment in enumerate(idoc.segments):
        parent = segment.parent
        depth[index] = 2 if parent is None else depth[parent] + 1
        known = {slot.name for slot in layouts().get(segment.name, ())}
        records.append(
            data_record(
                segment.name,
                {k: v for k, v in segment.fields.items() if v and k in known},
                docnum=idoc.docnum,
                segnum=index + 1,
                parent=0 if parent is None else parent + 1,
                level=depth[index],
            )
        )
    return records


@pytest.fixture(scope="module")
def flat_copies(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("flat")
    paths = []
    for source in XML_FIXTURES:
        path = folder / f"{source.stem}.txt"
        lines = [line for idoc in iter_idocs(source) for line in _flat_copy(idoc)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return [*paths, DATA / "invoic02_flat.txt"]


def filled(data: object) -> tuple[str, set[str]]:
    """The fact type of a model object as packs name it, and the fields the reader set."""
    if isinstance(data, Derived):
        fields = {"subject"} | {k for k, v in data.values if v is not None}
        fields |= {k for k in ("order_id", "counterparty_id") if getattr(data, k) is not None}
        return f"derived.{data.name}", fields
    fields = set()
    for field in attrs.fields(type(data)):
        value = getattr(data, field.name)
        default = None if isinstance(field.default, attrs.Factory) else field.default  # type: ignore[arg-type]
        if value not in (None, "", ()) and value != default:
            fields.add(field.name)
    return type(data).fact_type, fields  # type: ignore[attr-defined]


def _read(paths: list[Path]) -> Iterator[tuple[str, str, set[str]]]:
    """(format, fact type, fields filled) of every fact the fixtures give."""
    # KNKK has no currency of its own: the area's is given, as a user would
    for adapter in (
        SapIdocAdapter(),
        SapTableAdapter(area_currencies={"*": "PLN"}, payment_days={"ZB14": 14}),
    ):
        for path in paths:
            sniffed = adapter.sniff(Sample.of(path))
            if sniffed is None:
                continue
            for item in adapter.read(path):
                if isinstance(item, Fact):
                    yield (sniffed.format, *filled(item.data))


def _declared() -> dict[str, dict[str, set[str]]]:
    return {
        info.name: {s.fact_type: set(s.fields) for s in info.supplies}
        for adapter in (SapIdocAdapter(), SapTableAdapter())
        for info in adapter.formats
    }


def _all_fixtures(flat_copies: list[Path]) -> list[Path]:
    return [*XML_FIXTURES, *TABLE_FIXTURES, *flat_copies]


def test_every_field_a_reader_sets_is_declared(flat_copies: list[Path]) -> None:
    declared = _declared()
    undeclared: set[tuple[str, str, str]] = set()
    seen = 0
    for fmt, fact_type, fields in _read(_all_fixtures(flat_copies)):
        seen += 1
        known = declared[fmt].get(fact_type)
        assert known is not None, f"{fmt} gives {fact_type} facts but does not declare them"
        undeclared |= {(fmt, fact_type, f) for f in fields - known}
    assert seen > 60
    assert not undeclared


def test_every_declared_field_is_filled_by_some_fixture(flat_copies: list[Path]) -> None:
    """Formats sharing one mapping (BSID and BSAD) are compared as one."""
    declared = _declared()
    filled_by: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for fmt, fact_type, fields in _read(_all_fixtures(flat_copies)):
        group = "bsid" if fmt == "bsad" else fmt
        filled_by[group][fact_type] |= fields
    never = {
        (fmt, fact_type, field)
        for fmt, types in declared.items()
        for fact_type, fields in types.items()
        for field in fields - filled_by["bsid" if fmt == "bsad" else fmt][fact_type]
    }
    assert not never


def test_flat_files_declare_no_customer_master() -> None:
    """The flat layouts shipped have no DEBMAS segments: a flat file gives no customers."""
    declared = _declared()
    assert {"counterparty", "person"} <= set(declared["idoc-xml"])
    assert not {"counterparty", "person"} & set(declared["idoc-flat"])
    assert declared["idoc-flat"]["order"] == declared["idoc-xml"]["order"]
