"""Evaluation with plugins: derived facts from a hook, tolerance groups, flat facts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from handoff_rules.cases import Case, build_cases
from handoff_rules.decision import Checkpoint, Result
from handoff_rules.engine.evaluate import make_evaluator
from handoff_rules.engine.flatten import flatten_case, flatten_fact
from handoff_rules.errors import HandoffError
from handoff_rules.facts import Fact, Provenance
from handoff_rules.hooks import hookimpl
from handoff_rules.model import (
    CompanyId,
    Counterparty,
    Derived,
    Document,
    Invoice,
    Money,
    Order,
    Payment,
    PoaTerms,
)
from handoff_rules.plugins import make_plugin_manager
from handoff_rules.policy.pack import load_pack

HERE = Provenance("test", "t.yaml", "line 1", line=1)

HEADER = """\
name: plugin-demo
version: 0.1.0
effective_from: 2024-01-01
parameters:
  max_balance: {type: int, value: 500}
  payment_tolerance:
    type: tolerance
    value:
      loss: {EUR: {amount: "10.00 EUR", percent: "1.0"}}
      groups:
        key: {loss: {EUR: {amount: "2.00 EUR"}}}
derived_facts:
  open_balance: {amount_minor: int, since: date}
"""

RULES = """\
rules:
  - id: ACC-BAL-001
    title: Open balance small enough
    owner: ACC
    checkpoints: [H2]
    severity: warn
    subject: derived.open_balance
    subject_required: true
    requires: [amount_minor]
    message: "balance {subject.amount_minor} since {subject.since} above {params.max_balance}"
    fail_when:
      - where: [amount_minor > params.max_balance]
  - id: ACC-PAY-009
    title: Payment difference
    owner: ACC
    checkpoints: [H5]
    severity: block
    subject: derived.payment_difference
    requires: [open_minor]
    message: "difference {subject.difference} above {subject.allowed}"
    fail_when:
      - where: [abs_diff_minor > subject.allowed_minor]
