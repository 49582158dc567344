"""``handoff-rules check --audit-log``: every decision logged, chained and replayable."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from handoff_rules.audit import AuditLog
from handoff_rules.decision import Decision
from handoff_rules.hooks import hookimpl
from handoff_rules.plugins import default_plugin_manager

#: The ``cli`` fixture (tests/conftest.py): exit status, stdout, stderr.
CliRun = Callable[..., tuple[int, str, str]]

ROOT = Path(__file__).parents[1]
EXPORTS = ROOT / "examples" / "exports"
EXCEPTIONS = ROOT / "examples" / "exceptions.yaml"


def check(cli: CliRun, log: Path) -> dict[str, object]:
    code, out, _err = cli(
        "check",
        str(EXPORTS),
        "--exceptions",
        str(EXCEPTIONS),
        "--at",
        "2024-06-04",
        "--engine",
        "reference",
        "--format",
        "json",
        "--audit-log",
        str(log),
    )
    assert code == 1  # the examples contain blocked cases
    document: dict[str, object] = json.loads(out)
    return document


def test_two_runs_append_every_decision_to_one_intact_chain(cli: CliRun, tmp_path: Path) -> None:
    log_path = tmp_path / "decisions.log"
    first = check(cli, log_path)
    second = check(cli, log_path)
    decisions = first["decisions"]
    assert isinstance(decisions, list)

    log = AuditLog(log_path)
    records = [record for _n, record in log.records()]
    assert len(records) == 2 * len(decisions)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert log.verify().ok

    # Re-checking the same order does not use a single-use exception up:
    # the waiver of order 4715 holds in the second run too.
    assert first["exceptions"] == second["exceptions"]

    code, out, _err = cli("audit", "replay", str(log_path))
    assert code == 0, out
    assert f"{len(records)} of {len(records)}" in out


def test_an_edited_logged_decision_is_named_by_verify(cli: CliRun, tmp_path: Path) -> None:
    log_path = tmp_path / "decisions.log"
    check(cli, log_path)
    lines = log_path.read_text("utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace('"outcome":"allow"', '"outcome":"block"', 1)
    assert '"outcome":"block"' in lines[2]
    log_path.write_text("".join(lines), "utf-8")

    code, out, _err = cli("audit", "verify", str(log_path))
    assert code == 1
    assert ":3:" in out or "line 3" in out


class _FailingSink:
    """A decision sink whose backend is down."""

    @hookimpl
    def handoff_rules_decision(self, decision: Decision) -> None:
        raise ConnectionError(f"ticket system unreachable for case {decision.case}")


def test_a_failing_decision_sink_stops_the_run_naming_its_plugin(
    cli: CliRun,
) -> None:
    sink = _FailingSink()
    pm = default_plugin_manager()
    pm.register(sink, name="ticket-sink")
    try:
        code, _out, err = cli("check", str(EXPORTS), "--at", "2024-06-04")
    finally:
        pm.unregister(sink)
    assert code == 3  # a plugin's failure, not the input's
    assert "ticket-sink" in err
    assert "ticket system unreachable" in err
    assert "Traceback" not in err
