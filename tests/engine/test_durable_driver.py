"""The durable_rules driver: evaluation protocol, refused rules and facts, failures.

Expected results are worked out by hand in each test; where a test shows what
raw durable_rules does with the same input, that input is one that does not
crash the process (the crashing ones run in subprocesses, in
``test_durable_crashes.py``).
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import subprocess
import sys
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

durable_rules_engine = pytest.importorskip("durable_rules_engine")

from handoff_rules.engine.durable import (  # noqa: E402
    MAX_FACTS,
    CompiledRuleset,
    DurableEvaluationError,
    FactValueError,
    Firing,
    RulesetConflictError,
    RulesetShapeError,
    fnv1a_32,
)
from handoff_rules.engine.durable.session import MAX_QUARANTINED_SESSIONS  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"

RELEASE = {"req": {"t": "release"}}
POA_FOR_RELEASE = {
    "poa$not": {
        "$and": [
            {"t": "poa"},
            {"customer": {"req": "customer"}},
            {"$lte": {"valid_from": {"req": "date"}}},
            {"$gte": {"valid_until": {"req": "date"}}},
        ]
    }
}


def unique(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@1.0.0"


def summary(firings: list[Firing]) -> list[tuple[str, dict[str, int]]]:
    return [(firing.rule, dict(firing.positions)) for firing in firings]


def engine_of(ruleset: CompiledRuleset) -> Any:
    return ruleset._engine


def session_exists(ruleset: CompiledRuleset, sid: str) -> bool:
    # Safe only for sessions that ran an action or never existed (see the driver).
    try:
        durable_rules_engine.get_state(engine_of(ruleset)._engine.handle, sid)
    except durable_rules_engine.error as error:
        if "309" not in str(error):  # 309: no such session
            raise
        return False
    return True


# ---------------------------------------------------------------------------------------
# protocol


def test_firings_report_the_given_fact_objects_without_driver_keys() -> None:
    ruleset = CompiledRuleset(
        unique(),
        {
            "release_without_poa": {"all": [RELEASE, POA_FOR_RELEASE]},
            "big_invoice": {
                "all": [{"inv": {"$and": [{"t": "invoice"}, {"$gt": {"cents": 999}}]}}]
            },
        },
    )
    facts = [
        {"t": "release", "customer": "C1", "date": 739000},
        {"t": "invoice", "cents": 1000},
        {"t": "invoice", "cents": 999},
        {"t": "release", "customer": "C2", "date": 739000},
        {"t": "poa", "customer": "C2", "valid_from": 738000, "valid_until": 740000},
    ]
    before = copy.deepcopy(facts)

    firings = ruleset.evaluate(facts)

    assert summary(firings) == [
        ("release_without_poa", {"req": 0}),
        ("big_invoice", {"inv": 1}),
    ]
    assert firings[0].matches["req"] is facts[0]
    assert firings[1].matches["inv"] is facts[1]
    assert facts == before  # no id / sid added to the caller's facts


def test_facts_matching_no_pattern_do_not_lose_the_others() -> None:
    # An unknown type is not sent; a known type failing its test makes the engine
    # answer "not handled" for the whole batch, which must not drop the rest.
    ruleset = CompiledRuleset(
        unique(),
        {"big": {"all": [{"inv": {"$and": [{"t": "invoice"}, {"$gt": {"cents": 10}}]}}]}},
    )
    small = {"t": "invoice", "cents": 1}
    stranger = {"t": "memo", "text": "hello"}
    big = {"t": "invoice", "cents": 11}
    for facts in ([small, stranger, big], [big, small, stranger], [stranger, big, small]):
        assert [f.matches["inv"] for f in ruleset.evaluate(facts)] == [big]


def test_rule_with_only_a_negation_fires_on_an_empty_case() -> None:
    ruleset = CompiledRuleset(unique(), {"no_order": {"all": [{"o$not": {"t": "order"}}]}})
    assert summary(ruleset.evaluate([])) == [("no_order", {})]
    assert ruleset.evaluate([{"t": "order"}]) == []


def test_negation_does_not_depend_on_arrival_order() -> None:
    # Raw durable_rules: `A and none(B)` fires when A arrives before B (wrong).
    rules = {
        "release_without_poa": {
            "all": [
                {"req": {"t": "release"}},
                {"poa$not": {"$and": [{"t": "poa"}, {"customer": {"req": "customer"}}]}},
            ]
        }
    }
    release = {"t": "release", "customer": "C1"}
    poa = {"t": "poa", "customer": "C1"}

    raw_firings = []
    for order, name in (([release, poa], unique("raw")), ([poa, release], unique("raw"))):
        handle = durable_rules_engine.create_ruleset(name, json.dumps(rules))
        batch = [dict(fact, id=i, sid="1") for i, fact in enumerate(order)]
        _code, state = durable_rules_engine.assert_facts(handle, json.dumps(batch))
        count = 0
        message = durable_rules_engine.start_action_for_state(handle, state)
        while message:
            count += 1
            message = durable_rules_engine.complete_and_start_action(handle, state)
        raw_firings.append(count)
    assert raw_firings == [1, 0]  # the defect, shown without the driver

    ruleset = CompiledRuleset(unique(), rules)
    # By hand: a POA for the same customer exists, so the rule must not fire.
    assert ruleset.evaluate([release, poa]) == []
    assert ruleset.evaluate([poa, release]) == []
    assert summary(ruleset.evaluate([release])) == [("release_without_poa", {"req": 0})]


def test_session_is_deleted_after_every_evaluation() -> None:
    ruleset = CompiledRuleset(unique(), {"any_order": {"all": [{"o": {"t": "order"}}]}})
    sid = engine_of(ruleset).sid
    ruleset.evaluate([{"t": "order"}])
    assert not session_exists(ruleset, sid)
    assert engine_of(ruleset).sid == sid
    assert engine_of(ruleset).quarantined_sessions == 0


def test_more_consecutive_evaluations_than_live_sessions_allowed() -> None:
    # The engine holds at most 1 024 live sessions per ruleset; each is ~700 KB.
    ruleset = CompiledRuleset(
        unique(),
        {
            "pair": {
                "all": [
                    {"a": {"t": "order"}},
                    {"b": {"$and": [{"t": "invoice"}, {"$lt": {"cents": {"a": "cents"}}}]}},
                ]
            }
        },
    )
    facts = [{"t": "order", "cents": 500}, {"t": "invoice", "cents": 400}]
    for _ in range(100):
        ruleset.evaluate(facts)
    rss_before = _resident_kib()
    for _ in range(1_100):
        assert summary(ruleset.evaluate(facts)) == [("pair", {"a": 0, "b": 1})]
    rss_after = _resident_kib()
    assert engine_of(ruleset).quarantined_sessions == 0
    if rss_before is not None and rss_after is not None:
        assert rss_after - rss_before < 20_000, (rss_before, rss_after)


def _resident_kib() -> int | None:
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return None
    import resource  # Unix only, like /proc

    pages = int(statm.read_text().split()[1])
    return pages * resource.getpagesize() // 1024


def test_evaluations_from_several_threads_stay_separate() -> None:
    ruleset = CompiledRuleset(
        unique(),
        {
            "match": {
                "all": [
                    {"a": {"t": "order"}},
                    {"b": {"$and": [{"t": "invoice"}, {"order": {"a": "order"}}]}},
                ]
            }
        },
    )
    errors: list[str] = []

    def work(worker: int) -> None:
        for round_ in range(150):
            key = f"{worker}-{round_}"
            facts = [
                {"t": "order", "order": key},
                {"t": "invoice", "order": key},
                {"t": "invoice", "order": "other"},
            ]
            if summary(ruleset.evaluate(facts)) != [("match", {"a": 0, "b": 1})]:
                errors.append(key)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_no_threads_no_durable_python_layer_no_deprecation_warning() -> None:
    # `durable.engine.Host` starts timer threads and warns on Python 3.12 per action.
    code = f"""
