"""Defects the hostile-input harness found and that are fixed, one test each.

Each test failed before its fix (an exception escaping ``main``); the inputs
are the smallest the harness's failing examples reduce to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import seeds
from .harness import invoke
from .inputs import rehash
from .seeds import PACK_DIR, audit_log


def _log(folder: Path, lines: list[str]) -> str:
    lines, head = rehash(lines)
    log = folder / "audit.jsonl"
    log.write_text("\n".join(lines) + "\n", "utf-8")
    log.with_name("audit.jsonl.head").write_bytes(head)
    return str(log)


def _records() -> list[dict[str, object]]:
    return [json.loads(line) for line in audit_log()[0].decode("utf-8").splitlines()]


def test_verify_names_a_line_nested_deeper_than_json_can_read(tmp_path: Path) -> None:
    lines = audit_log()[0].decode("utf-8").splitlines()
    lines[1] = "[" * 100_000 + "]" * 100_000
    log = tmp_path / "audit.jsonl"
    log.write_text("\n".join(lines) + "\n", "utf-8")
    code, out, _err, escaped, _trace = invoke(["audit", "verify", str(log)])
    assert escaped is None
    assert (code, out.splitlines()[0]) == (1, f"{log}:2: not valid JSON: edited or truncated")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r["decision"]["findings"].__setitem__(1, True), "decision.findings[1] is not"),
        (lambda r: r.__setitem__("at", "2024-13-45"), "at is not a date YYYY-MM-DD"),
        (lambda r: r["facts"][0].__setitem__("data", "x"), "facts[0].data is not an object"),
        (lambda r: r.__setitem__("pack", None), "pack is not an object"),
        (
            lambda r: r.__setitem__("case_value", {"amount": "1E+999999999", "currency": "EUR"}),
            "case_value is not valid",
        ),
    ],
)
@pytest.mark.parametrize("command", [["report"], ["audit", "replay", "--pack", str(PACK_DIR)]])
def test_a_rehashed_record_of_the_wrong_shape_is_an_input_error(
    tmp_path: Path, edit: object, message: str, command: list[str]
) -> None:
    records = _records()
    edit(records[2])  # type: ignore[operator]
    log = _log(tmp_path, [json.dumps(r) for r in records])
    assert invoke(["audit", "verify", log])[0] == 0  # the chain is intact: only the shape is off
    code, _out, err, escaped, _trace = invoke([*command, log])
    assert escaped is None
    assert code == 2
    assert err.startswith(f"error: {log}:3: not an audit record: {message}")


def test_a_tree_record_with_a_lone_surrogate_is_a_reject(tmp_path: Path) -> None:
    tree = {
        "records": [
            {"attributes": {"type": "Opportunity", "referenceId": "R1"}, "Name": "x\ud800"},
            {"attributes": {"type": "Account", "referenceId": "R2"}, "Name": "Alfa"},
        ]
    }
    path = tmp_path / "Opportunities.json"
    path.write_text(json.dumps(tree), "ascii")  # \ud800 stays an escape, as JSON allows
    code, out, _err, escaped, _trace = invoke(["read", "--format", "jsonl", str(path)])
    assert escaped is None
    assert code == 0
    first = json.loads(out.splitlines()[0])
    assert first["record"] == "reject"
    assert "no Unicode character" in first["reason"]
    assert "\\ud800" in first["raw"]
    assert json.loads(out.splitlines()[-1])["rejects"] >= 1


def test_the_html_report_at_the_last_day_of_the_calendar(tmp_path: Path) -> None:
    exports = seeds.EXAMPLES / "exports"
    register = seeds.EXAMPLES / "exceptions.yaml"
    argv = ["check", str(exports), "--pack", str(PACK_DIR), "--engine", "reference"]
    argv += ["--at", "9999-12-31", "--exceptions", str(register), "--format", "html"]
    code, out, _err, escaped, _trace = invoke(argv)
    assert escaped is None
    assert code in (0, 1)
    assert out.lstrip().startswith("<!DOCTYPE html>")
