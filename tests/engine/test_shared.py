"""Cases sharing a customer's facts: the shared path decides exactly as the whole case.

``PackEvaluator.evaluate_many`` evaluates cases laid out by ``build_cases``
through :mod:`handoff_rules.engine.shared`: a customer's facts are derived,
flattened and indexed once per run, and each case keeps only the shared rows
a rule can read. ``PackEvaluator.evaluate`` still evaluates every case whole,
so it is the reference path here: on generated fact sets where several
orders share customers with powers of attorney, contracts, documents, open
items and credit limits of every shape, both paths give equal decisions (the
same findings, messages, sources and actions, in the same order), on both
engines.
"""

from __future__ import annotations

import collections
import contextlib
import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from importlib.resources import files

import attrs
import o2c_cases
import pytest
import shared_customers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.cases import Case, build_cases
from handoff_rules.engine import shared
from handoff_rules.engine.derive import DeriveMemo, run_builtin, run_builtin_parts
from handoff_rules.engine.evaluate import PackEvaluator, durable_available, make_evaluator
from handoff_rules.engine.flatten import FlatCase
from handoff_rules.facts import Fact, Provenance, Reject, fact_sort_key
from handoff_rules.model import (
    CompanyId,
    ContractStatus,
    ContractTemplate,
    Counterparty,
    CreditLimit,
    Delivery,
    Document,
    DocumentForm,
    DocumentKind,
    Invoice,
    Money,
    OpenItem,
    Opportunity,
    OpportunityLink,
    Order,
    Payment,
    PoaTerms,
)
from handoff_rules.plugins import default_plugin_manager
from handoff_rules.policy.pack import Pack, load_pack

ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])
DAY = date(2024, 3, 1)
NAMES = ("Ivan Petrov", "Anna Novakova", "Piotr Nowak")

_packs: dict[str, Pack] = {}
_evaluators: dict[tuple[str, str], PackEvaluator] = {}


def _pack(version: str) -> Pack:
    if version not in _packs:
        _packs[version] = load_pack(files("handoff_rules.packs") / "o2c-standard" / version)
    return _packs[version]


def _evaluator(engine: str, version: str = "1.1.0") -> PackEvaluator:
    key = (engine, version)
    if key not in _evaluators:
        _evaluators[key] = make_evaluator(_pack(version), engine, default_plugin_manager())
    return _evaluators[key]


class _Facts:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.facts: list[Fact] = []

    def add(self, data: object) -> None:
        line = len(self.facts) + 1
        where = Provenance(
            "test", f"gen/{self.rng.randint(1, 3)}.jsonl", f"line {line}", None, line
        )
        self.facts.append(Fact(data=data, provenance=where))  # type: ignore[arg-type]

    def day(self, spread: int = 40) -> date:
        return DAY + timedelta(days=self.rng.randint(-spread, spread))

    def maybe(self, value: object, p: float = 0.8) -> object:
        return value if self.rng.random() < p else None


