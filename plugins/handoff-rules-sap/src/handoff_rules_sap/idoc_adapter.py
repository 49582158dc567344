"""The ``sap-idoc`` adapter: IDoc XML and flat IDoc files into facts."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from handoff_rules.adapters import (
    AdapterError,
    Fact,
    FormatInfo,
    Provenance,
    Reject,
    Sample,
    SniffResult,
)
from handoff_rules_sap import __version__
from handoff_rules_sap.idoc_facts import Context, map_idoc
from handoff_rules_sap.idoc_fields import flat_fills, xml_fills
from handoff_rules_sap.idoc_flat import BadRecord, iter_flat
from handoff_rules_sap.idoc_xml import iter_idocs
from handoff_rules_sap.supplies import supplies_of

XML_FORMAT: Final = "idoc-xml"
FLAT_FORMAT: Final = "idoc-flat"

_FLAT_CONTROL_LINE: Final = re.compile(rb"\nEDI_DC40[ \d]")
_XML_START: Final = re.compile(rb"\s*<")
_CONTROL_ELEMENT: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?EDI_DC40[\s>/]")


def _without_bom(head: bytes) -> bytes:
    return head[len(codecs.BOM_UTF8) :] if head.startswith(codecs.BOM_UTF8) else head


def sniff_idoc(head: bytes) -> str | None:
    """``idoc-xml``, ``idoc-flat`` or None, from the first bytes of a file."""
    body = _without_bom(head)
    if body.startswith(b"EDI_DC40") or _FLAT_CONTROL_LINE.search(body):
        return FLAT_FORMAT
    if _XML_START.match(body) and _CONTROL_ELEMENT.search(body):
        return XML_FORMAT
    return None


class SapIdocAdapter:
    """Reads SAP IDocs (ORDERS05, DELVRY0x, INVOIC02, DEBMAS0x) as XML or flat files."""

    name = "sap-idoc"
    version = __version__
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            XML_FORMAT,
            "SAP IDoc XML (ORDERS05, DELVRY03/05/07, INVOIC02, DEBMAS0x), several per file",
            (".xml", ".idoc"),
            supplies=supplies_of(xml_fills()),
        ),
        FormatInfo(
            FLAT_FORMAT,
            "SAP flat IDoc file: 524-character EDI_DC40 control and 1063-character data records",
            (".txt", ".idoc", ".dat"),
            supplies=supplies_of(flat_fills()),
        ),
    )

    def sniff(self, sample: Sample) -> SniffResult | None:
        found = sniff_idoc(sample.head)
        return SniffResult(found, 0.95) if found else None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        context = Context(adapter=self.name, version=self.version, source=str(path))
        try:
            with path.open("rb") as stream:
                head = stream.read(64 * 1024)
        except OSError as exc:
            raise AdapterError(str(path), f"cannot be read: {exc.strerror or exc}") from None
        kind = sniff_idoc(head)
        if kind is None and _XML_START.match(_without_bom(head)):
            kind = XML_FORMAT  # the control record may lie beyond the sniffed head
        if kind == XML_FORMAT:
            for idoc in iter_idocs(path):
                yield from map_idoc(idoc, context)
        elif kind == FLAT_FORMAT:
            for item in iter_flat(path):
                if isinstance(item, BadRecord):
                    yield Reject(
                        reason=item.reason,
                        provenance=Provenance(
                            adapter=self.name,
                            source=str(path),
                            location=f"line {item.line}"
                            + (f" (IDoc {item.docnum})" if item.docnum else ""),
                            adapter_version=self.version,
                            line=item.line,
                        ),
                        raw=item.raw or None,
                    )
                else:
                    yield from map_idoc(item, context)
        else:
            raise AdapterError(
                str(path),
                "not an IDoc: expected XML with an EDI_DC40 control record, or a flat file "
                "starting with an EDI_DC40 control record",
                "line 1",
            )
