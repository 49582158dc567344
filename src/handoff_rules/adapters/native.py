"""The native input formats: facts no ERP export carries, written by people or tools.

Powers of attorney, the register of documents with the form each arrived in,
contracts and templates live in binders and spreadsheets, not in SAP. These
three formats let them in, with the same guarantees as any export (every
record a fact or a Reject with file:line, values validated by the model):

``native-jsonl``
    JSON Lines exactly as ``handoff-rules read --format jsonl`` writes them, so
    the output of ``read`` can be fed back. Facts keep the provenance they were
    written with (the original export row), so findings still point there;
    summary lines are skipped.
``native-yaml``
    A YAML or JSON document ``{handoff-rules-facts: 1, facts: [{type:, data:}]}``;
    line numbers come from the YAML parser's marks.
``native-csv``
    One fact type per file, columns named after the model's fields with dots
    for nested ones (``poa.holder_name``); the type comes from a first line
    ``#handoff-rules: <type>`` or, without it, from a header only one type fits.

See ``docs/reference/native-formats.rst`` for the layouts.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final, cast

import yaml

from handoff_rules import __version__
from handoff_rules.adapters.base import (
    Adapter,
    AdapterError,
    FormatInfo,
    Sample,
    SniffResult,
    Supply,
)
from handoff_rules.adapters.native_schema import (
    CSV_FACT_TYPES,
    coerce,
    csv_columns,
    missing_required,
    model_paths,
    nest,
    types_for_header,
)
from handoff_rules.adapters.tabular import open_table, sniff_dialect
from handoff_rules.adapters.text import detect_encoding, open_text, read_text
from handoff_rules.facts import (
    RECORD_FACT,
    RECORD_REJECT,
    RECORD_SUMMARY,
    Fact,
    Provenance,
    Reject,
    keys_of_record,
)
from handoff_rules.model import FACT_TYPES, Derived, FactData, ModelDataError, from_dict
from handoff_rules.yamlsafe import BoundedLoader, YamlError, compose, construct, first_refusal

__all__ = [
    "CSV_MARKER",
    "FACTS_MARKER",
    "NATIVE_ADAPTERS",
    "NativeCsvAdapter",
    "NativeJsonlAdapter",
    "NativeYamlAdapter",
]

#: The key that makes a YAML/JSON document a native facts file, and its only version.
FACTS_MARKER: Final = "handoff-rules-facts"
FACTS_VERSION: Final = 1
#: The first line of a native CSV file that names its fact type.
CSV_MARKER: Final = "#handoff-rules:"

_RAW_LIMIT: Final = 200
_CSV_MARKER_LINE: Final = re.compile(r"#\s*handoff-rules\s*:\s*(?P<type>[^\s,;|]*)", re.IGNORECASE)
_FACTS_MARKER_RE: Final = re.compile(
    rf"""(?m)(^|[{{,])\s*["']?{FACTS_MARKER}["']?\s*:\s*["']?(?P<version>[^\s,}}"']+)"""
)


_NOT_UNICODE: Final = "text with a lone surrogate {!r}, which is no Unicode character"


def lone_surrogate(value: object) -> str | None:
    """The first lone surrogate in the text of a parsed value, if any.

    JSON's and YAML's ``\\ud800`` escapes decode to one; such text cannot be
    written out as UTF-8, nor held by the rule engine, so the record is a reject.
    """
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                found = _SURROGATE.search(item)
                if found is not None:
                    return found.group()
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return None


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _RAW_LIMIT else text[: _RAW_LIMIT - 1] + "…"


def _build_fact(fact_type: str, data: dict[str, object], provenance: Provenance) -> Fact:
    value = cast(FactData, from_dict(FACT_TYPES[fact_type], data))
    return Fact(data=value, provenance=provenance)


def _every_field(fact_types: Sequence[str]) -> tuple[Supply, ...]:
    """Every field of every listed fact type: a native file has a place for each."""
    return tuple(Supply(fact_type, model_paths(fact_type)) for fact_type in fact_types)


#: The fact types a native format holds with declared fields: all but ``derived``,
#: whose values are free-form (its facts are made by derivers, not supplied).
SUPPLIED_TYPES: Final = CSV_FACT_TYPES


class _NativeAdapter:
    name: str
    version: str = __version__
    formats: Sequence[FormatInfo] = ()

    def _provenance(self, path: Path, line: int, end_line: int | None = None) -> Provenance:
        location = f"line {line}" if end_line in (None, line) else f"lines {line}-{end_line}"
        return Provenance(
            adapter=self.name,
            source=str(path),
            location=location,
            adapter_version=self.version,
            line=line,
        )


# --- JSON Lines ---------------------------------------------------------------------


class NativeJsonlAdapter(_NativeAdapter):
    """Reads the ``read --format jsonl`` contract back."""

    name = "native-jsonl"
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "jsonl",
            "fact/reject records as written by 'handoff-rules read --format jsonl'",
            (".jsonl", ".ndjson"),
            _every_field(SUPPLIED_TYPES),
        ),
    )

    def sniff(self, sample: Sample) -> SniffResult | None:
        head = sample.head
        encoding = detect_encoding(head, complete=False).encoding
        text = head.decode(encoding, errors="replace")
        for line in text.splitlines(keepends=True):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                return None
            except RecursionError:
                continue  # says nothing about the format; read() rejects the line
            kinds = {RECORD_FACT, RECORD_REJECT, RECORD_SUMMARY}
            if (
                isinstance(record, dict)
                and isinstance(record.get("record"), str)
                and record["record"] in kinds
            ):
                return SniffResult("jsonl", 0.95)
            return None
        return None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        stream, _ = open_text(path)
        with stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                item = self._record(path, number, line)
                if item is not None:
                    yield item

    def _record(self, path: Path, number: int, line: str) -> Fact | Reject | None:
        here = self._provenance(path, number)
        try:
            record = json.loads(line)
        except ValueError as exc:
            return Reject(f"not JSON: {exc}", here, raw=_excerpt(line))
        except RecursionError:
            return Reject("not a record: nested too deeply", here, raw=_excerpt(line))
        if not isinstance(record, dict):
            return Reject("a record must be a JSON object", here, raw=_excerpt(line))
        # Only a \u escape can put a lone surrogate into text decoded strictly.
        if "\\u" in line and (surrogate := lone_surrogate(record)) is not None:
            return Reject(_NOT_UNICODE.format(surrogate), here, raw=_excerpt(line))
        kind = record.get("record")
        fact_type = record.get("type") if isinstance(record.get("type"), str) else None
        if kind == RECORD_SUMMARY:
            return None
        try:
            if kind == RECORD_FACT:
                if "provenance" not in record:  # hand-written: this line is the origin
                    record = {**record, "provenance": here.to_dict()}
                return Fact.from_record(record)
            if kind == RECORD_REJECT:
                return Reject.from_record(record)
        except ModelDataError as exc:
            keys = keys_of_record(fact_type, record.get("data"))
            return Reject(str(exc), here, type=fact_type, raw=_excerpt(line), keys=keys)
        return Reject(
            f"unknown record kind {kind!r} (expected fact, reject or summary)",
            here,
            type=fact_type,
            raw=_excerpt(line),
        )


