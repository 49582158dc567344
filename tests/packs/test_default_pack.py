"""The default pack's own scenarios pass on every engine, and cover every rule."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from handoff_rules.cli import main
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.policy.pack import load_pack
from handoff_rules.policy.scenarios import pack_scenarios
from handoff_rules.testing.scenarios import run_pack_tests

FOLDER = Path(__file__).parents[2] / "src/handoff_rules/packs/o2c-standard/1.0.0"
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])


@pytest.mark.parametrize("engine", ENGINES)
def test_every_scenario_passes(engine: str) -> None:
    pack = load_pack(FOLDER)
    results, coverage = run_pack_tests(pack, FOLDER, engine)
    assert len(results) >= 40
    assert [p for r in results for p in r.problems] == []
    incomplete = [rule.id for rule in pack.rules if not coverage.complete(rule.id)]
    assert incomplete == []


def test_every_catalogue_rule_has_pass_fail_and_boundary_scenarios() -> None:
    pack = load_pack(FOLDER)
    _, coverage = run_pack_tests(pack, FOLDER)
    for rule in ("ACC-POA-001", "ACC-PAY-001", "ACC-DOC-001", "ACC-ID-001", "LEG-CTR-001"):
        assert {"pass", "fail", "indeterminate", "boundary"} <= coverage.kinds[rule]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        main([*args])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, _ = capsys.readouterr()
    return code, out


def test_pack_test_command_prints_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "pack", "test", "o2c-standard", "--at", "2024-06-01")
    assert code == 0
    assert "0 failed" in out
    assert "ACC-POA-001    pass, fail, indeterminate, boundary  complete" in out


def test_pack_test_fails_on_a_wrong_expectation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(FOLDER, copy)
    tests = copy / "tests" / "h2-h3-release.yaml"
    text = tests.read_text("utf-8")
    text = text.replace(
        "- {rule: ACC-POA-001, result: fail, subject: D1, "
        "message_contains: no valid power of attorney}",
        "- {rule: ACC-POA-001, result: pass, subject: D1}",
    )
    tests.write_text(text, "utf-8")
    for extra in (copy / "tests").glob("h1-crm*"):
        extra.unlink()
    code, out = run(capsys, "pack", "test", str(copy))
    assert code == 1
    assert "FAIL" in out
    assert "expected pass, got fail" in out
    assert "never exercised" not in out or "incomplete coverage" in out


def test_a_rule_without_scenarios_is_never_exercised(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(FOLDER, copy)
    for scenario_file in (copy / "tests").glob("*.yaml"):
        scenario_file.unlink()
    code, out = run(capsys, "pack", "test", str(copy))
    assert code == 1
    assert "ACC-POA-001    -" in out
    assert "never exercised" in out


def test_pytest_collects_scenarios_through_the_plugin() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(FOLDER / "tests"), "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=False,
        cwd=FOLDER.parents[3],
    )
    expected = len(pack_scenarios(FOLDER))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{expected} passed" in result.stdout
