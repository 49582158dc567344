"""One tree of errors: every error a caller can cause is a ``HandoffError`` from one module.

A new exception class anywhere else fails here, so the tree in
``handoff_rules.errors`` (and in the docs) stays the whole list, and an
error of the core or of an adapter plugin cannot reach the user as a bare
``ValueError`` that the command line can only call an internal error.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import handoff_rules.errors as errors_module
from handoff_rules.engine import cached
from handoff_rules.errors import EXIT_INTERNAL, EXIT_USAGE, HandoffError, InvalidValue
from handoff_rules.plugins import default_plugin_manager

REPO = Path(__file__).resolve().parents[1]
EXPORTS = REPO / "examples" / "exports"
ERRORS_MODULE = "handoff_rules.errors"

#: Where exception classes may live: the core, and the two adapter plugins.
#: The core and the bundled adapter plugins that are installed (tox installs both).
PACKAGES = {
    name: root
    for name, root in {
        "handoff_rules": REPO / "src" / "handoff_rules",
        "handoff_rules_sap": REPO / "plugins" / "handoff-rules-sap" / "src" / "handoff_rules_sap",
        "handoff_rules_crm": REPO / "plugins" / "handoff-rules-crm" / "src" / "handoff_rules_crm",
    }.items()
    if importlib.util.find_spec(name) is not None
}

#: Exception classes outside the errors module, and why each is not an error for a user.
ALLOWED = {
    "handoff_rules.yamlsafe._TooDeep": (
        "control flow inside the YAML composer: yamlsafe catches it and raises a YamlError"
    ),
    "handoff_rules.yamlsafe._NotAlike": (
        "control flow inside the YAML composer: yamlsafe catches it and parses the text "
        "again with the pure-Python parser"
    ),
    "handoff_rules.cli.exits.OutputClosed": (
        "the reader of standard output went away: the command stops quietly (141)"
    ),
    "handoff_rules.testing.pytest_plugin.ScenarioFailed": (
        "a failed pack scenario in pytest; pytest reports it through repr_failure"
    ),
}


def _module_name(package: str, root: Path, path: Path) -> str:
    parts = [package, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _classes(tree: ast.Module) -> Iterator[tuple[str, ast.ClassDef]]:
    """Every class statement with its qualified name, nested ones too."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.ClassDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield prefix + child.name, child
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, f"{prefix}{child.name}.<locals>.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def _resolve(module: Any, qualname: str) -> object:
    found: object = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found


def exception_classes() -> Iterator[tuple[str, type[BaseException]]]:
    """(module.qualname, class) of every exception class defined in the packages' source."""
    for package, root in PACKAGES.items():
        for path in sorted(root.rglob("*.py")):
            name = _module_name(package, root, path)
            module = importlib.import_module(name)
            for qualname, node in _classes(ast.parse(path.read_text(encoding="utf-8"))):
                cls = _resolve(module, qualname)
                assert isinstance(cls, type), f"{name}.{qualname}: cannot check a local class"
                if issubclass(cls, BaseException):
                    assert cls.__module__ == name, node.name
                    yield f"{name}.{qualname}", cls


FOUND = dict(exception_classes())


def test_the_walk_finds_the_known_classes() -> None:
    """The walk itself works: it sees errors of the core, of both plugins and the allowed ones."""
    assert "handoff_rules.errors.MoneyError" in FOUND
    if "handoff_rules_crm" in PACKAGES:
        assert "handoff_rules_crm.cells.RecordError" in FOUND
    if "handoff_rules_sap" in PACKAGES:
        assert "handoff_rules_sap.idoc_terms.SegmentProblem" in FOUND
    assert set(ALLOWED) <= set(FOUND), "an allowed class is gone: drop it from ALLOWED"


@pytest.mark.parametrize("name", sorted(FOUND))
def test_every_exception_class_is_in_the_tree(name: str) -> None:
    cls = FOUND[name]
    if name in ALLOWED:
        assert not issubclass(cls, HandoffError), f"{name} is allowed as not being an error"
        return
    if name.startswith("handoff_rules."):
        assert cls.__module__ == ERRORS_MODULE, (
            f"{name}: define it in handoff_rules/errors.py and import it here"
        )
    assert issubclass(cls, HandoffError), f"{name} is not a HandoffError"


def test_every_error_keeps_its_home_importable() -> None:
    """Each class moved into the errors module is still in its old module's namespace."""
    homes = {
        "handoff_rules.model": ["MoneyError", "ModelDataError"],
        "handoff_rules.model.money": ["MoneyError"],
        "handoff_rules.model.bounds": ["NumberRangeError"],
        "handoff_rules.model.convert": ["ModelDataError"],
        "handoff_rules.engine.flatten": ["FlattenError"],
        "handoff_rules.engine.ir": ["RuleIRError"],
        "handoff_rules.adapters.values": ["ValueParseError"],
        "handoff_rules.adapters.registry": ["NoAdapterError", "AdapterNotFound"],
        "handoff_rules.cli.exceptions_cmd": ["UsageError"],
        "handoff_rules.yamlsrc": ["PackError"],
        "handoff_rules.engine.durable.facts": ["FactValueError"],
    }
    for module_name, names in homes.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert getattr(module, name) is getattr(errors_module, name), (module_name, name)
            exported = getattr(module, "__all__", None)
            assert exported is None or name in exported, (module_name, name)


