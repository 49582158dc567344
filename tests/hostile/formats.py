"""Generators of hostile export files, one per format family.

Each takes a ``random.Random`` (driven by hypothesis, see :mod:`.mutations`)
and returns a :class:`Sample`: a file name, its bytes, the labels of what was
done and, where the generator can tell, how many records the file holds and
how ``read`` output is counted against them (see :mod:`.harness`).
Structural mutations (a cell, a segment, a YAML node) keep the record count
known; byte mutations after them make it unknown.
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import json
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any, Final, Literal

import attrs
from lxml import etree

from . import hostile_values as hv
from . import seeds
from .mutations import MAX_BYTES, cap, mutate_bytes
from .trees import dump_json, dump_yaml, edit_tree, load_yaml

#: "items": every fact and reject line is one record (one record gives one of them);
#: "locations": records are the distinct provenances (an SAP or CRM row can give a
#: fact and a derived fact at the same place).
CountBy = Literal["items", "locations"]


@attrs.frozen
class Sample:
    name: str
    data: bytes
    labels: tuple[str, ...]
    records: int | None = None
    count_by: CountBy = "items"


def maybe_bytes(rnd: Random, sample: Sample, probability: float = 0.3) -> Sample:
    """Byte mutations on top, sometimes; they make the record count unknown."""
    if rnd.random() >= probability:
        return sample
    data, labels = mutate_bytes(rnd, sample.data, max_steps=3)
    return attrs.evolve(sample, data=data, labels=sample.labels + labels, records=None)


# -- delimited text: native CSV, SAP table extracts, CRM CSV ----------------------------------


@attrs.frozen
class Table:
    prefix: str  # a marker line or "" (kept as is)
    header: list[str]
    rows: list[list[str]]
    delimiter: str
    encoding: str


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251"), "cp1251"


@functools.cache
def _table(path: Path, quoted: bool) -> Table:
    text, encoding = _decode(path.read_bytes())
    prefix = ""
    if text.startswith("#handoff-rules"):
        prefix, _, text = text.partition("\n")
        prefix += "\n"
    first = text.partition("\n")[0]
    delimiter = max([";", "\t", ",", "|"], key=first.count)
    if quoted:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    else:
        rows = [line.split(delimiter) for line in text.splitlines()]
    rows = [r for r in rows if r]
    return Table(prefix, rows[0], rows[1:], delimiter, encoding)


@functools.cache
def _cell_values(quoted: bool, delimiter: str) -> tuple[str, ...]:
    if quoted:
        return hv.TEXT_VALUES
    # Unquoted extracts: a delimiter, quote or line break in a cell changes the
    # record structure itself, which the count must not depend on.
    return tuple(v for v in hv.TEXT_VALUES if not any(c in v for c in (delimiter, '"', "\n", "\r")))


TABLE_EDITS: Final = (
    "cell",
    "cell",
    "cell",
    "swap-columns",
    "swap-cells",
    "duplicate-row",
    "delete-row",
    "extra-cell",
    "missing-cell",
    "many-rows",
)


def edit_table(rnd: Random, table: Table, quoted: bool) -> tuple[Table, tuple[str, ...]]:
    header = list(table.header)
    rows = [list(r) for r in table.rows] or [list(header)]
    labels = []
    values = _cell_values(quoted, table.delimiter)
    for _ in range(rnd.randint(1, 3)):
        kind = rnd.choice(TABLE_EDITS)
        r = rnd.randrange(len(rows))
        row = rows[r]
        if kind == "cell" and row:
            c = rnd.randrange(len(row))
            row[c] = rnd.choice(values)
            kind = f"cell:{header[c] if c < len(header) else c}"
        elif kind == "swap-columns" and len(header) > 1:
            i, j = rnd.randrange(len(header)), rnd.randrange(len(header))
            header[i], header[j] = header[j], header[i]
        elif kind == "swap-cells" and len(row) > 1:
            i, j = rnd.randrange(len(row)), rnd.randrange(len(row))
            row[i], row[j] = row[j], row[i]
        elif kind == "duplicate-row":
            rows.insert(r, list(row))
        elif kind == "delete-row" and len(rows) > 1:
            del rows[r]
        elif kind == "extra-cell":
            row.append(rnd.choice(values))
        elif kind == "missing-cell" and row:
            row.pop()
        elif kind == "many-rows":
            rows[r:r] = [list(row) for _ in range(rnd.randint(2, 2_000))]
        labels.append(kind)
    return attrs.evolve(table, header=header, rows=rows), tuple(labels)


def write_table(table: Table, quoted: bool, encoding: str, newline: str) -> bytes:
    if quoted:
        # The writer quotes a cell holding a character of its line terminator only:
        # written with "\n", a cell's lone "\r" would stay bare, and every CSV
        # reader (Python's, Excel) ends the record there. Each row is written with
        # "\r\n", so any line break in a cell is quoted, then given its own ending.
        out = io.StringIO()
        writer = csv.writer(out, delimiter=table.delimiter, lineterminator="\r\n")
        lines = []
        for row in [table.header, *table.rows]:
            out.seek(0)
            out.truncate()
            writer.writerow(row)
            lines.append(out.getvalue()[:-2] + newline)
        text = "".join(lines)
    else:
        text = "".join(table.delimiter.join(r) + newline for r in [table.header, *table.rows])
    return (table.prefix + text).encode(encoding, "replace")


def delimited(
    rnd: Random, path: Path, *, quoted: bool, count_by: CountBy, keep_dialect: bool
) -> Sample:
    table = _table(path, quoted)
    edited, labels = edit_table(rnd, table, quoted)
    if keep_dialect:  # the plugins recognise their exports by encoding and delimiter too
        encoding = rnd.choice([table.encoding, table.encoding, "utf-8", "utf-8-sig"])
    else:
        encoding = rnd.choice(["utf-8", "utf-8-sig", "utf-16", "cp1251", "cp1252"])
        # the csv writer quotes whatever the new delimiter splits
        edited = attrs.evolve(edited, delimiter=rnd.choice([table.delimiter, ",", ";", "\t", "|"]))
    data = write_table(edited, quoted, encoding, rnd.choice(["\n", "\r\n"]))
    records = len(edited.rows) if len(data) <= MAX_BYTES else None  # cut: rows are lost
    sample = Sample(path.name, cap(data), (*labels, encoding), records, count_by)
    return maybe_bytes(rnd, sample)


def native_csv(rnd: Random) -> Sample:
    path = rnd.choice(seeds.NATIVE_CSV)
    return delimited(rnd, path, quoted=True, count_by="items", keep_dialect=False)


def sap_table(rnd: Random) -> Sample:
    path = seeds.SAP_DATA / rnd.choice(seeds.SAP_TABLES)
    return delimited(rnd, path, quoted=False, count_by="locations", keep_dialect=True)


def crm_csv(rnd: Random) -> Sample:
    path = seeds.CRM_DATA / rnd.choice(seeds.CRM_CSV)
    return delimited(rnd, path, quoted=True, count_by="locations", keep_dialect=True)


# -- YAML, JSON and JSON Lines -----------------------------------------------------------------


@functools.cache
def _yaml_tree(path: Path) -> Any:
    return load_yaml(path.read_text("utf-8"))


@functools.cache
def _json_tree(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


YAML_NODES: Final = hv.HOSTILE_YAML_NODES + tuple(
    json.dumps(v, ensure_ascii=False) for v in hv.TEXT_VALUES
)


def native_yaml(rnd: Random) -> Sample:
    path = rnd.choice(seeds.NATIVE_YAML)
    tree = copy.deepcopy(_yaml_tree(path))
    labels: list[str] = []
    raw: str | None = None
    inside_records = rnd.random() < 0.75
    for _ in range(rnd.randint(1, 2)):
        under: tuple[str | int, ...] = ()
        if inside_records:
            under = ("facts", rnd.randrange(len(tree["facts"])), "data")
        new_raw, label = edit_tree(rnd, tree, under, YAML_NODES if raw is None else ())
        raw = raw or new_raw
        labels.append(label)
    records = len(tree["facts"]) if inside_records else None
    return maybe_bytes(rnd, Sample(path.name, dump_yaml(tree, raw), tuple(labels), records))


def native_json(rnd: Random) -> Sample:
    path = rnd.choice(seeds.NATIVE_JSON)
    tree = copy.deepcopy(_json_tree(path))
    under = ("facts", rnd.randrange(len(tree["facts"])), "data")
    raw, label = edit_tree(rnd, tree, under, hv.HOSTILE_JSON_VALUES)
    return maybe_bytes(rnd, Sample(path.name, dump_json(tree, raw), (label,), len(tree["facts"])))


def crm_tree_json(rnd: Random) -> Sample:
    path = seeds.CRM_DATA / rnd.choice(seeds.CRM_TREE_JSON)
    tree = copy.deepcopy(_json_tree(path))
    under = ("records", rnd.randrange(len(tree["records"])))
    raw, label = edit_tree(rnd, tree, under, hv.HOSTILE_JSON_VALUES)
    data = dump_json(tree, raw, indent=rnd.choice([None, 4]))
    sample = Sample(path.name, data, (label,), len(tree["records"]), "locations")
    return maybe_bytes(rnd, sample)


def json_or_none(text: str) -> Any:
    """The parsed line, or ``None`` for one an earlier edit made unreadable (or 20,000 deep)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def native_jsonl(rnd: Random) -> Sample:
    lines = [line for line in seeds.jsonl_seed().decode("utf-8").split("\n") if line]
    lines = lines[:-1]  # the summary: skipped by the reader, so no record
    labels: list[str] = []
    for _ in range(rnd.randint(1, 3)):
        i = rnd.randrange(len(lines))
        kind = rnd.choice(["edit", "edit", "edit", "duplicate", "delete", "garbage"])
        tree = json_or_none(lines[i])
        if kind == "edit" and tree is not None:
            raw, kind = edit_tree(rnd, tree, (), hv.HOSTILE_JSON_VALUES)
            lines[i] = dump_json(tree, raw, indent=None).decode("utf-8", "surrogatepass")
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "garbage":
            lines.insert(i, rnd.choice((*hv.HOSTILE_JSON_VALUES, "{", "x")))
        labels.append(kind)
    text = "\n".join(lines) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    records = len(lines) if len(data) <= len(cap(data)) else None
    return maybe_bytes(rnd, Sample("facts.jsonl", cap(data), tuple(labels), records))


