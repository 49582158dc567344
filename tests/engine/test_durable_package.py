"""How the driver package is put together: its layering, and the module it replaced.

Runs everywhere, with or without durable_rules installed: nothing here reaches
the C engine.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from handoff_rules.engine import durable, durable_driver
from handoff_rules.engine.durable import session

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "handoff_rules" / "engine" / "durable"

# In the order of the package docstring: each may import only those before it.
LAYERS = (
    "cmodule",
    "protocol",
    "rules",
    "facts",
    "session",
    "registry",
    "firings",
    "compiled_ruleset",
)


def _package_imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            prefix = "handoff_rules.engine.durable."
            if node.module.startswith(prefix):
                found.add(node.module.removeprefix(prefix))
            elif node.module == "handoff_rules.engine.durable":
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("handoff_rules.engine.durable"):
                    found.add(alias.name)
    return found


def test_every_module_of_the_package_is_in_the_layering() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(LAYERS)
    for module in LAYERS:
        assert ast.get_docstring(ast.parse((PACKAGE / f"{module}.py").read_text())), module


def test_each_module_imports_only_the_modules_listed_before_it() -> None:
    for position, module in enumerate(LAYERS):
        assert _package_imports(module) <= set(LAYERS[:position]), module


def test_importing_the_driver_never_loads_durable_rules() -> None:
    code = f"""
import sys
sys.path.insert(0, {str(SRC)!r})
import handoff_rules.engine.compile_durable
import handoff_rules.engine.durable
import handoff_rules.engine.durable_backend
import handoff_rules.engine.durable_driver
loaded = sorted(name for name in sys.modules if name.startswith("durable"))
print(loaded)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_former_module_re_exports_the_very_same_objects() -> None:
    for name in durable_driver.__all__:
        owner = session if name in ("MAX_SESSION_FACTS", "MAX_QUARANTINED_SESSIONS") else durable
        assert getattr(durable_driver, name) is getattr(owner, name), name
    assert set(durable.__all__) <= set(durable_driver.__all__)


def test_setting_a_name_on_the_former_module_is_refused_not_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The driver reads MAX_SESSION_FACTS from its session module: a patch of the
    # former module would silently test nothing.
    with pytest.raises(AttributeError, match=r"handoff_rules\.engine\.durable"):
        monkeypatch.setattr(durable_driver, "MAX_SESSION_FACTS", 8)
    with pytest.raises(AttributeError, match="would change nothing"):
        durable_driver._import_engine = None  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del durable_driver.CompiledRuleset
    assert durable_driver.MAX_SESSION_FACTS == session.MAX_SESSION_FACTS
    assert durable_driver.CompiledRuleset is durable.CompiledRuleset