import sys, threading
sys.path.insert(0, {str(SRC)!r})
from handoff_rules.engine.durable import CompiledRuleset
rs = CompiledRuleset("threads@1", {{"r": {{"all": [{{"o": {{"t": "order"}}}}]}}}})
for _ in range(50):
    assert len(rs.evaluate([{{"t": "order"}}])) == 1
assert threading.active_count() == 1, threading.enumerate()
assert "durable.engine" not in sys.modules and "durable.lang" not in sys.modules
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_facts_with_colliding_content_hashes_are_both_seen() -> None:
    # The engine identifies facts by a 32-bit hash of their content when they
    # carry no id, and {"v": 10} and {"v": "10"} hash alike: raw, one is dropped.
    rules = {"inv": {"all": [{"i": {"$and": [{"t": "invoice"}, {"$ex": {"v": 1}}]}}]}}
    facts: list[dict[str, Any]] = [{"t": "invoice", "v": 10}, {"t": "invoice", "v": "10"}]

    handle = durable_rules_engine.create_ruleset(unique("raw"), json.dumps(rules))
    batch = [dict(fact, sid="1") for fact in facts]
    _code, state = durable_rules_engine.assert_facts(handle, json.dumps(batch))
    raw_firings = 0
    message = durable_rules_engine.start_action_for_state(handle, state)
    while message:
        raw_firings += 1
        message = durable_rules_engine.complete_and_start_action(handle, state)
    assert raw_firings == 1

    ruleset = CompiledRuleset(unique(), rules)
    assert summary(ruleset.evaluate(facts)) == [("inv", {"i": 0}), ("inv", {"i": 1})]