def shared_facts(seed: int) -> list[Fact]:
    """A few customers, several orders each, and customer facts of every shape."""
    rng = random.Random(seed)
    b = _Facts(rng)
    parties = [f"C{n}" for n in range(rng.randint(1, 3))]
    for version, superseded in (("1", DAY - timedelta(days=30)), ("2", None)):
        if rng.random() < 0.8:
            b.add(ContractTemplate("SUPPLY", version, DAY - timedelta(days=900), superseded))
    for party in parties:
        for _ in range(rng.choice((0, 1, 1, 2))):  # two sources may both describe a customer
            b.add(
                Counterparty(
                    id=party,
                    name=f"Customer {party}",
                    country=rng.choice(("RU", "CZ")),
                    identifiers=rng.choice(((CompanyId("RU-INN", "7707083893"),), ())),
                    credit_limit=b.maybe(Money.from_minor(rng.randint(1, 90) * 10**6, "RUB")),  # type: ignore[arg-type]
                    customer_group=rng.choice((None, "KEY")),
                )
            )
        if rng.random() < 0.4:
            b.add(
                CreditLimit(
                    counterparty_id=party,
                    limit=Money.from_minor(rng.randint(1, 90) * 10**6, rng.choice(("RUB", "EUR"))),
                    valid_until=b.maybe(b.day()),  # type: ignore[arg-type]
                )
            )
        for number in range(rng.randint(0, 3)):
            _contract(b, party, f"K-{party}-{number}")
        # few, or enough that the index of a customer's PoAs by validity comes into play
        for number in range(rng.choice((rng.randint(0, 8), rng.randint(20, 60)))):
            _poa(b, party, f"POA-{party}-{number}", None)
        for number in range(rng.randint(0, 5)):
            b.add(
                OpenItem(
                    id=f"OI-{party}-{number}",
                    counterparty_id=party,
                    amount=Money.from_minor(
                        rng.randint(-50, 300) * 10_000, rng.choice(("RUB",) * 5 + ("EUR",))
                    ),
                    cleared_on=b.maybe(b.day(), 0.5),  # type: ignore[arg-type]
                )
            )
        for number in range(rng.randint(0, 2)):  # customer documents naming no order
            b.add(
                Document(
                    id=f"DN-{party}-{number}",
                    kind=rng.choice((DocumentKind.DELIVERY_NOTE, DocumentKind.UPD)),
                    counterparty_id=party,
                    form=b.maybe(rng.choice(tuple(DocumentForm))),  # type: ignore[arg-type]
                    final_received_on=b.maybe(b.day()),  # type: ignore[arg-type]
                )
            )
        if rng.random() < 0.3:  # an invoice and a delivery of the customer naming no order
            b.add(
                Invoice(
                    id=f"INV-{party}",
                    counterparty_id=party,
                    total=Money.from_minor(rng.randint(1, 9) * 10_000, "RUB"),
                )
            )
            b.add(
                Delivery(id=f"DL-{party}", counterparty_id=party, receiver_name=rng.choice(NAMES))
            )
        if rng.random() < 0.3:
            b.add(
                Payment(
                    id=f"PAY-{party}",
                    amount=Money.from_minor(rng.randint(1, 9) * 10_000, "RUB"),
                    counterparty_id=party,
                    invoice_id=rng.choice((f"INV-{party}", "INV-NONE", None)),
                )
            )
    for number in range(rng.randint(1, 10)):
        _order(b, rng.choice((*parties, None)) if parties else None, f"SO-{number}")
    rng.shuffle(b.facts)
    return b.facts


def _contract(b: _Facts, party: str, doc_id: str) -> None:
    start = b.day(400)
    b.add(
        Document(
            id=doc_id,
            kind=DocumentKind.CONTRACT,
            counterparty_id=party,
            form=b.maybe(b.rng.choice(tuple(DocumentForm))),  # type: ignore[arg-type]
            status=b.rng.choice(
                (ContractStatus.SIGNED, ContractStatus.SIGNED, ContractStatus.DRAFT)
            ),
            signed_on=b.maybe(start),  # type: ignore[arg-type]
            valid_from=b.maybe(start, 0.9),  # type: ignore[arg-type]
            valid_until=b.maybe(start + timedelta(days=b.rng.choice((30, 365, 700)))),  # type: ignore[arg-type]
            auto_renewal=b.rng.choice((None, False, True)),
            has_electronic_exchange_clause=b.rng.choice((None, False, True)),
            template_id=b.maybe("SUPPLY"),  # type: ignore[arg-type]
            template_version=b.rng.choice(("1", "2", "3")),
        )
    )


def _poa(b: _Facts, party: str | None, doc_id: str, order_id: str | None) -> None:
    issued = b.maybe(b.day(), 0.9)
    until = b.rng.choice((None, 0, 14, 15, 16, 30, 400))
    b.add(
        Document(
            id=doc_id,
            kind=DocumentKind.POWER_OF_ATTORNEY,
            counterparty_id=party,
            order_id=order_id,
            form=DocumentForm.ORIGINAL,
            issued_on=issued,  # type: ignore[arg-type]
            valid_from=b.maybe(issued, 0.2),  # type: ignore[arg-type]
            valid_until=issued + timedelta(days=until) if issued and until is not None else None,  # type: ignore[operator]
            poa=b.maybe(
                PoaTerms(
                    holder_name=b.rng.choice(NAMES),
                    revoked_on=b.maybe(b.day(), 0.15),  # type: ignore[arg-type]
                    consumed=b.rng.random() < 0.1,
                ),
                0.95,
            ),  # type: ignore[arg-type]
        )
    )


