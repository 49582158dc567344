"""Hostile YAML in packs, scenario files, exception registers and native facts files.

Each case goes through the command line as a user meets it: exit status 2 and
one ``error: FILE:LINE: ...`` line, never a traceback, never unbounded time or
memory; in a facts file a refused item is one reject and the other items are
facts. The last tests state the shared loader's contract as properties.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff_rules.adapters.native import NativeYamlAdapter
from handoff_rules.errors import HandoffError
from handoff_rules.policy.exceptions.yaml_format import parse_register_text
from handoff_rules.yamlsafe import MAX_DEPTH, YamlError, load
from handoff_rules.yamlsrc import parse_yaml

#: The ``cli`` fixture (tests/conftest.py): exit status, stdout, stderr.
CliRun = Callable[..., tuple[int, str, str]]

INT64_MAX = 2**63 - 1

HEADER = textwrap.dedent(
    """\
    name: demo
    version: 1.0.0
    effective_from: 2024-01-01
    parameters:
      limit:
        type: money
        value: "100.00 EUR"
    """
)
RULE = textwrap.dedent(
    """\
    rules:
      - id: LEG-CTR-009
        title: demo rule
        owner: LEG
        checkpoints: [H1]
        severity: block
        subject: order
        message: "order {subject.id}"
        fail_when:
          - where: [net_value > params.limit]
    """
)
#: The line of RULE's condition, where a bad constant in it is reported.
CONDITION_LINE = 10

REGISTER = textwrap.dedent(
    """\
    - id: EX-1
      revision: 1
      rule: ACC-POA-001
      pack_versions: ">=1.0,<2"
      rule_digest: a1a1a1a1a1a1a1a1
      scope: {order: "4711", checkpoint: H3}
      reason: known employee of the buyer
      ticket: OPS-1
      requested_by: {name: Jana Novak, role: sales_rep}
      approved_by: {name: Petr Dvorak, role: chief_accountant}
      valid_from: 2026-11-01
      valid_until: 2026-11-14
    """
)

FACTS = textwrap.dedent(
    """\
    handoff-rules-facts: 1
    facts:
      - type: order
        data: {id: "4711", order_date: 2024-05-02}
      - {HOSTILE}
      - type: order
        data: {id: "4712", order_date: 2024-05-03}
    """
)


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """``width ** levels`` leaves once expanded, in well under a kilobyte."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def write_pack(tmp_path: Path, header: str = HEADER, rules: str | bytes = RULE) -> Path:
    folder = tmp_path / "demo"
    (folder / "rules").mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(header, encoding="utf-8")
    rules_file = folder / "rules" / "main.yaml"
    if isinstance(rules, bytes):
        rules_file.write_bytes(rules)
    else:
        rules_file.write_text(rules, encoding="utf-8")
    return folder


def one_error(result: tuple[int, str, str], file: Path, line: int) -> str:
    """The message of the single ``error: FILE:LINE: ...`` line of a run that exited 2."""
    code, out, err = result
    assert "Traceback" not in out + err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    match = re.fullmatch(rf"error: {re.escape(str(file))}:(?:line )?{line}: (.+)", lines[0])
    assert match is not None, lines[0]
    return match[1]


def jsonl_records(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# --- 1. expansion: aliases -----------------------------------------------------------------


def test_the_alias_bomb_is_a_small_file() -> None:
    assert len(alias_bomb().encode()) < 800


def test_an_alias_bomb_in_a_pack_is_refused_at_once_in_bounded_memory(tmp_path: Path) -> None:
    folder = write_pack(tmp_path, header=HEADER + alias_bomb())
    # A child process under a memory cap, so that the expansion this guards
    # against fails the test instead of taking the machine.
    child = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))\n"
        "from handoff_rules.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", child, "pack", "show", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert time.monotonic() - started < 30
    message = one_error((done.returncode, done.stdout, done.stderr), folder / "pack.yaml", 9)
    assert message.startswith("alias *l0: aliases are not allowed")


