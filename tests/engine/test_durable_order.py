"""The order in which facts are given never changes what the driver reports.

Raw durable_rules evaluates a negation by arrival order (a rule ``A and not B``
fires when A arrives before B). The driver's trigger-first protocol must make
every permutation of a case give the same firings, and those must equal an
oracle written out by hand below: negations, equality joins, non-equality joins
inside and outside negations, and arithmetic joins.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

pytest.importorskip("durable_rules_engine")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.engine.durable import CompiledRuleset, Firing

SAME_CUSTOMER = {"customer": {"req": "customer"}}

RULES: dict[str, dict[str, Any]] = {
    "release_without_valid_poa": {
        "all": [
            {"req": {"t": "release"}},
            {
                "poa$not": {
                    "$and": [
                        {"t": "poa"},
                        SAME_CUSTOMER,
                        {"$lte": {"valid_from": {"req": "date"}}},
                        {"$gte": {"valid_until": {"req": "date"}}},
                    ]
                }
            },
        ]
    },
    "over_credit_limit": {
        "all": [
            {"req": {"t": "release"}},
            {
                "bal": {
                    "$and": [
                        {"t": "balance"},
                        SAME_CUSTOMER,
                        {
                            "$lt": {
                                "limit_cents": {
                                    "$add": {"$l": {"$m": "open_cents"}, "$r": {"req": "cents"}}
                                }
                            }
                        },
                    ]
                }
            },
        ]
    },
    "blocked_without_override": {
        "all": [
            {"req": {"t": "release"}},
            {"blk": {"$and": [{"t": "block"}, SAME_CUSTOMER]}},
            {
                "ovr$not": {
                    "$and": [{"t": "override"}, SAME_CUSTOMER, {"$gte": {"until": {"req": "date"}}}]
                }
            },
        ],
        "pri": 2,
    },
    "large_release": {"all": [{"req": {"$and": [{"t": "release"}, {"$gt": {"cents": 50_000}}]}}]},
    "expired_poa_on_file": {
        "all": [
            {"req": {"t": "release"}},
            {
                "poa": {
                    "$and": [{"t": "poa"}, SAME_CUSTOMER, {"$lt": {"valid_until": {"req": "date"}}}]
                }
            },
        ]
    },
    "poa_of_another_customer": {
        "all": [
            {"poa": {"t": "poa"}},
            {"req": {"$and": [{"t": "release"}, {"$neq": {"customer": {"poa": "customer"}}}]}},
        ],
        "pri": 1,
    },
    "no_balance": {
        "all": [
            {"req": {"t": "release"}},
            {"bal$not": {"$and": [{"t": "balance"}, SAME_CUSTOMER]}},
        ]
    },
}

Key = tuple[str, frozenset[tuple[str, int]]]


def oracle(facts: Sequence[Mapping[str, Any]]) -> set[Key]:
    """The expected firings, by direct reading of each rule."""
    by_type: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for index, fact in enumerate(facts):
        by_type.setdefault(fact["t"], []).append((index, fact))
    releases = by_type.get("release", [])
    poas = by_type.get("poa", [])
    balances = by_type.get("balance", [])
    blocks = by_type.get("block", [])
    overrides = by_type.get("override", [])
    expected: set[Key] = set()

    def add(rule: str, **aliases: int) -> None:
        expected.add((rule, frozenset(aliases.items())))

    for r, req in releases:
        same = req["customer"]
        if not any(
            p["customer"] == same and p["valid_from"] <= req["date"] <= p["valid_until"]
            for _, p in poas
        ):
            add("release_without_valid_poa", req=r)
        for b, bal in balances:
            if bal["customer"] == same and bal["limit_cents"] < bal["open_cents"] + req["cents"]:
                add("over_credit_limit", req=r, bal=b)
        covered = any(o["customer"] == same and o["until"] >= req["date"] for _, o in overrides)
        for k, blk in blocks:
            if blk["customer"] == same and not covered:
                add("blocked_without_override", req=r, blk=k)
        if req["cents"] > 50_000:
            add("large_release", req=r)
        for p, poa in poas:
            if poa["customer"] == same and poa["valid_until"] < req["date"]:
                add("expired_poa_on_file", req=r, poa=p)
            if poa["customer"] != same:
                add("poa_of_another_customer", poa=p, req=r)
        if not any(bal["customer"] == same for _, bal in balances):
            add("no_balance", req=r)
    return expected


def keys(firings: list[Firing], facts: Sequence[Mapping[str, Any]]) -> set[Key]:
    """Firings keyed by the facts' positions in ``facts``, whatever order was evaluated."""
    index_of = {id(fact): index for index, fact in enumerate(facts)}
    return {
        (firing.rule, frozenset((alias, index_of[id(f)]) for alias, f in firing.matches.items()))
        for firing in firings
    }


