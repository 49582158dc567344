"""Missing or rejected evidence is never folded into ``allow``, on both engines.

Built on the bundled native example (``examples/exports``), changed one fact
at a time the way a real export goes wrong: a counterparty without a credit
limit, a delivery row whose release date cannot be read.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from handoff_rules import check
from handoff_rules.decision import Checkpoint, Decision, Outcome, Result
from handoff_rules.engine.evaluate import durable_available

EXAMPLE = Path(__file__).parents[2] / "examples" / "exports"
AT = date(2024, 6, 4)
ENGINES = [
    "reference",
    pytest.param(
        "durable",
        marks=pytest.mark.skipif(durable_available() is not None, reason="durable_rules missing"),
    ),
]


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once; the 1-based line it was on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _decision(decisions: tuple[Decision, ...], case: str, checkpoint: Checkpoint) -> Decision:
    (found,) = [d for d in decisions if d.case == case and d.checkpoint is checkpoint]
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_credit_limit_is_not_an_allow(tmp_path: Path, engine: str) -> None:
    folder = _copy(tmp_path)
    before = check([folder], at=AT, engine=engine)
    assert _decision(before.decisions, "4715", Checkpoint.H2).outcome is Outcome.ALLOW
    _edit(folder / "master-data.yaml", ", credit_limit: 100000.00 EUR}", "}")

    after = _decision(check([folder], at=AT, engine=engine).decisions, "4715", Checkpoint.H2)

    assert after.outcome is Outcome.BLOCK
    (finding,) = [f for f in after.findings if f.rule == "ACC-CRD-001"]
    assert finding.result is Result.INDETERMINATE
    assert "missing the counterparty's credit limit" in finding.message
    assert "limit_minor" not in finding.message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rejected_release_row_makes_that_release_undecidable(tmp_path: Path, engine: str) -> None:
    folder = _copy(tmp_path)
    before = _decision(check([folder], at=AT, engine=engine).decisions, "4715", Checkpoint.H3)
    assert before.outcome is Outcome.ALLOW  # the receiver holds a valid power of attorney
    # the record starts at its "- type: delivery" line, just above the edited data
    line = _edit(folder / "orders.yaml", "release_date: 2024-05-14", "release_date: 2024-05-32") - 1

    run = check([folder], at=AT, engine=engine)

    after = _decision(run.decisions, "4715", Checkpoint.H3)
    assert after.outcome is Outcome.BLOCK
    (finding,) = [f for f in after.findings if f.rule == "ACC-POA-001"]
    assert finding.result is Result.INDETERMINATE
    assert f"evidence rejected: {folder / 'orders.yaml'}:{line}" in finding.message
    assert "release_date: not a date" in finding.message
    assert "2024-05-32" in finding.message
    # the other orders of the run are decided as before
    assert _decision(run.decisions, "4711", Checkpoint.H3).outcome is Outcome.ALLOW
    (case,) = [c for c in run.case_list if c.id == "4715"]
    assert [r.provenance.line for r in case.rejects] == [line]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_issue_example_4712_no_longer_turns_into_allow(tmp_path: Path, engine: str) -> None:
    """4712 blocks at H3 (no power of attorney); a bad release date used to make it allow."""
    folder = _copy(tmp_path)
    _edit(folder / "orders.yaml", "release_date: 2024-05-13", "release_date: 2024-05-32")
    decision = _decision(check([folder], at=AT, engine=engine).decisions, "4712", Checkpoint.H3)
    assert decision.outcome is Outcome.BLOCK
    results = {f.rule: f.result for f in decision.findings}
    assert results["ACC-POA-001"] is Result.INDETERMINATE


@pytest.mark.parametrize("engine", ENGINES)
def test_an_allow_lists_what_was_checked(engine: str) -> None:
    decision = _decision(check([EXAMPLE], at=AT, engine=engine).decisions, "4715", Checkpoint.H4)
    assert decision.outcome is Outcome.ALLOW
    by_result: dict[Result, set[str]] = {}
    for finding in decision.findings:
        by_result.setdefault(finding.result, set()).add(finding.rule)
    assert "LEG-CTR-001" in by_result[Result.PASS]
    # no correction task in the case: said, not silent
    assert by_result[Result.NOT_APPLICABLE] == {"SAL-ERR-001"}
    (idle,) = [f for f in decision.findings if f.result is Result.NOT_APPLICABLE]
    assert idle.message.endswith("not applicable, the case has no correction task")


def test_the_audit_log_keeps_a_case_s_rejects_and_replays_them(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from handoff_rules.cli import cli

    folder = _copy(tmp_path)
    _edit(folder / "orders.yaml", "release_date: 2024-05-14", "release_date: 2024-05-32")
    log = tmp_path / "decisions.jsonl"
    check([folder], at=AT, engine="reference", audit_log=log)
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    with_rejects = {r["case"] for r in records if "rejects" in r}
    assert with_rejects == {"4715"}
    result = CliRunner().invoke(cli, ["audit", "replay", str(log)])
    assert result.exit_code == 0, result.output
    assert "25 of 25 decision(s) reproduced byte for byte" in result.output