def test_fact_and_session_ids_have_distinct_identity_hashes() -> None:
    # The engine's hash reproduces the collisions measured on it...
    assert fnv1a_32("40189") == fnv1a_32("797186")
    assert fnv1a_32("e522789") == fnv1a_32("e739192")
    # ...and the ids the driver assigns (and the trigger's) never collide.
    assert len({fnv1a_32(str(i)) for i in range(-1, MAX_FACTS)}) == MAX_FACTS + 1


def test_a_retired_session_id_is_never_shadowed_by_a_colliding_one() -> None:
    ruleset = CompiledRuleset(unique(), {"a": {"all": [{"o": {"t": "order"}}]}})
    engine_ruleset = engine_of(ruleset)
    engine_ruleset._quarantined.append("797186")
    engine_ruleset._sid_number = 40188
    engine_ruleset._quarantine("40188")
    assert engine_ruleset.sid == "40190"  # "40189" hashes like the live "797186"


def test_none_means_absent() -> None:
    ruleset = CompiledRuleset(
        unique(),
        {"unsigned": {"all": [{"d": {"$and": [{"t": "doc"}, {"$nex": {"signed_by": 1}}]}}]}},
    )
    facts = [{"t": "doc", "signed_by": None}, {"t": "doc", "signed_by": "P1"}, {"t": "doc"}]
    assert summary(ruleset.evaluate(facts)) == [("unsigned", {"d": 0}), ("unsigned", {"d": 2})]


# ---------------------------------------------------------------------------------------
# loading rulesets


def test_every_pattern_joins_its_case_and_ends_with_the_sentinel() -> None:
    rules = {
        "r": {
            "all": [
                {"a": {"$and": [{"t": "order"}, {"$gt": {"cents": 0}}]}},
                {"b": {"$and": [{"t": "invoice"}, {"$lt": {"cents": {"a": "cents"}}}]}},
                {
                    "c": {
                        "$and": [
                            {"t": "pay"},
                            {"$lt": {"x": {"$mul": {"$l": {"$m": "y"}, "$r": 2}}}},
                        ]
                    }
                },
                {"d": {"$and": [{"t": "poa"}, {"customer": {"a": "customer"}}]}},
            ]
        }
    }
    ruleset = CompiledRuleset(unique(), rules)
    conditions = json.loads(ruleset.engine_json)["r"]["all"]
    sentinel = {"$neq": {"t": {"$eval": "t"}}}
    same_case = {"_case": {"$eval": "_case"}}
    assert conditions[0] == {"$eval": {"t": "$eval"}}
    for given, condition in zip(rules["r"]["all"], conditions[1:], strict=True):
        ((alias, pattern),) = condition.items()
        ((given_alias, given_pattern),) = given.items()
        assert alias == given_alias
        assert pattern["$and"] == [*given_pattern["$and"], same_case, sentinel]
    assert json.loads(ruleset.engine_json)["__done__"] == {
        "all": [{"$eval": {"$and": [{"t": "$eval"}, {"_case": 0}]}}]
    }


def test_rules_given_are_not_modified() -> None:
    rules = {"r": {"all": [RELEASE, POA_FOR_RELEASE], "pri": 3}}
    before = copy.deepcopy(rules)
    CompiledRuleset(unique(), rules)
    assert rules == before


def test_same_name_and_rules_reuse_the_loaded_ruleset() -> None:
    name = unique()
    rules = {"r": {"all": [{"o": {"t": "order"}}]}}
    first = CompiledRuleset(name, rules)
    second = CompiledRuleset(name, copy.deepcopy(rules))
    assert engine_of(first) is engine_of(second)
    assert len(second.evaluate([{"t": "order"}])) == 1


