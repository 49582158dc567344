"""The driver's plugins, described so that a worker process can load the same ones.

A plugin manager cannot travel to another process, and a worker must read
with the same adapters and derive with the same derivers as the driver, or
the decisions differ. So the driver describes its manager: whether installed
plugins (entry points) are loaded, which ones are blocked, and each plugin
registered by hand, by its module name or as a pickle of the object (a class
instance pickles by reference to its importable class). A worker rebuilds the
manager from that and checks that it holds the very plugins the driver holds,
and the same handoff-rules release: a worker missing a plugin is an error
naming it, never a run that decides otherwise.
"""

from __future__ import annotations

import pickle
import types
from importlib import import_module
from importlib.metadata import entry_points

import attrs
import pluggy

from handoff_rules import __version__
from handoff_rules.errors import InternalError, UsageError
from handoff_rules.plugins import BUILTIN, ENTRY_POINT_GROUP, make_plugin_manager

__all__ = ["PluginRef", "PluginSet"]


@attrs.frozen
class PluginRef:
    """One plugin registered by hand: a module by its name, anything else pickled."""

    name: str
    module: str | None = None
    pickled: bytes | None = None

    def load(self) -> object:
        if self.module is not None:
            return import_module(self.module)
        assert self.pickled is not None  # one of the two is always set
        return pickle.loads(self.pickled)


@attrs.frozen
class PluginSet:
    """What a worker needs to make the driver's plugin manager again."""

    entry_points: bool
    extra: tuple[PluginRef, ...] = ()
    blocked: tuple[str, ...] = ()
    #: the names the driver's manager holds (the built-in plugin included), sorted
    names: tuple[str, ...] = ()
    version: str = __version__

    @classmethod
    def of(cls, pm: pluggy.PluginManager) -> PluginSet:
        """Describe ``pm``; a hand-registered plugin that cannot be sent is a usage error."""
        installed = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        from_entry_points = False
        extra: list[PluginRef] = []
        names: list[str] = []
        for name, plugin in pm.list_name_plugin():
            if plugin is None:
                continue
            names.append(name)
            if name == BUILTIN:
                continue
            ep = installed.get(name)
            if ep is not None and _loaded(ep.load) is plugin:
                from_entry_points = True
                continue
            extra.append(_ref(name, plugin))
        blocked = tuple(sorted(n for n in installed if pm.is_blocked(n)))
        return cls(from_entry_points, tuple(extra), blocked, tuple(sorted(names)))

    def manager(self) -> pluggy.PluginManager:
        """The plugin manager this set describes, made in the calling (worker) process.

        :raises InternalError: the worker runs another handoff-rules release, or
            lacks (or has more) plugins than the driver.
        """
        if self.version != __version__:
            raise InternalError(
                f"the worker runs handoff-rules {__version__}, the driver {self.version}: "
                "install the same release on every worker"
            )
        pm = make_plugin_manager(load_entry_points=self.entry_points)
        for name in self.blocked:
            if pm.get_plugin(name) is not None:
                pm.unregister(name=name)
            pm.set_blocked(name)
        for ref in self.extra:
            pm.register(ref.load(), name=ref.name)
        have = sorted(n for n, p in pm.list_name_plugin() if p is not None)
        if tuple(have) != self.names:
            missing = sorted(set(self.names) - set(have))
            more = sorted(set(have) - set(self.names))
            said = [f"lacks {', '.join(missing)}"] if missing else []
            said += [f"has {', '.join(more)} besides"] if more else []
            raise InternalError(
                f"the worker's plugins differ from the driver's: it {' and '.join(said)}; "
                "install the same plugins on every worker"
            )
        return pm


def _loaded(load: object) -> object:
    try:
        return load()  # type: ignore[operator]
    except Exception:  # a plugin that fails to load is not registered either
        return None


def _ref(name: str, plugin: object) -> PluginRef:
    if isinstance(plugin, types.ModuleType):
        return PluginRef(name, module=plugin.__name__)
    try:
        return PluginRef(name, pickled=pickle.dumps(plugin))
    except Exception as exc:
        raise UsageError(
            f"plugin {name!r} cannot be sent to worker processes ({type(exc).__name__}: {exc}); "
            "register an object of an importable class or module, or install it as a package"
        ) from None
