"""Derivers read a case indexed once; the index must select what a plain scan selects.

``run_builtin`` groups a case's facts by class in one pass and hands the
groups to every deriver. The plain definitions below (scan the case, test
``isinstance``, take the first counterparty of an id, the last invoice of an
id) are what the derivers used to do fact by fact; the index and the faster
tolerance arithmetic must agree with them exactly.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.cases import Case
from handoff_rules.engine.derive import BUILTIN_DERIVERS, _CaseFacts, run_builtin
from handoff_rules.engine.tolerance import Direction, ToleranceLimit, ToleranceTable
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import (
    Counterparty,
    Delivery,
    Document,
    Invoice,
    Money,
    OpenItem,
    Order,
    Payment,
)
from handoff_rules.testing import strategies as model

HERE = Provenance("test", "t.csv", "line 1", line=1)
PARAMS: dict[str, Any] = {
    "poa_default_term_days": 365,
    "payment_tolerance": ToleranceTable.from_levels(
        {
            "": {
                "loss": {c: ToleranceLimit(Money("10", c), Decimal("1.0")) for c in ("EUR", "CZK")},
                "gain": {"EUR": ToleranceLimit(None, Decimal("0.5"))},
            },
            "KEY": {"loss": {"EUR": ToleranceLimit(Money("0.50", "EUR"))}},
        }
    ),
}
RELAXED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@attrs.frozen(slots=True)
class PickupDelivery(Delivery):
    """A subclass of a model class: derived as what it is a subclass of."""

    dock: str | None = None


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Cases whose ids collide: several orders, parties and invoices of one id."""
    kinds = st.sampled_from(["order", "counterparty", "invoice", "payment", "open_item"])
    facts = draw(st.lists(kinds.flatmap(model.facts), max_size=14))
    facts += draw(st.lists(model.facts("document"), max_size=3))
    for delivery in draw(st.lists(model.deliveries(), max_size=2)):
        subclass = draw(st.booleans())
        data = PickupDelivery(**attrs.asdict(delivery, recurse=False)) if subclass else delivery
        facts.append(Fact(data, HERE))
    facts = draw(st.permutations(facts))
    return Case(draw(st.sampled_from(model.ORDER_IDS)), tuple(facts))


def _scan(case: Case, cls: type) -> list[tuple[Fact, Any]]:
    return [(f, f.data) for f in case.facts if isinstance(f.data, cls)]


@RELAXED
@given(cases())
def test_the_index_selects_what_a_scan_selects(case: Case) -> None:
    facts = _CaseFacts(case)
    assert facts.orders == _scan(case, Order)
    assert facts.deliveries == _scan(case, Delivery)
    assert facts.documents == _scan(case, Document)
    assert facts.invoices == _scan(case, Invoice)
    assert facts.payments == _scan(case, Payment)
    assert facts.open_items == _scan(case, OpenItem)
    assert facts.parties == _scan(case, Counterparty)
    for party_id in (*model.PARTY_IDS, None, "nobody"):
        first = next((d for _, d in _scan(case, Counterparty) if d.id == party_id), None)
        assert facts.party(party_id) is first
    ids = sorted({d.counterparty_id for _, d in _scan(case, Order) if d.counterparty_id})
    assert facts.case_party_id() == (ids[0] if ids else None)


@RELAXED
@given(cases(), st.dates())
def test_all_derivers_at_once_give_what_each_gives_alone(case: Case, at: date) -> None:
    names = sorted(BUILTIN_DERIVERS)
    one_by_one = [f for name in names for f in BUILTIN_DERIVERS[name].derive(case, at, PARAMS)]
    together = run_builtin(list(reversed(names)), case, at, PARAMS)
    assert together == one_by_one
    assert [repr(f) for f in together] == [repr(f) for f in one_by_one]


def _fact(data: object) -> Fact:
    return Fact(data, HERE)  # type: ignore[arg-type]


def _payment_case(*facts: object) -> list[Fact]:
    case = Case("4711", tuple(_fact(d) for d in facts))
    return run_builtin(["payment_difference"], case, date(2024, 6, 1), PARAMS)


def test_the_last_invoice_of_an_id_and_the_first_party_of_an_id_count() -> None:
    derived = _payment_case(
        Order("4711", counterparty_id="C1"),
        Counterparty("C1", customer_group="KEY"),
        Counterparty("C1"),
        Invoice("I", counterparty_id="C1", open_amount=Money("100.00", "EUR")),
        Invoice("I", counterparty_id="C1", open_amount=Money("103.00", "EUR")),
        Payment("P", Money("100.00", "EUR"), invoice_id="I"),
    )
    values = dict(derived[0].data.values)  # type: ignore[union-attr]
    assert values["open_minor"] == 10300
    assert values["allowed"] == "0.50"  # the first C1 is in group KEY; the company allows 1.03
    assert values["difference"] == "3.00"