def _order(b: _Facts, party: str | None, order_id: str) -> None:
    rng = b.rng
    currency = rng.choice(("RUB", "RUB", "RUB", "EUR"))
    net = rng.randint(1, 500) * 10_000
    b.add(
        Order(
            id=order_id,
            counterparty_id=party,
            order_date=b.maybe(b.day(), 0.95),  # type: ignore[arg-type]
            net_value=b.maybe(Money.from_minor(net, currency), 0.95),  # type: ignore[arg-type]
            currency=currency,
            customer_po_ref=b.maybe("PO"),  # type: ignore[arg-type]
            ship_to=party,
            payer=party,
            incoterm="DAP",
            payment_terms=b.maybe("NT30"),  # type: ignore[arg-type]
            payment_days=30,
            discount_pct=Decimal(0),
            contact_person_id="P1",
            owner="novak",
        )
    )
    for number in range(rng.choice((0, 1, 1, 2))):
        b.add(
            Delivery(
                id=f"DL-{order_id}-{number}",
                order_id=order_id,
                counterparty_id=b.maybe(party),  # type: ignore[arg-type]
                release_date=b.maybe(b.day(), 0.9),  # type: ignore[arg-type]
                planned_date=b.maybe(b.day(), 0.5),  # type: ignore[arg-type]
                receiver_name=b.maybe(
                    rng.choice(NAMES).upper() if rng.random() < 0.2 else rng.choice(NAMES), 0.9
                ),  # type: ignore[arg-type]
            )
        )
    if rng.random() < 0.2:
        _poa(b, party, f"POA-{order_id}", order_id)
    if rng.random() < 0.7:
        b.add(
            Invoice(
                id=f"INV-{order_id}",
                order_id=order_id,
                counterparty_id=party,
                total=Money.from_minor(net, currency),
            )
        )
        if rng.random() < 0.7:
            b.add(
                Payment(
                    id=f"PAY-{order_id}",
                    amount=Money.from_minor(net - rng.choice((0, 100, 5000)), currency),
                    counterparty_id=party,
                    invoice_id=f"INV-{order_id}",
                )
            )
    if rng.random() < 0.6:
        b.add(
            Document(
                id=f"D-{order_id}",
                kind=rng.choice((DocumentKind.DELIVERY_NOTE, DocumentKind.VAT_INVOICE)),
                counterparty_id=party,
                order_id=order_id,
                form=b.maybe(rng.choice(tuple(DocumentForm))),  # type: ignore[arg-type]
                final_received_on=b.maybe(b.day()),  # type: ignore[arg-type]
            )
        )
    if party is not None and rng.random() < 0.2:
        b.add(
            Opportunity(
                id=f"OPP-{order_id}",
                name="Deal",
                account_id=party,
                is_won=True,
                amount=Money.from_minor(net + rng.choice((0, 100)), currency),
                payment_terms="NT30",
            )
        )
        b.add(
            OpportunityLink(
                opportunity_id=f"OPP-{order_id}",
                order_id=order_id,
                via="crm",
                counterparty_id=party,
            )
        )


def _both_paths(evaluator: PackEvaluator, cases: tuple[Case, ...], rng: random.Random) -> int:
    items = [(case, DAY + timedelta(days=rng.choice((0, 0, 20)))) for case in cases]
    shared = list(evaluator.evaluate_many(items))
    whole = [evaluator.evaluate(case, at) for case, at in items]
    for (case, _), got, expected in zip(items, shared, whole, strict=True):
        assert [d.to_dict() for d in got] == [d.to_dict() for d in expected], case.id
        assert got == expected
    return len(items)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32))
def test_shared_customers_are_decided_as_whole_cases(engine: str, seed: int) -> None:
    rng = random.Random(seed)
    facts = shared_facts(seed)
    rejects = []
    if rng.random() < 0.2:  # a rejected open item of a customer: its orders cannot decide
        rejects.append(
            Reject(
                reason="amount: not a number",
                provenance=Provenance("test", "gen/open_items.csv", "line 9", None, 9),
                type="open_item",
                keys={"counterparty": "C0"},
            )
        )
    cases = build_cases(facts, rejects).cases
    assert cases
    with _long_rows(rng.choice((shared.LONG_ROWS, 0))):  # 0: most PoAs found by validity
        _both_paths(_evaluator(engine, rng.choice(("1.0.0", "1.1.0"))), cases, rng)


@contextlib.contextmanager
def _long_rows(count: int) -> Iterator[None]:
    saved = shared.LONG_ROWS
    shared.LONG_ROWS = count
    try:
        yield
    finally:
        shared.LONG_ROWS = saved


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), count=st.integers(2, 40))
def test_pooled_generated_orders_are_decided_as_whole_cases(
    engine: str, seed: int, count: int
) -> None:
    # the engine tests' generated cases, pooled: their customers (C1..C50, each
    # described by several sources) now hold the facts of all their orders
    rng = random.Random(seed)
    facts = [_fewer_customers(f) for n in range(count) for f in o2c_cases.case(seed, n)[0].facts]
    _both_paths(_evaluator(engine), build_cases(facts).cases, rng)