def test_same_name_with_other_rules_is_refused() -> None:
    name = unique()
    CompiledRuleset(name, {"r": {"all": [{"o": {"t": "order"}}]}})
    with pytest.raises(RulesetConflictError, match="new version"):
        CompiledRuleset(name, {"r": {"all": [{"o": {"t": "invoice"}}]}})


JOIN_A = {"a": {"t": "order"}}


def _b(*items: dict[str, Any]) -> dict[str, Any]:
    return {"b": {"$and": [{"t": "invoice"}, *items]}}


REFUSED_RULES = {
    "or_over_join": (
        {"all": [JOIN_A, _b({"$or": [{"x": {"a": "x"}}, {"y": {"a": "x"}}]})]},
        "nests",
    ),
    "or_of_constants_in_join": (
        {"all": [JOIN_A, _b({"$or": [{"k": 1}, {"k": 2}]}, {"$lt": {"v": {"a": "v"}}})]},
        "nests",
    ),
    "nested_and_in_join": (
        {"all": [JOIN_A, _b({"$and": [{"x": {"a": "x"}}]}, {"k": 1})]},
        "nests",
    ),
    "negative_pri": ({"all": [JOIN_A], "pri": -5}, "'pri'"),
    "huge_pri": ({"all": [JOIN_A], "pri": 70000}, "'pri'"),
    "bool_pri": ({"all": [JOIN_A], "pri": True}, "'pri'"),
    "count": ({"all": [JOIN_A], "count": 3}, "'count'"),
    "cap": ({"all": [JOIN_A], "cap": 2}, "'cap'"),
    "top_level_any": ({"any": [{"m_0$all": [JOIN_A]}]}, "'any'"),
    "dist": ({"all": [JOIN_A], "dist": 0}, "'dist'"),
    "run": ({"all": [JOIN_A], "run": "act"}, "actions"),
    "unknown_key": ({"all": [JOIN_A], "salience": 1}, "unknown rule key"),
    "div_by_field": (
        {"all": [JOIN_A, _b({"$gt": {"v": {"$div": {"$l": {"a": "v"}, "$r": {"$m": "w"}}}}})]},
        "SIGFPE",
    ),
    "div_by_constant": ({"all": [_b({"$gt": {"v": {"$div": {"$l": 1, "$r": 2}}}})]}, "SIGFPE"),
    "exponent_float": ({"all": [_b({"$gt": {"v": 1e-05}})]}, "exponent"),
    "exponent_float_large": ({"all": [_b({"v": 1e16})]}, "exponent"),
    "infinite_float": ({"all": [_b({"$lt": {"v": float("inf")}})]}, "not finite"),
    "int_beyond_int64": ({"all": [_b({"$gt": {"v": 2**63}})]}, "int64"),
    "null_constant": ({"all": [_b({"v": None})]}, "null"),
    "several_keys_in_one_expression": ({"all": [{"b": {"t": "invoice", "v": 1}}]}, "one key"),
    "no_type_test": ({"all": [{"b": {"$gt": {"v": 1}}}]}, "fact type"),
    "type_only_inside_or": (
        {"all": [{"b": {"$or": [{"t": "invoice"}, {"t": "order"}]}}]},
        "fact type",
    ),
    "two_types": ({"all": [{"b": {"$and": [{"t": "invoice"}, {"t": "order"}]}}]}, "fact type"),
    "trigger_type": ({"all": [{"b": {"t": "$eval"}}]}, "fact type"),
    "unknown_alias": ({"all": [_b({"x": {"zz": "x"}})]}, "not an alias"),
    "later_alias": ({"all": [_b({"x": {"a": "x"}}), JOIN_A]}, "not an alias"),
    "negated_alias": ({"all": [{"a$not": {"t": "order"}}, _b({"x": {"a": "x"}})]}, "not an alias"),
    "trigger_alias": ({"all": [_b({"$neq": {"id": {"$eval": "id"}}})]}, "field 'id'"),
    "dotted_field": ({"all": [_b({"$gt": {"inv.amount": 1}})]}, "identifier"),
    "id_field": ({"all": [_b({"id": 1})]}, "assigned by the driver"),
    "nested_group_alias": ({"all": [{"m$all": [JOIN_A]}]}, "alias"),
    "dollar_alias": ({"all": [{"$x": {"t": "order"}}]}, "alias"),
    "duplicate_alias": ({"all": [JOIN_A, JOIN_A]}, "used twice"),
    "sixteen_conditions": (
        {"all": [{f"a{i}": {"t": "order"}} for i in range(16)]},
        "at most 15",
    ),
    "no_conditions": ({"all": []}, "non-empty"),
    "array_operator": ({"all": [_b({"$iany": {"xs": {"$gt": {"$i": 1}}}})]}, "not supported"),
    "ne_operator": ({"all": [_b({"$ne": {"v": 1}})]}, "not supported"),
    "state_operator": ({"all": [_b({"$s": 1})]}, "not supported"),
    "existence_value": ({"all": [_b({"$ex": {"v": 2}})]}, "'$ex'"),
    "regex_not_text": ({"all": [_b({"$mt": {"v": 5}})]}, "string pattern"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_RULES))
