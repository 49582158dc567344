"""The one canonical order of facts, and the fast path that finds it.

Every decision rests on this order not depending on arrival order: the engine
(derived facts) and the flattener (flat rows) both take it from
:func:`handoff_rules.facts.canonical_order`, whose fast path sorts by a cheap
prefix and must give exactly ``sorted(facts, key=fact_sort_key)``.
"""

from __future__ import annotations

import random
from datetime import date

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.cases import Case
from handoff_rules.engine import evaluate
from handoff_rules.engine.flatten import flatten_case
from handoff_rules.facts import (
    Fact,
    Provenance,
    canonical_order,
    fact_sort_key,
    fact_sort_prefix,
)
from handoff_rules.model import Order
from handoff_rules.testing import strategies as model

RELAXED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def crowded(draw: st.DrawFn) -> list[Fact]:
    """Facts of which some share a place: copies, the same object, other data there."""
    facts = draw(st.lists(model.facts(), max_size=12))
    extra: list[Fact] = []
    for fact in facts:
        how = draw(st.sampled_from(["none", "copy", "same object", "same place", "same key"]))
        if how == "copy":
            extra.append(Fact(fact.data, attrs.evolve(fact.provenance)))
        elif how == "same object":
            extra.append(fact)
        elif how == "same place":
            extra.append(Fact(draw(model.fact_data(fact.type)), fact.provenance))
        elif how == "same key":
            # same prefix, other provenance fields: only the content tells them apart
            other = attrs.evolve(fact.provenance, adapter=fact.provenance.adapter + "-2")
            extra.append(Fact(fact.data, other))
    crowd = facts + extra
    random.Random(draw(st.integers(0, 2**32))).shuffle(crowd)
    return crowd


@RELAXED
@given(crowded())
def test_the_fast_path_gives_the_total_order(facts: list[Fact]) -> None:
    got = canonical_order(facts)
    expected = sorted(facts, key=fact_sort_key)
    # the very same objects in the very same places, equal copies included
    assert len(got) == len(expected)
    assert all(a is b for a, b in zip(got, expected, strict=True))


@RELAXED
@given(crowded(), st.randoms(use_true_random=False))
def test_the_order_does_not_depend_on_arrival_order(facts: list[Fact], rnd: random.Random) -> None:
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    assert canonical_order(shuffled) == canonical_order(facts)
    assert canonical_order(tuple(shuffled)) == canonical_order(iter(facts))


@RELAXED
@given(crowded())
def test_the_key_is_a_total_order_on_what_a_fact_holds(facts: list[Fact]) -> None:
    ordered = canonical_order(facts)
    keys = [fact_sort_key(f) for f in ordered]
    for i in range(1, len(ordered)):
        a, b, ka, kb = ordered[i - 1], ordered[i], keys[i - 1], keys[i]
        assert not kb < ka
        # equal keys only for equal facts: which of two comes first changes nothing
        assert (ka == kb) is (a == b)


@RELAXED
@given(crowded(), model.dates())
def test_engine_and_flattener_use_the_one_order(facts: list[Fact], at: date) -> None:
    ordered = canonical_order(facts)
    assert flatten_case(facts, at).facts == (*ordered, None)
    assert evaluate._canonical(Case("4711", tuple(facts))).facts == tuple(ordered)


def test_an_ordered_case_is_kept_as_it_is() -> None:
    here = Provenance("test", "orders.csv", "line 2", line=2)
    case = Case("4711", (Fact(Order("4711"), here), Fact(Order("4712"), here)))
    assert evaluate._canonical(case) is case
    swapped = Case("4711", case.facts[::-1])
    assert evaluate._canonical(swapped).facts == case.facts


def test_facts_from_one_place_are_ordered_by_content() -> None:
    place = Provenance("test", "links.csv", "line 3", line=3)
    eur = Fact(Order("4711", currency="EUR"), place)
    czk = Fact(Order("4711", currency="CZK"), place)
    assert fact_sort_prefix(eur) == fact_sort_prefix(czk)
    for facts in ([eur, czk], [czk, eur]):
        assert canonical_order(facts) == [czk, eur]