# -- SAP IDocs ---------------------------------------------------------------------------------

XML_PROLOGUES: Final = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
    b'&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n',
    b'<?xml version="1.0" encoding="UTF-16"?>\n',
    b'<?xml version="1.0" encoding="nonsense"?>\n',
    b'<?xml version="1.1"?>\n',
    b"<?xml-stylesheet href='x.xsl'?>\n",
    b"<!-- comment -->\n",
    b"\xef\xbb\xbf",
)
XML_EDITS: Final = ("text", "text", "duplicate", "delete", "swap", "deep", "many", "rename")
_RAW_MARKER: Final = "HOSTILE-RAW-TEXT"


def _edit_xml(rnd: Random, data: bytes) -> tuple[bytes, str]:
    try:
        root = etree.fromstring(data, etree.XMLParser(huge_tree=True))
    except etree.XMLSyntaxError:  # nested deeper than lxml reads by a previous edit
        return data, "none"
    element = rnd.choice(list(root.iter()))
    parent = element.getparent()
    kind = rnd.choice(XML_EDITS)
    if kind == "text":
        try:
            element.text = rnd.choice(hv.TEXT_VALUES)
        except ValueError:  # not a character XML allows: write the bytes raw instead
            element.text = _RAW_MARKER
            raw = rnd.choice(hv.HOSTILE_TEXT).encode("utf-8", "surrogatepass")
            return etree.tostring(root).replace(_RAW_MARKER.encode(), raw, 1), "raw-text"
    elif kind == "rename":
        element.tag = rnd.choice(["E2EDK01005", "Z1X", "EDI_DC40", "IDOC", "x-y", "E1"])
    elif parent is None:
        kind = "none"
    elif kind == "duplicate":
        element.addnext(copy.deepcopy(element))
    elif kind == "delete":
        parent.remove(element)
    elif kind == "swap":
        sibling = element.getnext()
        if sibling is not None:
            sibling.addnext(element)
    elif kind == "deep":
        holder = element
        for _ in range(rnd.randint(100, 3_000)):
            holder = etree.SubElement(holder, element.tag)
    elif kind == "many":
        for _ in range(rnd.randint(10, 500)):
            element.addnext(copy.deepcopy(element))
    return etree.tostring(root), kind