def test_rule_shapes_that_crash_or_mislead_are_refused(case: str) -> None:
    rule, reason = REFUSED_RULES[case]
    with pytest.raises(RulesetShapeError, match=re.escape(reason)) as caught:
        CompiledRuleset(unique(), {case: rule})
    assert caught.value.rule == case
    assert f"rule {case!r}" in str(caught.value)


@pytest.mark.parametrize("rule_name", ["__done__", "a$b", 'say "hi"', "back\\slash", ""])
def test_reserved_or_unsafe_rule_names_are_refused(rule_name: str) -> None:
    with pytest.raises(RulesetShapeError, match="rule"):
        CompiledRuleset(unique(), {rule_name: {"all": [JOIN_A]}})


@pytest.mark.parametrize("name", ["policy$state@1", "x$flow", "a$b@1", "", "tab\there"])
def test_unsafe_ruleset_names_are_refused(name: str) -> None:
    with pytest.raises(RulesetShapeError):
        CompiledRuleset(name, {"r": {"all": [JOIN_A]}})


def test_more_than_254_rules_are_refused_and_254_load() -> None:
    def rules(count: int) -> dict[str, Any]:
        # a fact type per rule: one fact type takes at most 64 patterns (next test)
        return {f"r{i}": {"all": [{"a": {"t": f"type{i}"}}]} for i in range(count)}

    with pytest.raises(RulesetShapeError, match="at most 254"):
        CompiledRuleset(unique(), rules(255))
    ruleset = CompiledRuleset(unique(), rules(254))
    assert len(ruleset.evaluate([{"t": f"type{i}"} for i in range(254)])) == 254


def test_more_than_64_patterns_over_one_fact_type_are_refused_even_if_identical() -> None:
    # Every pattern is a join (to its case's trigger), and the engine fails with
    # error 303 once one fact reaches more than 64 joins - identical ones included.
    rule = {"all": [JOIN_A]}
    raw = {
        f"r{i}": {
            "all": [
                {"$eval": {"t": "$eval"}},
                {"a": {"$and": [{"t": "order"}, {"_case": {"$eval": "_case"}}]}},
            ]
        }
        for i in range(65)
    }
    raw["__done__"] = {"all": [{"$eval": {"t": "$eval"}}]}
    assert "303" in _raw_assert_error(raw, [{"id": 0, "t": "order", "_case": 0, "sid": "1"}])

    with pytest.raises(RulesetShapeError, match="more than 64 patterns over fact type 'order'"):
        CompiledRuleset(unique(), {f"r{i}": rule for i in range(65)})
    ruleset = CompiledRuleset(unique(), {f"r{i}": rule for i in range(64)})
    assert len(ruleset.evaluate([{"t": "order"}])) == 64


def test_nested_group_after_join_is_refused_and_the_split_rule_is_correct() -> None:
    # "A POA of the requester that expired before the release date".
    nested = {
        "expired_poa": {
            "all": [
                {"req": {"t": "release"}},
                {
                    "poa": {
                        "$and": [
                            {"t": "poa"},
                            {
                                "$or": [
                                    {"customer": {"req": "customer"}},
                                    {"agent_for": {"req": "customer"}},
                                ]
                            },
                            {"$lt": {"valid_until": {"req": "date"}}},
                        ]
                    }
                },
            ]
        }
    }
    facts = [
        {"t": "release", "customer": "C1", "date": 100},
        {"t": "poa", "customer": "C1", "agent_for": "C9", "valid_until": 50},  # expired: fires
        {"t": "poa", "customer": "C9", "agent_for": "C1", "valid_until": 200},  # valid: must not
    ]
    # Raw durable_rules ignores the date test after the nested group.
    assert _raw_firing_count(nested, facts) == 2

    with pytest.raises(RulesetShapeError, match="nests"):
        CompiledRuleset(unique(), nested)

    def expired(link: str) -> dict[str, Any]:
        return {
            "all": [
                {"req": {"t": "release"}},
                {
                    "poa": {
                        "$and": [
                            {"t": "poa"},
                            {link: {"req": "customer"}},
                            {"$lt": {"valid_until": {"req": "date"}}},
                        ]
                    }
                },
            ]
        }

    split = CompiledRuleset(
        unique(),
        {"expired_poa_customer": expired("customer"), "expired_poa_agent": expired("agent_for")},
    )
    assert summary(split.evaluate(facts)) == [("expired_poa_customer", {"req": 0, "poa": 1})]


