"""Finding and loading plugins: the built-in one and those installed as packages."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import EntryPoint, entry_points

import pluggy

from handoff_rules import hooks
from handoff_rules.adapters.base import Adapter
from handoff_rules.errors import PluginLoadError

ENTRY_POINT_GROUP = hooks.NAME


def _describe(ep: EntryPoint) -> str:
    dist = f" from {ep.dist.name} {ep.dist.version}" if ep.dist is not None else ""
    return f"plugin {ep.name!r} ({ep.value}{dist})"


def _load_entry_points(pm: pluggy.PluginManager, eps: Iterable[EntryPoint]) -> None:
    for ep in sorted(eps, key=lambda e: e.name):
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginLoadError(
                f"{_describe(ep)} failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            pm.register(plugin, name=ep.name)
            pm.check_pending()  # a misspelt hook name would otherwise be ignored silently
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(f"{_describe(ep)} has an invalid hook: {exc}") from exc
        except ValueError as exc:
            raise PluginLoadError(f"{_describe(ep)} could not be registered: {exc}") from exc


def make_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-in plugin and, by default, installed ones.

    Plugins load in entry-point name order, so a run does not depend on the
    order packages happen to be installed in.
    """
    from handoff_rules import builtin

    pm = pluggy.PluginManager(hooks.NAME)
    pm.add_hookspecs(hooks)
    pm.register(builtin, name="builtin")
    if load_entry_points:
        _load_entry_points(pm, entry_points(group=ENTRY_POINT_GROUP))
    return pm


@cache
def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager used by the command line."""
    return make_plugin_manager()


class DuplicateAdapterError(PluginLoadError):
    """Two plugins provide adapters with the same name."""


def installed_adapters(pm: pluggy.PluginManager | None = None) -> list[Adapter]:
    """Every adapter of every plugin, sorted by name; duplicate names are an error."""
    pm = pm or default_plugin_manager()
    adapters: dict[str, Adapter] = {}
    for impl_result in pm.hook.handoff_rules_adapters():
        for adapter in impl_result:
            if not isinstance(adapter, Adapter):
                raise PluginLoadError(f"{adapter!r} does not implement the Adapter protocol")
            if adapter.name in adapters and adapters[adapter.name] is not adapter:
                raise DuplicateAdapterError(
                    f"two plugins provide an adapter named {adapter.name!r}"
                )
            adapters[adapter.name] = adapter
    return [adapters[name] for name in sorted(adapters)]