@pytest.fixture(scope="module")
def ruleset() -> CompiledRuleset:
    return CompiledRuleset("test-order-independence@1.0.0", RULES)


customers = st.sampled_from(["C1", "C2", "C3"])
days = st.integers(min_value=0, max_value=12)
cents = st.integers(min_value=0, max_value=100_000)

releases = st.fixed_dictionaries(
    {"t": st.just("release"), "customer": customers, "date": days, "cents": cents}
)
poas = st.builds(
    lambda customer, start, length: {
        "t": "poa",
        "customer": customer,
        "valid_from": start,
        "valid_until": start + length,
    },
    customers,
    days,
    st.integers(min_value=0, max_value=6),
)
balances = st.fixed_dictionaries(
    {"t": st.just("balance"), "customer": customers, "open_cents": cents, "limit_cents": cents}
)
blocks = st.fixed_dictionaries({"t": st.just("block"), "customer": customers})
overrides = st.fixed_dictionaries({"t": st.just("override"), "customer": customers, "until": days})
cases = st.lists(st.one_of(releases, poas, balances, blocks, overrides), max_size=9)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=cases, data=st.data())
def test_any_permutation_gives_the_oracles_firings(
    ruleset: CompiledRuleset, facts: list[dict[str, Any]], data: st.DataObject
) -> None:
    expected = oracle(facts)
    assert keys(ruleset.evaluate(facts), facts) == expected
    shuffled = data.draw(st.permutations(facts))
    assert keys(ruleset.evaluate(shuffled), facts) == expected
    assert keys(ruleset.evaluate(list(reversed(facts))), facts) == expected


def test_every_permutation_of_a_case_with_negations_and_joins(ruleset: CompiledRuleset) -> None:
    facts: list[dict[str, Any]] = [
        {"t": "release", "customer": "C1", "date": 5, "cents": 60_000},
        {"t": "release", "customer": "C2", "date": 9, "cents": 100},
        {"t": "poa", "customer": "C1", "valid_from": 1, "valid_until": 6},
        {"t": "poa", "customer": "C2", "valid_from": 1, "valid_until": 8},
        {"t": "balance", "customer": "C1", "open_cents": 50_000, "limit_cents": 100_000},
        {"t": "block", "customer": "C2"},
        {"t": "override", "customer": "C2", "until": 8},
    ]
    # By hand: release 0 has a valid POA (2) but is large; release 1's POA (3) expired
    # on day 8, the override too, so the block (5) stands; only C1 has a balance;
    # each POA belongs to the other release's customer.
    expected = {
        ("large_release", frozenset({("req", 0)})),
        ("over_credit_limit", frozenset({("req", 0), ("bal", 4)})),
        ("release_without_valid_poa", frozenset({("req", 1)})),
        ("expired_poa_on_file", frozenset({("req", 1), ("poa", 3)})),
        ("blocked_without_override", frozenset({("req", 1), ("blk", 5)})),
        ("no_balance", frozenset({("req", 1)})),
        ("poa_of_another_customer", frozenset({("poa", 2), ("req", 1)})),
        ("poa_of_another_customer", frozenset({("poa", 3), ("req", 0)})),
    }
    assert oracle(facts) == expected
    outcomes = {
        frozenset(keys(ruleset.evaluate(list(order)), facts))
        for order in itertools.permutations(facts)
    }
    assert outcomes == {frozenset(expected)}