def _raw_firing_count(rules: dict[str, Any], facts: list[dict[str, Any]]) -> int:
    handle = durable_rules_engine.create_ruleset(unique("raw"), json.dumps(rules))
    batch = [dict(fact, id=i, sid="1") for i, fact in enumerate(facts)]
    _code, state = durable_rules_engine.assert_facts(handle, json.dumps(batch))
    count = 0
    message = durable_rules_engine.start_action_for_state(handle, state)
    while message:
        count += 1
        message = durable_rules_engine.complete_and_start_action(handle, state)
    return count


def _raw_assert_error(rules: dict[str, Any], facts: list[dict[str, Any]]) -> str:
    handle = durable_rules_engine.create_ruleset(unique("raw"), json.dumps(rules))
    try:
        durable_rules_engine.assert_facts(handle, json.dumps(facts))
    except Exception as error:  # the engine raises its own untyped error
        return str(error)
    return ""


def test_several_keys_in_one_expression_mislead_raw_durable() -> None:
    rules = {"r": {"all": [{"b": {"t": "invoice", "v": 1}}]}}
    # v is ignored: the invoice with v=2 matches too.
    assert _raw_firing_count(rules, [{"t": "invoice", "v": 2}]) == 1
    with pytest.raises(RulesetShapeError, match="one key"):
        CompiledRuleset(unique(), rules)


# ---------------------------------------------------------------------------------------
# fact values


class Odd:
    pass


REFUSED_VALUES = {
    "small_float": (0.00001, "exponent"),
    "large_float": (1e16, "exponent"),
    "huge_float": (1e20, "exponent"),
    "fraction_exponent": (1.5e-07, "exponent"),
    "nan": (float("nan"), "finite"),
    "inf": (float("-inf"), "finite"),
    "decimal": (Decimal("12.50"), "minor units"),
    "date": (datetime.date(2024, 3, 1), "toordinal"),
    "datetime": (datetime.datetime(2024, 3, 1, 12, 0), "epoch seconds"),
    "int_above_int64": (2**63, "int64"),
    "int_below_int64": (-(2**63) - 1, "int64"),
    "dict": ({"a": 1}, "flat"),
    "list": ([1, 2], "flat"),
    "tuple": ((1, 2), "flat"),
    "bytes": (b"x", "not supported"),
    "object": (Odd(), "not supported"),
    "lone_surrogate": ("\ud800", "Unicode"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_VALUES))
def test_fact_values_that_crash_or_mislead_are_refused(case: str) -> None:
    value, reason = REFUSED_VALUES[case]
    reads_v = CompiledRuleset(
        "test-reads-v@1.0.0",
        {"v": {"all": [{"i": {"$and": [{"t": "invoice"}, {"$ex": {"v": 1}}]}}]}},
    )
    facts = [{"t": "invoice", "v": 1}, {"t": "invoice", "v": 2}, {"t": "invoice", "v": value}]
    with pytest.raises(FactValueError, match=reason) as caught:
        reads_v.evaluate(facts)
    assert (caught.value.index, caught.value.key) == (2, "v")
    assert str(caught.value).startswith("fact 2, key 'v': ")
    assert len(reads_v.evaluate(facts[:2])) == 2  # nothing reached the engine
    # A value no rule reads is never sent, so it cannot harm the engine: not refused.
    assert len(_invoice_ruleset().evaluate(facts)) == 3


@pytest.fixture(scope="module")
def invoice_ruleset() -> CompiledRuleset:
    return _invoice_ruleset()


