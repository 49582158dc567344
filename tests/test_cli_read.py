"""``handoff-rules read``: clear errors, the jsonl contract, rejects with file:line."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from handoff_rules.cli import cli, main

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data" / "native"
FACT_KEYS = {"record", "type", "data", "provenance"}
REJECT_KEYS = {"record", "type", "reason", "provenance"}
PROVENANCE_KEYS = {"adapter", "source", "location"}


@pytest.fixture
def unknown_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes, nothing anyone exports\n")
    return path


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("fmt", ["table", "jsonl"])
def test_file_no_adapter_reads_exits_2_with_one_error_line(unknown_file: Path, fmt: str) -> None:
    result = CliRunner().invoke(cli, ["read", "--format", fmt, str(unknown_file)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = _error_lines(result.stderr)
    assert line.startswith(f"error: {unknown_file}: no adapter recognises this file")
    assert "Traceback" not in result.output
    if fmt == "table":
        assert result.stdout == ""  # nothing was read: no empty tables
    else:
        (summary,) = [json.loads(x) for x in result.stdout.splitlines()]
        assert summary == {
            "record": "summary",
            "facts": {},
            "rejects": 0,
            "errors": [line[len("error: ") :]],
            "skipped": [],
        }


def test_missing_file_and_empty_directory_are_user_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["read", str(tmp_path / "nope.csv"), str(tmp_path)])
    assert result.exit_code == 2
    lines = _error_lines(result.stderr)
    assert lines == [
        f"error: {tmp_path}: the directory has no files to read",
        f"error: {tmp_path / 'nope.csv'}: no such file",
    ]


def test_unknown_adapter_name_through_main(
    unknown_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["read", "--adapter", "no-such", str(unknown_file)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no adapter named 'no-such'")
    assert "Traceback" not in err


def test_real_process_exits_2_without_traceback(unknown_file: Path) -> None:
    exe = shutil.which("handoff-rules") or str(Path(sys.executable).parent / "handoff-rules")
    done = subprocess.run(
        [exe, "read", str(unknown_file)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert _error_lines(done.stderr) == [
        f"error: {unknown_file}: no adapter recognises this file "
        f"(adapters tried: {_adapters_tried(done.stderr)})"
    ]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def _adapters_tried(stderr: str) -> str:
    match = re.search(r"adapters tried: ([^)]*)\)", stderr)
    assert match is not None
    assert "native-csv" in match[1]
    return match[1]


def test_jsonl_lines_have_the_documented_keys_and_the_summary_matches(tmp_path: Path) -> None:
    files = [DATA / "documents.csv", DATA / "poa.yaml", DATA / "register.json"]
    result = CliRunner().invoke(cli, ["read", "--format", "jsonl", *map(str, files)])
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    *items, summary = records
    facts: dict[str, int] = {}
    rejects = 0
    for record in items:
        assert set(record["provenance"]) >= PROVENANCE_KEYS
        assert record["provenance"]["location"]
        if record["record"] == "fact":
            assert set(record) == FACT_KEYS
            assert isinstance(record["data"], dict)
            facts[record["type"]] = facts.get(record["type"], 0) + 1
        else:
            assert record["record"] == "reject"
            assert REJECT_KEYS <= set(record) <= REJECT_KEYS | {"raw"}
            assert isinstance(record["reason"], str)
            rejects += 1
    assert summary == {
        "record": "summary",
        "facts": dict(sorted(facts.items())),
        "rejects": rejects,
        "errors": [],
        "skipped": [],
    }
    assert rejects == 3
    assert sum(facts.values()) == 7

    # ... and what read wrote, read reads back: same facts, same rejects.
    out = tmp_path / "out.jsonl"
    out.write_text(result.stdout, encoding="utf-8")
    again = CliRunner().invoke(cli, ["read", "--format", "jsonl", str(out)])
    assert again.exit_code == 0, again.stderr
    assert again.stdout == result.stdout


def test_one_bad_row_is_a_reject_with_file_and_line() -> None:
    path = DATA / "documents.csv"
    result = CliRunner().invoke(cli, ["read", "--format", "jsonl", str(path)])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    rejects = [r for r in records if r["record"] == "reject"]
    facts = [r for r in records if r["record"] == "fact"]
    assert [(r["provenance"]["source"], r["provenance"]["line"]) for r in rejects] == [
        (str(path), 6)
    ]
    assert [r["provenance"]["line"] for r in facts] == [3, 4, 5]
    table = CliRunner().invoke(cli, ["read", str(path)], env={"COLUMNS": "300"})
    assert table.exit_code == 0
    assert "3 facts, 1 rejects" in table.stdout
    assert f"{path}: line 6" in table.stdout


def test_the_documented_example_is_what_read_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (ROOT / "docs" / "reference" / "jsonl.rst").read_text(encoding="utf-8")
    example = [line.strip() for line in doc.splitlines() if line.startswith("   {")]
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        cli, ["read", "--format", "jsonl", "tests/data/native/documents.csv"]
    )
    assert result.stdout.splitlines() == example


def test_a_failing_file_does_not_hide_the_others(unknown_file: Path) -> None:
    result = CliRunner().invoke(
        cli, ["read", str(unknown_file), str(DATA / "poa.yaml")], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2
    assert len(_error_lines(result.stderr)) == 1
    assert "(unread)" in result.stdout
    assert "2 facts, 1 rejects" in result.stdout
