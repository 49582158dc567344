"""The plugin that ships with the core: the native fact formats, the document register and
the default pack."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files
from importlib.resources.abc import Traversable

from handoff_rules.adapters.base import Adapter
from handoff_rules.hooks import hookimpl


@hookimpl
def handoff_rules_adapters() -> Iterable[Adapter]:
    from handoff_rules.adapters.native import NATIVE_ADAPTERS
    from handoff_rules.adapters.register import DocumentRegisterAdapter

    return [*(factory() for factory in NATIVE_ADAPTERS), DocumentRegisterAdapter()]


@hookimpl
def handoff_rules_packs() -> Iterable[Traversable]:
    packs = files("handoff_rules") / "packs"
    return [entry for entry in packs.iterdir() if entry.is_dir() and not entry.name.startswith("_")]
