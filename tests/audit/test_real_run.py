"""A real run: a real pack, the real engine, a YAML register, the audit log and the commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from handoff_rules.audit import AuditLog, replay_log
from handoff_rules.cases import Case
from handoff_rules.cli import cli
from handoff_rules.decision import Result
from handoff_rules.engine.cached import evaluate_case
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Money, Order
from handoff_rules.policy.pack_access import load_pack, pack_finder
from handoff_rules.policy.waivers import apply_exceptions, load_register, unused_exceptions

AT = date(2026, 11, 3)
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])

PACK = """\
name: mini-credit
version: 1.0.0
effective_from: 2026-01-01
max_exception_days: 30
parameters:
  max_order_value: {type: money, value: "5000.00 EUR"}
"""
RULES = """\
rules:
  - id: ACC-CRD-001
    title: Order value within the credit limit
    owner: ACC
    checkpoints: [H2]
    severity: block
    waivable_by: [credit_controller]
    max_waiver_days: 7
    subject: order
    requires: [net_value]
    fail_when:
      where: net_value > params.max_order_value
    message: "order {subject.id} is over {params.max_order_value}"
  - id: SUP-DOC-001
    title: Customer PO reference given
    owner: SUP
    checkpoints: [H1, H2]
    severity: warn
    waivable_by: [head_of_sales]
    subject: order
    fail_when:
      where: customer_po_ref missing
    message: "order {subject.id} has no customer PO reference"
"""
REGISTER = """\
- id: EX-1
  revision: 1
  rule: ACC-CRD-001
  pack: mini-credit
  pack_versions: ">=1,<2"
  rule_digest: {digest}
  scope: {{counterparty: C-1}}
  reason: seasonal order, guarantee in place
  ticket: FIN-1
  requested_by: {{name: Alice, role: sales_rep}}
  approved_by: {{name: Carl, role: credit_controller}}
  valid_from: 2026-11-01
  valid_until: 2026-11-07
  limits: {{value: "20000.00 EUR", uses: 2}}
- id: EX-2
  revision: 1
  rule: ACC-CRD-001
  pack_versions: ">=1"
  rule_digest: {digest}
  scope: {{counterparty: C-2}}
  reason: self-approved
  ticket: FIN-2
  requested_by: {{name: Bob, role: credit_controller}}
  approved_by: {{name: Bob, role: credit_controller}}
  valid_from: 2026-11-01
  valid_until: 2026-11-05
- id: EX-3
  revision: 1
  rule: ACC-CRD-001
  pack_versions: ">=1"
  rule_digest: {digest}
  scope: {{order: O-9}}
  reason: nothing matches
  ticket: FIN-3
  requested_by: {{name: Alice, role: sales_rep}}
  approved_by: {{name: Carl, role: credit_controller}}
  valid_from: 2026-11-01
  valid_until: 2026-11-07