def idoc_xml(rnd: Random) -> Sample:
    name = rnd.choice(seeds.SAP_IDOC_XML)
    data = (seeds.SAP_DATA / name).read_bytes()
    labels = []
    for _ in range(rnd.randint(0, 2)):
        data, label = _edit_xml(rnd, data)
        labels.append(label)
        if label == "raw-text":  # no longer XML that lxml reads for the next edit
            break
    if rnd.random() < 0.5:
        data = rnd.choice(XML_PROLOGUES) + data.split(b"?>", 1)[-1]
        labels.append("prologue")
    return maybe_bytes(rnd, Sample(name, cap(data), tuple(labels)), probability=0.5)


FLAT_EDITS: Final = (
    "field",
    "field",
    "field-raw",
    "duplicate",
    "repeat",
    "delete",
    "swap",
    "segment-name",
    "cut",
    "extend",
)


def idoc_flat(rnd: Random) -> Sample:
    name = rnd.choice(seeds.SAP_IDOC_FLAT)
    lines = (seeds.SAP_DATA / name).read_bytes().decode("latin-1").splitlines()
    labels = []
    for _ in range(rnd.randint(1, 3)):
        i = rnd.randrange(len(lines))
        kind = rnd.choice(FLAT_EDITS)
        line = lines[i]
        if kind in ("field", "field-raw"):
            start = rnd.randrange(max(len(line), 1))
            value = rnd.choice(hv.TEXT_VALUES).replace("\n", " ")
            width = rnd.randint(1, 40)
            if kind == "field":  # keep the line's width: a value in the wrong place
                value = value[:width].ljust(width)
            lines[i] = line[:start] + value + line[start + width :]
        elif kind == "duplicate":
            lines.insert(i, line)
        elif kind == "repeat":
            lines[i:i] = [line] * rnd.randint(2, 3_000)
        elif kind == "delete":
            del lines[i]
        elif kind == "swap":
            j = rnd.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "segment-name":
            segment = rnd.choice(["EDI_DC40", "E2EDK01005", "E2EDP01", "Z1", "", "X" * 30])
            lines[i] = segment.ljust(30)[:30] + line[30:]
        elif kind == "cut":
            lines[i] = line[: rnd.randint(0, len(line))]
        else:
            lines[i] = line + rnd.choice([" " * 2_000, "9" * 5_000, "\x00" * 10])
        labels.append(kind)
        lines = lines or [""]
    encoding = rnd.choice(["latin-1", "utf-8", "cp1251"])
    data = cap("\r\n".join(lines).encode(encoding, "replace"))
    return maybe_bytes(rnd, Sample(name, data, tuple(labels)))


def document_register(rnd: Random) -> Sample:
    """A register CSV or workbook with its bytes mutated: the count of rows is then unknown
    (a workbook's rows live in compressed XML, where byte edits reach the zip, not cells)."""
    path = rnd.choice(seeds.REGISTERS)
    data, labels = mutate_bytes(rnd, path.read_bytes(), max_steps=3)
    return Sample(path.name, cap(data), labels)


#: Every export format ``read`` and ``check`` take, with its generator.
FORMATS: Final[dict[str, Callable[[Random], Sample]]] = {
    "native-csv": native_csv,
    "native-yaml": native_yaml,
    "native-json": native_json,
    "native-jsonl": native_jsonl,
    "sap-table": sap_table,
    "sap-idoc-xml": idoc_xml,
    "sap-idoc-flat": idoc_flat,
    "crm-csv": crm_csv,
    "crm-tree-json": crm_tree_json,
    "document-register": document_register,
}


def export_file(rnd: Random) -> tuple[str, Sample]:
    """One hostile export of any format, with the format's name."""
    fmt = rnd.choice(sorted(FORMATS))
    return fmt, FORMATS[fmt](rnd)
