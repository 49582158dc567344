"""Mutations of parsed YAML and JSON documents, written back as text.

A value deep inside a record is replaced by a *placeholder*; after the
document is dumped the placeholder's text is replaced by a raw hostile node
(an alias bomb, a tag, a 20,000-deep list), which no dumper would write.
So the rest of the file stays valid and the reader meets the hostile node
exactly where a field belongs.
"""

from __future__ import annotations

import json
from random import Random
from typing import Any, Final

import yaml

from . import hostile_values as hv

PLACEHOLDER: Final = "HOSTILE-PLACEHOLDER-1f3a9c"
TREE_EDITS: Final = (
    "raw-node",
    "hostile-text",
    "delete",
    "duplicate",
    "wrap",
    "hostile-key",
    "swap-type",
)
ODD_VALUES: Final[tuple[Any, ...]] = (None, True, 0, -1, 2**63, 1.5, [], {}, "", [1, [2, [3]]])
Path = tuple[str | int, ...]
_DUMPER: Final = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class SeedLoader(yaml.SafeLoader):
    """Safe loading of the seeds, keeping an impossible date (a seed holds 2024-02-30) as text."""

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


SeedLoader.add_constructor("tag:yaml.org,2002:timestamp", SeedLoader.construct_yaml_timestamp)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=SeedLoader)  # a safe loader


def paths(tree: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value in the tree, containers included (the root excluded)."""
    found: list[Path] = []
    children: list[tuple[str | int, Any]] = []
    if isinstance(tree, dict):
        children = [(k, v) for k, v in tree.items() if isinstance(k, str | int)]
    elif isinstance(tree, list):
        children = list(enumerate(tree))
    for key, value in children:
        found.append((*prefix, key))
        found.extend(paths(value, (*prefix, key)))
    return found


def _node(tree: Any, path: Path) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def edit_tree(
    rnd: Random, tree: Any, under: Path = (), raw_nodes: tuple[str, ...] = ()
) -> tuple[str | None, str]:
    """Edit one value below ``under`` in place: (raw node for the placeholder, label)."""
    candidates = [(*under, *p) for p in paths(_node(tree, under))]
    if not candidates:
        return None, "no-edit"
    path = rnd.choice(candidates)
    parent, key = _node(tree, path[:-1]), path[-1]
    kind = rnd.choice(TREE_EDITS)
    label = f"{kind}@{'.'.join(str(p) for p in path)[:80]}"
    if kind == "raw-node" and raw_nodes:
        parent[key] = PLACEHOLDER
        raw = rnd.choice(raw_nodes)
        return raw, f"{label}={raw[:24]}"
    if kind == "delete":
        del parent[key]
    elif kind == "duplicate" and isinstance(parent, list):
        parent.insert(int(key), parent[key])
    elif kind == "wrap":
        parent[key] = rnd.choice([[parent[key]], {"x": parent[key]}])
    elif kind == "hostile-key" and isinstance(parent, dict):
        parent[rnd.choice(hv.HOSTILE_TEXT)] = parent.pop(key)
    elif kind == "swap-type":
        parent[key] = rnd.choice(ODD_VALUES)
    else:
        parent[key] = rnd.choice(hv.TEXT_VALUES)
        label = f"hostile-text@{label.partition('@')[2]}"
    return None, label


def dump_yaml(tree: Any, raw: str | None) -> bytes:
    text = yaml.dump(tree, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=10_000)
    if raw is not None:
        text = text.replace(PLACEHOLDER, raw, 1)
    return text.encode("utf-8", "surrogatepass")


def dump_json(tree: Any, raw: str | None, indent: int | None = 2) -> bytes:
    text = json.dumps(tree, ensure_ascii=False, indent=indent, default=str)
    if raw is not None:
        text = text.replace(json.dumps(PLACEHOLDER), raw, 1)
    return text.encode("utf-8", "surrogatepass")
