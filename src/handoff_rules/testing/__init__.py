"""Test kit for plugin authors: adapter conformance checks and hypothesis strategies.

``from handoff_rules.testing import check_adapter`` needs nothing beyond the
core. :mod:`handoff_rules.testing.strategies` needs hypothesis: install the
``testing`` extra (``pip install handoff-rules[testing]``). It is not imported
here, so importing this package never requires it.
"""

from __future__ import annotations

from handoff_rules.testing.conformance import ConformanceReport, check_adapter

__all__ = ["ConformanceReport", "check_adapter"]
