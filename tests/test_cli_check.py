"""``handoff-rules check`` end to end on the bundled examples."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from handoff_rules import check
from handoff_rules.cases import Case
from handoff_rules.decision import Decision
from handoff_rules.hooks import hookimpl
from handoff_rules.plugins import default_plugin_manager

#: The ``cli`` fixture (tests/conftest.py): exit status, stdout, stderr.
CliRun = Callable[..., tuple[int, str, str]]

ROOT = Path(__file__).parents[1]
EXPORTS = ROOT / "examples" / "exports"
EXCEPTIONS = ROOT / "examples" / "exceptions.yaml"
#: The README's main job, on the reference engine so that it runs everywhere.
MAIN_JOB = (
    "check",
    str(EXPORTS),
    "--exceptions",
    str(EXCEPTIONS),
    "--at",
    "2024-06-04",
    "--engine",
    "reference",
)
SCHEMA = json.loads((files("handoff_rules") / "schemas" / "decisions-1.json").read_text("utf-8"))


def test_examples_show_every_outcome_and_block(cli: CliRun) -> None:
    code, out, _ = cli(*MAIN_JOB)
    assert code == 1
    assert "at 2024-06-04 (given)" in out
    for word in ("block", "warn", "allow", "allow (waived)", "waived by EX-2024-007@1"):
        assert word in out
    assert "action write_off (ACC-PAY-001)" in out


def test_json_output_validates_against_its_schema(cli: CliRun) -> None:
    code, out, _ = cli(*MAIN_JOB, "--format", "json")
    assert code == 1
    document = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    outcomes = {(d["case"], d["checkpoint"]): d["outcome"] for d in document["decisions"]}
    assert outcomes[("4711", "H5")] == "allow"
    assert outcomes[("4712", "H3")] == "block"
    assert outcomes[("4713", "H4")] == "warn"
    assert outcomes[("4715", "H5")] == "allow"
    waived = [f for d in document["decisions"] for f in d["findings"] if f["result"] == "waived"]
    assert [(f["rule"], f["exception"]) for f in waived] == [("ACC-PAY-001", "EX-2024-007@1")]
    assert document["exceptions"]["used"] == ["EX-2024-007@1"]
    poa = next(
        f
        for d in document["decisions"]
        for f in d["findings"]
        if f["rule"] == "ACC-POA-001" and f["result"] == "fail"
    )
    assert poa["sources"][0]["source"].endswith("orders.yaml")


def test_output_is_byte_identical_across_runs_and_engines(tmp_path: Path) -> None:
    texts = []
    for engine in ("reference", "reference", None):
        run_ = check([EXPORTS], at=date(2024, 6, 4), engine=engine)
        texts.append(json.dumps(run_.document()["decisions"], sort_keys=True))
    assert texts[0] == texts[1] == texts[2]


def test_checkpoint_filter_junit_and_output_file(cli: CliRun, tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    code, out, _ = cli(
        "check",
        str(EXPORTS),
        "--checkpoint",
        "H1",
        "--at",
        "2024-06-04",
        "--format",
        "junit",
        "--output",
        str(target),
    )
    assert code == 1  # 4714's SIREN fails its checksum at H1
    assert out == ""
    tree = ET.parse(target)
    suites = tree.getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["o2c-standard@1.1.0 H1"]
    failed = [
        c.get("classname") for c in suites[0].iter("testcase") if c.find("failure") is not None
    ]
    assert failed == ["case.4714"]


def test_nothing_blocks_exit_zero(cli: CliRun, tmp_path: Path) -> None:
    code, out, _ = cli(
        "check",
        str(EXPORTS),
        "--checkpoint",
        "H2",
        "--at",
        "2024-06-04",
        "--format",
        "json",
    )
    assert code == 1
    only_good = tmp_path / "good"
    only_good.mkdir()
    shutil.copy(EXPORTS / "master-data.yaml", only_good)
    text = (EXPORTS / "orders.yaml").read_text("utf-8").split("  # 4712")[0]
    (only_good / "orders.yaml").write_text(text, encoding="utf-8")
    code, out, _ = cli("check", str(only_good), "--checkpoint", "H2", "--at", "2024-06-04")
    assert code == 0
    assert "1 cases, 1 decisions: 0 block, 0 warn, 1 allow" in out


def test_default_date_is_today_and_said_so(cli: CliRun) -> None:
    code, out, _ = cli("check", str(EXPORTS), "--checkpoint", "H1")
    assert code == 1
    assert f"at {date.today().isoformat()} (today's date; pass --at to fix it)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "no/such/file.csv"], "no/such/file.csv: no such file or directory"),
        (["check", str(EXPORTS), "--pack", "nope"], "no pack named 'nope'"),
        (["check", str(EXPORTS), "--at", "2024-13-01"], "is not a date"),
        (
            ["check", str(EXPORTS), "--pack-version", "9.9.9"],
            "no version 9.9.9 (available: 1.0.0, 1.1.0)",
        ),
        (
            ["check", str(EXPORTS), "--pack", "o2c-standard@1.0.0", "--pack-version", "1.1.0"],
            "--pack o2c-standard@1.0.0 and --pack-version 1.1.0 name two versions",
        ),
    ],
)
def test_usage_and_input_errors_exit_two(cli: CliRun, args: list[str], message: str) -> None:
    code, _out, err = cli(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_an_unreadable_input_file_is_exit_two(cli: CliRun, tmp_path: Path) -> None:
    strange = tmp_path / "notes.bin"
    strange.write_bytes(b"\x00\x01\x02 nothing any adapter knows")
    code, _, err = cli("check", str(strange), "--at", "2024-06-04")
    assert code == 2
    assert "notes.bin" in err


def test_a_broken_pack_is_exit_two_with_file_and_line(cli: CliRun, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "src/handoff_rules/packs/o2c-standard/1.0.0", pack)
    rules = pack / "rules" / "h2-h3-release.yaml"
    rules.write_text(
        rules.read_text("utf-8").replace(
            "subject: derived.goods_release", "subject: derived.goods"
        ),
        "utf-8",
    )
    code, _, err = cli("check", str(EXPORTS), "--pack", str(pack), "--at", "2024-06-04")
    assert code == 2
    assert "h2-h3-release.yaml:" in err
    assert "unknown fact type 'derived.goods'" in err


class _Sink:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    @hookimpl
    def handoff_rules_decision(self, decision: Decision, case: Case) -> None:
        self.seen.append((case.id, decision.checkpoint.value, decision.outcome.value))


def test_every_final_decision_reaches_the_sinks() -> None:
    pm = default_plugin_manager()
    sink = _Sink()
    pm.register(sink, name="test-sink")
    try:
        result = check([EXPORTS], at=date(2024, 6, 4), exceptions=EXCEPTIONS, engine="reference")
    finally:
        pm.unregister(name="test-sink")
    assert sink.seen == [(d.case, d.checkpoint.value, d.outcome.value) for d in result.decisions]
    assert ("4715", "H5", "allow") in sink.seen  # after the exception was applied
