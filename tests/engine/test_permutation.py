"""Order independence on both backends, and byte-identical repeated evaluation.

durable_rules fires negations by arrival order unless the trigger-first
protocol is kept (``engine/durable_rules.md`` §2), so the order of a case's
facts is permuted here on purpose, at two levels: the flat rows a backend
matches (generated packs) and the facts of a case (the default pack, full
decisions).
"""

from __future__ import annotations

import random

import ir_strategies as S
import o2c_cases as O2C
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.cases import Case
from handoff_rules.decision import canonical_json, decisions_document
from handoff_rules.engine import durable as driver
from handoff_rules.engine.base import Match, canonical_matches
from handoff_rules.engine.reference import ReferenceBackend

DURABLE = driver.available()


def _backends(pack):  # type: ignore[no-untyped-def]
    name = S.ruleset_name(pack)
    backends = [ReferenceBackend(name, pack)]
    if DURABLE:
        from handoff_rules.engine.durable_backend import DurableBackend

        backends.append(DurableBackend(name, pack))
    return backends


def _unpermuted(matches: list[Match], order: list[int]) -> list[Match]:
    """Matches over permuted rows, with row indexes translated back to the original rows."""
    return canonical_matches(
        Match(m.rule, m.clause, order[m.subject], tuple(order[i] for i in m.bound)) for m in matches
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pack=S.packs(), seed=st.integers(0, 2**32))
def test_permuting_rows_never_changes_the_matches(pack, seed) -> None:
    rng = random.Random(seed)  # one draw: hypothesis records every call of its own Random
    for backend in _backends(pack):
        for _ in range(10):
            rows = S.random_case(rng)
            expected = canonical_matches(backend.matches(rows))
            for _ in range(3):
                order = list(range(len(rows)))
                rng.shuffle(order)
                permuted = [rows[i] for i in order]
                assert _unpermuted(backend.matches(permuted), order) == expected, (
                    backend.name,
                    rows,
                    order,
                )


# --- the default pack, whole decisions ------------------------------------------------


def _evaluators():  # type: ignore[no-untyped-def]
    from handoff_rules.engine.evaluate import make_evaluator

    pack = O2C.pack()
    names = ["reference", "durable"] if DURABLE else ["reference"]
    return [make_evaluator(pack, name) for name in names]


@pytest.fixture(scope="module")
def evaluators():  # type: ignore[no-untyped-def]
    return _evaluators()


def _document(evaluator, case: Case, at) -> str:  # type: ignore[no-untyped-def]
    return canonical_json(decisions_document(evaluator.evaluate(case, at)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=st.integers(0, 10**6), seed=st.integers(0, 2**32))
def test_permuting_a_cases_facts_never_changes_its_decisions(evaluators, number, seed) -> None:
    rng = random.Random(seed)  # one draw: hypothesis records every call of its own Random
    case, at = O2C.case(7, number)
    documents = {e.backend: _document(e, case, at) for e in evaluators}
    for evaluator in evaluators:
        for _ in range(3):
            facts = list(case.facts)
            rng.shuffle(facts)
            permuted = Case(id=case.id, facts=tuple(facts))
            assert _document(evaluator, permuted, at) == documents[evaluator.backend]
    assert len(set(documents.values())) == 1, "backends disagree"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=st.integers(0, 10**6))
def test_evaluating_twice_gives_byte_identical_json(evaluators, number) -> None:
    case, at = O2C.case(11, number)
    for evaluator in evaluators:
        first = _document(evaluator, case, at).encode()
        assert _document(evaluator, case, at).encode() == first
