"""libyaml's parser and the pure-Python one give the same values, refusals and errors.

:mod:`handoff_rules.yamlsafe` takes its events from libyaml when PyYAML is
built with it and parses again with the pure-Python parser when libyaml
fails. Every reader built on it must therefore not depend on the build: the
same data at the same lines, or the same one-line error. These tests run each
reader both ways over generated documents (dumped data in every style, and
token soup and mutations that are mostly not YAML at all) and compare.
"""

from __future__ import annotations

import math
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handoff_rules import yamlsafe
from handoff_rules.adapters.native import NativeYamlAdapter
from handoff_rules.errors import HandoffError
from handoff_rules.policy.exceptions.yaml_format import parse_register_text
from handoff_rules.yamlsafe import MAX_DEPTH, YamlError, compose, load
from handoff_rules.yamlsrc import parse_yaml

pytestmark = pytest.mark.skipif(
    not getattr(yaml, "__with_libyaml__", False), reason="PyYAML is built without libyaml"
)


@contextmanager
def parser(libyaml: bool) -> Iterator[None]:
    saved = yamlsafe.use_libyaml
    yamlsafe.use_libyaml = libyaml
    try:
        yield
    finally:
        yamlsafe.use_libyaml = saved


def _outcome(read: Callable[[], Any]) -> str:
    """What a reader made of the text, as comparable text: its value or its error."""
    try:
        return repr(read())
    except HandoffError as exc:
        return f"{type(exc).__name__}: {exc}"


def _nodes(text: str) -> str:
    """The composed tree with every node's tag, value and marks.

    A start mark is compared whole; of an end mark only the index, the one part
    any reader uses (a native facts item's text): at the end of text without a
    final line break the pure-Python parser counts one more line.
    """
    try:
        root = compose(text, "t.yaml")
    except YamlError as exc:
        return f"YamlError: {exc}"
    shown: list[str] = []
    pending = [] if root is None else [root]
    while pending:
        node = pending.pop()
        start, end = node.start_mark, node.end_mark
        where = f"{start.line}:{start.column}:{start.index}-{end.index}"
        if isinstance(node, yaml.ScalarNode):
            shown.append(f"{node.tag} {node.value!r} {node.style or ''!r} {where}")
        else:
            shown.append(f"{node.tag} {type(node).__name__} {where}")
            for child in reversed(node.value):
                pending.extend(reversed(child) if isinstance(child, tuple) else [child])
    return "\n".join(shown)


def _facts(text: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "facts.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        read = _outcome(lambda: [repr(item) for item in NativeYamlAdapter().read(path)])
        return read.replace(folder, "<folder>")


def every_reading(text: str) -> list[str]:
    """Every reader built on the shared loader, on the same text."""
    return [
        _nodes(text),
        _outcome(lambda: load(text, "t.yaml")),
        _outcome(lambda: parse_yaml(text, "t.yaml")),
        _outcome(lambda: parse_yaml(text, "t.yaml", text_scalars=True)),
        _outcome(lambda: parse_register_text(text, "t.yaml")),
        _facts(text),
    ]


def assert_parsers_agree(text: str) -> None:
    with parser(libyaml=False):
        expected = every_reading(text)
    with parser(libyaml=True):
        got = every_reading(text)
    assert got == expected


# --- generated documents -------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False)
    | st.dates()
    | st.text(max_size=12)
    | st.sampled_from(["0000012345", "1_000", "0x1F", "0o17", "yes", "~", "1.5e3", "2024-02-30"])
)
_keys = st.text(max_size=8) | st.sampled_from(["id", "type", "data", "facts", "<<", "="])
_data = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=25,
)


@st.composite
def dumped(draw: st.DrawFn) -> str:
    """Data written by PyYAML's emitter in one of its styles."""
    data = draw(_data)
    if draw(st.booleans()):
        data = {"handoff-rules-facts": 1, "facts": [{"type": "order", "data": data}]}
    return yaml.safe_dump(
        data,
        default_flow_style=draw(st.sampled_from([False, True, None])),
        default_style=draw(st.sampled_from([None, '"', "'", "|", ">"])),
        allow_unicode=draw(st.booleans()),
        width=draw(st.sampled_from([20, 80, 1000])),
        indent=draw(st.integers(2, 5)),
        explicit_start=draw(st.booleans()),
        canonical=draw(st.booleans()),
    )


#: Pieces of YAML syntax, hostile or not, for token soup.
TOKENS = [
    *("- ", "? ", ": ", ":", ",", "[", "]", "{", "}", "#", "&a ", "*a", "!!str ", "!x ", "! "),
    *("|", ">", "|-", ">+2", '"', "'", "\\", '"\\x41"', '"\\u00e9"', '"\\ud800"', "%YAML 1.1\n"),
    *("%TAG ! tag:x,2002:\n", "---\n", "...\n", "--- ", "\n", "\n  ", "\n    ", " ", "  ", "\t"),
    *("\r\n", "\r", "\x85", "\u2028", "\u2029", "\ufeff", "\x00", "\x07", "é", "Ромашка", "😀"),
    *("key", "id: ", "a: b", "2024-01-01", "2024-01-01 10:00:00+02:00", "1.5", "-0", ".inf"),
    *("0x1F", "0o17", "0b101", "1_000", "1e999", "9" * 30, "null", "yes", "on", "<<: ", "= "),
    *("handoff-rules-facts: 1\n", "facts:\n", "type: order\n", "data: {id: '1'}\n"),
]
soup = st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=40).map("".join)

