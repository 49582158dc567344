"""The ``handoff_rules`` entry point of this distribution: it provides the SAP adapters."""

from __future__ import annotations

from collections.abc import Iterable

from handoff_rules.adapters import Adapter
from handoff_rules.hooks import hookimpl


@hookimpl
def handoff_rules_adapters() -> Iterable[Adapter]:
    from handoff_rules_sap.idoc_adapter import SapIdocAdapter
    from handoff_rules_sap.table_adapter import SapTableAdapter

    return [SapIdocAdapter(), SapTableAdapter()]
