"""A tiny evaluator and pack for audit-log tests that do not need the real engine."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import attrs

from handoff_rules.audit import AuditLog
from handoff_rules.cases import Case
from handoff_rules.decision import Decision, Finding, PackRef
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Money, Order
from handoff_rules.policy.exceptions import ExceptionRegister, ExceptionRevision, Party, Scope
from handoff_rules.policy.waivers import apply_exceptions

DIGEST = "ab" * 32


@attrs.frozen
class MiniRule:
    id: str = "ACC-CRD-001"
    waivable_by: tuple[str, ...] = ("credit_controller",)
    max_waiver_days: int | None = 7
    digest: str = DIGEST


@attrs.frozen
class MiniPack:
    """Blocks an order above ``limit`` at H2."""

    name: str = "mini"
    version: str = "1.0.0"
    digest: str = "cd" * 32
    max_exception_days: int | None = 30
    limit: Decimal = Decimal(500)
    rules: tuple[MiniRule, ...] = (MiniRule(),)


def mini_evaluate(case: Case, pack: MiniPack, at: date, engine: str = "mini") -> list[Decision]:
    order = case.order
    value = order.net_value
    if value is None:
        result, message = "indeterminate", f"order {order.id} has no value"
    elif value.amount > pack.limit:
        result, message = "fail", f"order {order.id} of {value.amount} is over {pack.limit}"
    else:
        result, message = "pass", f"order {order.id} within limit"
    finding = Finding(
        rule="ACC-CRD-001",
        result=result,
        severity="block",
        message=message,
        sources=[f.provenance for f in case.facts],
    )
    return [
        Decision(
            case=case.id,
            checkpoint="H2",
            at=at,
            pack=PackRef(pack.name, pack.version, pack.digest),
            findings=[finding],
        )
    ]


def mini_case(order_id: str, amount: str | None, owner: str = "alice", party: str = "C-1") -> Case:
    order = Order(
        id=order_id,
        counterparty_id=party,
        net_value=Money(amount, "EUR") if amount else None,
        owner=owner,
    )
    prov = Provenance("test", "orders.csv", f"line {order_id}", line=1)
    return Case(id=order_id, facts=(Fact(order, prov),))


def credit_exception(**changes: object) -> ExceptionRevision:
    base = ExceptionRevision(
        id="EX-CRD",
        revision=1,
        rule="ACC-CRD-001",
        scope=Scope(counterparty="C-1"),
        reason="seasonal order",
        ticket="FIN-7",
        requested_by=Party("Alice", "sales_rep"),
        approved_by=Party("Carl", "credit_controller"),
        valid_from=date(2026, 11, 1),
        valid_until=date(2026, 11, 7),
        pack_versions=">=1",
        rule_digest=DIGEST,
    )
    return attrs.evolve(base, **changes)


def run(
    log: AuditLog,
    cases: Iterable[Case],
    register: ExceptionRegister,
    at: date = date(2026, 11, 3),
    pack: MiniPack | None = None,
) -> list[Decision]:
    """What ``check --audit-log`` does: evaluate, apply exceptions, log every decision."""
    pack = pack or MiniPack()
    register = register.with_ledger(log.use_ledger())
    decisions = []
    with log.session() as writer:
        for case in cases:
            for decision in mini_evaluate(case, pack, at):
                outcome = apply_exceptions(decision, case, pack, register, at)
                writer.append(
                    outcome.decision, case, pack, register, engine="mini", problems=outcome.problems
                )
                decisions.append(outcome.decision)
    return decisions
