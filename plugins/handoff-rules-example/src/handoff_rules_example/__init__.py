"""An example handoff-rules plugin: release slips, lead days, a block list and a small pack."""

from __future__ import annotations

__version__ = "0.1.0"
