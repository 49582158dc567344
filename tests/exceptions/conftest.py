"""Building blocks for exception tests: small packs, cases, decisions and revisions.

The factories are session-scoped fixtures returning plain functions, so
hypothesis tests can use them too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

from handoff_rules.cases import Case
from handoff_rules.decision import Checkpoint, Decision, Finding, PackRef
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Delivery, Money, Order
from handoff_rules.policy.exceptions import ExceptionRevision, Party, Scope

POA_DIGEST = "a1" * 32
PAY_DIGEST = "b2" * 32


@attrs.frozen
class FakeRule:
    id: str
    waivable_by: tuple[str, ...] = ("chief_accountant",)
    max_waiver_days: int | None = None
    digest: str = POA_DIGEST
    severity: str = "block"
    title: str = ""


@attrs.frozen
class FakePack:
    name: str = "o2c-standard"
    version: str = "1.2.0"
    digest: str = "f0" * 32
    max_exception_days: int | None = 30
    rules: tuple[FakeRule, ...] = (
        FakeRule("ACC-POA-001", ("chief_accountant",), 14, POA_DIGEST),
        FakeRule("ACC-PAY-001", ("chief_accountant", "cfo"), None, PAY_DIGEST),
        FakeRule("ACC-ID-002", (), None, "c3" * 32),
    )

    @property
    def ref(self) -> PackRef:
        return PackRef(self.name, self.version, self.digest)


def _prov(n: int) -> Provenance:
    return Provenance(adapter="test", source="orders.csv", location=f"line {n}", line=n)


def make_case(
    order_id: str = "4711",
    counterparty: str = "C-1",
    value: str | None = "1000.00",
    receiver: str | None = "P-7",
) -> Case:
    facts = [
        Fact(
            Order(
                id=order_id,
                counterparty_id=counterparty,
                net_value=Money(value, "EUR") if value is not None else None,
                owner="alice",
            ),
            _prov(1),
        )
    ]
    if receiver is not None:
        facts.append(
            Fact(
                Delivery(id=f"D-{order_id}", order_id=order_id, receiver_person_id=receiver),
                _prov(2),
            )
        )
    return Case(id=order_id, facts=tuple(facts))


def make_decision(
    case_id: str = "4711",
    results: dict[str, str] | None = None,
    checkpoint: str = "H3",
    pack: FakePack | None = None,
    at: date = date(2026, 11, 10),
) -> Decision:
    results = results if results is not None else {"ACC-POA-001": "fail", "ACC-PAY-001": "pass"}
    findings = [
        Finding(rule=rule, result=result, severity="block", message=f"{rule} says {result}")
        for rule, result in results.items()
    ]
    return Decision(
        case=case_id,
        checkpoint=checkpoint,
        at=at,
        pack=(pack or FakePack()).ref,
        findings=findings,
    )


def make_exception(**changes: Any) -> ExceptionRevision:
    base = ExceptionRevision(
        id="EX-1",
        revision=1,
        rule="ACC-POA-001",
        scope=Scope(order="4711", checkpoint=Checkpoint.H3),
        reason="known employee of the buyer",
        ticket="OPS-1",
        requested_by=Party("Jana Novak", "sales_rep"),
        approved_by=Party("Petr Dvorak", "chief_accountant"),
        valid_from=date(2026, 11, 1),
        valid_until=date(2026, 11, 14),
        pack_versions=">=1.0,<2",
        rule_digest=POA_DIGEST,
        pack="o2c-standard",
    )
    return attrs.evolve(base, **changes)


@pytest.fixture(scope="session")
def pack() -> FakePack:
    return FakePack()


@pytest.fixture(scope="session")
def case_factory() -> Callable[..., Case]:
    return make_case


@pytest.fixture(scope="session")
def decision_factory() -> Callable[..., Decision]:
    return make_decision


@pytest.fixture(scope="session")
def exception_factory() -> Callable[..., ExceptionRevision]:
    return make_exception
