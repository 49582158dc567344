"""Finding and loading plugins: the built-in one and those installed as packages.

Also who to blame when something fails inside a plugin: ``plugin_origin``
and ``plugin_in_traceback`` name the plugin and the distribution that
installed it, so an error message says whom to report it to.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable
from functools import cache
from importlib.metadata import (
    Distribution,
    EntryPoint,
    PackageNotFoundError,
    distribution,
    entry_points,
    packages_distributions,
)
from pathlib import Path
from typing import cast

import attrs
import pluggy

from handoff_rules import hooks
from handoff_rules.adapters.base import Adapter
from handoff_rules.adapters.registry import set_origin_finder
from handoff_rules.errors import DuplicateAdapterError as DuplicateAdapterError
from handoff_rules.errors import HandoffError, InvalidValue, PluginError, PluginLoadError

ENTRY_POINT_GROUP = hooks.NAME
BUILTIN = "builtin"


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
    pm.register(builtin, name=BUILTIN)
    if load_entry_points:
        _load_entry_points(pm, entry_points(group=ENTRY_POINT_GROUP))
    return pm


@cache
def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager used by the command line."""
    return make_plugin_manager()


# --- whom to blame -------------------------------------------------------------------


@attrs.frozen
class PluginOrigin:
    """A plugin as an error message names it: its name and the distribution that installed it."""

    name: str
    distribution: str | None = None

    def __str__(self) -> str:
        where = f"distribution {self.distribution}" if self.distribution else "distribution unknown"
        return f"plugin {self.name!r} ({where})"


@attrs.frozen
class PluginFrame:
    """Where a plugin's code failed: the plugin, and its function the core called."""

    origin: PluginOrigin
    function: str


def _package(module: str) -> str:
    """The import package a plugin's code lives in; the core's own modules stand alone."""
    top = module.partition(".")[0]
    return module if top == "handoff_rules" else top


def _dist_label(dist: Distribution | None, package: str) -> str | None:
    """``NAME VERSION`` of the distribution that installed ``package``, if one did."""
    if dist is None:
        dist = _installed_from(package)
    return None if dist is None else f"{dist.name} {dist.version}"


def _installed_from(package: str) -> Distribution | None:
    """The distribution whose files hold the imported ``package`` itself.

    Many distributions may claim a top-level name (``tests`` is a classic), so
    a claim counts only if the distribution's copy is the one imported.
    """
    module_file = getattr(sys.modules.get(package), "__file__", None)
    if not package or module_file is None:
        return None
    imported = Path(module_file).resolve()
    for name in packages_distributions().get(package, ()):
        try:
            dist = distribution(name)
        except PackageNotFoundError:  # pragma: no cover - metadata vanished meanwhile
            continue
        for candidate in (f"{package}/__init__.py", f"{package}.py"):
            if Path(str(dist.locate_file(candidate))).resolve() == imported:
                return dist
    return None


def _plugin_packages(pm: pluggy.PluginManager, plugin: object) -> set[str]:
    """Packages of the functions a plugin registered as hooks (a module, class or namespace)."""
    packages = set()
    for caller in pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin:
                packages.add(_package(getattr(impl.function, "__module__", None) or ""))
    packages.discard("")
    return packages


def _current_manager() -> pluggy.PluginManager | None:
    """The command line's plugin manager if it exists already; never loads plugins for this."""
    return default_plugin_manager() if default_plugin_manager.cache_info().currsize else None


def _origins(pm: pluggy.PluginManager | None) -> list[tuple[str, PluginOrigin]]:
    """(package, plugin) for registered plugins, then for every installed entry point."""
    eps = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    found: list[tuple[str, PluginOrigin]] = []
    named: set[str] = set()
    for name, plugin in pm.list_name_plugin() if pm is not None else ():
        if plugin is None or name == BUILTIN:
            continue
        assert pm is not None  # only it lists plugins
        named.add(name)
        ep = eps.get(name)
        for package in sorted(_plugin_packages(pm, plugin)):
            dist = ep.dist if ep is not None else None
            found.append((package, PluginOrigin(name, _dist_label(dist, package))))
    for name, ep in sorted(eps.items()):
        if name not in named:
            package = _package(ep.module)
            found.append((package, PluginOrigin(name, _dist_label(ep.dist, package))))
    return found


