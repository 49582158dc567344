"""Every pack version, for the version, audit and exception commands.

Resolution is :mod:`handoff_rules.policy.discovery`'s, the same as
``check --pack``; this module adds what replay, lock and diff need on top:
every version of every pack, a (name, version) lookup, and telling a changed
parameter from a changed rule. Evaluating case by case is
:func:`handoff_rules.engine.cached.evaluate_case`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs
import pluggy

from handoff_rules.compile.rules import RuleCompiler
from handoff_rules.policy.discovery import installed_packs, load_pack, pack_versions
from handoff_rules.policy.pack import Pack, _read, _yaml_files
from handoff_rules.policy.pack import load_pack as load_pack_folder
from handoff_rules.yamlsrc import PackError

# load_pack is re-exported for the importers that used the one defined here before.
__all__ = ["all_versions", "load_pack", "pack_finder", "same_under_old_params", "versions_at"]


def versions_at(location: Path | Traversable) -> list[Pack]:
    """Every pack version in a version folder or a folder of version folders, oldest first."""
    return [load_pack_folder(source.folder) for source in pack_versions(location)]


def _manager(pm: pluggy.PluginManager | None) -> pluggy.PluginManager:
    if pm is None:
        from handoff_rules.plugins import default_plugin_manager

        return default_plugin_manager()
    return pm


def all_versions(
    extra: Iterable[str | Path] = (), pm: pluggy.PluginManager | None = None
) -> list[Pack]:
    """Every version of every installed pack plus those in ``extra`` folders."""
    packs: list[Pack] = []
    for location in [*installed_packs(_manager(pm)).values(), *(Path(p) for p in extra)]:
        packs.extend(versions_at(location))
    return packs


def pack_finder(
    extra: Iterable[str | Path] = (), pm: pluggy.PluginManager | None = None
) -> Callable[[str, str], Pack | None]:
    """(name, version) -> the pack, searching installed packs and ``extra`` folders."""
    packs = {(p.name, p.version): p for p in all_versions(extra, pm)}
    return lambda name, version: packs.get((name, version))


def same_under_old_params(old: Pack, new: Pack) -> Callable[[str], bool]:
    """rule id -> whether ``new``'s rule, compiled with ``old``'s parameters, is ``old``'s rule.

    Rules are compiled with parameter values substituted, so a changed
    parameter changes every rule that reads it. Re-compiling the new rule text
    under the old parameters separates "the parameter changed" from "the rule
    changed". A rule that cannot be re-compiled (say, it reads a parameter the
    old pack lacks) counts as changed.
    """
    old_rules = {rule.id: rule for rule in old.rules}
    compiler = RuleCompiler(old.parameters, new.derived)
    nodes = {}
    folder = Path(new.folder)
    for entry in _yaml_files(folder / "rules"):
        doc = _read(entry, f"{new.folder}/rules/{entry.name}")
        for node in doc.mapping("rules file")["rules"].sequence("rules"):
            rule_id = node.mapping("rule").get("id")
            if rule_id is not None:
                nodes[str(rule_id.value)] = node

    def same(rule_id: str) -> bool:
        node = nodes.get(rule_id)
        if node is None or rule_id not in old_rules:
            return False
        try:
            recompiled = compiler.compile(node)
        except PackError:
            return False
        before = old_rules[rule_id]
        return attrs.evolve(recompiled, digest=before.digest, source=before.source) == before

    return same
