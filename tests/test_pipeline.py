"""The library pipeline and its facade: one import, every step, sinks through the hook."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Generator
from datetime import date
from pathlib import Path

import pytest

import handoff_rules
from handoff_rules import hookimpl
from handoff_rules.cli.check_cmd import write_report

ROOT = Path(__file__).parents[1]
EXPORTS = ROOT / "examples" / "exports"
EXCEPTIONS = ROOT / "examples" / "exceptions.yaml"
AT = date(2024, 6, 4)


def test_every_public_name_resolves_and_says_why() -> None:
    names = [n for n in handoff_rules.__all__ if n != "__version__"]
    assert {"check", "read_files", "load_pack", "Evaluator", "Decision", "hookimpl"} <= set(names)
    for name in names:
        value = getattr(handoff_rules, name)
        assert value is not None
        assert getattr(value, "__doc__", None) or name == "hookimpl", name
    assert set(names) <= set(dir(handoff_rules))
    with pytest.raises(AttributeError):
        _ = handoff_rules.no_such_name  # type: ignore[attr-defined]


def test_importing_the_facade_loads_no_engine() -> None:
    """``import handoff_rules`` stays cheap: the command line's --help depends on it."""
    code = "import sys, handoff_rules; print(sorted(m for m in sys.modules if 'handoff' in m))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "['handoff_rules']"


def test_integration_with_exceptions_and_audit_log_needs_only_the_facade(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    run = handoff_rules.check(
        [EXPORTS], at=AT, exceptions=EXCEPTIONS, audit_log=log, engine="reference"
    )
    assert isinstance(run, handoff_rules.RunResult)
    assert run.exceptions_used == ("EX-2024-007@1",)
    assert run.blocked
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(run.decisions)
    audit = handoff_rules.AuditLog(log)
    assert audit.verify().ok


def test_facts_already_read_decide_like_the_files() -> None:
    read = handoff_rules.read_files([EXPORTS])
    from_files = handoff_rules.check([EXPORTS], at=AT, engine="reference")
    from_facts = handoff_rules.check(facts=read.facts, at=AT, engine="reference")
    assert from_facts.decisions == from_files.decisions


def test_a_loaded_pack_and_register_are_accepted() -> None:
    pack = handoff_rules.load_pack("o2c-standard", at=AT)
    register = handoff_rules.load_register(EXCEPTIONS)
    by_path = handoff_rules.check([EXPORTS], at=AT, exceptions=EXCEPTIONS, engine="reference")
    loaded = handoff_rules.check(
        [EXPORTS], at=AT, pack=pack, exceptions=register, engine="reference"
    )
    assert loaded.decisions == by_path.decisions
    assert loaded.exceptions_used == by_path.exceptions_used


def test_the_json_report_is_the_one_of_the_command(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.json"
    code, _, _ = cli(
        "check",
        str(EXPORTS),
        "--exceptions",
        str(EXCEPTIONS),
        "--at",
        AT.isoformat(),
        "--engine",
        "reference",
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert code == 1
    run = handoff_rules.check([EXPORTS], at=AT, exceptions=EXCEPTIONS, engine="reference")
    written = tmp_path / "library.json"
    with written.open("w", encoding="utf-8") as handle:
        write_report(run, "json", handle)
    assert json.loads(written.read_text("utf-8")) == json.loads(target.read_text("utf-8"))


class _Wrapper:
    """A sink written as a hook wrapper: it must run around the other sinks."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl(wrapper=True)
    def handoff_rules_decision(self, decision: object, case: object) -> Generator[None]:
        self.calls += 1
        return (yield)


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def handoff_rules_decision(self, decision: object, case: object) -> None:
        self.calls += 1


class _Broken:
    @hookimpl
    def handoff_rules_decision(self, decision: object, case: object) -> None:
        raise KeyError("delivery block")


def test_a_hook_wrapper_around_the_decision_sink_runs() -> None:
    pm = handoff_rules.make_plugin_manager()
    wrapper, counter = _Wrapper(), _Counter()
    pm.register(wrapper, name="wrapper")
    pm.register(counter, name="counter")
    run = handoff_rules.check([EXPORTS], at=AT, engine="reference", plugin_manager=pm)
    assert wrapper.calls == counter.calls == len(run.decisions) > 0


def test_a_failing_sink_is_named_even_inside_a_wrapper() -> None:
    pm = handoff_rules.make_plugin_manager()
    pm.register(_Wrapper(), name="wrapper")
    pm.register(_Broken(), name="erp-blocker")
    with pytest.raises(handoff_rules.DecisionSinkError, match=r"plugin 'erp-blocker' failed"):
        handoff_rules.check([EXPORTS], at=AT, engine="reference", plugin_manager=pm)


def test_a_missing_input_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(handoff_rules.InputError, match="no such file or directory"):
        handoff_rules.check([tmp_path / "missing.csv"], at=AT)