def test_a_recursive_alias_in_a_pack_is_an_error_at_its_line(tmp_path: Path, cli: CliRun) -> None:
    folder = write_pack(tmp_path, rules=RULE + "extra: &r [*r]\n")
    message = one_error(cli("pack", "show", str(folder)), folder / "rules" / "main.yaml", 11)
    assert "aliases are not allowed" in message


def test_an_anchor_alone_is_inert_and_allowed(tmp_path: Path, cli: CliRun) -> None:
    folder = write_pack(tmp_path, rules=RULE.replace("checkpoints: [H1]", "checkpoints: &c [H1]"))
    code, out, err = cli("pack", "show", str(folder))
    assert (code, err) == (0, "")
    assert "LEG-CTR-009" in out


@pytest.mark.parametrize(
    "item",
    [
        "*s",  # the scope written above, again
        textwrap.indent(alias_bomb(), "  ")[2:],  # the bomb as one register item
    ],
)
def test_an_alias_in_a_register_is_an_error_at_its_line(
    tmp_path: Path, cli: CliRun, item: str
) -> None:
    register = tmp_path / "exceptions.yaml"
    text = REGISTER.replace("scope: {", "scope: &s {") + "- " + item + "\n"
    register.write_text(text, encoding="utf-8")
    result = cli("exceptions", "expiring", str(register), "--at", "2026-11-02")
    line = 13 if item == "*s" else 14
    assert "aliases are not allowed" in one_error(result, register, line)


def test_an_alias_in_a_facts_item_is_one_reject(tmp_path: Path, cli: CliRun) -> None:
    path = tmp_path / "facts.yaml"
    text = FACTS.replace(
        'type: order\n    data: {id: "4711"', 'type: order\n    data: &d {id: "4711"'
    )
    path.write_text(text.replace("{HOSTILE}", "{type: order, data: *d}"), encoding="utf-8")
    code, out, err = cli("read", str(path), "--format", "jsonl")
    assert (code, err) == (0, "")
    records = jsonl_records(out)
    assert [r["record"] for r in records] == ["fact", "reject", "fact", "summary"]
    assert "aliases are not allowed" in str(records[1]["reason"])
    assert records[1]["provenance"]["line"] == 5  # type: ignore[index]


# --- 2. recursion: nesting depth -------------------------------------------------------------

DEEP = {
    "flow lists": "[" * 100_000 + "]" * 100_000,
    "flow mappings": "{a: " * 100_000 + "}" * 100_000,
    "block mappings": "\n"
    + "".join("  " * i + "a:\n" for i in range(1, 1_000))
    + "  " * 1_000
    + "z",
}


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deep_nesting_in_a_pack_is_an_error_at_its_line(
    tmp_path: Path, cli: CliRun, shape: str
) -> None:
    folder = write_pack(tmp_path, header=HEADER + "description: " + DEEP[shape] + "\n")
    started = time.monotonic()
    result = cli("pack", "show", str(folder))
    assert time.monotonic() - started < 10
    line = 8 if shape != "block mappings" else 8 + MAX_DEPTH
    message = one_error(result, folder / "pack.yaml", line)
    assert message == f"nested too deeply (more than {MAX_DEPTH} levels)"


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deep_nesting_in_a_register_is_an_error_at_its_line(
    tmp_path: Path, cli: CliRun, shape: str
) -> None:
    register = tmp_path / "exceptions.yaml"
    register.write_text(REGISTER + "- " + DEEP[shape] + "\n", encoding="utf-8")
    line = 13 if shape != "block mappings" else 13 + MAX_DEPTH
    result = cli("exceptions", "expiring", str(register), "--at", "2026-11-02")
    assert "nested too deeply" in one_error(result, register, line)


def test_deep_nesting_in_a_scenario_file_is_an_error_at_its_line(
    tmp_path: Path, cli: CliRun
) -> None:
    folder = write_pack(tmp_path)
    (folder / "tests").mkdir()
    scenarios = folder / "tests" / "deep.yaml"
    scenarios.write_text("scenarios:\n  - " + DEEP["flow lists"] + "\n", encoding="utf-8")
    assert "nested too deeply" in one_error(cli("pack", "test", str(folder)), scenarios, 2)


