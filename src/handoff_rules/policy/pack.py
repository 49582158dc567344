"""Policy packs: a folder of YAML that compiles to rules, validated line by line.

A pack version is a folder::

    pack.yaml        name, version, effective_from, description, parameters,
                     max_exception_days, derived_facts (plugin-derived types)
    rules/*.yaml     ``rules: [...]`` (several files, read in name order)
    tests/*.yaml     scenarios (see :mod:`handoff_rules.policy.scenarios`)

Loading never runs code from the pack: YAML is composed with the safe loader,
conditions are a tiny language (:mod:`handoff_rules.compile.conditions`), and
message templates may only name fields the model has. Every mistake is a
:class:`~handoff_rules.yamlsrc.PackError` ``file:line: what was wrong, what was expected``.

The language reference with an example of every construct is
``docs/reference/pack-language.rst``.
"""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

from handoff_rules.compile.params import parse_parameters
from handoff_rules.compile.rules import (
    OWNERS,
    compile_rules,
    content_digest,
    derived_declarations,
    jsonable,
)
from handoff_rules.decision import canonical_json
from handoff_rules.engine.compiled import ActionSpec, Pack, Rule, Template
from handoff_rules.policy.versions import InvalidVersion, parse_version
from handoff_rules.yamlsrc import PackError, Y, parse_yaml, read_source

# Pack, Rule, Template, ActionSpec and OWNERS are re-exported: they were defined
# here before the compiler moved to handoff_rules.compile.
__all__ = [
    "OWNERS",
    "ActionSpec",
    "Pack",
    "PackError",
    "Rule",
    "Template",
    "load_pack",
]

_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]*")


# --- reading files -------------------------------------------------------------------


def _read(entry: Traversable, shown: str) -> Y:
    return parse_yaml(read_source(entry, shown), shown)


def _yaml_files(folder: Traversable) -> list[Traversable]:
    if not folder.is_dir():
        return []
    return sorted(
        (e for e in folder.iterdir() if e.is_file() and e.name.endswith((".yaml", ".yml"))),
        key=lambda e: e.name,
    )


# --- the pack ------------------------------------------------------------------------


def load_pack(folder: Path | Traversable) -> Pack:
    """Load and validate one pack version folder (``pack.yaml`` + ``rules/``)."""
    shown_root = str(folder)
    header_file = folder / "pack.yaml"
    if not header_file.is_file():
        raise PackError(f"{shown_root}: no pack.yaml (expected a pack version folder)")
    header = _read(header_file, f"{shown_root}/pack.yaml")
    items = header.keys(
        "pack.yaml",
        {
            "name",
            "version",
            "effective_from",
            "description",
            "parameters",
            "max_exception_days",
            "derived_facts",
        },
        {"name", "version", "effective_from"},
    )
    name = items["name"].text("name")
    if not _NAME_RE.fullmatch(name):
        raise items["name"].error(f"pack name {name!r}: expected lower-case letters, digits, '-'")
    version_node = items["version"]
    try:
        version = str(parse_version(str(version_node.value)))
    except InvalidVersion:
        raise version_node.error(
            f"version {version_node.value!r} is not a version (expected e.g. 1.2.0)"
        ) from None
    if str(version_node.value) != version:
        raise version_node.error(f"write the version in normal form: {version!r}")
    effective_from = items["effective_from"].day("effective_from")
    description = items["description"].text("description") if "description" in items else ""
    max_days = None
    if "max_exception_days" in items:
        max_days = items["max_exception_days"].integer("max_exception_days", minimum=1)
    params = parse_parameters(items.get("parameters"))
    derived = derived_declarations(items.get("derived_facts"))

    rule_nodes: list[Y] = []
    plain_rules: list[Any] = []
    rule_files = _yaml_files(folder / "rules")
    if not rule_files:
        raise PackError(f"{shown_root}/rules: no rule files (expected rules/*.yaml)")
    for entry in rule_files:
        doc = _read(entry, f"{shown_root}/rules/{entry.name}")
        top = doc.keys(f"rules/{entry.name}", {"rules"}, {"rules"})
        for rule_node in top["rules"].sequence("rules"):
            rule_nodes.append(rule_node)
            plain_rules.append(rule_node.plain())

    rules = compile_rules(rule_nodes, params, derived, header)

    digest = content_digest(
        {
            "pack": header.plain(),
            "rules": sorted(plain_rules, key=lambda r: canonical_json(jsonable(r))),
        }
    )
    return Pack(
        name=name,
        version=version,
        effective_from=effective_from,
        description=description,
        digest=digest,
        parameters=params,
        max_exception_days=max_days,
        rules=rules,
        derived=derived,
        folder=shown_root,
    )
