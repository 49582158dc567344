"""A user mistake ends as one ``error:`` line with file and line; ``--verbose`` adds a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_rules.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    captured = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def test_unreadable_file_is_one_line_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("handoff_rules_example", reason="uses the example plugin's slip format")
    slip = tmp_path / "week.slip"
    slip.write_bytes(b"# release slips v1\n80001;4711;Jos\xe9;2026-11-12\n")
    code, out, err = _run(["read", str(slip)], capsys)
    assert code == 2
    assert err.splitlines() == [f"error: {slip}:line 2: not UTF-8 text (invalid continuation byte)"]
    assert "Traceback" not in out + err


def test_missing_input_of_check_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    code, out, err = _run(["check", str(missing), "--at", "2024-06-10"], capsys)
    assert code == 2
    assert err.strip().splitlines() == [f"error: {missing}: no such file or directory"]
    assert out == ""


def test_verbose_adds_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    code, _out, err = _run(["--verbose", "check", str(missing), "--at", "2024-06-10"], capsys)
    assert code == 2
    assert "Traceback" in err
    assert err.strip().splitlines()[-1] == f"error: {missing}: no such file or directory"