def test_deep_nesting_in_a_facts_file_stops_that_file_only(tmp_path: Path, cli: CliRun) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text(FACTS.replace("{HOSTILE}", DEEP["flow lists"]), encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(FACTS.replace("  - {HOSTILE}\n", ""), encoding="utf-8")
    code, out, err = cli("read", str(good), str(deep), "--format", "jsonl")
    assert "Traceback" not in out + err
    assert code == 2
    assert err.strip() == f"error: {deep}:line 5: nested too deeply (more than {MAX_DEPTH} levels)"
    assert [r["record"] for r in jsonl_records(out)] == ["fact", "fact", "summary"]


def test_a_deep_json_line_is_one_reject_even_as_the_first_line(tmp_path: Path, cli: CliRun) -> None:
    path = tmp_path / "facts.jsonl"
    fact = {"record": "fact", "type": "order", "data": {"id": "4711"}}
    deep = "[" * 10_000 + "]" * 10_000  # beyond Python's recursion limit, within the sniffed head
    path.write_text(deep + "\n" + json.dumps(fact) + "\n", encoding="utf-8")
    code, out, err = cli("read", str(path), "--format", "jsonl")
    assert (code, err) == (0, "")
    records = jsonl_records(out)
    assert [r["record"] for r in records] == ["reject", "fact", "summary"]
    assert records[0]["reason"] == "not a record: nested too deeply"


def test_nesting_up_to_the_limit_is_read_everywhere(tmp_path: Path, cli: CliRun) -> None:
    """The limit refuses only what is deeper: the readers recurse safely up to it."""
    lists = MAX_DEPTH - 1  # under a top-level mapping
    nested = "[" * lists + "x" + "]" * lists
    assert parse_yaml("a: " + nested, "f.yaml").plain() == {"a": yaml.safe_load(nested)}
    register = tmp_path / "exceptions.yaml"
    register.write_text(REGISTER.replace("OPS-1", "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)))
    assert "'ticket' must be text" in one_error(
        cli("exceptions", "expiring", str(register), "--at", "2026-11-02"), register, 8
    )
    lists = MAX_DEPTH - 5  # facts file, facts list, item, data, values
    value = "[" * lists + "]" * lists
    item = "{type: derived, data: {name: x, subject: '1', values: {v: " + value + "}}}"
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS.replace("{HOSTILE}", item), encoding="utf-8")
    code, out, err = cli("read", str(path), "--format", "jsonl")
    assert (code, err) == (0, "")
    records = jsonl_records(out)
    assert [r["record"] for r in records] == ["fact", "reject", "fact", "summary"]
    # read to the end and handed to the model, which takes no lists in derived values
    assert str(records[1]["reason"]).startswith("invalid Derived: unsupported derived value")


# --- 9. whole numbers beyond the engine's 64 bits ---------------------------------------------


INT64_RANGE = f"range -{INT64_MAX + 1} to {INT64_MAX}"
#: Money is bounded tighter than 64 bits (model/bounds.py): 14 digits
#: before the point, so that sums stay exact; a money constant fails that bound first.
DECIMAL_RANGE = "at most 14 digits before the decimal point"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (f"payment_days > {INT64_MAX + 1}", INT64_RANGE),
        (f"payment_days > -{INT64_MAX + 2}", INT64_RANGE),
        ('"net_value > \\"92233720368547758.08 EUR\\""', DECIMAL_RANGE),
        ("discount_pct > 922337203685477.5808", INT64_RANGE),
        # compiled as ``at > order_date + k``, where k = -(-2**63) no longer fits
        (f"order_date < at - {INT64_MAX + 1}", INT64_RANGE),
    ],
)
def test_a_condition_constant_beyond_int64_is_an_error_with_the_range(
    tmp_path: Path, cli: CliRun, condition: str, expected: str
) -> None:
    folder = write_pack(tmp_path, rules=RULE.replace("net_value > params.limit", condition))
    message = one_error(
        cli("pack", "show", str(folder)), folder / "rules" / "main.yaml", CONDITION_LINE
    )
    assert expected in message