"""


def _case(order_id: str, amount: str, party: str, owner: str, po: str | None = "PO-1") -> Case:
    order = Order(
        id=order_id,
        counterparty_id=party,
        net_value=Money(amount, "EUR"),
        owner=owner,
        customer_po_ref=po,
    )
    return Case(order_id, (Fact(order, Provenance("native-csv", "orders.csv", "line 2", line=2)),))


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    folder = tmp_path / "packs" / "mini-credit" / "1.0.0"
    (folder / "rules").mkdir(parents=True)
    (folder / "pack.yaml").write_text(PACK)
    (folder / "rules" / "rules.yaml").write_text(RULES)
    pack = load_pack(str(folder))
    digest = next(r.digest for r in pack.rules if r.id == "ACC-CRD-001")
    register = tmp_path / "exceptions.yaml"
    register.write_text(REGISTER.format(digest=digest))
    return folder.parent, register, tmp_path / "audit.jsonl"


CASES = [
    _case("O-1", "6000.00", "C-1", "alice"),
    _case("O-2", "4000.00", "C-1", "alice", po=None),
    _case("O-3", "9000.00", "C-2", "bob"),
    _case("O-4", "7000.00", "C-1", "bob"),
    _case("O-5", "8000.00", "C-1", "alice"),  # third case for EX-1: over its use bound
]


def _check(pack_root: Path, register_path: Path, log_path: Path, engine: str) -> list:
    """What `check --audit-log` does with these parts."""
    pack = load_pack(str(pack_root), at=AT)
    log = AuditLog(log_path)
    register = load_register(register_path).with_ledger(log.use_ledger())
    decisions, used, problems = [], set(), []
    for case in CASES:
        for decision in evaluate_case(case, pack, AT, engine):
            outcome = apply_exceptions(decision, case, pack, register, AT)
            log.append(
                outcome.decision, case, pack, register, engine=engine, problems=outcome.problems
            )
            decisions.append(outcome.decision)
            used.update(outcome.used)
            problems.extend(outcome.problems)
    return decisions, used, problems, unused_exceptions(register, used, AT)


@pytest.mark.parametrize("engine", ENGINES)
def test_real_run_is_replayed_byte_for_byte(setup, engine):
    pack_root, register, log_path = setup
    decisions, used, problems, unused = _check(pack_root, register, log_path, engine)
    h2 = {d.case: d for d in decisions if d.checkpoint.value == "H2"}
    assert h2["O-1"].findings[0].result is Result.WAIVED
    assert h2["O-1"].findings[0].exception == "EX-1@1"
    assert h2["O-4"].outcome.value == "allow"
    assert h2["O-5"].outcome.value == "block"  # EX-1 used up by O-1 and O-4
    assert h2["O-3"].outcome.value == "block"  # EX-2 is self-approved
    assert used == {"EX-1@1"}
    assert {(p.key, p.kind.value) for p in problems} == {
        ("EX-1@1", "use_bound"),  # O-5 would be its third case
        ("EX-1@1", "value_bound"),  # and 6000 + 7000 + 8000 > 20000
        ("EX-2@1", "self_approved"),
    }
    assert [r.key for r in unused] == ["EX-3@1"]  # EX-2 matched, was refused: a problem

    result = replay_log(log_path, pack_finder([pack_root]), evaluate_case)
    assert result.records == len(decisions) == 10
    assert result.differences == ()


def test_commands_over_a_real_run(setup):
    pack_root, register, log_path = setup
    _check(pack_root, register, log_path, "reference")
    runner = CliRunner()

    verified = runner.invoke(cli, ["audit", "verify", str(log_path)])
    assert verified.exit_code == 0, verified.output
    assert "10 record(s), chain intact" in verified.output

    replayed = runner.invoke(cli, ["audit", "replay", str(log_path), "--pack", str(pack_root)])
    assert replayed.exit_code == 0, replayed.output
    assert "10 of 10 decision(s) reproduced byte for byte" in replayed.output

    lines = log_path.read_text().splitlines()
    record = json.loads(lines[3])
    record["decision"]["outcome"] = "allow"
    lines[3] = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    log_path.write_text("\n".join(lines) + "\n")
    tampered = runner.invoke(cli, ["audit", "verify", str(log_path)])
    assert tampered.exit_code == 1
    assert f"{log_path}:4: edited: its content does not match its hash" in tampered.output

    report = runner.invoke(cli, ["report", str(log_path), "--format", "json"])
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    assert data["per_rule"]["ACC-CRD-001"]["waived"] == 2
    assert data["per_approver"]["Carl (credit_controller)"]["waivers"] == 2
    assert data["kpis"]["first_pass_yield_h1"] == 1.0
    assert data["kpis"]["refused_exceptions_by_kind"] == {
        "self_approved": 1,
        "use_bound": 1,
        "value_bound": 1,
    }
    text = runner.invoke(cli, ["report", str(log_path)])
    assert "Exception rate per rule" in text.output


def test_exceptions_commands(setup):
    pack_root, register, _ = setup
    runner = CliRunner()
    validated = runner.invoke(
        cli, ["exceptions", "validate", str(register), "--pack", str(pack_root)]
    )
    assert validated.exit_code == 1
    assert "EX-2@1: approved by its own requester Bob" in validated.output
    assert "2 of 3 exception(s) valid for mini-credit 1.0.0" in validated.output

    expiring = runner.invoke(
        cli, ["exceptions", "expiring", str(register), "--within", "3d", "--at", "2026-11-03"]
    )
    assert expiring.exit_code == 0, expiring.output
    assert "EX-2@1" in expiring.output  # ends 2026-11-05
    assert "EX-1@1" not in expiring.output  # ends 2026-11-07
    shown = runner.invoke(cli, ["exceptions", "show", "EX-1", str(register), "--revision", "1"])
    assert shown.exit_code == 0, shown.output
    assert "approved_by:" in shown.output
    assert "* EX-1@1" in shown.output
    missing = runner.invoke(cli, ["exceptions", "show", "EX-7", str(register)])
    assert "no exception 'EX-7'" in str(missing.exception)


def test_revoke_appends_a_revision(setup):
    _, register, _ = setup
    before = register.read_text()
    runner = CliRunner()
    args = ["exceptions", "revoke", "EX-1", str(register), "--by", "Carl", "--role"]
    result = runner.invoke(
        cli, [*args, "credit_controller", "--reason", "paid", "--on", "2026-11-04"]
    )
    assert result.exit_code == 0, result.output
    assert "EX-1@2: revoked on 2026-11-04 by Carl (credit_controller)" in result.output
    assert register.read_text().startswith(before)
    history = load_register(register).history("EX-1")
    assert [r.revision for r in history.revisions] == [1, 2]
    assert history.current.revoked is not None
    again = runner.invoke(cli, [*args, "credit_controller", "--reason", "paid"])
    assert "already revoked" in str(again.exception)
