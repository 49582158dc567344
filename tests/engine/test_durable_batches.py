"""Several cases in one engine session give exactly what each case gives on its own.

The durable driver puts cases together in one session (to share its set-up)
and joins every pattern to the trigger of its own case. These tests show that a
fact of one case never satisfies, or blocks, a pattern of another: positive
joins, negations and the evaluation row included, for generated packs and for
the default pack, with sessions split at the size limit.
"""

from __future__ import annotations

import random
from typing import Any

import ir_strategies as S
import o2c_cases
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.engine import durable as driver
from handoff_rules.engine.base import canonical_matches
from handoff_rules.engine.reference import ReferenceBackend

pytestmark = pytest.mark.skipif(
    not driver.available(), reason="durable_rules cannot be imported here"
)

from handoff_rules.engine.durable import (  # noqa: E402
    CompiledRuleset,
    FactValueError,
    Firing,
    session,
)

RELEASE_WITHOUT_POA = {
    "no_poa": {
        "all": [
            {"req": {"t": "release"}},
            {
                "poa$not": {
                    "$and": [
                        {"t": "poa"},
                        {"customer": {"req": "customer"}},
                        {"$gte": {"valid_until": {"req": "date"}}},
                    ]
                }
            },
        ]
    },
    "late": {
        "all": [
            {"req": {"t": "release"}},
            {"inv": {"$and": [{"t": "invoice"}, {"$lt": {"day": {"req": "date"}}}]}},
        ]
    },
}


def _summary(firings: list[Firing]) -> list[tuple[str, dict[str, int]]]:
    return [(f.rule, dict(f.positions)) for f in firings]


@pytest.fixture(scope="module")
def ruleset() -> CompiledRuleset:
    return CompiledRuleset("test-batches@1.0.0", RELEASE_WITHOUT_POA)


def test_a_fact_of_another_case_neither_satisfies_nor_blocks(ruleset: CompiledRuleset) -> None:
    covered = [
        {"t": "release", "customer": "C1", "date": 100},
        {"t": "poa", "customer": "C1", "valid_until": 200},
    ]
    uncovered = [{"t": "release", "customer": "C1", "date": 100}]  # same customer, no PoA
    invoice_only = [{"t": "invoice", "day": 5}]  # would be "late" against any release
    cases = [covered, uncovered, invoice_only, uncovered]
    together = ruleset.evaluate_many(cases)
    alone = [ruleset.evaluate(case) for case in cases]
    assert [_summary(f) for f in together] == [_summary(f) for f in alone]
    assert [_summary(f) for f in together] == [
        [],
        [("no_poa", {"req": 0})],
        [],
        [("no_poa", {"req": 0})],
    ]
    # Firings hand back the caller's own fact objects, of the right case.
    assert together[3][0].matches["req"] is uncovered[0]


def test_sessions_split_at_the_size_limit_and_a_large_case_gets_its_own(
    ruleset: CompiledRuleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session, "MAX_SESSION_FACTS", 8)
    small = [{"t": "release", "customer": "C2", "date": 10}, {"t": "invoice", "day": 3}]
    large = [{"t": "invoice", "day": d} for d in range(20)]
    large.append({"t": "release", "customer": "C3", "date": 15})
    cases: list[list[dict[str, Any]]] = [small, small, large, small, [], small]
    sessions = session.group_into_sessions(cases, ruleset.keys)
    assert [(s.first_case, s.cases) for s in sessions] == [(0, 2), (2, 1), (3, 3)]
    together = ruleset.evaluate_many(cases)
    assert [_summary(f) for f in together] == [_summary(ruleset.evaluate(c)) for c in cases]
    assert len(together[2]) == 1 + 15  # no_poa, and late for the 15 invoices before day 15


def test_a_refused_value_names_its_case_and_nothing_is_evaluated(
    ruleset: CompiledRuleset,
) -> None:
    good = [{"t": "release", "customer": "C1", "date": 100}]
    bad = [{"t": "invoice", "day": 1.5e-07}]
    with pytest.raises(FactValueError, match=r"^case 1, fact 0, key 'day': ") as caught:
        ruleset.evaluate_many([good, bad])
    assert (caught.value.case, caught.value.index) == (1, 0)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pack=S.packs(), seed=st.integers(0, 2**32), limit=st.sampled_from([1, 9, 40, 256]))
def test_batched_durable_matches_equal_the_reference_case_by_case(
    pack: Any, seed: int, limit: int
) -> None:
    from handoff_rules.engine.durable_backend import DurableBackend

    rng = random.Random(seed)
    name = S.ruleset_name(pack)
    durable = DurableBackend(name, pack)
    reference = ReferenceBackend(name, pack)
    cases = [S.random_case(rng) for _ in range(rng.randint(1, 30))]
    original = session.MAX_SESSION_FACTS
    session.MAX_SESSION_FACTS = limit  # hypothesis forbids function-scoped fixtures
    try:
        batched = durable.matches_many(cases)
    finally:
        session.MAX_SESSION_FACTS = original
    for rows, found in zip(cases, batched, strict=True):
        assert canonical_matches(found) == canonical_matches(reference.matches(rows)), rows


def test_evaluate_many_gives_the_decisions_of_evaluate_on_the_default_pack() -> None:
    from handoff_rules.engine.evaluate import make_evaluator

    pack = o2c_cases.pack()
    items = [o2c_cases.case(7, n) for n in range(300)]
    for backend in ("durable", "reference"):
        evaluator = make_evaluator(pack, backend)
        many = [[d.to_json() for d in ds] for ds in evaluator.evaluate_many(items)]
        one_by_one = [[d.to_json() for d in evaluator.evaluate(c, at)] for c, at in items]
        assert many == one_by_one, backend
        assert sum('"outcome":"block"' in d for ds in many for d in ds) > 0
