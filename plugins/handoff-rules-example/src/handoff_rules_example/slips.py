"""An adapter for release slips, a tiny text format a warehouse might export.

A release slip file records which deliveries left the warehouse, to whom and
when::

    # release slips v1
    80001;4711;Ivan Petrov;2026-11-20

Each line after the marker becomes a Delivery fact, or a Reject saying what
was wrong with it: no line is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Final

from handoff_rules.adapters import AdapterError, FormatInfo, Sample, SniffResult
from handoff_rules.facts import Fact, Provenance, Reject
from handoff_rules.model import Delivery
from handoff_rules_example import __version__

MARKER: Final = "# release slips v1"
FIELDS: Final = ("delivery", "order", "receiver", "released_on")


class SlipAdapter:
    """Reads ``.slip`` files into Delivery facts."""

    name = "example-slips"
    version = __version__
    formats: Sequence[FormatInfo] = (
        FormatInfo(
            "release-slips",
            "Warehouse release slips: delivery;order;receiver;released_on",
            (".slip",),
        ),
    )

    def sniff(self, sample: Sample) -> SniffResult | None:
        if sample.head.startswith(MARKER.encode()):
            return SniffResult("release-slips", 1.0)
        return None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        source = str(path)
        data = path.read_bytes()
        try:
            lines = data.decode("utf-8").splitlines()
        except UnicodeDecodeError as exc:
            bad_line = data[: exc.start].count(b"\n") + 1
            reason = f"not UTF-8 text ({exc.reason})"
            raise AdapterError(source, reason, f"line {bad_line}") from None
        if not lines or lines[0].strip() != MARKER:
            raise AdapterError(source, f"expected {MARKER!r} as the first line", "line 1")
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip() or line.startswith("#"):
                continue
            where = Provenance(self.name, source, f"line {number}", self.version, number)
            yield self._record(line, where)

    def _record(self, line: str, where: Provenance) -> Fact | Reject:
        cells = [cell.strip() for cell in line.split(";")]
        if len(cells) != len(FIELDS):
            reason = f"expected {len(FIELDS)} fields {';'.join(FIELDS)}, found {len(cells)}"
            return Reject(reason, where, type="delivery", raw=line[:80])
        delivery, order, receiver, released_on = cells
        try:
            released = date.fromisoformat(released_on)
        except ValueError:
            reason = f"released_on {released_on!r} is not a date (YYYY-MM-DD)"
            return Reject(reason, where, type="delivery", raw=line[:80])
        data = Delivery(
            id=delivery,
            order_id=order or None,
            receiver_name=receiver or None,
            release_date=released,
        )
        return Fact(data, where)
