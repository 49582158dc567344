"""Tolerance: the lower limit wins; overpayment is never written off silently."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.cases import build_cases
from handoff_rules.decision import Result
from handoff_rules.engine.evaluate import make_evaluator
from handoff_rules.engine.tolerance import Direction, ToleranceLimit, ToleranceTable
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Invoice, Money, Order, Payment
from handoff_rules.policy.pack import load_pack

PACK = load_pack(Path(__file__).parents[2] / "src/handoff_rules/packs/o2c-standard/1.0.0")
EVALUATOR = make_evaluator(PACK, "reference")
HERE = Provenance("test", "t.yaml", "line 1", line=1)


def eur(text: str) -> Money:
    return Money(text, "EUR")


def test_worked_examples_of_the_catalogue() -> None:
    limit = ToleranceLimit(eur("10.00"), Decimal("1.0"))
    assert limit.allowed(eur("1000.00")) == eur("10.00")
    assert limit.allowed(eur("500.00")) == eur("5.00")
    # SCN: customer 5.00 / 99.9 %, user group 10.00 / 10 % -> 5.00
    table = ToleranceTable.from_levels(
        {
            "": {"loss": {"EUR": ToleranceLimit(eur("10.00"), Decimal("10"))}},
            "key": {"loss": {"EUR": ToleranceLimit(eur("5.00"), Decimal("99.9"))}},
        }
    )
    assert table.allowed(Direction.LOSS, eur("1000.00"), "key") == eur("5.00")
    assert table.allowed(Direction.LOSS, eur("1000.00")) == eur("10.00")
    # no limit for a currency allows nothing
    assert table.allowed(Direction.LOSS, Money("1000.00", "CZK")) == Money("0", "CZK")
    # the percent part is rounded down, never up
    assert ToleranceLimit(percent=Decimal("1")).allowed(eur("0.99")) == eur("0.00")


amounts = st.decimals(min_value=0, max_value=10**7, places=2)
percents = st.decimals(min_value=0, max_value=100, places=3)


limits = st.tuples(st.none() | amounts, st.none() | percents).filter(lambda p: p != (None, None))


@settings(max_examples=200, deadline=None)
@given(company=limits, group=limits, base=amounts)
def test_the_lowest_limit_of_every_level_wins(
    company: tuple[Decimal | None, Decimal | None],
    group: tuple[Decimal | None, Decimal | None],
    base: Decimal,
) -> None:
    def limit(pair: tuple[Decimal | None, Decimal | None]) -> ToleranceLimit:
        return ToleranceLimit(None if pair[0] is None else eur(str(pair[0])), pair[1])

    table = ToleranceTable.from_levels(
        {"": {"loss": {"EUR": limit(company)}}, "g": {"loss": {"EUR": limit(group)}}}
    )
    candidates = [a for a, _ in (company, group) if a is not None]
    candidates += [base * p / 100 for _, p in (company, group) if p is not None]
    lowest = min(candidates)
    allowed = table.allowed(Direction.LOSS, eur(str(base)), "g").amount
    # the lowest of all amounts and percentages, rounded down to the cent
    assert allowed <= lowest
    assert lowest - allowed < Decimal("0.01")
    # a customer without a group gets the company level only
    alone = table.allowed(Direction.LOSS, eur(str(base))).amount
    assert alone >= allowed


def _decide(invoice: str, paid: str) -> tuple[Result, list[dict[str, str]]]:
    facts = [
        Fact(Order("1", counterparty_id="C"), HERE),
        Fact(Invoice("I", order_id="1", open_amount=eur(invoice), total=eur(invoice)), HERE),
        Fact(Payment("P", amount=eur(paid), invoice_id="I", order_id="1"), HERE),
    ]
    (case,) = build_cases(facts).cases
    (decision,) = EVALUATOR.evaluate(case, date(2024, 6, 1), [PACK.checkpoints[-1]])
    (finding,) = [f for f in decision.findings if f.rule == "ACC-PAY-001"]
    return finding.result, [dict(a.params) for a in decision.actions if a.rule == "ACC-PAY-001"]


@settings(max_examples=150, deadline=None)
@given(invoice=st.decimals(min_value=1, max_value=10**6, places=2), over=amounts)
def test_overpayment_is_never_written_off_silently(invoice: Decimal, over: Decimal) -> None:
    result, actions = _decide(str(invoice), str(invoice + over))
    allowed = min(Decimal("10.00"), (invoice / 100).quantize(Decimal("0.01"), "ROUND_DOWN"))
    if over == 0:
        assert (result, actions) == (Result.PASS, [])
    elif over <= allowed:
        # written off only as an explicit, reported gain action of the exact amount
        assert result is Result.PASS
        assert actions == [
            {
                "account": "4890",
                "amount": str(over),
                "currency": "EUR",
                "direction": "gain",
                "invoice": "I",
                "payment": "P",
            }
        ]
    else:
        assert result is Result.FAIL
        assert actions == []


@settings(max_examples=150, deadline=None)
@given(invoice=st.decimals(min_value=1, max_value=10**6, places=2), short=amounts)
def test_underpayment_inside_tolerance_is_written_off_outside_it_blocks(
    invoice: Decimal, short: Decimal
) -> None:
    result, actions = _decide(str(invoice), str(invoice - short))
    allowed = min(Decimal("10.00"), (invoice / 100).quantize(Decimal("0.01"), "ROUND_DOWN"))
    if short == 0:
        assert (result, actions) == (Result.PASS, [])
    elif short <= allowed:
        assert result is Result.PASS
        assert [a["direction"] for a in actions] == ["loss"]
        assert actions[0]["amount"] == str(short)
    else:
        assert (result, actions) == (Result.FAIL, [])
