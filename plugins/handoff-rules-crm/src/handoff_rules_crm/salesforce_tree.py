"""sfdx data-tree JSON (``sf data export tree`` / ``force:data:tree``) and its data plan.

A tree file is ``{"records": [{"attributes": {"type": "Opportunity",
"referenceId": "OpportunityRef1"}, "Name": …, "AccountId": "@AccountRef32"}]}``.
A record's key is its ``referenceId`` (else ``Guid``/``Id``, else
``<type>Ref<n>``); an ``@AccountRef32`` reference becomes the key
``AccountRef32``. When a data plan (``*plan*.json`` listing this file) lies
beside it, every ``@`` reference must name a record of one of the plan's
files, or the record is rejected: a dangling reference is not a customer.

Child records nested under a parent (``"Contacts": {"records": [...]}``) are
read too; their reference to the parent (``AccountId``) defaults to the parent.

Line numbers come from the JSON text itself: the parser is driven record by
record, so each fact points at the line its record starts on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from handoff_rules.adapters import (
    AdapterError,
    Fact,
    FormatInfo,
    ReadSettings,
    Reject,
    Sample,
    SniffResult,
)
from handoff_rules.adapters.text import read_text
from handoff_rules_crm import __version__
from handoff_rules_crm.cells import Cells, RecordError, with_inferred_dates
from handoff_rules_crm.emit import Emitter
from handoff_rules_crm.options import OPTIONS_FILE, CrmOptions, options_for
from handoff_rules_crm.salesforce import SUPPLIES, map_record, object_from_name, record_keys

__all__ = ["SalesforceTreeAdapter", "iter_tree_records"]

_WS: Final = re.compile(r"[ \t\n\r]*")
_FACT_TYPE: Final = {"Account": "counterparty", "Contact": "person", "Opportunity": "opportunity"}
_TREE_MARK: Final = re.compile(r'"records"\s*:\s*\[')
_PLAN_MARK: Final = re.compile(r'^\s*\[\s*\{[^{}]*"sobject"\s*:', re.DOTALL)
#: A JSON string value that starts like a numeric date: the candidates for the file's
#: day/month order (:func:`~handoff_rules_crm.cells.infer_date_order` checks each).
_QUOTED_DATE: Final = re.compile(
    r'"(\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?:[ T][0-9:. APMapm]{1,20})?)"'
)


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


_DECODER: Final = json.JSONDecoder(
    parse_float=str, parse_int=str, parse_constant=_no_constants, strict=False
)


@attrs.frozen(slots=True)
class TreeRecord:
    """One element of ``records[]`` and the offset of its first character."""

    index: int
    offset: int
    value: object


class _Scanner:
    """Walks ``{"records": [...]}`` one element at a time, keeping offsets."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def fail(self, offset: int, expected: str) -> AdapterError:
        found = self.text[offset : offset + 20] or "the end of the file"
        return AdapterError(
            self.source, f"expected {expected}, found {found!r}", f"line {self.line_of(offset)}"
        )

    def skip(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int) -> tuple[object, int]:
        try:
            return _DECODER.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            raise AdapterError(
                self.source, f"invalid JSON: {exc.msg}", f"line {exc.lineno} column {exc.colno}"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise AdapterError(
                self.source, f"invalid JSON: {exc}", f"line {self.line_of(pos)}"
            ) from None

    def expect(self, pos: int, char: str, what: str) -> int:
        pos = self.skip(pos)
        if self.text[pos : pos + 1] != char:
            raise self.fail(pos, what)
        return pos + 1

    def records(self) -> Iterator[TreeRecord]:
        pos = self.expect(0, "{", 'a JSON object {"records": [...]}')
        seen_records = False
        index = 0
        pos = self.skip(pos)
        if self.text[pos : pos + 1] == "}":
            pos += 1
        else:
            while True:
                pos = self.skip(pos)
                key, pos = self.value(pos)
                if not isinstance(key, str):
                    raise self.fail(pos, "an object key")
                pos = self.expect(pos, ":", "':'")
                pos = self.skip(pos)
                if key == "records" and not seen_records:
                    seen_records = True
                    pos = self.expect(pos, "[", "the records array '['")
                    pos = self.skip(pos)
                    if self.text[pos : pos + 1] == "]":
                        pos += 1
                    else:
                        while True:
                            start = self.skip(pos)
                            value, pos = self.value(start)
                            index += 1
                            yield TreeRecord(index=index, offset=start, value=value)
                            pos = self.skip(pos)
                            if self.text[pos : pos + 1] == ",":
                                pos += 1
                                continue
                            pos = self.expect(pos, "]", "',' or ']' after a record")
                            break
                else:
                    _ignored, pos = self.value(pos)
                pos = self.skip(pos)
                if self.text[pos : pos + 1] == ",":
                    pos += 1
                    continue
                pos = self.expect(pos, "}", "',' or '}'")
                break
        if self.skip(pos) != len(self.text):
            raise self.fail(self.skip(pos), "nothing after the JSON object")
        if not seen_records:
            raise AdapterError(self.source, 'no "records" array: not an sfdx data-tree file')


_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: object) -> bool:
    """Whether a decoded JSON value holds a ``\\ud800``-style escape that is no character.

    JSON allows such escapes, Unicode text does not: no file, terminal or
    JSON Lines output can carry them, so the record is refused as a whole.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


def iter_tree_records(text: str, source: str) -> Iterator[TreeRecord]:
    """The elements of a data-tree file's ``records`` array, with their offsets.

    :raises AdapterError: for text that is not a ``{"records": [...]}`` JSON object
    """
    return _Scanner(text, source).records()


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    kind = (
        "a list"
        if isinstance(value, list)
        else "an object"
        if isinstance(value, dict)
        else "a number"
    )
    raise RecordError(
        f"expected a text, true/false or null value, got {kind}; write it as a JSON string, "
        "as sf data export tree does"
    )


def _reference_ids(records: object, found: set[str]) -> None:
    if not isinstance(records, list):
        return
    for record in records:
        if not isinstance(record, dict):
            continue
        attributes = record.get("attributes")
        if isinstance(attributes, dict) and isinstance(attributes.get("referenceId"), str):
            found.add(attributes["referenceId"])
        for value in record.values():
            if isinstance(value, dict) and "records" in value:
                _reference_ids(value["records"], found)


def _plan_references(path: Path) -> frozenset[str] | None:
    """The referenceIds of the files of a data plan beside ``path`` that lists it, if any."""
    for plan_path in sorted(path.parent.glob("*plan*.json")):
        try:
            plan = json.loads(plan_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            continue
        if not isinstance(plan, list):
            continue
        files = [
            f
            for entry in plan
            if isinstance(entry, dict) and isinstance(entry.get("files"), list)
            for f in entry["files"]
            if isinstance(f, str)
        ]
        if path.name not in files:
            continue
        found: set[str] = set()
        for name in files:
            member = path.parent / name
            try:
                data = json.loads(member.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise AdapterError(
                    str(plan_path), f"data plan lists {name}, which cannot be read: {exc}"
                ) from None
            if isinstance(data, dict):
                _reference_ids(data.get("records"), found)
        return frozenset(found)
    return None


@attrs.frozen(slots=True)
class _Flat:
    """A record with its nesting path, ready to map."""

    path: str
    record: object
    parent_type: str | None
    parent_key: str | None


class SalesforceTreeAdapter:
    """Reads sfdx data-tree JSON files (and accepts their data plan)."""

    name = "salesforce-tree"
    version = __version__
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "sfdx-tree",
            "sfdx data-tree JSON: records[] with attributes.type/referenceId and @Ref references",
            (".json",),
            SUPPLIES,
            options_files=(OPTIONS_FILE,),
        ),
        FormatInfo(
            "sfdx-data-plan",
            "sfdx data plan (sobject/files/saveRefs): no records of its own; used to check "
            "the @Ref references of the files it lists",
            (".json",),
            options_files=(OPTIONS_FILE,),
        ),
    )

    def __init__(self, options: CrmOptions | None = None) -> None:
        self.options = options

    def sniff(self, sample: Sample) -> SniffResult | None:
        text = sample.text()
        stripped = text.lstrip("\ufeff \t\r\n")
        if stripped.startswith("{") and _TREE_MARK.search(text) and '"attributes"' in text:
            return SniffResult("sfdx-tree", 0.9)
        if _PLAN_MARK.match(stripped) and '"files"' in text:
            return SniffResult("sfdx-data-plan", 0.9)
        return None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        return self.read_with_settings(path, ReadSettings())

    def read_with_settings(self, path: Path, settings: ReadSettings) -> Iterator[Fact | Reject]:
        """The file's records; ``settings.default_currency`` (``--currency``) wins over the
        options' (see :func:`~handoff_rules_crm.options.options_for`)."""
        text, _encoding = read_text(path)
        text = text.lstrip("\ufeff")
        if _PLAN_MARK.match(text):
            self._check_plan(path, text)
            return
        options = with_inferred_dates(
            options_for(path, self.options, settings),
            (m.group(1) for m in _QUOTED_DATE.finditer(text)),
        )
        known = _plan_references(path)
        emit = Emitter(self.name, path)
        scanner = _Scanner(text, str(path))
        for item in scanner.records():
            line = scanner.line_of(item.offset)
            location = f"line {line} (records[{item.index - 1}])"
            broken = has_lone_surrogate(item.value)
            if broken or not isinstance(item.value, dict):
                yield emit.reject(
                    "text escapes such as \\ud800 that are no Unicode character; correct the "
                    "text in the file (a lone surrogate is half a character)"
                    if broken
                    else "a record must be a JSON object; correct the entry of records[] "
                    "(each is an object with an attributes.type)",
                    location,
                    line,
                    None,
                    json.dumps(item.value, ensure_ascii=broken)[:200],
                )
                continue
            for flat in _flatten(item.value, f"records[{item.index - 1}]", None, None):
                loc = (
                    location
                    if flat.path == f"records[{item.index - 1}]"
                    else (f"line {line} ({flat.path})")
                )
                yield from self._record(emit, flat, item.index, loc, line, options, known)

    def _check_plan(self, path: Path, text: str) -> None:
        try:
            plan = json.loads(text)
        except ValueError as exc:
            raise AdapterError(str(path), f"invalid JSON data plan: {exc}") from None
        except RecursionError:
            raise AdapterError(str(path), "invalid JSON data plan: nested too deeply") from None
        for index, entry in enumerate(plan, start=1):
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("sobject"), str)
                and isinstance(entry.get("files"), list)
            ):
                raise AdapterError(
                    str(path), "a data plan entry needs 'sobject' and 'files'", f"entry {index}"
                )
            for name in entry["files"]:
                if not isinstance(name, str) or not (path.parent / name).is_file():
                    raise AdapterError(
                        str(path),
                        f"data plan lists {name!r}, which is not beside it",
                        f"entry {index}",
                    )

    def _record(
        self,
        emit: Emitter,
        flat: _Flat,
        ordinal: int,
        location: str,
        line: int,
        options: CrmOptions,
        known: frozenset[str] | None,
    ) -> Iterator[Fact | Reject]:
        record = flat.record
        raw = json.dumps(record, ensure_ascii=False)
        if not isinstance(record, dict):
            reason = (
                "a record must be a JSON object; correct the entry of records[] "
                "(each is an object with an attributes.type)"
            )
            yield emit.reject(reason, location, line, None, raw)
            return
        attributes = record.get("attributes")
        sobject = attributes.get("type") if isinstance(attributes, dict) else None
        obj = object_from_name(sobject) if isinstance(sobject, str) else None
        if obj is None:
            reason = (
                f"sObject type {sobject!r} is not read by this adapter; leave it out of the "
                "export (sf data export tree --query for the objects listed by "
                "handoff-rules adapters)"
                if isinstance(sobject, str)
                else "a record needs attributes.type; export it again with sf data export tree, "
                "which writes it"
            )
            yield emit.reject(reason, location, line, None, raw)
            return
        fact_type = _FACT_TYPE.get(obj.name, "derived")
        nested = flat.path if "." in flat.path else None
        fallback = f"{obj.name}Ref{ordinal}" if nested is None else f"{obj.name}@{nested}"

        def keys() -> dict[str, str | None]:
            texts = {name: value for name, value in record.items() if isinstance(value, str)}
            if flat.parent_type is not None and flat.parent_key is not None:
                texts.setdefault(f"{flat.parent_type}Id", flat.parent_key)
            cells = Cells(texts, options)
            try:
                key: str | None = _tree_key(record, cells, fallback)
            except RecordError:
                key = None
            return record_keys(obj, cells, key)

        def build() -> list[Any]:
            values: dict[str, str | None] = {}
            for name, value in record.items():
                if name == "attributes" or (isinstance(value, dict) and "records" in value):
                    continue
                try:
                    values[name] = _scalar(value)
                except RecordError as exc:
                    raise RecordError(f"{name}: {exc}") from None
            if flat.parent_type is not None and flat.parent_key is not None:
                values.setdefault(f"{flat.parent_type}Id", flat.parent_key)
            if known is not None:
                for name, value in values.items():
                    if value is not None and value.startswith("@") and value[1:] not in known:
                        raise RecordError(
                            f"{name}: reference {value!r} names no record of the data plan; "
                            "export the referenced records too and list their file in the plan"
                        )
            cells = Cells(values, options, notes=notes)
            return map_record(obj, cells, _tree_key(record, cells, fallback))

        notes: list[str] = []
        yield from emit.record(
            build,
            location=location,
            line=line,
            fact_type=fact_type,
            raw=raw,
            keys=keys,
            notes=notes,
        )


