"""handoff-rules: the handoffs between sales and the back office as versioned policy."""

from __future__ import annotations

__version__ = "0.1.0"
