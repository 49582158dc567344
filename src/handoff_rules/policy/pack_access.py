"""Finding pack versions by folder or by name, for the version, audit and exception commands.

A location is either one pack version folder (it has ``pack.yaml``) or a
folder of version folders (``o2c-standard/1.0.0/``, ``o2c-standard/1.1.0/``).
Installed packs (the ``handoff_rules_packs`` hook) are searched by name.
Which version: the one asked for; else the one in force at a date (latest
``effective_from`` not after it); else the highest version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs
import pluggy
from packaging.version import Version

from handoff_rules.cases import Case
from handoff_rules.decision import Decision
from handoff_rules.errors import HandoffError
from handoff_rules.policy.pack import Pack
from handoff_rules.policy.pack import load_pack as load_pack_folder


class PackNotFound(HandoffError):
    """No pack (or no such version) at the place or under the name given."""


def versions_at(location: Path | Traversable) -> list[Pack]:
    """Every pack version in a version folder or a folder of version folders."""
    if (location / "pack.yaml").is_file():
        return [load_pack_folder(location)]
    if not location.is_dir():
        raise PackNotFound(f"{location}: no such pack folder")
    packs = [
        load_pack_folder(entry)
        for entry in sorted(location.iterdir(), key=lambda e: e.name)
        if entry.is_dir() and (entry / "pack.yaml").is_file()
    ]
    if not packs:
        raise PackNotFound(f"{location}: no pack.yaml here or in its sub-folders")
    return packs


def installed_locations(pm: pluggy.PluginManager | None = None) -> list[Path | Traversable]:
    if pm is None:
        from handoff_rules.plugins import default_plugin_manager

        pm = default_plugin_manager()
    return [folder for result in pm.hook.handoff_rules_packs() for folder in result or ()]


def all_versions(
    extra: Iterable[str | Path] = (), pm: pluggy.PluginManager | None = None
) -> list[Pack]:
    """Every version of every installed pack plus those in ``extra`` folders."""
    packs: list[Pack] = []
    for location in [*installed_locations(pm), *(Path(p) for p in extra)]:
        packs.extend(versions_at(location))
    return packs


def choose_version(
    packs: Sequence[Pack], shown: str, version: str | None = None, at: date | None = None
) -> Pack:
    if version is not None:
        for pack in packs:
            if pack.version == str(Version(version)):
                return pack
        known = ", ".join(p.version for p in packs)
        raise PackNotFound(f"{shown}: no version {version} (versions: {known})")
    if at is not None:
        in_force = [p for p in packs if p.effective_from <= at]
        if not in_force:
            raise PackNotFound(f"{shown}: no version is in force on {at}")
        return max(in_force, key=lambda p: (p.effective_from, Version(p.version)))
    return max(packs, key=lambda p: Version(p.version))


def load_pack(
    spec: str,
    version: str | None = None,
    at: date | None = None,
    pm: pluggy.PluginManager | None = None,
) -> Pack:
    """A pack by folder path or installed name; ``NAME@VERSION`` pins a version."""
    if "@" in spec and version is None:
        spec, version = spec.rsplit("@", 1)
    path = Path(spec)
    if path.exists():
        return choose_version(versions_at(path), spec, version, at)
    named = [p for p in all_versions(pm=pm) if p.name == spec]
    if not named:
        raise PackNotFound(f"no pack folder or installed pack named {spec!r}")
    return choose_version(named, spec, version, at)


def pack_finder(
    extra: Iterable[str | Path] = (), pm: pluggy.PluginManager | None = None
) -> Callable[[str, str], Pack | None]:
    """(name, version) -> the pack, searching installed packs and ``extra`` folders."""
    packs = {(p.name, p.version): p for p in all_versions(extra, pm)}
    return lambda name, version: packs.get((name, version))


@cache
def _evaluator(pack: Pack, engine: str | None) -> object:
    from handoff_rules.engine.evaluate import make_evaluator

    return make_evaluator(pack, engine)


def evaluate_case(case: Case, pack: Pack, at: date, engine: str | None) -> list[Decision]:
    """Decisions for a case under a pack with the named engine, before exceptions.

    Evaluators are cached per pack version and engine: a durable_rules ruleset
    is compiled once and its name is never registered twice.
    """
    from handoff_rules.engine.evaluate import PackEvaluator

    evaluator = _evaluator(pack, engine)
    assert isinstance(evaluator, PackEvaluator)
    return evaluator.evaluate(case, at)


def same_under_old_params(old: Pack, new: Pack) -> Callable[[str], bool]:
    """rule id -> whether ``new``'s rule, compiled with ``old``'s parameters, is ``old``'s rule.

    Rules are compiled with parameter values substituted, so a changed
    parameter changes every rule that reads it. Re-compiling the new rule text
    under the old parameters separates "the parameter changed" from "the rule
    changed". A rule that cannot be re-compiled (say, it reads a parameter the
    old pack lacks) counts as changed.
    """
    from handoff_rules.policy.pack import _read, _RuleCompiler, _yaml_files
    from handoff_rules.policy.yamlsrc import PackError

    old_rules = {rule.id: rule for rule in old.rules}
    compiler = _RuleCompiler(old.parameters, new.derived)
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