def _tree_key(record: Mapping[str, Any], cells: Cells, fallback: str) -> str:
    attributes = record.get("attributes")
    if isinstance(attributes, dict):
        reference = attributes.get("referenceId")
        if isinstance(reference, str) and reference.strip():
            return reference.strip()
    present = [f for f in cells.options.key_fields if cells.has(f)]
    if present:
        key = cells.text(*present)
        if key is None or not key.strip():
            raise RecordError(
                f"the record key {present[0]} is empty; export {present[0]} with every record "
                "(a Salesforce export writes one for each)"
            )
        return key.strip()
    return fallback


def _flatten(
    record: Mapping[str, Any], path: str, parent_type: str | None, parent_key: str | None
) -> Iterator[_Flat]:
    yield _Flat(path=path, record=record, parent_type=parent_type, parent_key=parent_key)
    attributes = record.get("attributes")
    own_type = attributes.get("type") if isinstance(attributes, dict) else None
    own_key = attributes.get("referenceId") if isinstance(attributes, dict) else None
    for name, value in record.items():
        if isinstance(value, dict) and isinstance(value.get("records"), list):
            for index, child in enumerate(value["records"]):
                if not isinstance(child, dict):
                    yield _Flat(f"{path}.{name}.records[{index}]", child, None, None)
                    continue
                yield from _flatten(
                    child,
                    f"{path}.{name}.records[{index}]",
                    own_type if isinstance(own_type, str) else None,
                    own_key if isinstance(own_key, str) else None,
                )