# --- YAML / JSON facts file ---------------------------------------------------------


class _TextScalarLoader(BoundedLoader):
    """The bounded safe loader, keeping every scalar but null as its text.

    YAML 1.1 would read ``0000012345`` as an octal number, ``1234.50`` as a
    float and ``no`` as False; the model's field types decide instead (see
    :mod:`handoff_rules.adapters.native_schema`). Aliases (``*name``), the way
    a small file expands into a huge one, and tags other than plain data's are
    refused by :mod:`handoff_rules.yamlsafe`: the item that holds one is a
    reject, the others are read.
    """


def _scalar_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(cast(yaml.ScalarNode, node)))


for _tag in ("bool", "int", "float", "timestamp"):
    _TextScalarLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _scalar_text)


def _with_location(exc: YamlError) -> str:
    return exc.message if exc.location is None else f"{exc.message} ({exc.location})"


def _duplicate_key(node: yaml.Node) -> tuple[str, int] | None:
    """The first mapping key written twice under ``node`` (YAML would keep the last silently)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    return str(key.value), key.start_mark.line + 1
                seen.add(key.value)
            found = _duplicate_key(value)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            found = _duplicate_key(child)
            if found:
                return found
    return None


class NativeYamlAdapter(_NativeAdapter):
    """Reads a YAML or JSON facts file: ``handoff-rules-facts: 1`` and a list of facts."""

    name = "native-yaml"
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "facts-yaml",
            f"YAML or JSON with '{FACTS_MARKER}: 1' and a 'facts' list of {{type, data}}",
            (".yaml", ".yml", ".json"),
            _every_field(SUPPLIED_TYPES),
        ),
    )

    def sniff(self, sample: Sample) -> SniffResult | None:
        encoding = detect_encoding(sample.head, complete=False).encoding
        text = sample.head.decode(encoding, errors="replace")
        if _FACTS_MARKER_RE.search(text):
            return SniffResult("facts-yaml", 0.95)
        return None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        text, _ = read_text(path)
        if text.lstrip().startswith("{"):
            # JSON: a tab can only be whitespace there (JSON strings escape it), but
            # YAML refuses tabs as indentation. One character for one keeps the marks.
            text = text.replace("\t", " ")
        try:
            root = compose(text, str(path), _TextScalarLoader)
        except YamlError as exc:
            message = exc.message.replace("not valid YAML:", "not valid YAML/JSON:")
            raise AdapterError(str(path), message, exc.location) from None
        items = self._items(path, root)
        loader = _TextScalarLoader("")
        for node in items.value:
            yield self._item(path, loader, node, text)

    def _items(self, path: Path, root: yaml.Node | None) -> yaml.SequenceNode:
        """The node of the ``facts`` list, after checking everything around its items."""
        if root is None:
            raise AdapterError(str(path), f"empty: expected '{FACTS_MARKER}: 1' and 'facts'")
        facts: list[yaml.Node] = []
        if isinstance(root, yaml.MappingNode):
            facts = [
                v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "facts"
            ]
        # Refused parts of the items are rejects (see _item); anywhere else they refuse the file.
        around = first_refusal(root, skip=facts[-1:])
        if around is not None:
            raise AdapterError(str(path), around.reason, f"line {around.line}")
        if not isinstance(root, yaml.MappingNode):
            raise AdapterError(
                str(path),
                f"expected a mapping with '{FACTS_MARKER}: 1' and 'facts'",
                f"line {root.start_mark.line + 1}",
            )
        top = {str(k.value): v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        marker = top.get(FACTS_MARKER)
        if not isinstance(marker, yaml.ScalarNode) or marker.value != str(FACTS_VERSION):
            found = marker.value if isinstance(marker, yaml.ScalarNode) else None
            raise AdapterError(
                str(path),
                f"'{FACTS_MARKER}' must be {FACTS_VERSION} (the only version), not {found!r}",
                f"line {(marker or root).start_mark.line + 1}",
            )
        unknown = sorted(set(top) - {FACTS_MARKER, "facts", "description"})
        if unknown:
            raise AdapterError(
                str(path),
                f"unknown top-level keys {unknown} (expected {FACTS_MARKER}, facts, description)",
                f"line {root.start_mark.line + 1}",
            )
        items = top.get("facts")
        if items is None or (isinstance(items, yaml.ScalarNode) and items.value in ("", "~")):
            return yaml.SequenceNode("tag:yaml.org,2002:seq", [])
        if not isinstance(items, yaml.SequenceNode):
            raise AdapterError(
                str(path),
                "'facts' must be a list of {type, data}",
                f"line {items.start_mark.line + 1}",
            )
        return items

    def _item(
        self, path: Path, loader: _TextScalarLoader, node: yaml.Node, text: str
    ) -> Fact | Reject:
        # A block item's end mark is where the next item starts: count only the
        # lines its own text occupies.
        own_text = text[node.start_mark.index : node.end_mark.index].rstrip()
        start = node.start_mark.line + 1
        here = self._provenance(path, start, start + own_text.count("\n"))
        raw = _excerpt(own_text)
        duplicate = _duplicate_key(node)
        if duplicate is not None:
            key, line = duplicate
            return Reject(f"key {key!r} is given twice (line {line})", here, raw=raw)
        refused = first_refusal(node)
        if refused is not None:
            return Reject(f"{refused.reason} (line {refused.line})", here, raw=raw)
        try:
            item = construct(node, str(path), loader)
        except YamlError as exc:
            return Reject(_with_location(exc), here, raw=raw)
        if not isinstance(item, dict) or set(item) != {"type", "data"}:
            keys = sorted(map(str, item)) if isinstance(item, dict) else type(item).__name__
            return Reject(
                f"a fact must be a mapping with 'type' and 'data', got {keys}", here, raw=raw
            )
        fact_type = item["type"]
        if not isinstance(fact_type, str) or fact_type not in FACT_TYPES:
            known = ", ".join(sorted(FACT_TYPES))
            return Reject(f"unknown fact type {fact_type!r} (known: {known})", here, raw=raw)
        data = item["data"]
        if (surrogate := lone_surrogate(item)) is not None:
            return Reject(_NOT_UNICODE.format(surrogate), here, type=fact_type, raw=raw)
        if FACT_TYPES[fact_type] is Derived:
            # Derived values are free-form: YAML's own typing, in the tagged dict form
            # ({decimal: "1.50"}, {date: "2024-03-01"}) for decimals and dates.
            try:
                data = construct(node, str(path), BoundedLoader(""))["data"]
            except YamlError as exc:
                reason = f"invalid derived: {_with_location(exc)}"
                return Reject(reason, here, type=fact_type, raw=raw)
        try:
            return _build_fact(fact_type, coerce(fact_type, data), here)
        except ModelDataError as exc:
            seen = keys_of_record(fact_type, data)
            return Reject(str(exc), here, type=fact_type, raw=raw, keys=seen)


# --- CSV ---------------------------------------------------------------------------


def _marker_type(first_line: str) -> str | None:
    match = _CSV_MARKER_LINE.fullmatch(first_line.strip().rstrip(",;|\t").strip())
    return match["type"] if match else None


class NativeCsvAdapter(_NativeAdapter):
    """Reads one-fact-type CSV files with the documented columns."""

    name = "native-csv"
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "facts-csv",
            "CSV/TSV of one fact type; '#handoff-rules: <type>' first line or a native header",
            (".csv", ".tsv", ".txt"),
            _every_field(SUPPLIED_TYPES),
        ),
    )

    def sniff(self, sample: Sample) -> SniffResult | None:
        encoding = detect_encoding(sample.head, complete=False).encoding
        text = sample.head.decode(encoding, errors="replace").lstrip("\ufeff")
        first = io.StringIO(text, newline="").readline()  # "\r" alone ends a line too
        if _marker_type(first) is not None:
            return SniffResult("facts-csv", 0.95)
        complete = len(sample.head) < 64 * 1024
        dialect = sniff_dialect(text, complete=complete)
        if dialect is None:
            return None
        header = {cell.strip() for cell in first.rstrip("\r").split(dialect.delimiter)} - {""}
        # Without the marker, claim only a header every column of which is native and
        # that only one fact type fits: a foreign export must never be taken for ours.
        if len(header) >= 2 and len(types_for_header(header)) == 1:
            return SniffResult("facts-csv", 0.7)
        return None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        stream, _ = open_text(path)
        with stream:
            first = stream.readline()
        fact_type = _marker_type(first.lstrip("\ufeff"))
        skip = 1 if fact_type is not None else 0
        with open_table(path, skip_lines=skip) as (table, _):
            header_line = f"line {table.header_line}"
            duplicates = [n for n in table.header_notes if "repeats" in n]
            if duplicates:
                raise AdapterError(str(path), "; ".join(duplicates), header_line)
            # Spreadsheets add empty trailing columns; they are ignored while empty.
            unnamed = [
                n for n, raw in zip(table.header, table.raw_header, strict=True) if not raw.strip()
            ]
            header = set(table.header) - set(unnamed)
            fact_type = self._fact_type(path, fact_type, header, header_line)
            known = {c.name for c in csv_columns(fact_type)}
            unknown = sorted(header - known)
            if unknown:
                raise AdapterError(
                    str(path),
                    f"unknown columns for {fact_type}: {', '.join(unknown)} "
                    f"(see docs/reference/native-formats.rst)",
                    header_line,
                )
            missing = missing_required(fact_type, header)
            if missing:
                raise AdapterError(
                    str(path), f"{fact_type} needs the columns {', '.join(missing)}", header_line
                )
            for row in table:
                here = self._provenance(path, row.line, row.end_line)
                stray = [n for n in unnamed if row.values.get(n, "").strip()]
                problem = row.problem or (
                    f"a value in {stray[0].replace('_', ' ')}, which has no header"
                    if stray
                    else None
                )
                keys = keys_of_record(fact_type, row.values)
                if problem is not None:
                    yield Reject(problem, here, type=fact_type, raw=row.raw(_RAW_LIMIT), keys=keys)
                    continue
                try:
                    cells = {k: v for k, v in row.values.items() if k not in unnamed}
                    data = coerce(fact_type, nest(cells))
                    yield _build_fact(fact_type, data, here)
                except ModelDataError as exc:
                    yield Reject(str(exc), here, type=fact_type, raw=row.raw(_RAW_LIMIT), keys=keys)

    @staticmethod
    def _fact_type(path: Path, marked: str | None, header: set[str], where: str) -> str:
        if marked is not None:
            if marked not in CSV_FACT_TYPES:
                raise AdapterError(
                    str(path),
                    f"unknown fact type {marked!r} in the '{CSV_MARKER}' line "
                    f"(CSV layouts exist for: {', '.join(CSV_FACT_TYPES)})",
                    "line 1",
                )
            return marked
        candidates = types_for_header(header)
        if len(candidates) != 1:
            which = f"fits {', '.join(candidates)}" if candidates else "fits no fact type"
            raise AdapterError(
                str(path),
                f"the header {which}; start the file with '{CSV_MARKER} <type>'",
                where,
            )
        return candidates[0]


NATIVE_ADAPTERS: Sequence[Callable[[], Adapter]] = (
    NativeCsvAdapter,
    NativeJsonlAdapter,
    NativeYamlAdapter,
)
