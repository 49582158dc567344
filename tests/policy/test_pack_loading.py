"""Loading packs: the default pack loads, and every mistake is a file:line error."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from handoff_rules.decision import Checkpoint, Severity
from handoff_rules.engine.ir import Compare, Const, Present, Ref
from handoff_rules.plugins import make_plugin_manager
from handoff_rules.policy.discovery import find_pack, select_version
from handoff_rules.policy.pack import PackError, load_pack

DEFAULT = Path(__file__).parents[2] / "src/handoff_rules/packs/o2c-standard/1.0.0"

HEADER = """\
name: demo
version: 1.0.0
effective_from: 2024-01-01
max_exception_days: 30
parameters:
  grace:
    type: days
    value: 3
  limit:
    type: money
    value: "100.00 EUR"
  kinds:
    type: text_list
    value: [contract, addendum]
"""

RULE = """\
rules:
  - id: LEG-CTR-009
    title: demo rule
    owner: LEG
    checkpoints: [H1]
    severity: block
    waivable_by: [legal_counsel]
    max_waiver_days: 10
    subject: order
    requires: [order_date]
    message: "order {subject.id} on {subject.order_date}"
    fail_when:
      - where: [net_value > params.limit]
"""


def write_pack(tmp_path: Path, rules: str = RULE, header: str = HEADER) -> Path:
    folder = tmp_path / "demo"
    (folder / "rules").mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(header, encoding="utf-8")
    (folder / "rules" / "main.yaml").write_text(rules, encoding="utf-8")
    return folder


def error_of(tmp_path: Path, rules: str = RULE, header: str = HEADER) -> str:
    with pytest.raises(PackError) as info:
        load_pack(write_pack(tmp_path, rules, header))
    return str(info.value)


def test_default_pack_loads_with_every_catalogue_rule() -> None:
    pack = load_pack(DEFAULT)
    assert pack.name == "o2c-standard"
    assert pack.version == "1.0.0"
    assert re.fullmatch(r"[0-9a-f]{64}", pack.digest)
    ids = {rule.id for rule in pack.rules}
    assert {
        "ACC-POA-001",
        "ACC-PAY-001",
        "ACC-DOC-001",
        "ACC-CLS-001",
        "LEG-CTR-001",
        "LEG-CTR-002",
        "ACC-ID-001",
        "ACC-CRD-001",
        "SUP-DOC-001",
        "SAL-ERR-001",
    } <= ids
    poa = pack.rule_map["ACC-POA-001"]
    assert poa.owner == "ACC"
    assert poa.checkpoints == (Checkpoint.H3,)
    assert poa.waivable_by == ("chief_accountant",)
    assert re.fullmatch(r"[0-9a-f]{64}", poa.digest)
    doc = pack.rule_map["ACC-DOC-001"]
    assert doc.severity_at(Checkpoint.H4) is Severity.WARN
    assert doc.severity_at(Checkpoint.H5) is Severity.BLOCK


def test_money_comparison_compiles_to_minor_units_and_currency(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path))
    (clause,) = pack.rules[0].ir.violations
    assert clause.subject == (
        Compare("net_value__minor", ">", Const(10000)),
        Compare("net_value__currency", "==", Const("EUR"), True),
    )


def test_at_conditions_move_to_the_evaluation_join(tmp_path: Path) -> None:
    rules = RULE.replace("[net_value > params.limit]", "[order_date < at - params.grace]")
    (clause,) = load_pack(write_pack(tmp_path, rules)).rules[0].ir.violations
    assert clause.subject == ()
    (join,) = clause.joins
    assert join.alias == "at"
    assert join.fact_type == "evaluation"
    assert join.conditions == (Compare("date", ">", Ref("subject", "order_date", 3)),)


def test_in_expands_to_clauses_and_not_in_to_a_conjunction(tmp_path: Path) -> None:
    rules = RULE.replace("subject: order", "subject: document").replace(
        "requires: [order_date]", "requires: [issued_on]"
    )
    rules = rules.replace(
        "[net_value > params.limit]", '[kind in params.kinds, "form not in [fax, scan]"]'
    )
    rules = rules.replace("{subject.order_date}", "{subject.issued_on}")
    ir = load_pack(write_pack(tmp_path, rules)).rules[0].ir
    assert len(ir.violations) == 2
    assert ir.violations[0].subject == (
        Compare("kind", "==", Const("contract"), True),
        Compare("form", "!=", Const("fax"), True),
        Compare("form", "!=", Const("scan"), True),
    )


def test_in_on_an_enum_in_applies_is_its_complement(tmp_path: Path) -> None:
    rules = RULE.replace("subject: order", "subject: document").replace(
        "requires: [order_date]", 'applies: ["kind in [contract, addendum]"]'
    )
    rules = rules.replace("[net_value > params.limit]", "[form == fax]")
    rules = rules.replace("{subject.order_date}", "{subject.kind}")
    ir = load_pack(write_pack(tmp_path, rules)).rules[0].ir
    assert ir.applies[0] == Present("kind")
    excluded = {c.value.value for c in ir.applies[1:] if isinstance(c, Compare)}
    assert "contract" not in excluded
    assert {"invoice", "letter", "power_of_attorney"} <= excluded


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    owner: LEG\n",
            "    owner: LEG\n    colour: red\n",
            r"main.yaml:5: unknown key 'colour'",
        ),
        ("net_value > params.limit", "net_value >> params.limit", r"main.yaml:13: cannot read"),
        ("subject: order", "subject: shipment", r"main.yaml:9: unknown fact type 'shipment'"),
        (
            "net_value > params.limit",
            "net_worth > params.limit",
            r"main.yaml:13: order has no field",
        ),
        ("net_value > params.limit", 'ship_to < "X"', r"main.yaml:13: ship_to is text: only =="),
        (
            "net_value > params.limit",
            "net_value > params.grace",
            r"parameter grace is of type days",
        ),
        ("net_value > params.limit", "net_value > params.nothing", r"unknown parameter 'nothing'"),
        ("owner: LEG", "owner: LAW", r"main.yaml:4: owner 'LAW'"),
        ("checkpoints: [H1]", "checkpoints: [H7]", r"main.yaml:5: checkpoint 'H7'"),
        ("severity: block", "severity: fatal", r"main.yaml:6: severity 'fatal'"),
        ("{subject.order_date}", "{subject.order_day}", r"main.yaml:11: placeholder"),
        ("{subject.order_date}", "{subject.__class__}", r"main.yaml:11: placeholder"),
        ("net_value > params.limit", "state == 3", r"main.yaml:13: field state is text"),
        ("requires: [order_date]", "requires: [order_day]", r"main.yaml:10: order has no field"),
    ],
)
def test_mistakes_name_file_line_and_expectation(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in RULE
    assert re.search(expected, error_of(tmp_path, RULE.replace(old, new, 1)))


def test_enum_literal_is_checked_against_the_model(tmp_path: Path) -> None:
    rules = RULE.replace("subject: order", "subject: document").replace(
        "requires: [order_date]", "requires: [issued_on]"
    )
    rules = rules.replace("[net_value > params.limit]", "[kind == contrakt]")
    rules = rules.replace("{subject.order_date}", "{subject.issued_on}")
    message = error_of(tmp_path, rules)
    assert "main.yaml:13" in message
    assert "'contrakt' is not a value of kind" in message


def test_duplicated_rule_id(tmp_path: Path) -> None:
    body = RULE.split("rules:\n", 1)[1]
    message = error_of(tmp_path, "rules:\n" + body + body)
    assert "main.yaml:14: rule id LEG-CTR-009 is already used at" in message


def test_parameter_of_the_wrong_type(tmp_path: Path) -> None:
    header = HEADER.replace('value: "100.00 EUR"', "value: 100.5")
    assert re.search(
        r"pack.yaml:\d+: parameter limit value must be money", error_of(tmp_path, header=header)
    )
    header = HEADER.replace("value: 3", "value: -3")
    assert "parameter grace value must be at least 0" in error_of(tmp_path, header=header)


def test_bad_version_and_missing_header_keys(tmp_path: Path) -> None:
    assert "pack.yaml:2: version 'one' is not a version" in error_of(
        tmp_path, header=HEADER.replace("1.0.0", "one")
    )


def test_string_ordering_against_another_fact_is_refused(tmp_path: Path) -> None:
    rules = RULE.replace(
        "      - where: [net_value > params.limit]",
        "      - exists:\n          - fact: counterparty\n"
        "            where: [name > subject.ship_to]",
    )
    assert "only == and != apply" in error_of(tmp_path, rules)


def test_yaml_cannot_construct_python_objects(tmp_path: Path) -> None:
    rules = RULE.replace("title: demo rule", "title: !!python/object/apply:os.system ['true']")
    assert "main.yaml:3" in error_of(tmp_path, rules)


def test_digest_is_stable_and_follows_content(tmp_path: Path) -> None:
    first = load_pack(write_pack(tmp_path / "a"))
    again = load_pack(
        write_pack(tmp_path / "b", RULE.replace("    title:", "    # note\n    title:"))
    )
    assert first.digest == again.digest
    assert first.rules[0].digest == again.rules[0].digest
    changed = load_pack(
        write_pack(tmp_path / "c", header=HEADER.replace("100.00 EUR", "90.00 EUR"))
    )
    assert changed.digest != first.digest
    # the rule reads params.limit: its digest changes with the parameter
    assert changed.rules[0].digest != first.rules[0].digest


def test_version_in_force_and_pinned(tmp_path: Path) -> None:
    root = tmp_path / "multi"
    for version, since in (("1.0.0", "2024-01-01"), ("1.1.0", "2024-07-01")):
        folder = root / version
        (folder / "rules").mkdir(parents=True)
        header = HEADER.replace("1.0.0", version).replace("2024-01-01", since)
        (folder / "pack.yaml").write_text(header, encoding="utf-8")
        (folder / "rules" / "main.yaml").write_text(RULE, encoding="utf-8")
    assert select_version(root, date(2024, 6, 30)).version == "1.0.0"
    assert select_version(root, date(2024, 7, 1)).version == "1.1.0"
    assert select_version(root, date(2024, 12, 1), "1.0.0").version == "1.0.0"
    with pytest.raises(PackError, match="no version is in force on 2023-12-31"):
        select_version(root, date(2023, 12, 31))
    with pytest.raises(PackError, match=r"no version 2.0.0 \(available: 1.0.0, 1.1.0\)"):
        select_version(root, date(2024, 12, 1), "2.0.0")


def test_find_pack_by_name_path_and_pin(tmp_path: Path) -> None:
    pm = make_plugin_manager(load_entry_points=False)
    assert find_pack(None, date(2024, 6, 1), pm).name == "o2c-standard"
    assert find_pack("o2c-standard@1.0.0", date(2024, 6, 1), pm).version == "1.0.0"
    copy = tmp_path / "copy"
    shutil.copytree(DEFAULT, copy)
    assert find_pack(str(copy), date(2024, 6, 1), pm).digest == load_pack(DEFAULT).digest
    with pytest.raises(PackError, match="no pack named 'nope'"):
        find_pack("nope", date(2024, 6, 1), pm)


def test_an_unknown_key_with_a_block_value_is_reported_on_the_key_line(tmp_path: Path) -> None:
    # The value of "rulez" starts on the next line; the person looks for the key.
    header = HEADER + "rulez:\n  - id: X\n"
    key_line = header.splitlines().index("rulez:") + 1
    assert f"pack.yaml:{key_line}: unknown key 'rulez'" in error_of(tmp_path, header=header)