def _invoice_ruleset() -> CompiledRuleset:
    return CompiledRuleset("test-invoices@1.0.0", {"inv": {"all": [{"i": {"t": "invoice"}}]}})


@pytest.mark.parametrize(
    ("fact", "key", "reason"),
    [
        ({"t": "invoice", "$s": 1}, "$s", "identifiers"),
        ({"t": "invoice", "a.b": 1}, "a.b", "identifiers"),
        ({"t": "invoice", "a b": 1}, "a b", "identifiers"),
        ({"t": "invoice", 5: 1}, "5", "identifiers"),
        ({"t": "invoice", "id": 7}, "id", "assigned by the driver"),
        ({"t": "invoice", "sid": "x"}, "sid", "assigned by the driver"),
        ({"v": 1}, "t", "type"),
        ({"t": "$eval"}, "t", "type"),
        ({"t": 3}, "t", "type"),
        ({"t": ""}, "t", "type"),
    ],
)
def test_fact_keys_and_types_that_mislead_are_refused(
    invoice_ruleset: CompiledRuleset, fact: dict[Any, Any], key: str, reason: str
) -> None:
    with pytest.raises(FactValueError, match=reason) as caught:
        invoice_ruleset.evaluate([{"t": "invoice"}, fact])
    assert (caught.value.index, caught.value.key) == (1, key)


def test_too_many_properties_and_facts_are_refused(invoice_ruleset: CompiledRuleset) -> None:
    wide = {"t": "invoice", **{f"k{i}": i for i in range(250)}}
    with pytest.raises(FactValueError, match="more than 250 keys"):
        invoice_ruleset.evaluate([wide])
    with pytest.raises(FactValueError, match="mapping"):
        invoice_ruleset.evaluate([["t", "invoice"]])  # type: ignore[list-item]
    with pytest.raises(FactValueError, match="at most 39999 facts per case"):
        invoice_ruleset.evaluate([{"t": "invoice"}] * 40_000)


def test_safe_values_are_accepted_and_compared(invoice_ruleset: CompiledRuleset) -> None:
    ruleset = CompiledRuleset(
        unique(),
        {
            "exact": {"all": [{"i": {"$and": [{"t": "invoice"}, {"v": 2**63 - 1}]}}]},
            "low": {"all": [{"i": {"$and": [{"t": "invoice"}, {"$lt": {"v": -(2**62)}}]}}]},
            "rate": {"all": [{"i": {"$and": [{"t": "invoice"}, {"$gt": {"r": 0.0001}}]}}]},
            "umlaut": {"all": [{"i": {"$and": [{"t": "invoice"}, {"name": 'Müller "GmbH"'}]}}]},
            "flag": {"all": [{"i": {"$and": [{"t": "invoice"}, {"original": True}]}}]},
        },
    )
    facts = [
        {"t": "invoice", "v": 2**63 - 1},
        {"t": "invoice", "v": -(2**63)},
        {"t": "invoice", "r": 0.00011},
        {"t": "invoice", "r": 0.0001},
        {"t": "invoice", "name": 'Müller "GmbH"'},
        {"t": "invoice", "name": 'Muller "GmbH"'},
        {"t": "invoice", "original": True},
        {"t": "invoice", "original": False, "note": ""},
    ]
    assert summary(ruleset.evaluate(facts)) == [
        ("exact", {"i": 0}),
        ("low", {"i": 1}),
        ("rate", {"i": 2}),
        ("umlaut", {"i": 4}),
        ("flag", {"i": 6}),
    ]
    assert len(invoice_ruleset.evaluate(facts)) == len(facts)


# ---------------------------------------------------------------------------------------
# failures during an evaluation


def test_engine_error_is_reraised_after_cleanup_and_the_driver_stays_usable() -> None:
    # A join reading a field the other fact lacks: error 311, data-dependent.
    rules = {
        "cheaper": {
            "all": [
                {"a": {"t": "order"}},
                {"b": {"$and": [{"t": "invoice"}, {"$lt": {"cents": {"a": "cents"}}}]}},
            ]
        }
    }
    ruleset = CompiledRuleset(unique(), rules)
    with pytest.raises(DurableEvaluationError, match="311"):
        ruleset.evaluate([{"t": "order"}, {"t": "invoice", "cents": 5}])
    # The trigger's call failed, so whether an action ran is unknown: the session is
    # not deleted (that could crash) but retired, and a fresh session id is taken.
    assert engine_of(ruleset).quarantined_sessions == 1
    assert not session_exists(ruleset, engine_of(ruleset).sid)
    firings = ruleset.evaluate([{"t": "order", "cents": 9}, {"t": "invoice", "cents": 5}])
    assert [f.rule for f in firings] == ["cheaper"]


