"""Audit log throughput: chained records against plain JSON Lines, and verify speed.

Run with ``python bench/audit_log.py`` (``--records N``, default 5 000). The same
records (a decision with its case facts, as ``check --audit-log`` writes them)
are written three ways in one run:

- baseline: each record's canonical JSON appended to a file, synced once;
- ``AuditLog.session()``: hash chain, one lock and one sync for the run;
- ``AuditLog.append()`` per record: lock, sync and head file for every record
  (what a caller gets without a session), measured on a tenth of the records.

It prints records per second and the ratio of each to the baseline, then the
time ``audit verify`` takes per record.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from handoff_rules.audit import AuditLog
from handoff_rules.audit.log import build_record
from handoff_rules.cases import Case
from handoff_rules.decision import Decision, Finding, PackRef, canonical_json
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Delivery, Money, Order
from handoff_rules.policy.exceptions import ExceptionRegister

PACK = PackRef("bench", "1.0.0", "ab" * 32)


class _Pack:
    name, version, digest = PACK.name, PACK.version, PACK.digest


def _inputs(count: int) -> list[tuple[Decision, Case]]:
    items = []
    for n in range(count):
        order_id = f"{4_000_000 + n}"
        prov = Provenance("bench", "orders.csv", f"line {n + 2}", line=n + 2)
        facts = (
            Fact(Order(id=order_id, counterparty_id="C1", net_value=Money("1234.56", "EUR")), prov),
            Fact(Delivery(id=f"D-{order_id}", order_id=order_id, receiver_name="Jana"), prov),
        )
        findings = [
            Finding(rule=f"R-{k}", result="pass", severity="block", message="ok", sources=[prov])
            for k in range(8)
        ]
        decision = Decision(
            case=order_id, checkpoint="H3", at=date(2026, 1, 5), pack=PACK, findings=findings
        )
        items.append((decision, Case(order_id, facts)))
    return items


def _baseline(path: Path, items: list[tuple[Decision, Case]]) -> float:
    register = ExceptionRegister()
    start = time.perf_counter()
    with path.open("ab") as handle:
        for decision, case in items:
            body = build_record(decision, case, _Pack(), register, engine="bench")
            handle.write(canonical_json(body).encode("utf-8") + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return time.perf_counter() - start


def _session(path: Path, items: list[tuple[Decision, Case]]) -> float:
    register = ExceptionRegister()
    start = time.perf_counter()
    with AuditLog(path).session() as writer:
        for decision, case in items:
            writer.append(decision, case, _Pack(), register, engine="bench")
    return time.perf_counter() - start


def _each(path: Path, items: list[tuple[Decision, Case]]) -> float:
    register = ExceptionRegister()
    log = AuditLog(path)
    start = time.perf_counter()
    for decision, case in items:
        log.append(decision, case, _Pack(), register, engine="bench")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5_000)
    args = parser.parse_args(argv)
    items = _inputs(args.records)
    few = items[: max(1, args.records // 10)]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        base = _baseline(root / "plain.jsonl", items)
        chained = _session(root / "session.jsonl", items)
        each = _each(root / "each.jsonl", few)
        start = time.perf_counter()
        result = AuditLog(root / "session.jsonl").verify()
        verify = time.perf_counter() - start
        assert result.ok, result
        assert result.records == len(items), result
    rate = len(items) / base
    print(f"records: {len(items)} (per-record append: {len(few)})")
    print(f"baseline plain JSON Lines   {rate:10.0f} records/s  ratio 1.00")
    session_rate = len(items) / chained
    ratio = session_rate / rate
    print(f"AuditLog.session()          {session_rate:10.0f} records/s  ratio {ratio:.2f}")
    each_rate = len(few) / each
    print(f"AuditLog.append() each      {each_rate:10.0f} records/s  ratio {each_rate / rate:.2f}")
    print(f"audit verify                {len(items) / verify:10.0f} records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
