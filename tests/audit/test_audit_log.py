"""The audit log: chained records, verify, use bounds across runs, replay."""

from __future__ import annotations

import json
from datetime import date

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.audit import AuditError, AuditLog, replay_log, verify_lines
from handoff_rules.audit.log import GENESIS, line_hash
from handoff_rules.decision import Result
from handoff_rules.policy.exceptions import ExceptionRegister

from .conftest import MiniPack, credit_exception, mini_case, mini_evaluate, run


def _log_with(tmp_path, count=4):
    log = AuditLog(tmp_path / "audit.jsonl")
    register = ExceptionRegister.of([credit_exception()])
    cases = [mini_case(f"O-{n}", str(300 + 200 * n)) for n in range(count)]
    decisions = run(log, cases, register)
    return log, decisions


def test_records_are_chained_and_self_contained(tmp_path):
    log, decisions = _log_with(tmp_path)
    lines = [line for _, line in log.lines()]
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    assert records[0]["prev"] == GENESIS
    assert [r["prev"] for r in records[1:]] == [line_hash(line) for line in lines[:-1]]
    assert [r["decision"] for r in records] == [d.to_dict() for d in decisions]
    waived = records[2]
    assert waived["decision"]["findings"][0]["exception"] == "EX-CRD@1"
    assert waived["exceptions"][0]["approved_by"] == {"name": "Carl", "role": "credit_controller"}
    assert waived["facts"][0]["type"] == "order"
    assert waived["pack"] == {"name": "mini", "version": "1.0.0", "digest": "cd" * 32}
    assert waived["at"] == "2026-11-03"
    assert waived["engine"] == "mini"
    assert log.verify().ok
    assert log.verify().records == 4


def test_use_bound_holds_across_runs_through_the_log(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    register = ExceptionRegister.of([credit_exception(max_uses=1)])
    (first,) = run(log, [mini_case("A", "900")], register)
    assert first.findings[0].result is Result.WAIVED
    (again,) = run(log, [mini_case("A", "900")], register)  # the same order again: same use
    assert again.findings[0].result is Result.WAIVED
    (other,) = run(log, [mini_case("B", "900")], register)
    assert other.findings[0].result is Result.FAIL
    last = json.loads(list(log.lines())[-1][1])
    assert last["problems"][0]["kind"] == "use_bound"
    assert "already used for A" in last["problems"][0]["message"]


def test_replay_reproduces_every_decision_byte_for_byte(tmp_path):
    log, _ = _log_with(tmp_path, count=6)
    result = replay_log(log.path, lambda name, version: MiniPack(), mini_evaluate)
    assert result.records == 6
    assert result.differences == ()


def test_replay_reports_a_changed_engine_or_pack(tmp_path):
    log, _ = _log_with(tmp_path, count=3)
    stricter = attrs.evolve(MiniPack(), limit=200)
    changed = replay_log(log.path, lambda n, v: stricter, mini_evaluate)
    assert [d.line for d in changed.differences] == [1, 2, 3]
    assert "outcome was 'allow', now 'block'" in str(changed.differences[0])
    assert "finding ACC-CRD-001: message was" in str(changed.differences[2])

    other_digest = attrs.evolve(MiniPack(), digest="ee" * 32)
    moved = replay_log(log.path, lambda n, v: other_digest, mini_evaluate)
    assert len(moved.differences) == 3
    assert "content changed without a new version" in moved.differences[0].message

    missing = replay_log(log.path, lambda n, v: None, mini_evaluate)
    assert "pack mini 1.0.0 is not available" in missing.differences[0].message


def test_replay_respects_use_bounds_as_they_were(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    register = ExceptionRegister.of([credit_exception(max_uses=1)])
    run(log, [mini_case("A", "900"), mini_case("B", "900")], register)
    assert replay_log(log.path, lambda n, v: MiniPack(), mini_evaluate).ok


def test_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(AuditError, match="no such audit log"):
        AuditLog(tmp_path / "nope.jsonl").verify()


def test_appending_after_a_damaged_last_line_is_refused(tmp_path):
    log, _ = _log_with(tmp_path, count=1)
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write("garbage\n")
    with pytest.raises(AuditError, match="run `handoff-rules audit verify`"):
        run(log, [mini_case("Z", "1")], ExceptionRegister.of([]))


def test_decision_of_another_pack_is_refused(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    case = mini_case("A", "1")
    (decision,) = mini_evaluate(case, MiniPack(), date(2026, 11, 3))
    with pytest.raises(AuditError, match=r"was made with mini@1\.0\.0"):
        log.append(
            decision,
            case,
            attrs.evolve(MiniPack(), version="2.0.0"),
            ExceptionRegister.of([]),
            engine="x",
        )


# --- tamper detection -------------------------------------------------------------------------

_LOG_LINES: dict[int, tuple[list[str], dict[str, object]]] = {}


def _generated(tmp_path_factory, count: int) -> tuple[list[str], dict[str, object]]:
    if count not in _LOG_LINES:
        log, _ = _log_with(tmp_path_factory.mktemp("log"), count=count)
        head = json.loads((log.path.parent / "audit.jsonl.head").read_text())
        _LOG_LINES[count] = ([line for _, line in log.lines()], head)
    return _LOG_LINES[count]


def _verify(lines: list[str], head: dict[str, object]):
    return verify_lines(enumerate(lines, start=1), head)


@st.composite
def edits(draw: st.DrawFn, count: int) -> tuple[str, int, object]:
    kind = draw(st.sampled_from(["edit", "delete", "swap"]))
    line = draw(st.integers(0, count - 1))
    if kind == "swap":
        other = draw(st.integers(0, count - 1).filter(lambda x: x != line))
        return kind, min(line, other), max(line, other)
    if kind == "edit":
        return (
            kind,
            line,
            (
                draw(st.integers(0, 10_000)),
                draw(st.characters(codec="ascii", exclude_characters="\n\r")),
            ),
        )
    return kind, line, None


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), count=st.integers(1, 6))
def test_verify_names_every_single_edit_deletion_and_swap(tmp_path_factory, data, count):
    lines, head = _generated(tmp_path_factory, count)
    assert _verify(lines, head).ok
    kind, index, detail = data.draw(edits(count))
    tampered = list(lines)
    if kind == "edit":
        position, char = detail
        original = tampered[index]
        position %= len(original)
        if original[position] == char:
            char = "x" if char != "x" else "y"
        tampered[index] = original[:position] + char + original[position + 1 :]
        expected = index + 1
    elif kind == "delete":
        del tampered[index]
        expected = index + 1
    else:
        tampered[index], tampered[detail] = tampered[detail], tampered[index]
        expected = index + 1
    result = _verify(tampered, head)
    assert not result.ok
    assert result.problem.line == expected, (kind, str(result.problem))


def test_without_the_head_file_the_end_is_not_anchored(tmp_path):
    log, _ = _log_with(tmp_path, count=2)
    assert log.verify().anchored
    (tmp_path / "audit.jsonl.head").unlink()
    result = log.verify()
    assert result.ok
    assert not result.anchored
