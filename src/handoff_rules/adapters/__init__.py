"""The adapter SDK: the protocol adapters implement and the readers they share.

Official adapters (SAP, CRM) are built only on what this package exports;
whatever they need, a third-party adapter needs too.
"""

from __future__ import annotations

from handoff_rules.adapters.base import (
    SNIFF_BYTES,
    Adapter,
    AdapterError,
    FormatInfo,
    ReadSettings,
    ReadsSettings,
    Sample,
    SniffResult,
    Supply,
)
from handoff_rules.adapters.registry import (
    AmbiguousFormatError,
    NoAdapterError,
    ReadResult,
    SkippedFile,
    choose_adapter,
    read_file,
    read_files,
)
from handoff_rules.facts import REJECT_KEYS, Fact, Provenance, Reject, keys_of_record

__all__ = [
    "REJECT_KEYS",
    "SNIFF_BYTES",
    "Adapter",
    "AdapterError",
    "AmbiguousFormatError",
    "Fact",
    "FormatInfo",
    "NoAdapterError",
    "Provenance",
    "ReadResult",
    "ReadSettings",
    "ReadsSettings",
    "Reject",
    "Sample",
    "SkippedFile",
    "SniffResult",
    "Supply",
    "choose_adapter",
    "keys_of_record",
    "read_file",
    "read_files",
]