@pytest.mark.parametrize("value", [INT64_MAX + 1, -INT64_MAX - 2, 10**30])
def test_a_whole_number_parameter_beyond_int64_is_an_error_at_its_line(
    tmp_path: Path, cli: CliRun, value: int
) -> None:
    header = HEADER + f"  big:\n    type: int\n    value: {value}\n"
    folder = write_pack(tmp_path, header=header)
    message = one_error(cli("pack", "show", str(folder)), folder / "pack.yaml", 10)
    assert f"from -{INT64_MAX + 1} to {INT64_MAX}" in message


def test_whole_numbers_at_the_edges_of_int64_load(tmp_path: Path, cli: CliRun) -> None:
    header = HEADER + f"  top:\n    type: int\n    value: {INT64_MAX}\n"
    rules = RULE.replace("net_value > params.limit", f"payment_days > {-INT64_MAX - 1}")
    folder = write_pack(tmp_path, header=header, rules=rules)
    code, out, _ = cli("pack", "show", str(folder))
    assert code == 0
    assert f"top (int) = {INT64_MAX}" in out


# --- 10. tags ----------------------------------------------------------------------------------


def system_call(marker: Path) -> str:
    return f'!!python/object/apply:os.system ["touch {marker}"]'


def test_a_python_tag_in_a_facts_item_is_one_reject_and_runs_nothing(
    tmp_path: Path, cli: CliRun
) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS.replace("{HOSTILE}", system_call(marker)), encoding="utf-8")
    code, out, err = cli("read", str(path), "--format", "jsonl")
    assert (code, err) == (0, "")
    assert not marker.exists()
    records = jsonl_records(out)
    assert [r["record"] for r in records] == ["fact", "reject", "fact", "summary"]
    assert [r["data"]["id"] for r in records if r["record"] == "fact"] == ["4711", "4712"]  # type: ignore[index]
    reject = records[1]
    assert reject["provenance"]["line"] == 5  # type: ignore[index]
    assert str(reject["reason"]).startswith("tag !!python/object/apply:os.system is not allowed")


@pytest.mark.parametrize(
    "item",
    [
        "{type: order, data: !!python/object/apply:os.system [touch x]}",
        "{type: order, data: {id: !!binary aGk=}}",
        "{type: order, data: {id: !custom x}}",
        "{type: !!python/name:os.system order, data: {}}",
        "{type: derived, data: {name: x, subject: '1', v: !!set {a: null}}}",
    ],
)
def test_any_unknown_tag_in_a_facts_item_is_one_reject(
    tmp_path: Path, cli: CliRun, item: str
) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS.replace("{HOSTILE}", item), encoding="utf-8")
    code, out, err = cli("read", str(path), "--format", "jsonl")
    assert (code, err) == (0, "")
    records = jsonl_records(out)
    assert [r["record"] for r in records] == ["fact", "reject", "fact", "summary"]
    assert re.match(r"tag \S+ is not allowed .*\(line 5\)$", str(records[1]["reason"]))


def test_a_tag_outside_the_facts_items_refuses_the_file(tmp_path: Path, cli: CliRun) -> None:
    path = tmp_path / "facts.yaml"
    text = FACTS.replace("  - {HOSTILE}\n", "").replace(
        "facts:\n", "description: !!binary aGk=\nfacts:\n"
    )
    path.write_text(text, encoding="utf-8")
    assert one_error(cli("read", str(path)), path, 2).startswith("tag !!binary is not allowed")


def test_a_python_tag_in_a_pack_is_an_error_at_its_line(tmp_path: Path, cli: CliRun) -> None:
    marker = tmp_path / "ran"
    folder = write_pack(tmp_path, header=HEADER + f"description: {system_call(marker)}\n")
    message = one_error(cli("pack", "show", str(folder)), folder / "pack.yaml", 8)
    assert message.startswith("tag !!python/object/apply:os.system is not allowed")
    assert not marker.exists()