def test_missing_field_read_by_a_join_is_reported_and_ex_tests_avoid_it() -> None:
    # The engine fails with error 311 when a join reads a field the other fact lacks.
    def rules(guarded: bool) -> dict[str, Any]:
        order: dict[str, Any] = {"t": "order"}
        if guarded:
            order = {"$and": [{"t": "order"}, {"$ex": {"cents": 1}}]}
        return {
            "cheaper": {
                "all": [
                    {"a": order},
                    {"b": {"$and": [{"t": "invoice"}, {"$lt": {"cents": {"a": "cents"}}}]}},
                ]
            }
        }

    facts = [{"t": "order"}, {"t": "order", "cents": 9}, {"t": "invoice", "cents": 5}]
    plain = CompiledRuleset(unique(), rules(guarded=False))
    with pytest.raises(DurableEvaluationError, match="lacks a field"):
        plain.evaluate(facts)
    assert summary(plain.evaluate(facts[1:])) == [("cheaper", {"a": 0, "b": 1})]
    guarded = CompiledRuleset(unique(), rules(guarded=True))
    assert summary(guarded.evaluate(facts)) == [("cheaper", {"a": 1, "b": 2})]


class FlakyEngine:
    """Delegates to the real engine calls, but the first ``times`` calls of one fail.

    A failing call raises before reaching the engine, or returns ``result``.
    """

    def __init__(self, real: Any, fail_on: str, times: int = 1, result: object = "raise") -> None:
        self._real = real
        self._fail_on = fail_on
        self._times = times
        self._result = result
        self.deleted: list[str] = []

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._real, name)
        if name == self._fail_on and self._times > 0:
            self._times -= 1
            return self._failing
        if name == "delete_state":

            def recording(sid: str) -> None:
                self.deleted.append(sid)
                call(sid)

            return recording
        return call

    def _failing(self, *_args: Any) -> Any:
        if self._result == "raise":
            raise RuntimeError("injected failure")
        return self._result


def test_exception_between_actions_is_reraised_after_the_session_is_deleted() -> None:
    ruleset = CompiledRuleset(
        unique(), {"a": {"all": [{"o": {"t": "order"}}]}, "b": {"all": [{"o": {"t": "order"}}]}}
    )
    engine_ruleset = engine_of(ruleset)
    real = engine_ruleset._engine
    flaky = FlakyEngine(real, "complete_and_start_action")
    engine_ruleset._engine = flaky
    try:
        with pytest.raises(DurableEvaluationError, match="injected failure"):
            ruleset.evaluate([{"t": "order"}])
        assert flaky.deleted == ["1"]
        assert engine_ruleset.quarantined_sessions == 0
        assert summary(ruleset.evaluate([{"t": "order"}])) == [("a", {"o": 0}), ("b", {"o": 0})]
    finally:
        engine_ruleset._engine = real


def test_session_without_done_is_never_deleted() -> None:
    # If __done__ cannot be seen to run, deleting could free uninitialised memory.
    ruleset = CompiledRuleset(unique(), {"a": {"all": [{"o": {"t": "order"}}]}})
    engine_ruleset = engine_of(ruleset)
    real = engine_ruleset._engine
    flaky = FlakyEngine(real, "start_action", times=2, result=None)
    engine_ruleset._engine = flaky
    try:
        with pytest.raises(DurableEvaluationError):
            ruleset.evaluate([{"t": "order"}])
        assert flaky.deleted == []
        assert engine_ruleset.quarantined_sessions == 1
        assert engine_ruleset.sid == "2"
        assert summary(ruleset.evaluate([{"t": "order"}])) == [("a", {"o": 0})]
        assert flaky.deleted == ["2"]
    finally:
        engine_ruleset._engine = real


def test_too_many_unclosable_sessions_stop_the_ruleset() -> None:
    ruleset = CompiledRuleset(unique(), {"a": {"all": [{"o": {"t": "order"}}]}})
    engine_ruleset = engine_of(ruleset)
    engine_ruleset._quarantined.extend(str(i) for i in range(MAX_QUARANTINED_SESSIONS))
    with pytest.raises(DurableEvaluationError, match="restart"):
        ruleset.evaluate([{"t": "order"}])