"""


class BalancePlugin:
    @hookimpl
    def handoff_rules_derive_facts(self, case: Case, at: date) -> Iterable[Fact]:
        amount = 700 if case.id == "1" else 100
        data = Derived(
            name="open_balance",
            subject=case.id,
            values={"amount_minor": amount, "since": date(2024, 1, 1)},
            order_id=case.id,
        )
        return [Fact(data, Provenance("balance-plugin", "ledger", f"order {case.id}"))]


@pytest.fixture
def pack_folder(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "pack.yaml").write_text(HEADER, "utf-8")
    (tmp_path / "rules" / "r.yaml").write_text(RULES, "utf-8")
    return tmp_path


def case_of(order_id: str, group: str | None, paid: str) -> Case:
    facts = [
        Fact(Order(order_id, counterparty_id="C"), HERE),
        Fact(Counterparty("C", customer_group=group), HERE),
        Fact(Invoice("I", order_id=order_id, open_amount=Money("1000.00", "EUR")), HERE),
        Fact(Payment("P", amount=Money(paid, "EUR"), invoice_id="I", order_id=order_id), HERE),
    ]
    (case,) = build_cases(facts).cases
    return case


def test_plugin_derived_facts_reach_the_rules(pack_folder: Path) -> None:
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(BalancePlugin(), name="balance")
    evaluator = make_evaluator(load_pack(pack_folder), "reference", pm)
    (decision,) = evaluator.evaluate(
        case_of("1", None, "1000.00"), date(2024, 6, 1), [Checkpoint.H2]
    )
    (finding,) = decision.findings
    assert finding.result is Result.FAIL
    assert finding.message == "balance 700 since 2024-01-01 above 500"
    assert finding.sources[0].adapter == "balance-plugin"
    (decision,) = evaluator.evaluate(
        case_of("2", None, "1000.00"), date(2024, 6, 1), [Checkpoint.H2]
    )
    assert decision.findings[0].result is Result.PASS
    # without the plugin the fact is missing: indeterminate, never pass
    plain = make_evaluator(load_pack(pack_folder), "reference")
    (decision,) = plain.evaluate(case_of("1", None, "1000.00"), date(2024, 6, 1), [Checkpoint.H2])
    assert decision.findings[0].result is Result.INDETERMINATE


def test_customer_group_tolerance_is_lower(pack_folder: Path) -> None:
    evaluator = make_evaluator(load_pack(pack_folder), "reference")
    at = date(2024, 6, 1)
    (plain,) = evaluator.evaluate(case_of("1", None, "995.00"), at, [Checkpoint.H5])
    (keyed,) = evaluator.evaluate(case_of("1", "key", "995.00"), at, [Checkpoint.H5])
    assert plain.findings[0].result is Result.PASS
    assert keyed.findings[0].result is Result.FAIL
    assert keyed.findings[0].message == "difference 5.00 above 2.00"


def test_flat_values() -> None:
    party = Counterparty(
        "C1",
        country="CZ",
        identifiers=(CompanyId("CZ-ICO", "25123890"),),
        credit_limit=Money("12.34", "EUR"),
    )
    row = flatten_fact(Fact(party, HERE))
    assert row["id_"] == "C1"
    assert row["credit_limit__minor"] == 1234
    assert row["credit_limit__currency"] == "EUR"
    assert row["legal_id__valid"] == 0
    assert row["legal_id__value"] == "25123890"
    assert row["legal_id__expected_scheme"] == "CZ-ICO"
    assert row["is_individual_entrepreneur"] == 0
    doc = Document(
        "D",
        kind="power_of_attorney",
        issued_on=date(2024, 5, 8),
        number="  ",
        poa=PoaTerms(holder_name="I", goods=("a", "b")),
    )
    row = flatten_fact(Fact(doc, HERE))
    assert row["issued_on"] == date(2024, 5, 8).toordinal()
    assert row["poa__holder_name"] == "I"
    assert row["poa__goods__count"] == 2
    assert "number" not in row  # blank text is no value
    assert "valid_until" not in row
    order = flatten_fact(Fact(Order("O", discount_pct=Decimal("12.5")), HERE))
    assert order["discount_pct"] == 125000
    flat = flatten_case([Fact(Order("O"), HERE)], date(2024, 6, 1))
    assert flat.rows[-1] == {"t": "evaluation", "date": date(2024, 6, 1).toordinal()}
    assert flat.facts[-1] is None


def test_engine_choice_and_fallback(pack_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from handoff_rules.engine import evaluate

    pack = load_pack(pack_folder)
    monkeypatch.setattr(evaluate, "durable_available", lambda: "durable_rules is missing")
    fallback = make_evaluator(pack)
    assert fallback.backend == "reference"
    assert fallback.notice == "using the reference engine: durable_rules is missing"
    with pytest.raises(evaluate.EngineUnavailable, match="--engine durable: durable_rules"):
        make_evaluator(pack, "durable")
    assert make_evaluator(pack, "reference").notice is None
    with pytest.raises(evaluate.HandoffError, match="unknown engine 'fast'"):
        make_evaluator(pack, "fast")


class MistypedPlugin:
    """Derives the declared ``amount_minor`` (int) as text and ``since`` (date) as a datetime."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values

    @hookimpl
    def handoff_rules_derive_facts(self, case: Case, at: date) -> Iterable[Fact]:
        data = Derived(name="open_balance", subject=case.id, values=self.values, order_id=case.id)
        return [Fact(data, Provenance("balance-plugin", "ledger", f"order {case.id}"))]


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({"amount_minor": "700"}, "value 'amount_minor' is str '700', but pack plugin-demo@0.1.0"),
        ({"amount_minor": True}, "value 'amount_minor' is bool True"),
        ({"amount_minor": Decimal("700")}, "is Decimal"),
        ({"amount_minor": 700, "since": "2024-01-01"}, "value 'since' is str"),
        (
            {"amount_minor": 700, "since": datetime(2024, 1, 1, 9, 30)},
            "value 'since' is datetime",
        ),
    ],
)
def test_a_plugin_value_of_another_kind_than_declared_is_an_error_not_a_pass(
    pack_folder: Path, values: dict[str, object], shown: str
) -> None:
    # "700" > 500 compares false: without the check, ACC-BAL-001 would pass silently.
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(MistypedPlugin(values), name="mistyped")
    evaluator = make_evaluator(load_pack(pack_folder), "reference", pm)
    with pytest.raises(HandoffError, match="derived fact 'open_balance' from balance-plugin") as e:
        evaluator.evaluate(case_of("1", None, "1000.00"), date(2024, 6, 1), [Checkpoint.H2])
    assert shown in str(e.value)
    assert "declares it" in str(e.value)


def test_declared_kinds_accept_what_flattens_correctly(pack_folder: Path) -> None:
    pm = make_plugin_manager(load_entry_points=False)
    values = {"amount_minor": 700, "since": None, "undeclared": "anything"}
    pm.register(MistypedPlugin(values), name="typed")
    evaluator = make_evaluator(load_pack(pack_folder), "reference", pm)
    (decision,) = evaluator.evaluate(
        case_of("1", None, "1000.00"), date(2024, 6, 1), [Checkpoint.H2]
    )
    assert decision.findings[0].result is Result.FAIL