SEEDS = [
    textwrap.dedent(
        """\
        handoff-rules-facts: 1
        facts:
          - type: order
            data: {id: "4711", counterparty_id: C1, order_date: 2024-05-02, net_value: 10 EUR}
          - type: delivery
            data:
              id: D-1
              order_id: '4711'
              receiver_name: >
                Jana
                Nováková
        """
    ),
    textwrap.dedent(
        """\
        - id: EX-1
          revision: 1
          rule: ACC-POA-001
          scope: {order: "4711", checkpoint: H3}
          valid_from: 2026-11-01
          limits: {value: "2000.00 EUR", uses: 1}
        """
    ),
    textwrap.dedent(
        """\
        rules:
          - id: LEG-CTR-009
            checkpoints: [H1]
            message: "order {subject.id}"
            fail_when:
              - where: [net_value > params.limit]
        """
    ),
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS) | dumped())
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 10)))
        text = text[:start] + draw(soup) + text[end:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dumped())
def test_dumped_data_reads_alike(text: str) -> None:
    assert_parsers_agree(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(soup)
@example("a:\tb\n")
@example("a: 1\n\tb: 2\n")
@example("{a: 1, a: 2}\n")
@example("- 2024-01-01\n- 2024-1-1\n- 2001-12-14t21:59:43.10-05:00\n")
@example("- 123456789012345678901234567890\n- 0o777\n- 0b1010\n- 1_0\n- 0x_1F\n- 190:20:30\n")
@example("a: [b: c]\n")
@example("[a:b]\n")
@example("%YAML 1.2\n---\na\n")
@example('"\\x41\\u00e9\\U0001F600"\n')
@example("a: b\u2028c: d\n")
@example("a: b\rc: d\n")
def test_token_soup_reads_alike(text: str) -> None:
    assert_parsers_agree(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_documents_read_alike(text: str) -> None:
    assert_parsers_agree(text)


@pytest.mark.parametrize("libyaml", [False, True], ids=["python", "libyaml"])
@pytest.mark.parametrize("opener", ["[", "{a: ", "- "])
def test_depth_is_refused_beyond_the_limit_by_both_parsers(libyaml: bool, opener: str) -> None:
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    for depth in (MAX_DEPTH, MAX_DEPTH + 1, 200 if opener == "- " else 20_000):
        if opener == "- ":
            lines = ("  " * i + "- " + ("\n" if i < depth - 1 else "x\n") for i in range(depth))
            text = "".join(lines)
        else:
            text = opener * depth + "x" + closer * depth
        with parser(libyaml):
            if depth <= MAX_DEPTH:
                assert load(text, "t.yaml") is not None
            else:
                with pytest.raises(
                    YamlError, match=rf"line (1|33): .*more than {MAX_DEPTH} levels"
                ):
                    load(text, "t.yaml")


@pytest.mark.parametrize("libyaml", [False, True], ids=["python", "libyaml"])
def test_both_parsers_refuse_aliases_and_tags_at_their_line(libyaml: bool) -> None:
    text = "a: &x 1\nb:\n  - 2\n  - *x\nc: !!binary aGk=\n"
    with parser(libyaml):
        with pytest.raises(YamlError) as alias:
            load(text, "t.yaml")
        with pytest.raises(YamlError) as tag:
            load(text.replace("*x", "3"), "t.yaml")
    assert str(alias.value) == (
        "t.yaml:line 4: alias *x: aliases are not allowed (write the value out where it is used)"
    )
    assert str(tag.value).startswith("t.yaml:line 5: tag !!binary is not allowed")


def test_libyaml_reads_the_values_plain_yaml_has() -> None:
    text = "a: 2024-05-02\nb: 0000012345\nc: 1.50\nd: [yes, ~, 0x1F]\ne: Nováková\n"
    with parser(libyaml=True):
        value = load(text, "t.yaml")
    assert value == {
        "a": date(2024, 5, 2),
        "b": 0o12345,
        "c": 1.5,
        "d": [True, None, 31],
        "e": "Nováková",
    }
    assert not math.isnan(value["c"])


def test_the_libyaml_path_is_the_one_taken() -> None:
    """Guards the speed-up: with libyaml on, composing never runs the pure-Python scanner."""
    calls: list[str] = []
    original = yaml.scanner.Scanner.check_token

    def spy(self: yaml.scanner.Scanner, *choices: Any) -> bool:
        calls.append("scan")
        return original(self, *choices)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yaml.scanner.Scanner, "check_token", spy)
        with parser(libyaml=True):
            compose("a: [1, 2]\n", "t.yaml")
        assert calls == []
        with parser(libyaml=False):
            compose("a: [1, 2]\n", "t.yaml")
        assert calls