def _fewer_customers(fact: Fact) -> Fact:
    """The fact with customer C<n> as C<n mod 3>: many orders share one customer."""
    data = fact.data
    fields = {a.name for a in attrs.fields(type(data))}
    changes = {}
    for name in ("counterparty_id", "account_id", "ship_to", "payer"):
        value = getattr(data, name, None) if name in fields else None
        if isinstance(value, str) and value[1:].isdigit():
            changes[name] = f"C{int(value[1:]) % 3}"
    if isinstance(data, Counterparty):
        changes["id"] = f"C{int(data.id[1:]) % 3}"
    if not changes:
        return fact
    return attrs.evolve(fact, data=attrs.evolve(data, **changes))  # type: ignore[misc]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_bench_s_customers_are_decided_as_whole_cases(engine: str) -> None:
    cases = build_cases(shared_customers.generate(3, 60)).cases
    with _long_rows(0):
        assert _both_paths(_evaluator(engine), cases, random.Random(1)) == 180


def test_a_case_holds_only_the_shared_rows_its_rules_can_read() -> None:
    # Four times the orders per customer, over the same years: a case's flat rows
    # barely grow (the powers of attorney that can cover its release), while the
    # facts it was built with grow fourfold.
    evaluator = _evaluator("reference")
    sizes = {}
    for orders in (40, 160):
        cases = build_cases(shared_customers.generate(2, orders)).cases
        work = evaluator.shared_work()
        flats = [work.prepare(case, shared_customers.AT) for case in cases]
        assert all(isinstance(flat, FlatCase) for flat in flats)
        rows = [len(flat.rows) for flat in flats]  # type: ignore[union-attr]
        sizes[orders] = (sum(rows) / len(rows), sum(len(c.facts) for c in cases) / len(cases))
    (rows_small, facts_small), (rows_large, facts_large) = sizes[40], sizes[160]
    assert facts_large > 3.5 * facts_small
    assert rows_large < 1.2 * rows_small
    assert rows_small < 25


def test_shared_derived_facts_are_those_of_the_whole_case() -> None:
    facts = shared_facts(7) + shared_customers.generate(2, 10)
    params = _pack("1.1.0").param_values()
    names = ["credit_exposure", "goods_release", "payment_difference", "poa_terms"]
    memo = DeriveMemo()
    for case in build_cases(facts).cases:
        assert case.layout is not None
        own, blocks = run_builtin_parts(
            names, case, case.layout.own, case.layout.shared, DAY, params, memo
        )
        parts = [*own, *(f for block in blocks for f in block)]
        whole = run_builtin(names, case, DAY, params)
        assert collections.Counter(map(_text, parts)) == collections.Counter(map(_text, whole))


def _text(fact: Fact) -> str:
    return repr(fact_sort_key(fact)[:-1]) + fact_sort_key(fact)[-1].text()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_a_layout_is_the_case_s_facts_split_into_own_and_shared(seed: int) -> None:
    cases = build_cases(shared_facts(seed)).cases
    for case in cases:
        layout = case.layout
        assert layout is not None
        assert layout.describes(case.facts)
        assert list(case.facts) == sorted(case.facts, key=fact_sort_key)
        split = [*layout.own, *(f for block in layout.shared for f in block)]
        assert sorted(map(id, split)) == sorted(map(id, case.facts))
    blocks = [block for case in cases for block in case.layout.shared]  # type: ignore[union-attr]
    by_content = {tuple(map(id, block)): block for block in blocks}
    for block in blocks:  # one tuple per customer, not a copy per order
        assert by_content[tuple(map(id, block))] is block


def test_a_case_whose_facts_were_replaced_is_evaluated_whole() -> None:
    case = build_cases(shared_customers.generate(1, 5)).cases[0]
    changed = attrs.evolve(case, facts=tuple(case.facts[:-1]))
    assert changed.layout is not None
    assert not changed.layout.describes(changed.facts)
    assert _evaluator("reference").shared_work().prepare(changed, DAY) is None


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_plugin_derivers_find_on_the_own_facts_what_they_find_on_all(seed: int) -> None:
    # the installed plugins' derivers read Case.own_facts: the case's order, its
    # deliveries and its linked opportunity are all there
    pm = default_plugin_manager()
    for case in build_cases(shared_facts(seed)).cases:
        assert case.layout is not None
        whole = attrs.evolve(case, layout=None)  # own_facts: every fact
        assert len(whole.own_facts) == len(case.facts)
        assert len(case.own_facts) == len(case.layout.own)
        got = pm.hook.handoff_rules_derive_facts(case=case, at=DAY)
        expected = pm.hook.handoff_rules_derive_facts(case=whole, at=DAY)
        assert got == expected
