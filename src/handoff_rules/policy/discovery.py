"""Finding the pack version to use: by name among installed packs, or by path.

A pack folder is either one version (``pack.yaml`` in it) or several
(``<folder>/<version>/pack.yaml``). Which version decides is explicit: the one
in force on a date (the latest ``effective_from`` on or before it), or one
pinned as ``name@version``. ``check`` asks for each case's own date
(:mod:`handoff_rules.policy.case_versions`). Installed packs come from the
``handoff_rules_packs`` hook (the bundled ``o2c-standard`` and any plugin's).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs
import pluggy
from packaging.version import Version

from handoff_rules.policy.pack import Pack
from handoff_rules.policy.pack import load_pack as load_version_folder
from handoff_rules.policy.versions import InvalidVersion, parse_version
from handoff_rules.yamlsrc import PackError

__all__ = [
    "PackSource",
    "find_pack",
    "installed_packs",
    "load_pack",
    "load_versions",
    "pack_folder",
    "pack_versions",
    "pinned_version",
    "select_version",
    "version_in_force",
]

DEFAULT_PACK = "o2c-standard"


@attrs.frozen(slots=True)
class PackSource:
    """One pack version folder, not loaded yet."""

    folder: Path | Traversable
    version: str


def _is_version_folder(entry: Path | Traversable) -> bool:
    return entry.is_dir() and (entry / "pack.yaml").is_file()


def pack_versions(folder: Path | Traversable) -> list[PackSource]:
    """The versions in a pack folder, oldest first (a single version if ``pack.yaml`` is there)."""
    if _is_version_folder(folder):
        return [PackSource(folder, "")]
    if not folder.is_dir():
        raise PackError(f"{folder}: not a pack folder (no such directory)")
    found: list[tuple[Version, PackSource]] = []
    for entry in folder.iterdir():
        if not _is_version_folder(entry):
            continue
        try:
            found.append((parse_version(entry.name), PackSource(entry, entry.name)))
        except InvalidVersion:
            raise PackError(
                f"{folder}/{entry.name}: version folders must be named by version (e.g. 1.2.0)"
            ) from None
    if not found:
        raise PackError(f"{folder}: no pack.yaml and no <version>/pack.yaml below it")
    return [source for _, source in sorted(found, key=lambda item: item[0])]


def load_versions(folder: Path | Traversable) -> list[Pack]:
    """Every version in a pack folder, loaded and checked against its folder name, oldest first."""
    sources = pack_versions(folder)
    packs = [load_version_folder(s.folder) for s in sources]
    for source, pack in zip(sources, packs, strict=True):
        if source.version and source.version != pack.version:
            raise PackError(
                f"{source.folder}/pack.yaml: version {pack.version} in a folder named "
                f"{source.version}"
            )
    return packs


def pinned_version(folder: Path | Traversable, packs: Iterable[Pack], pinned: str) -> Pack:
    """The version named ``pinned`` among ``packs``; a :class:`PackError` listing them if none."""
    packs = list(packs)
    for pack in packs:
        if pack.version == pinned:
            return pack
    known = ", ".join(p.version for p in packs)
    raise PackError(f"{folder}: no version {pinned} (available: {known})")


def version_in_force(packs: Iterable[Pack], on: date) -> Pack | None:
    """The version in force on ``on``: the latest ``effective_from`` on or before it."""
    in_force = [p for p in packs if p.effective_from <= on]
    if not in_force:
        return None
    return max(in_force, key=lambda p: (p.effective_from, Version(p.version)))


def select_version(folder: Path | Traversable, at: date, pinned: str | None = None) -> Pack:
    """Load the version pinned, or the one in force at ``at``."""
    packs = load_versions(folder)
    if pinned is not None:
        return pinned_version(folder, packs, pinned)
    found = version_in_force(packs, at)
    if found is None:
        first = min(p.effective_from for p in packs)
        raise PackError(
            f"{folder}: no version is in force on {at.isoformat()} (the first takes effect "
            f"{first.isoformat()})"
        )
    return found


def installed_packs(pm: pluggy.PluginManager) -> dict[str, Path | Traversable]:
    """Pack folders from every plugin's ``handoff_rules_packs`` hook, by pack name."""
    found: dict[str, Path | Traversable] = {}
    for result in pm.hook.handoff_rules_packs():
        for folder in _as_iterable(result):
            name = _pack_name(folder)
            if name in found and str(found[name]) != str(folder):
                raise PackError(f"two installed packs are named {name!r}: {found[name]}, {folder}")
            found[name] = folder
    return dict(sorted(found.items()))


def _as_iterable(result: object) -> Iterable[Path | Traversable]:
    return result if isinstance(result, list | tuple) else list(result)  # type: ignore[call-overload]


def _pack_name(folder: Path | Traversable) -> str:
    sources = pack_versions(folder)
    return load_version_folder(sources[-1].folder).name


def pack_folder(
    spec: str | None, pm: pluggy.PluginManager
) -> tuple[Path | Traversable, str | None]:
    """Where ``--pack`` points: the pack folder and the version pinned after ``@``, if any.

    ``spec`` is None (the default pack), ``NAME[@VERSION]`` or ``PATH[@VERSION]``.
    """
    spec = spec or DEFAULT_PACK
    name, _, pinned = spec.partition("@")
    path = Path(name)
    if path.exists() or "/" in name or name.startswith("."):
        return path, pinned or None
    packs = installed_packs(pm)
    if name not in packs:
        known = ", ".join(packs) or "none"
        raise PackError(f"no pack named {name!r} (installed: {known}); or give a pack folder path")
    return packs[name], pinned or None


def find_pack(spec: str | None, at: date, pm: pluggy.PluginManager) -> Pack:
    """Resolve ``--pack``: None (the default pack), ``NAME[@VERSION]`` or ``PATH[@VERSION]``."""
    folder, pinned = pack_folder(spec, pm)
    return select_version(folder, at, pinned)


def load_pack(
    spec_or_path: str | Path | Traversable,
    *,
    version: str | None = None,
    at: date | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> Pack:
    """The one way to load a pack: by installed name, by folder, pinned or in force at a date.

    ``spec_or_path`` is what ``check --pack`` takes, ``NAME[@VERSION]`` or
    ``PATH[@VERSION]`` as text, or a folder as a :class:`~pathlib.Path` (or an
    importlib resource). ``version`` pins a version (it replaces one written
    after ``@``); otherwise the version in force at ``at`` (default: today)
    is chosen, the latest ``effective_from`` on or before it. A folder given as
    a path that is itself one version (``pack.yaml`` in it) loads as it is when
    neither ``version`` nor ``at`` is given, whatever its effective date.
    Installed packs come from ``plugin_manager``'s ``handoff_rules_packs`` hook
    (default: the installed plugins). Every mistake is a
    :class:`~handoff_rules.yamlsrc.PackError` naming the file and line.
    """
    if not isinstance(spec_or_path, str):
        if version is None and at is None and _is_version_folder(spec_or_path):
            return load_version_folder(spec_or_path)
        return select_version(spec_or_path, at or date.today(), version)
    spec = spec_or_path
    if version is not None:
        spec = f"{spec.partition('@')[0]}@{version}"
    if plugin_manager is None:
        from handoff_rules.plugins import default_plugin_manager

        plugin_manager = default_plugin_manager()
    return find_pack(spec, at or date.today(), plugin_manager)
