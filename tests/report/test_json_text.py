"""The decision document's JSON text does not depend on the encoder that wrote it.

:func:`handoff_rules.report.jsontext.json_text` writes with orjson and falls
back to the standard library for what orjson refuses; the text must be what
``json.dumps`` writes with the same settings, compact and indented alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from handoff_rules.report import jsontext
from handoff_rules.report.jsontext import json_text

#: What a decision document holds: no floats (amounts are decimal strings).
_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text()
    | st.text(st.characters(codec=None, categories=["Cc", "Cs", "Zl", "Zp", "Cf"]))
)
documents = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def stdlib(value: Any, pretty: bool) -> str:
    if pretty:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=400, deadline=None)
@given(documents, st.booleans())
@example({"b": [], "a": {}, "é": "\u2028\x7f\x00\ud800"}, True)
@example({"n": 2**64, "m": -(2**63) - 1, "k": 2**63 - 1}, False)
@example([{"z": 1, "Z": 2, "ä": 3, "😀": 4, "": 5}], True)
def test_orjson_writes_what_the_standard_library_writes(value: Any, pretty: bool) -> None:
    assert json_text(value, pretty=pretty) == stdlib(value, pretty)


@pytest.mark.parametrize("pretty", [False, True])
def test_without_orjson_the_standard_library_writes_the_same(
    monkeypatch: pytest.MonkeyPatch, pretty: bool
) -> None:
    value = {"b": [1, {"c": "ä\n"}], "a": None}
    with_orjson = json_text(value, pretty=pretty)
    monkeypatch.setattr(jsontext, "orjson", None)
    assert json_text(value, pretty=pretty) == with_orjson == stdlib(value, pretty)


def test_compact_is_one_line_and_pretty_is_indented() -> None:
    value = {"decisions": [{"outcome": "block"}], "schema": "x"}
    assert json_text(value) == '{"decisions":[{"outcome":"block"}],"schema":"x"}'
    assert json_text(value, pretty=True).splitlines()[:3] == [
        "{",
        '  "decisions": [',
        "    {",
    ]


def test_check_writes_one_line_and_pretty_the_same_document_indented(
    cli: Any,
) -> None:
    args = ["check", "examples/exports", "--at", "2024-06-10", "--format", "json"]
    args += ["--exceptions", "examples/exceptions.yaml"]
    code, compact, _ = cli(*args)
    pretty_code, pretty, _ = cli(*args, "--pretty")
    assert code == pretty_code == 1
    assert compact.count("\n") == 1
    assert pretty.startswith('{\n  "coverage": {\n')
    assert json.loads(compact) == json.loads(pretty)
    assert pretty == stdlib(json.loads(compact), pretty=True) + "\n"