def _match(module: str, origins: list[tuple[str, PluginOrigin]]) -> PluginOrigin | None:
    for package, origin in origins:
        if module == package or module.startswith(package + "."):
            return origin
    return None


def plugin_origin(module: str, pm: pluggy.PluginManager | None = None) -> PluginOrigin | None:
    """The plugin whose package holds ``module``, or None for the core and unknown code.

    Registered plugins of ``pm`` (by default the command line's, if started)
    are looked at first, then every installed entry point.
    """
    return _match(module, _origins(pm or _current_manager()))


def plugin_in_traceback(
    exc: BaseException, pm: pluggy.PluginManager | None = None
) -> PluginFrame | None:
    """The plugin whose code raised ``exc`` (or its explicit cause), or None.

    The innermost plugin frame names the plugin: that is the code nearest to
    the failure, even when the plugin called back into the core. The function
    named is that plugin's outermost one, usually the hook the core called.
    """
    origins = _origins(pm or _current_manager())
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found: PluginOrigin | None = None
        entered: dict[PluginOrigin, str] = {}
        for frame, _line in traceback.walk_tb(current.__traceback__):
            origin = _match(str(frame.f_globals.get("__name__", "")), origins)
            if origin is not None:
                entered.setdefault(origin, frame.f_code.co_name)
                found = origin
        if found is not None:
            return PluginFrame(found, entered[found])
        current = current.__cause__
    return None


def plugin_distribution(name: str, pm: pluggy.PluginManager) -> str | None:
    """``DISTRIBUTION VERSION`` that installed the registered plugin ``name``, if known."""
    ep = next((e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == name), None)
    plugin = pm.get_plugin(name)
    packages = sorted(_plugin_packages(pm, plugin)) if plugin is not None else []
    return _dist_label(ep.dist if ep is not None else None, packages[0] if packages else "")


def describe_plugin(name: str, pm: pluggy.PluginManager) -> str:
    """``plugin 'NAME' (distribution DISTRIBUTION VERSION)`` for a registered plugin."""
    return str(PluginOrigin(name, plugin_distribution(name, pm)))


# --- adapters ------------------------------------------------------------------------


def installed_adapters(pm: pluggy.PluginManager | None = None) -> list[Adapter]:
    """Every adapter of every plugin, sorted by name; duplicate names are an error.

    Each plugin is asked on its own, so a plugin whose hook fails, or that
    returns something else than adapters, is named in the error.
    """
    pm = pm or default_plugin_manager()
    adapters: dict[str, tuple[Adapter, str]] = {}
    for impl in reversed(pm.hook.handoff_rules_adapters.get_hookimpls()):
        for adapter in _adapters_of(impl.plugin_name, impl.function, pm):
            if adapter.name in adapters and adapters[adapter.name][0] is not adapter:
                raise DuplicateAdapterError(
                    f"two plugins provide an adapter named {adapter.name!r}: "
                    f"{adapters[adapter.name][1]!r} and {impl.plugin_name!r}"
                )
            adapters[adapter.name] = (adapter, impl.plugin_name)
    return [adapters[name][0] for name in sorted(adapters)]


def _adapters_of(
    plugin_name: str, hook: Callable[[], object], pm: pluggy.PluginManager
) -> list[Adapter]:
    try:
        provided = list(cast(Iterable[object], hook() or ()))  # None: no adapters, as in pluggy
        wrong = [a for a in provided if not isinstance(a, Adapter)]
    except Exception as exc:
        if isinstance(exc, HandoffError) and not isinstance(exc, InvalidValue):
            raise  # an error it means to report; a refused value is its bug
        raise PluginError(
            f"{describe_plugin(plugin_name, pm)} failed to list its adapters: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if wrong:
        raise PluginLoadError(
            f"{describe_plugin(plugin_name, pm)} returned {wrong[0]!r}, "
            "which does not implement the Adapter protocol"
        )
    return [a for a in provided if isinstance(a, Adapter)]


# The SDK names the plugin of a failing adapter through this module, without importing it.
set_origin_finder(plugin_origin)