def test_a_python_tag_in_a_register_is_an_error_at_its_line(tmp_path: Path, cli: CliRun) -> None:
    marker = tmp_path / "ran"
    register = tmp_path / "exceptions.yaml"
    register.write_text(REGISTER.replace("OPS-1", system_call(marker)), encoding="utf-8")
    result = cli("exceptions", "expiring", str(register), "--at", "2026-11-02")
    assert one_error(result, register, 8).startswith("tag !!python/object/apply:os.system")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int twelve", "'twelve' is not a whole number"),
        ("!!bool maybe", "'maybe' is not true or false"),
        ("2024-02-30", "'2024-02-30' is not a date YYYY-MM-DD: day is out of range for month"),
        ("9" * 5000, "has more than 4300 digits"),
    ],
)
def test_a_scalar_that_does_not_fit_its_type_is_an_error_at_its_line(
    tmp_path: Path, cli: CliRun, value: str, message: str
) -> None:
    folder = write_pack(tmp_path, header=HEADER + f"max_exception_days: {value}\n")
    assert message in one_error(cli("pack", "show", str(folder)), folder / "pack.yaml", 8)


def test_merge_keys_and_equals_are_plain_text(tmp_path: Path, cli: CliRun) -> None:
    folder = write_pack(tmp_path, header=HEADER + "<<: {description: merged}\n")
    message = one_error(cli("pack", "show", str(folder)), folder / "pack.yaml", 8)
    assert message.startswith("unknown key '<<' in pack.yaml")
    folder = write_pack(tmp_path, header=HEADER + "description: =\n")
    assert cli("pack", "show", str(folder))[0] == 0


# --- encodings and document shapes ---------------------------------------------------------------


def test_invalid_utf8_in_a_pack_file_names_its_line(tmp_path: Path, cli: CliRun) -> None:
    folder = write_pack(tmp_path, rules=RULE.encode().replace(b"demo rule", b"demo \xff rule"))
    message = one_error(cli("pack", "show", str(folder)), folder / "rules" / "main.yaml", 3)
    assert message == "not UTF-8 text: byte 0xff (invalid start byte)"


def test_invalid_utf8_in_a_scenario_file_names_its_line(tmp_path: Path, cli: CliRun) -> None:
    folder = write_pack(tmp_path)
    (folder / "tests").mkdir()
    scenarios = folder / "tests" / "s.yaml"
    scenarios.write_bytes(b"scenarios:\n  - name: caf\xc3\n")
    message = one_error(cli("pack", "test", str(folder)), scenarios, 2)
    assert message.startswith("not UTF-8 text: byte 0xc3")


def test_invalid_utf8_in_a_register_names_its_line(tmp_path: Path, cli: CliRun) -> None:
    register = tmp_path / "exceptions.yaml"
    register.write_bytes(REGISTER.encode().replace(b"Jana", b"J\xe1na"))
    result = cli("exceptions", "expiring", str(register), "--at", "2026-11-02")
    assert one_error(result, register, 9).startswith("not UTF-8 text: byte 0xe1")


def test_a_control_character_names_its_line(tmp_path: Path, cli: CliRun) -> None:
    folder = write_pack(tmp_path, header=HEADER + 'description: "a\x00b"\n')
    message = one_error(cli("pack", "show", str(folder)), folder / "pack.yaml", 8)
    assert message == "not valid YAML: character U+0000 is not allowed in YAML text"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "pack.yaml must be a mapping, not empty"),
        ("# only a comment\n", 1, "pack.yaml must be a mapping, not empty"),
        ("\nhello\n", 2, "pack.yaml must be a mapping, not str 'hello'"),
        (HEADER + "---\nname: other\n", 8, "not valid YAML: expected a single document"),
    ],
)
def test_empty_scalar_and_multi_document_packs_are_errors(
    tmp_path: Path, cli: CliRun, text: str, line: int, message: str
) -> None:
    folder = write_pack(tmp_path, header=text)
    assert one_error(cli("pack", "show", str(folder)), folder / "pack.yaml", line).startswith(
        message
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# nothing yet\n\nhello\n", 3, "a register is a YAML list of exception revisions"),
        (REGISTER + "---\n" + REGISTER, 13, "not valid YAML: expected a single document"),
    ],
)
def test_scalar_and_multi_document_registers_are_errors(
    tmp_path: Path, cli: CliRun, text: str, line: int, message: str
) -> None:
    register = tmp_path / "exceptions.yaml"
    register.write_text(text, encoding="utf-8")
    result = cli("exceptions", "expiring", str(register), "--at", "2026-11-02")
    assert one_error(result, register, line).startswith(message)


