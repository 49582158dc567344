"""SAP adapters for handoff-rules: IDocs (XML and flat files) and SD/FI table extracts.

Install the distribution and ``handoff-rules read`` recognises the files by
itself; the adapters are also usable directly::

    from handoff_rules_sap import SapIdocAdapter, SapTableAdapter
    facts = list(SapIdocAdapter().read(Path("invoice.xml")))
"""

from __future__ import annotations

__version__ = "0.1.0"

from handoff_rules_sap.idoc_adapter import SapIdocAdapter
from handoff_rules_sap.table_adapter import SapTableAdapter

__all__ = ["SapIdocAdapter", "SapTableAdapter", "__version__"]