def test_credit_exposure_reads_the_first_party_and_the_open_items_of_its_id() -> None:
    case = Case(
        "4711",
        tuple(
            _fact(d)
            for d in (
                Order("4711", counterparty_id="C1", net_value=Money("10.00", "EUR")),
                Counterparty("C1", credit_limit=Money("500.00", "EUR")),
                Counterparty("C1", credit_limit=Money("1.00", "EUR")),
                OpenItem("O1", "C1", Money("5.50", "EUR")),
                OpenItem("O2", "C2", Money("7.00", "EUR")),
                OpenItem("O3", "C1", Money("1.00", "EUR"), cleared_on=date(2024, 1, 1)),
            )
        ),
    )
    (fact,) = run_builtin(["credit_exposure"], case, date(2024, 6, 1), PARAMS)
    values = dict(fact.data.values)  # type: ignore[union-attr]
    assert values["limit_minor"] == 50000
    assert values["exposure"] == "15.50 EUR"


# --- tolerance: the same answers as the plain minimum --------------------------------

AMOUNTS = st.decimals(min_value=0, max_value=10**9, places=2)
PERCENTS = st.none() | st.decimals(min_value=0, max_value=200, places=3)


def _plain_allowed(limit: ToleranceLimit, base: Money) -> Money | None:
    candidates = [] if limit.amount is None else [limit.amount]
    if limit.percent is not None:
        raw = abs(base.amount) * limit.percent / Decimal(100)
        candidates.append(Money.rounded(raw, base.currency, ROUND_DOWN))
    return min(candidates, key=lambda m: m.amount) if candidates else None


@settings(max_examples=300, deadline=None)
@given(
    amount=st.none() | AMOUNTS,
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    percent=PERCENTS,
    base=st.decimals(min_value=-(10**9), max_value=10**9, places=0),
)
def test_a_limit_allows_the_lower_of_amount_and_percent(
    amount: Decimal | None, currency: str, percent: Decimal | None, base: Decimal
) -> None:
    # the limit's amount may be in another currency than the open amount: it still counts
    limit = ToleranceLimit(None if amount is None else Money(amount, "EUR"), percent)
    money = Money(base, currency)
    expected = _plain_allowed(limit, money)
    got = limit.allowed(money)
    assert got == expected
    assert repr(got) == repr(expected)
    assert got is None or expected is None or got.amount.as_tuple() == expected.amount.as_tuple()


def test_a_tie_keeps_the_limit_amount_and_a_huge_percent_part_is_still_an_error() -> None:
    limit = ToleranceLimit(Money("1.00", "EUR"), Decimal("1"))
    assert limit.allowed(Money("100.00", "EUR")) is limit.amount
    huge = ToleranceLimit(Money("1.00", "EUR"), Decimal("1E+30"))
    outcome: list[object] = []
    for allowed in (huge.allowed, lambda base: _plain_allowed(huge, base)):
        try:
            outcome.append(allowed(Money("5", "EUR")))
        except ValueError as error:
            outcome.append((type(error), str(error)))
    assert outcome[0] == outcome[1]


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["", "KEY", "OTHER"]),
            st.sampled_from(list(Direction)),
            st.sampled_from(["EUR", "CZK"]),
            st.builds(ToleranceLimit, st.none() | AMOUNTS.map(lambda a: Money(a, "EUR")), PERCENTS),
        ),
        max_size=8,
    ),
    direction=st.sampled_from([*Direction, "loss"]),
    currency=st.sampled_from(["EUR", "CZK", "USD"]),
    group=st.sampled_from([None, "", "KEY", "OTHER"]),
)
def test_the_limits_that_apply_are_those_a_scan_finds(
    rows: list[tuple[str, Direction, str, ToleranceLimit]],
    direction: Direction,
    currency: str,
    group: str | None,
) -> None:
    table = ToleranceTable(tuple(rows))
    wanted = {"", group} if group else {""}
    expected = [
        limit
        for level, side, cur, limit in rows
        if level in wanted and side is direction and cur == currency
    ]
    assert table.limits(direction, currency, group) == expected
    # the index is not part of equality, hashing or repr
    assert table == ToleranceTable(tuple(rows))
    assert hash(table) == hash(ToleranceTable(tuple(rows)))
    assert repr(table) == f"ToleranceTable(levels={tuple(rows)!r})"
