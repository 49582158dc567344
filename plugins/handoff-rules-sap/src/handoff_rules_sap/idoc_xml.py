"""Streaming, hardened reader of IDoc XML files.

The parser never loads a DTD, never resolves an entity and never touches the
network, and a file with a DOCTYPE is refused before parsing starts: an IDoc
has no use for one, and a DTD is how XXE and entity-expansion bombs get in.

Memory stays flat however large the file: lxml's ``iterparse`` reports only
``IDOC`` elements, each is turned into an :class:`~handoff_rules_sap.segments.IDoc`
and then removed from the tree, so at most one IDoc is held at a time.
The root element is not looked at (real files use the extension name, the
CIMTYP, as root); the type comes from the control record EDI_DC40.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final, cast

from lxml import etree

from handoff_rules.adapters import AdapterError
from handoff_rules_sap.segments import CUSTOM_PREFIXES, IDoc, Segment

CONTROL_TAG: Final = "EDI_DC40"

_PROLOG_BYTES: Final = 64 * 1024
_FIRST_ELEMENT: Final = re.compile(rb"<[A-Za-z_:]")
_DOCTYPE: Final = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY: Final = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _line(element: etree._Element) -> int | None:
    """The element's line in the file (the stubs type ``sourceline`` loosely)."""
    value: object = element.sourceline
    return value if isinstance(value, int) else None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if tag.startswith("{") else tag


def refuse_dtd(path: Path, head: bytes) -> None:
    """Refuse a DOCTYPE (or an entity declaration) in the prolog, naming its line."""
    first = _FIRST_ELEMENT.search(head)
    prolog = head[: first.start()] if first else head
    found = _DOCTYPE.search(prolog) or _ENTITY.search(head)
    if found is not None:
        line = head.count(b"\n", 0, found.start()) + 1
        raise AdapterError(
            str(path),
            "refused: the XML has a DOCTYPE / entity declaration; IDoc XML needs none, "
            "and DTDs are how external-entity (XXE) and entity-expansion attacks work",
            f"line {line}",
        )


#: Segments: elements marked SEGMENT="1" or holding elements (some middleware drops the
#: attribute). Selected in C, in document order, so a parent always comes before its children.
_SEGMENTS: Final = etree.XPath("descendant::*[@SEGMENT or *]")


def _has_namespace(element: etree._Element) -> bool:
    """Whether the IDoc's elements carry a namespace (SOAP and Azure wrappers)."""
    tag: object = element.tag
    return isinstance(tag, str) and tag.startswith("{")


def _idoc_of(element: etree._Element, source: str) -> IDoc:
    """One ``<IDOC>`` element as control record plus segments in document order.

    The hot loop of the reader: one pass over the segments lxml's XPath picked
    in C, two attribute reads per field, nothing else per field.
    """
    control: dict[str, str] = {}
    segments: list[Segment] = []
    append = segments.append
    # Segment elements -> their index; None for the IDOC itself. lxml returns the
    # same proxy for an element while a reference to it is alive, which this keeps.
    index_of: dict[etree._Element, int | None] = {element: None}
    skipped: set[etree._Element] = set()
    custom = 0
    namespaced = _has_namespace(element)
    for node in cast("list[etree._Element]", _SEGMENTS(element)):
        tag: object = node.tag
        if not isinstance(tag, str):
            continue  # an entity or other non-element node
        if namespaced:
            tag = _local(tag)
        parent = node.getparent()
        if parent not in index_of:
            # Inside a skipped customer segment (counted), or under no segment at all.
            if parent in skipped and tag != CONTROL_TAG:
                custom += 1
            skipped.add(node)
            continue
        if tag.startswith(CUSTOM_PREFIXES):
            custom += 1
            skipped.add(node)
            continue
        # Every child goes in: fields by name, nested segments too (under their own
        # name, with blank text), which no mapping asks for.
        fields: dict[str, str | None] = {f.tag: f.text for f in node}
        if namespaced:
            fields = {_local(k): v for k, v in fields.items() if isinstance(k, str)}
        if tag == CONTROL_TAG:
            control = {k: v or "" for k, v in fields.items()}
            skipped.add(node)
            continue
        index = len(segments)
        index_of[node] = index
        # positional: a named tuple parses keywords in Python, once per segment
        append(Segment(tag, f"{index + 1:06d}", index_of[parent], fields, tag, node.sourceline))  # type: ignore[arg-type]  # lxml-stubs: int | None
    if not control:
        raise AdapterError(
            source, "an IDOC element without a control record EDI_DC40", f"line {_line(element)}"
        )
    return IDoc(
        control=control, segments=tuple(segments), line=_line(element), custom_segments=custom
    )