@pytest.mark.parametrize(
    "name", ["FlattenError", "RuleIRError", "ModelDataError", "MoneyError", "ValueParseError"]
)
def test_refused_values_are_handoff_errors_and_still_value_errors(name: str) -> None:
    cls = getattr(errors_module, name)
    assert issubclass(cls, InvalidValue)
    assert issubclass(cls, HandoffError)
    assert issubclass(cls, ValueError)  # attrs, cattrs and adapters' ``except ValueError``
    assert cls.exit_code == EXIT_INTERNAL


def test_one_usage_error() -> None:
    usage = [name for name in FOUND if name.rsplit(".", 1)[-1] == "UsageError"]
    assert usage == ["handoff_rules.errors.UsageError"]
    assert errors_module.UsageError.exit_code == EXIT_USAGE


def test_every_error_in_the_module_says_when_it_is_raised_and_its_status() -> None:
    for name in errors_module.__all__:
        cls = getattr(errors_module, name)
        if not isinstance(cls, type):
            continue
        assert cls.__module__ == ERRORS_MODULE
        assert cls.__doc__, name
        status = "exit 3" if cls.exit_code == EXIT_INTERNAL else "exit 2"
        assert status in " ".join(cls.__doc__.split()).lower(), (
            f"{name}: its docstring does not give its exit status ({status})"
        )
    tree = errors_module.__doc__ or ""
    for name in errors_module.__all__:
        if isinstance(getattr(errors_module, name), type):
            assert f" {name} " in tree, f"{name} is missing from the tree in the docstring"


def test_a_derived_key_refused_when_the_fact_is_made_is_a_model_data_error() -> None:
    from handoff_rules.model import Derived, ModelDataError

    with pytest.raises(ModelDataError, match="'Bad-Key'"):
        Derived(name="balance", subject="C1", values={"Bad-Key": 1})


# --- on the command line: refused values are blamed on the plugin that passed them --------

PLUGIN_MODULE = "hr_bad_value_plugin"
PLUGIN_SOURCE = '''
"""Derives a fact with a key no rule could name; reads a file into money from a float."""

from pathlib import Path

from handoff_rules.adapters.base import FormatInfo, SniffResult
from handoff_rules.facts import Fact, Provenance
from handoff_rules.hooks import hookimpl
from handoff_rules.model import Derived, Invoice, Money


class FloatAdapter:
    name = "floaty"
    version = "0.1"
    formats = (FormatInfo("floaty", "files that start with FLOATY"),)

    def sniff(self, sample):
        return SniffResult("floaty", 0.9) if sample.head.startswith(b"FLOATY") else None

    def read(self, path):
        for number, line in enumerate(Path(path).read_text().splitlines()[1:], start=2):
            yield Fact(
                Invoice(id=line, order_id=line, total=Money(float(line) / 3, "EUR")),
                Provenance(self.name, str(path), f"line {number}"),
            )


@hookimpl
def handoff_rules_adapters():
    return [FloatAdapter()]


@hookimpl
def handoff_rules_derive_facts(case, at):
    value = Derived(name="balance", subject="x", values={"Bad-Key": 1})
    return [Fact(value, Provenance("badplug", "derived", None))]
'''


@pytest.fixture
def bad_value_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin installed as pip would (an entry point in a ``.dist-info``)."""
    site = tmp_path / "site"
    info = site / f"{PLUGIN_MODULE}-0.1.dist-info"
    info.mkdir(parents=True)
    (site / f"{PLUGIN_MODULE}.py").write_text(textwrap.dedent(PLUGIN_SOURCE), encoding="utf-8")
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hr-bad-value-plugin\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[handoff_rules]\nbadplug = {PLUGIN_MODULE}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(cached, "_EVALUATORS", {})
    default_plugin_manager.cache_clear()
    yield
    default_plugin_manager.cache_clear()
    sys.modules.pop(PLUGIN_MODULE, None)


BLAMED = "plugin 'badplug' (distribution hr-bad-value-plugin 0.1)"


@pytest.mark.usefixtures("bad_value_plugin")
def test_a_bad_derived_key_names_the_plugin(cli: Any) -> None:
    status, out, err = cli("check", str(EXPORTS), "--at", "2024-06-04", "--engine", "reference")
    assert status == EXIT_INTERNAL, out + err
    assert err == (
        f"error: {BLAMED} failed in handoff_rules_derive_facts: ModelDataError: "
        "derived value key 'Bad-Key' must be a lower-case identifier "
        "(a-z, 0-9 and _, starting with a letter) (run with -v for the traceback)\n"
    )


@pytest.mark.usefixtures("bad_value_plugin")
def test_a_value_an_adapter_lets_escape_names_the_adapter_file_and_line(
    cli: Any, tmp_path: Path
) -> None:
    """A MoneyError is a HandoffError now, yet still the adapter's failure, with its place."""
    path = tmp_path / "invoices.floaty"
    path.write_text("FLOATY\n1\n", encoding="utf-8")
    status, _out, err = cli("read", str(path))
    assert status == EXIT_INTERNAL
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"error: adapter 'floaty' of {BLAMED} failed reading {path}"), err
    assert "MoneyError: money amounts must be Decimal, int or str, not float" in line
