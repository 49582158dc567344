"""Plugins installed through entry points are found, their hooks run, a broken one is named."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from handoff_rules.cases import build_cases
from handoff_rules.errors import PluginLoadError
from handoff_rules.model import Derived
from handoff_rules.plugins import DuplicateAdapterError, installed_adapters, make_plugin_manager

PLUGIN_SOURCE = """
from pathlib import Path

from handoff_rules.adapters.base import FormatInfo, SniffResult
from handoff_rules.facts import Fact, Provenance
from handoff_rules.hooks import hookimpl
from handoff_rules.model import Derived, Order

DECISIONS = []


class GreetingAdapter:
    name = "{adapter}"
    version = "0.1"
    formats = (FormatInfo("greeting", "files that start with HELLO"),)

    def sniff(self, sample):
        return SniffResult("greeting", 0.9) if sample.head.startswith(b"HELLO") else None

    def read(self, path):
        for number, line in enumerate(Path(path).read_text().splitlines()[1:], start=2):
            yield Fact(Order(id=line), Provenance(self.name, str(path), f"line {{number}}"))


@hookimpl
def handoff_rules_adapters():
    return [GreetingAdapter()]


@hookimpl
def handoff_rules_derive_facts(case, at):
    value = Derived(name="greeted", subject=case.id, values={{"on": at}}, order_id=case.id)
    return [Fact(value, Provenance("{module}", "derived", case.id))]


@hookimpl
def handoff_rules_decision(decision, case):
    DECISIONS.append((decision, case.id))
"""


def install_plugin(
    root: Path, module: str, adapter: str = "greeting", body: str | None = None
) -> Path:
    """Lay out ``module.py`` and its ``.dist-info`` as pip would, under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    source = body if body is not None else PLUGIN_SOURCE.format(adapter=adapter, module=module)
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[handoff_rules]\n{module} = {module}\n")
    return root


@pytest.fixture
def on_path(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    added: list[str] = []

    def add(root: Path) -> None:
        monkeypatch.syspath_prepend(str(root))
        added.append(root.name)

    yield add
    for name in list(sys.modules):
        if name.startswith("hr_test_plugin"):
            del sys.modules[name]


def test_installed_plugin_is_discovered_and_its_hooks_run(tmp_path: Path, on_path) -> None:  # type: ignore[no-untyped-def]
    on_path(install_plugin(tmp_path / "site", "hr_test_plugin_ok"))
    pm = make_plugin_manager()
    assert pm.get_plugin("hr_test_plugin_ok") is not None
    names = [a.name for a in installed_adapters(pm)]
    assert "greeting" in names
    assert "native-csv" in names

    (adapter,) = [a for a in installed_adapters(pm) if a.name == "greeting"]
    data = tmp_path / "hello.txt"
    data.write_text("HELLO\n4711\n")
    facts = list(adapter.read(data))
    (case,) = build_cases(facts).cases
    at = datetime.date(2024, 3, 1)
    derived = [f for result in pm.hook.handoff_rules_derive_facts(case=case, at=at) for f in result]
    assert [f.data for f in derived] == [
        Derived(name="greeted", subject="4711", values={"on": at}, order_id="4711")
    ]
    pm.hook.handoff_rules_decision(decision="a decision", case=case)
    module = sys.modules["hr_test_plugin_ok"]
    assert module.DECISIONS == [("a decision", "4711")]


def test_without_entry_points_only_the_builtin_plugin(tmp_path: Path, on_path) -> None:  # type: ignore[no-untyped-def]
    on_path(install_plugin(tmp_path / "site", "hr_test_plugin_off"))
    pm = make_plugin_manager(load_entry_points=False)
    assert pm.get_plugin("hr_test_plugin_off") is None
    builtin = ["document-register", "native-csv", "native-jsonl", "native-yaml"]
    assert [a.name for a in installed_adapters(pm)] == builtin


def test_plugin_that_fails_to_import_is_named(tmp_path: Path, on_path) -> None:  # type: ignore[no-untyped-def]
    body = "import no_such_module_anywhere\n"
    on_path(install_plugin(tmp_path / "site", "hr_test_plugin_broken", body=body))
    with pytest.raises(PluginLoadError) as info:
        make_plugin_manager()
    message = str(info.value)
    assert "hr_test_plugin_broken" in message
    assert "no_such_module_anywhere" in message


def test_plugin_with_a_misspelt_hook_is_named(tmp_path: Path, on_path) -> None:  # type: ignore[no-untyped-def]
    body = (
        "from handoff_rules.hooks import hookimpl\n"
        "@hookimpl\n"
        "def handoff_rules_adaptors():\n"
        "    return []\n"
    )
    on_path(install_plugin(tmp_path / "site", "hr_test_plugin_typo", body=body))
    with pytest.raises(PluginLoadError, match=r"hr_test_plugin_typo.*invalid hook"):
        make_plugin_manager()


def test_two_adapters_with_one_name_are_refused(tmp_path: Path, on_path) -> None:  # type: ignore[no-untyped-def]
    on_path(install_plugin(tmp_path / "site", "hr_test_plugin_dup", adapter="native-csv"))
    with pytest.raises(DuplicateAdapterError, match="native-csv"):
        installed_adapters(make_plugin_manager())


def test_command_line_lists_and_uses_an_installed_plugin(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site", "hr_test_plugin_cli")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    listed = subprocess.run(
        [sys.executable, "-m", "handoff_rules.cli", "adapters", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if listed.returncode != 0 and "No module named handoff_rules.cli.__main__" in listed.stderr:
        code = "from handoff_rules.cli import main; main()"
        listed = subprocess.run(
            [sys.executable, "-c", code, "adapters", "--json"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    assert listed.returncode == 0, listed.stderr
    assert '"adapter": "greeting"' in listed.stdout
    assert '"plugin": "hr_test_plugin_cli (hr_test_plugin_cli 0.1)"' in listed.stdout
    data = tmp_path / "hello.txt"
    data.write_text("HELLO\n4711\n4712\n")
    code = "from handoff_rules.cli import main; main()"
    read = subprocess.run(
        [sys.executable, "-c", code, "read", "--format", "jsonl", str(data)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines()[-1].startswith('{"record": "summary", "facts": {"order": 2}')