def iter_idocs(path: Path) -> Iterator[IDoc]:
    """Yield the IDocs of an XML file one by one.

    :raises AdapterError: for a DTD, malformed or truncated XML, bytes that are
        not in the declared encoding, or a file with no IDoc; IDocs complete
        before the problem have been yielded already.
    """
    source = str(path)
    with path.open("rb") as stream:
        refuse_dtd(path, stream.read(_PROLOG_BYTES))
    with path.open("rb") as stream:
        yield from _parse(stream, source)


#: Bytes handed to the parser at a time: large enough that feeding costs nothing
#: measurable, small enough that an error late in a file never hides many IDocs.
_CHUNK_BYTES: Final = 64 * 1024


def _parser() -> etree.XMLPullParser:
    return etree.XMLPullParser(
        events=("end",),
        tag="{*}IDOC",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


#: The end tag of an IDOC element, with or without a namespace prefix.
_IDOC_END: Final = re.compile(rb"</(?:[A-Za-z_][-\w.]*:)?IDOC\s*>")


class _EndTags:
    """Counts IDOC end tags in the bytes fed so far, across chunk boundaries.

    From libxml2 2.14 on, a parser that meets the end of a truncated file closes the
    elements still open and reports them as ended; an IDoc cut in half would then look
    complete. An IDoc is taken as complete only while there are at least as many
    written end tags as IDocs reported.
    """

    _OVERLAP: Final = 64

    def __init__(self) -> None:
        self.count = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        window = self._tail + chunk
        self.count += sum(1 for m in _IDOC_END.finditer(window) if m.end() > len(self._tail))
        self._tail = window[-self._OVERLAP :]


def _has_doctype(element: etree._Element) -> bool:
    # lxml-stubs lack DocInfo.doctype.
    doctype: object = getattr(element.getroottree().docinfo, "doctype", "")
    return bool(doctype)


def _parse(stream: BinaryIO, source: str) -> Iterator[IDoc]:
    """Feed the file to a pull parser chunk by chunk and turn each ended IDOC into an IDoc.

    ``iterparse`` cannot be used: from libxml2 2.14 (lxml 6) it raises a syntax error
    before delivering the IDocs completed earlier in the same buffer, which loses them.
    A pull parser keeps the events it collected before the error, so every complete
    IDoc before the point of failure is emitted, whichever libxml2 is installed.
    """
    parser = _parser()
    end_tags = _EndTags()
    count = 0
    last = "before the first IDoc"
    failure: etree.XMLSyntaxError | None = None
    while failure is None:
        chunk = stream.read(_CHUNK_BYTES)
        end_tags.feed(chunk)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except etree.XMLSyntaxError as exc:
            failure = exc
        for _event, ended in parser.read_events():
            # Only "end" events were asked for, so every item is an element.
            element = cast("etree._Element", ended)
            if failure is not None and count >= end_tags.count:
                break  # closed by the parser at the point of failure, not by the file
            if count == 0 and _has_doctype(element):
                # A DOCTYPE the prolog check could not see (beyond its first 64 KiB).
                raise AdapterError(source, "refused: the XML has a DOCTYPE", "line 1")
            idoc = _idoc_of(element, source)
            count += 1
            last = f"after IDoc {idoc.docnum or count} (line {_line(element)})"
            # Free what was read: this element, and the emptied ones before it.
            element.clear()
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            yield idoc
        if not chunk:
            break
    if failure is not None:
        raise _syntax_error(failure, source, count, last)
    if count == 0:
        raise AdapterError(source, "no IDOC element found: not an IDoc XML file")


def _syntax_error(exc: etree.XMLSyntaxError, source: str, count: int, last: str) -> AdapterError:
    line = exc.lineno or (exc.position[0] if exc.position else None)
    message = exc.msg or str(exc)
    lowered = message.lower()
    if "encoding" in lowered or "utf-8" in lowered:
        reason = f"not valid text in the declared encoding ({message})"
    elif "end of data" in lowered or "premature" in lowered or "not properly terminated" in lowered:
        reason = f"truncated XML ({message})"
    else:
        reason = f"malformed XML ({message})"
    return AdapterError(source, f"{reason}; read {count} IDoc(s), stopped {last}", f"line {line}")
