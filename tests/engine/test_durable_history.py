"""A stored fact's ``id`` read from memory the engine no longer owns, and the guard against it.

durable_rules 2.0.28 copies each asserted fact, but leaves the ``id`` and ``sid``
values of the copy pointing into the JSON text passed to ``assert_facts``
(``copyMessage`` in ``state.c`` re-points every string except those two). That
text is freed when the call returns, so a join evaluated later, when the trigger
arrives, reads ``id`` from whatever the heap holds by then. The driver's former
sentinel join ``{"$neq": {"id": {"$eval": "id"}}}`` did exactly that and, after
some 10 000 evaluations in one process, once read ``-1`` there and dropped a
match (benchmark case 19985 of seed 20240301, rule ACC-ID-001).

The tests make the stale memory deterministic: right after ``assert_facts``
returns they overwrite each fact's ``id`` digits in the caller's JSON text with
the trigger's id, in a subprocess, since they write into a Python string's
buffer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import o2c_cases
import pytest

pytest.importorskip("durable_rules_engine")

SRC = Path(__file__).resolve().parents[2] / "src"

# Overwrites, in place, the id value of every fact in the JSON text `text` with
# "-1" (padded with spaces for longer ids): what stale memory held in the failing run.
SCRIBBLE = """
import ctypes, re, sys

def scribble_ids(text, stale=b"-1"):
    assert type(text) is str and text.isascii()  # the engine reads this very buffer
    base = id(text) + sys.getsizeof("") - 1
    found_any = False
    for found in re.finditer(r'"id":(\\d+)', text):
        found_any = True
        width = max(len(stale), len(found.group(1)))
        ctypes.memmove(base + found.start(1), stale.ljust(width), width)
    assert found_any, text
"""

RAW = (
    SCRIBBLE
    + """
import json
import durable_rules_engine as engine

def fired(joins, scribble, name):
    rules = {
        "r": {"all": [{"$eval": {"t": "$eval"}}, {"x": {"$and": [{"t": "a"}, *joins]}}]},
        "__done__": {"all": [{"$eval": {"t": "$eval"}}]},
    }
    handle = engine.create_ruleset(name, json.dumps(rules))
    facts = json.dumps([{"id": n, "t": "a", "sid": "1"} for n in range(3)], separators=",:")
    engine.assert_facts(handle, facts)
    if scribble:
        scribble_ids(facts)  # after the call: the engine must not read it any more
    _code, state = engine.assert_fact(handle, '{"id":-1,"t":"$eval","sid":"1"}')
    messages = []
    result = engine.start_action_for_state(handle, state)
    message = None if result is None else result[1]
    while message is not None:
        messages.append(json.loads(message))
        message = engine.complete_and_start_action(handle, state)
    engine.delete_state(handle, "1")
    return sorted(m["r"]["x"]["id"] for m in messages if "r" in m)

by_id = {"$neq": {"id": {"$eval": "id"}}}
by_type = {"$neq": {"t": {"$eval": "t"}}}
# The join on id is never last: a false last non-equality join makes the engine scan
# out of bounds (another defect), which would crash this process on some heaps.
print(fired([by_id, by_type], False, "id-intact"), fired([by_id, by_type], True, "id-stale"))
print(fired([by_type], False, "t-intact"), fired([by_type], True, "t-stale"))
"""
)

DRIVER = (
    SCRIBBLE
    + f"""
import sys
sys.path.insert(0, {str(SRC)!r})
from handoff_rules.engine.durable import CompiledRuleset, cmodule
from handoff_rules.engine.durable import rules as driver_rules

original = cmodule.CEngine.assert_facts

def assert_then_free(self, facts):
    result = original(self, facts)
    if '"t":"$eval"' not in facts:
        # what stale memory held in the failing run: the (first) trigger's id
        scribble_ids(facts, str(len(FACTS)).encode())
    return result

cmodule.CEngine.assert_facts = assert_then_free
if sys.argv[1] == "former-sentinel":
    # The former sentinel, a join on id; followed by the current one, so that when the
    # id join comes out false it is not last (see RAW) and cannot crash the process.
    current = driver_rules._joined_to_case
    def former(pattern):
        joined = current(pattern)
        items = joined["$and"]
        return {{"$and": [*items[:-1], {{"$neq": {{"id": {{"$eval": "id"}}}}}}, items[-1]]}}
    driver_rules._joined_to_case = former

rules = {{
    # The rule shape that missed its match: a fact compared with itself.
    "scheme": {{"all": [{{"c": {{"$and": [
        {{"t": "counterparty"}},
        {{"$neq": {{"scheme": {{"$m": "expected_scheme"}}}}}},
        {{"$ex": {{"expected_scheme": 1}}}},
    ]}}}}]}},
    # And a join between two facts.
    "late": {{"all": [
        {{"o": {{"t": "order"}}}},
        {{"i": {{"$and": [{{"t": "invoice"}}, {{"$gt": {{"day": {{"o": "day"}}}}}}]}}}},
    ]}},
}}
ruleset = CompiledRuleset("history@1", rules)
FACTS = [
    {{"t": "order", "day": 10}},
    {{"t": "counterparty", "scheme": "CZ-ICO", "expected_scheme": "PL-NIP"}},
    {{"t": "counterparty", "scheme": "CZ-ICO", "expected_scheme": "CZ-ICO"}},
    {{"t": "invoice", "day": 12}},
    {{"t": "invoice", "day": 9}},
] + [{{"t": "counterparty", "scheme": "DE", "expected_scheme": "AT"}}] * 8
print(sorted((f.rule, sorted(f.positions.items())) for f in ruleset.evaluate(FACTS)))
"""
)


def run_python(code: str, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def expected_driver_firings() -> list[Any]:
    # By hand: counterparties 1 and 5..12 have scheme != expected_scheme (2 has not);
    # invoice 3 (day 12) is later than order 0 (day 10), invoice 4 (day 9) is not.
    scheme = [("scheme", [("c", n)]) for n in [1, *range(5, 13)]]
    return sorted([*scheme, ("late", [("i", 3), ("o", 0)])])


def test_raw_engine_reads_a_stored_facts_id_from_the_callers_freed_text() -> None:
    by_id, by_type = run_python(RAW)
    # A join on `id` follows what the caller's buffer holds after assert_facts returned:
    # every fact now seems to have the trigger's id, and no match is left.
    assert by_id == "[0, 1, 2] []"
    # A join on `t` reads the engine's own copy: the same overwrite changes nothing.
    assert by_type == "[0, 1, 2] [0, 1, 2]"


def test_the_former_sentinel_drops_matches_when_that_memory_is_reused() -> None:
    (firings,) = run_python(DRIVER, "former-sentinel")
    assert firings == "[]"


def test_the_driver_is_right_whatever_the_callers_freed_text_holds() -> None:
    (firings,) = run_python(DRIVER, "driver")
    assert firings == str(expected_driver_firings())


def _operands(node: object) -> list[Any]:
    """Every mapping in a compiled rule, depth first."""
    found: list[Any] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_operands(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_operands(value))
    return found


def test_no_compiled_rule_of_the_default_pack_reads_id_or_sid() -> None:
    from handoff_rules.engine.evaluate import make_evaluator

    pack = o2c_cases.pack()
    backend: Any = make_evaluator(pack, "durable").match_backend
    definition = json.loads(backend._ruleset.engine_json)
    assert definition
    for rule in definition.values():
        for mapping in _operands(rule["all"]):
            assert not {"id", "sid"} & set(mapping), mapping
            assert not {"id", "sid"} & {v for v in mapping.values() if isinstance(v, str)}, mapping
