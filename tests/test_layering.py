"""The package layering: no package imports a package that imports it back.

The import graph is read from the source with :mod:`ast`, not by importing:
every ``import`` counts, at module level or inside a function (a function-level
import is still a dependency, only a later one). Imports under
``if TYPE_CHECKING:`` are left out: they never run, and annotations may name a
type from a package above without making the two depend on each other at run
time. The facade ``handoff_rules/__init__.py`` loads its names lazily (PEP 562
``__getattr__``), so it counts as importing nothing.

Modules collapse to packages: ``handoff_rules.engine.ir`` belongs to
``handoff_rules.engine``, a top-level module such as ``handoff_rules.cases`` is
its own node.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import handoff_rules

SRC = Path(handoff_rules.__file__).parent
FACADE = "handoff_rules"

#: Cycles between packages that are known and not fixed yet, each with the reason.
#: A cycle is written as the sorted tuple of the packages in it.
KNOWN_CYCLES: Mapping[tuple[str, ...], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module ``node`` imports, skipping ``if TYPE_CHECKING:`` blocks (their else runs)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports(other, module, is_package)
            continue
        if isinstance(child, ast.Import):
            yield from (alias.name for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            if child.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - child.level + 1]
                target = ".".join([*base, *([child.module] if child.module else [])])
            else:
                target = child.module or ""
            yield target
            # ``from handoff_rules.engine import ir`` imports the submodule too.
            yield from (f"{target}.{alias.name}" for alias in child.names)
        yield from _imports(child, module, is_package)


def _known_modules() -> set[str]:
    return {_module_name(path) for path in SRC.rglob("*.py")}


def module_graph() -> dict[str, set[str]]:
    """Module -> the handoff_rules modules it imports (the facade imports nothing)."""
    known = _known_modules()
    graph: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        targets: set[str] = set()
        if module != FACADE:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for target in _imports(tree, module, path.name == "__init__.py"):
                if target in known and target != module:
                    targets.add(target)
        graph[module] = targets
    return graph


def package_of(module: str) -> str:
    """``handoff_rules.engine.ir`` -> ``handoff_rules.engine``; a top-level module is itself."""
    return ".".join(module.split(".")[:2])


def package_graph(modules: Mapping[str, set[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in modules.items():
        source = package_of(module)
        edges = graph.setdefault(source, set())
        edges.update(package_of(t) for t in targets if package_of(t) != source)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _why(modules: Mapping[str, set[str]], component: list[str]) -> str:
    """The module imports that make a cycle, one per line."""
    members = set(component)
    lines = [
        f"  {module} -> {target}"
        for module, targets in sorted(modules.items())
        for target in sorted(targets)
        if package_of(module) in members
        and package_of(target) in members
        and package_of(target) != package_of(module)
    ]
    return " <-> ".join(component) + "\n" + "\n".join(lines)


MODULES = module_graph()


def test_no_import_cycle_between_packages() -> None:
    found = [c for c in cycles(package_graph(MODULES)) if tuple(c) not in KNOWN_CYCLES]
    assert not found, "import cycles between packages:\n" + "\n".join(
        _why(MODULES, c) for c in found
    )


def test_known_cycles_are_still_cycles() -> None:
    """A known cycle that was fixed must leave the list, so that it cannot come back unseen."""
    found = cycles(package_graph(MODULES))
    assert [c for c in sorted(KNOWN_CYCLES) if list(c) not in found] == []


def test_the_cycle_check_sees_a_cycle() -> None:
    """The checker itself: two packages importing each other are reported."""
    graph = {"handoff_rules.a.x": {"handoff_rules.b.y"}, "handoff_rules.b.y": {"handoff_rules.a.z"}}
    assert cycles(package_graph(graph))


def test_the_ir_depends_only_on_errors() -> None:
    assert MODULES["handoff_rules.engine.ir"] <= {"handoff_rules.errors"}


def _imports_from(package: str, prefix: str) -> set[str]:
    return {
        f"{module} -> {target}"
        for module, targets in MODULES.items()
        if package_of(module) == package
        for target in targets
        if target == prefix or target.startswith(prefix + ".")
    }


def test_policy_uses_only_the_ir_and_the_compiled_pack_from_the_engine() -> None:
    """Reading pack files needs the compiled pack classes beside the IR, never evaluation."""
    allowed = {"handoff_rules.engine.ir", "handoff_rules.engine.compiled"}
    used = {
        line
        for line in _imports_from("handoff_rules.policy", "handoff_rules.engine")
        if line.split(" -> ")[1] not in allowed
    }
    assert not used


def test_engine_imports_nothing_from_policy_or_compile() -> None:
    assert not _imports_from("handoff_rules.engine", "handoff_rules.policy")
    assert not _imports_from("handoff_rules.engine", "handoff_rules.compile")


def test_the_graph_sees_function_level_imports() -> None:
    """A check that the reader is not blind: pack_access imports the compiler in the body."""
    source = "def f():\n    from handoff_rules.engine import evaluate\n"
    found = set(_imports(ast.parse(source), "handoff_rules.policy.x", False))
    assert "handoff_rules.engine.evaluate" in found
    checking = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import handoff_rules.cli\n"
    assert "handoff_rules.cli" not in set(_imports(ast.parse(checking), "handoff_rules.x", False))


def test_a_cycle_is_found_and_printed() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
