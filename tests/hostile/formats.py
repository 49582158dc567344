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
import gzip
import io
import json
import stat
import warnings
import zipfile
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


#: The export formats a zip or gzip archive wraps, with their generators.
EXPORT_FORMATS: Final[dict[str, Callable[[Random], Sample]]] = {
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


# -- archives: any export zipped or gzipped, then the archive made hostile ----------------------

#: Member names an archive must not be allowed to write, or that mean something to a reader.
HOSTILE_MEMBER_NAMES: Final = (
    "../escape.csv",
    "../../../../tmp/escape.csv",
    "/etc/escape.csv",
    "C:/Windows/escape.csv",
    "C:escape.csv",
    "..\\..\\escape.csv",
    "a\\b.csv",
    "sap/../../escape.csv",
    "./VBAK.csv",
    "a//VBAK.csv",
    "",
    "/",
    "..",
    "x" * 300,
    "\x00VBAK.csv",
    "line\nbreak.csv",
    "\u202eVBAK.csv",
    "Заказы/VBAK.csv",
    ".hidden/VBAK.csv",
    "__MACOSX/._VBAK.csv",
)
ZIP_EDITS: Final = (
    "plain",
    "plain",
    "plain",
    "name",
    "symlink",
    "encrypted",
    "duplicate",
    "file-and-folder",
    "many",
    "bomb",
    "nested",
    "options",
    "readme",
    "bytes",
    "bytes",
    "truncate",
)
#: An options file beside the export: valid, then hostile.
OPTIONS_FILES: Final = (
    b'[crm]\ndate_formats = ["%d.%m.%Y", "iso"]\n',
    b"[crm]\nno_such_option = 1\n",
    b"[crm\n",
    b"\xff\xfe not toml",
)


def _export(rnd: Random) -> tuple[str, Sample]:
    fmt = rnd.choice(sorted(EXPORT_FORMATS))
    return fmt, EXPORT_FORMATS[fmt](rnd)


def _write_zip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name, written on purpose
        with zipfile.ZipFile(out, "w") as archive:
            for info, data in members:
                archive.writestr(info, data)
    return out.getvalue()


def _info(rnd: Random, name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    deflated, stored = zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED
    info.compress_type = rnd.choice([deflated, deflated, stored])
    return info


def _set_flag(data: bytes, flag: int) -> bytes:
    """Set a general-purpose flag (1: encrypted) in every local and central header."""
    buffer = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = buffer.find(signature)
        while at != -1 and at + offset < len(buffer):
            buffer[at + offset] |= flag
            at = buffer.find(signature, at + 4)
    return bytes(buffer)


def zip_archive(rnd: Random) -> Sample:
    """An export zipped in a folder, the zip then made hostile (or not) in one way.

    The record count is kept only for an intact zip whose one export is read as it is;
    a skipped member (``readme``, ``nested``) shows in the summary, which the count allows.
    """
    fmt, inner = _export(rnd)
    folder = rnd.choice(["", "exports/", "a/b/c/", "Выгрузка 06/"])
    member = _info(rnd, folder + inner.name)
    members = [(member, inner.data)]
    kind = rnd.choice(ZIP_EDITS)
    records = inner.records
    if kind == "name":
        members = [(_info(rnd, rnd.choice(HOSTILE_MEMBER_NAMES)), inner.data)]
        records = None
    elif kind == "symlink":
        member.create_system = 3
        member.external_attr = (stat.S_IFLNK | 0o777) << 16
        members = [(member, b"/etc/passwd")]
        records = None
    elif kind == "duplicate":
        members.append((_info(rnd, member.filename), inner.data[: len(inner.data) // 2]))
        records = None
    elif kind == "file-and-folder":
        members.append((_info(rnd, folder + inner.name + "/x.csv"), b"x"))
        records = None
    elif kind == "many":
        members += [(_info(rnd, f"{folder}m/{i}.txt"), b"") for i in range(rnd.randint(2, 3_000))]
        records = None
    elif kind == "bomb":
        zeros = _info(rnd, folder + "zeros.txt")
        zeros.compress_type = zipfile.ZIP_DEFLATED
        members.append((zeros, bytes(rnd.choice([2, 8, 64]) * 1024 * 1024)))
        records = None
    elif kind == "nested":
        inner_zip = _write_zip([(_info(rnd, inner.name), inner.data)])
        members.append((_info(rnd, folder + "inner.zip"), inner_zip))
        members.append((_info(rnd, folder + inner.name + ".gz"), gzip.compress(inner.data)))
    elif kind == "options":
        options = rnd.choice(OPTIONS_FILES)
        members.append((_info(rnd, folder + "handoff-rules-crm.toml"), options))
        records = None  # the options may change what the export gives
    elif kind == "readme":
        members.append((_info(rnd, folder + "README.md"), b"# June exports\n"))
    rnd.shuffle(members)
    data = _write_zip(members)
    if kind == "encrypted":
        data, records = _set_flag(data, 0x01), None
    elif kind == "bytes":
        data, labels = mutate_bytes(rnd, data, max_steps=2)
        return Sample("exports.zip", cap(data), (fmt, kind, *inner.labels, *labels))
    elif kind == "truncate":
        data, records = data[: rnd.randrange(max(len(data), 1))], None
    if len(data) > MAX_BYTES:
        data, records = cap(data), None
    name = rnd.choice(["exports.zip", "exports.zip", "exports", "EXPORTS.ZIP", "exports.bin"])
    return Sample(name, data, (fmt, kind, *inner.labels), records, inner.count_by)


def gzip_file(rnd: Random) -> Sample:
    """An export gzipped (named after it, or not), then cut or mutated now and then."""
    fmt, inner = _export(rnd)
    data = gzip.compress(inner.data, compresslevel=rnd.choice([1, 6, 9]))
    records = inner.records
    labels: tuple[str, ...] = (fmt, "gzip", *inner.labels)
    kind = rnd.choice(["plain", "plain", "plain", "bytes", "truncate", "bomb", "concatenated"])
    if kind == "bytes":
        data, more = mutate_bytes(rnd, data, max_steps=2)
        records, labels = None, (*labels, *more)
    elif kind == "truncate":
        data, records = data[: rnd.randrange(max(len(data), 1))], None
    elif kind == "bomb":
        data, records = gzip.compress(bytes(rnd.choice([2, 8, 64]) * 1024 * 1024)), None
    elif kind == "concatenated":  # two gzip members: one file of both, as gunzip gives it
        data, records = data + gzip.compress(inner.data), None
    if len(data) > MAX_BYTES:
        data, records = cap(data), None
    name = rnd.choice([f"{inner.name}.gz", f"{inner.name}.gz", f"{inner.name}.GZ", inner.name])
    return Sample(name, data, (*labels, kind), records, inner.count_by)


#: Every export format ``read`` and ``check`` take, with its generator.
FORMATS: Final[dict[str, Callable[[Random], Sample]]] = {
    **EXPORT_FORMATS,
    "zip": zip_archive,
    "gzip": gzip_file,
}


def export_file(rnd: Random) -> tuple[str, Sample]:
    """One hostile export of any format, with the format's name."""
    fmt = rnd.choice(sorted(FORMATS))
    return fmt, FORMATS[fmt](rnd)
