"""The README's examples run as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from handoff_rules.cli import main

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    (code,) = _blocks("python")
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})


def _findings_text(out: str) -> str:
    """The findings column of the table, its folded lines joined again."""
    cells = [line.split("│")[-2].strip() for line in out.splitlines() if line.startswith("│")]
    return " ".join(cells)


def test_quickstart_main_job_blocks_and_waives(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install_and_check = _blocks("console")[0].strip()
    _install, check = install_and_check.split(" && ")
    argv = shlex.split(check)
    assert argv[0] == "handoff-rules"
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as exit_:
        main(argv[1:])
    out = capsys.readouterr().out
    assert exit_.value.code == 1
    findings = _findings_text(out)
    for claim in ("block", "warn", "allow", "waived by EX-2024-031@1", "indeterminate"):
        assert claim in out
    assert "3.6842 % off the 9500 EUR of won opportunity" in findings
    assert "has a 2 % discount, but won opportunity" in findings
    assert "to Pavel Dvořák: no valid power of attorney" in findings
    assert "fails the PL-NIP checksum" in findings
    assert "is assigned to 1017, not to the order owner 1022" in findings
    assert "received as scan, not in a final form" in findings
    assert "action write_off (ACC-PAY-001): account=6890, amount=8.00, currency=PLN" in findings
    assert "evidence rejected: examples/o2c/exports/document-register.xlsx" in findings
    assert "sheet Documents row 8" in out
    assert "\ncoverage: 15 rules evaluable from these inputs, 0 partly, 0 not at all" in out


def test_the_tutorial_example_of_the_quickstart_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (command,) = re.findall(
        r"`(handoff-rules check examples/exports[^`]*)`", README.replace("\n", " ")
    )
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as exit_:
        main(shlex.split(command)[1:])
    out = capsys.readouterr().out
    assert exit_.value.code == 1
    for claim in ("block", "warn", "allow", "waived by EX-2024-007@1", "write_off"):
        assert claim in out
    assert "EX-2024-005@1 expired" in out
    assert "unused EX-2024-010@1" in out
