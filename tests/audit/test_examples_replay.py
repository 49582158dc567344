"""The bundled pack over the bundled examples, logged and replayed byte for byte."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handoff_rules.adapters.registry import read_files
from handoff_rules.audit import AuditLog, replay_log
from handoff_rules.cases import build_cases
from handoff_rules.engine.cached import evaluate_case
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.plugins import installed_adapters
from handoff_rules.policy.pack_access import load_pack, pack_finder
from handoff_rules.policy.waivers import apply_exceptions, load_register

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AT = date(2024, 6, 4)


@pytest.mark.parametrize(
    "engine", ["reference"] + (["durable"] if durable_available() is None else [])
)
def test_example_run_replays_byte_for_byte(tmp_path, engine):
    pack = load_pack("o2c-standard", at=AT)
    exports = sorted((EXAMPLES / "exports").iterdir())
    cases = build_cases(read_files(exports, installed_adapters()).facts).cases
    log = AuditLog(tmp_path / "audit.jsonl")
    register = load_register(EXAMPLES / "exceptions.yaml").with_ledger(log.use_ledger())
    waived = 0
    with log.session() as writer:
        for case in cases:
            for decision in evaluate_case(case, pack, AT, engine):
                outcome = apply_exceptions(decision, case, pack, register, AT)
                waived += len(outcome.used)
                writer.append(
                    outcome.decision, case, pack, register, engine=engine, problems=outcome.problems
                )
    assert waived == 1
    assert log.verify().records == len(cases) * 5
    result = replay_log(log.path, pack_finder(), evaluate_case)
    assert result.records == len(cases) * 5
    assert result.differences == ()