def test_an_empty_register_holds_no_exceptions(tmp_path: Path, cli: CliRun) -> None:
    register = tmp_path / "exceptions.yaml"
    register.write_text("# no exceptions yet\n", encoding="utf-8")
    code, out, err = cli("exceptions", "expiring", str(register), "--at", "2026-11-02")
    assert (code, err) == (0, "")
    assert out.startswith("no exception")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "empty: expected 'handoff-rules-facts: 1' and 'facts'"),
        ("\n\n- handoff-rules-facts\n", 3, "expected a mapping with 'handoff-rules-facts: 1'"),
        ("handoff-rules-facts: 1\nfacts: []\n---\nfacts: []\n", 3, "not valid YAML/JSON"),
    ],
)
def test_empty_scalar_and_multi_document_facts_files_are_errors(
    tmp_path: Path, cli: CliRun, text: str, line: int | None, message: str
) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli("read", str(path), "--adapter", "native-yaml")
    assert "Traceback" not in out + err
    assert code == 2
    where = str(path) if line is None else f"{path}:line {line}"
    assert err.strip().startswith(f"error: {where}: {message}")


# --- the shared loader's contract, as properties --------------------------------------------------

#: Pieces of YAML syntax, good and hostile, that generated text is made of.
TOKENS = [
    *"[]{}:,-?|>'\"#&*!%\n\t ",
    "  ",
    "\n  ",
    "\n- ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2024:\n",
    "&a ",
    "*a",
    "&r [*r]",
    "<<: ",
    "= ",
    "!!python/object/apply:os.system ",
    "!!python/name:os.getcwd ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!local ",
    "! ",
    "key: ",
    "id: ",
    "facts: ",
    "handoff-rules-facts: 1\n",
    "2024-02-30",
    "2024-01-01 25:61:61 +99:00",
    "0x1F",
    "0o17",
    "1_000",
    "1e999",
    ".inf",
    ".nan",
    "~",
    "null",
    "yes",
    "9" * 4400,
    "[" * 40,
    "]" * 40,
    "{a: " * 40,
    "\x00",
    "\ufeff",
    "\x85",
    "\u2028",
    "\ud800",
    "é",
    "Ромашка",
]

yamlish = st.lists(st.sampled_from(TOKENS) | st.text(max_size=4), max_size=60).map("".join)

#: Well-formed documents of each kind, for mutation.
SEEDS = [HEADER, RULE, REGISTER, FACTS.replace("{HOSTILE}", "{type: order, data: {id: '1'}}")]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 20)))
        text = text[:start] + draw(yamlish) + text[end:]
    return text


def read_every_way(text: str) -> None:
    """Every reader built on the shared loader, on the same text."""
    load(text, "t.yaml")
    parse_yaml(text, "t.yaml")
    parse_yaml(text, "t.yaml", text_scalars=True)
    parse_register_text(text, "t.yaml")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "facts.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        list(NativeYamlAdapter().read(path))


def contract_holds(text: str) -> None:
    started = time.monotonic()
    with contextlib.suppress(HandoffError):
        read_every_way(text)
    assert time.monotonic() - started < 5


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yamlish)
def test_generated_yaml_loads_or_is_a_handoff_error(text: str) -> None:
    contract_holds(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_documents_load_or_are_a_handoff_error(text: str) -> None:
    contract_holds(text)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 3 * MAX_DEPTH), st.sampled_from(["[", "{a: ", "- "]))
def test_depth_is_refused_exactly_beyond_the_limit(depth: int, opener: str) -> None:
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    if opener == "- ":
        text = "".join("  " * i + "- " + ("\n" if i < depth - 1 else "x\n") for i in range(depth))
    else:
        text = opener * depth + "x" + closer * depth
    if depth <= MAX_DEPTH:
        assert load(text, "t.yaml") is not None
    else:
        with pytest.raises(YamlError, match=rf"more than {MAX_DEPTH} levels"):
            load(text, "t.yaml")
