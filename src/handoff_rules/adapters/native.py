"""Native fact formats (placeholder until the native adapters land)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from handoff_rules.adapters.base import Adapter

NATIVE_ADAPTERS: Sequence[Callable[[], Adapter]] = ()
