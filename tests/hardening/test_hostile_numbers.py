"""Numbers too large, too long or not finite: rejects with file and line, in every adapter.

Every number of a fact reaches the rule engines as a 64-bit integer (money in
minor units, decimals scaled by 10**4; :mod:`handoff_rules.model.bounds`). A
value beyond that used to crash ``check`` (``decimal.Overflow`` while
flattening, Python's int-string conversion limit while reading) or to make the
``durable`` backend stop the whole run while ``reference`` decided every case.
Each such value must instead be one reject, with its file and line, while
every other record of the file becomes a fact and both backends decide the
same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from handoff_rules.adapters.values import ValueParseError, parse_decimal, parse_int
from handoff_rules.engine.durable_driver import INT64_MAX
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.engine.flatten import DECIMAL_SCALE, flatten_value
from handoff_rules.model import Money, MoneyError, Order, OrderLine
from handoff_rules.model.bounds import (
    DECIMAL_SCALE_DIGITS,
    MAX_DECIMAL_DIGITS,
    MAX_DIGITS,
    MAX_INT,
    NumberRangeError,
)
from handoff_rules.model.currencies import MINOR_UNITS

#: The ``cli`` fixture (tests/conftest.py): exit status, stdout, stderr.
CliRun = Callable[..., tuple[int, str, str]]

AT = "2024-06-04"
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])
PLUGINS = Path(__file__).parents[2] / "plugins"

#: Decimal texts no engine can compare, each with the words its reject must contain.
HOSTILE_DECIMALS = {
    "1E+999999999": "out of range",
    "1e400": "out of range",
    "-0E-999999": "out of range",
    "1E-999999999": "out of range",
    "9" * 10_000: "10,000 characters",
    "0." + "1" * 10_000: "10,002 characters",
    "99999999999999.99995": "rounded to 4 decimals",
    "1E+99999999999999999999": "out of range",
    "NaN": "not a number",
    "Infinity": "not a number",
}
INT64_OVERFLOW = str(2**63)


# --- running the command line ----------------------------------------------------------


def _read(cli: CliRun, *paths: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Facts and rejects of ``read --format jsonl``, with the records-in check of its summary."""
    code, out, err = cli("read", "--format", "jsonl", *map(str, paths))
    assert code == 0, err
    assert "Traceback" not in err
    records = [json.loads(line) for line in out.splitlines()]
    facts = [r for r in records if r["record"] == "fact"]
    rejects = [r for r in records if r["record"] == "reject"]
    (summary,) = [r for r in records if r["record"] == "summary"]
    assert summary["rejects"] == len(rejects)
    assert sum(summary["facts"].values()) == len(facts)  # type: ignore[attr-defined]
    return facts, rejects


def _where(reject: dict[str, object]) -> tuple[str, str]:
    provenance = reject["provenance"]
    assert isinstance(provenance, dict)
    return Path(provenance["source"]).name, provenance["location"]


def _check_both(cli: CliRun, *paths: Path, facts: int, rejects: int) -> list[object]:
    """``check`` on every backend: no crash, the same exit code and decisions, counts kept."""
    seen = {}
    for engine in ENGINES:
        code, out, err = cli(
            "check", *map(str, paths), "--at", AT, "--engine", engine, "--format", "json"
        )
        assert "Traceback" not in err
        assert code in (0, 1), err  # decided: allow/warn or block, never an input/internal error
        document = json.loads(out)
        assert document["run"]["facts"] == facts
        assert document["run"]["rejects"] == rejects
        assert document["decisions"], "every case is decided"
        seen[engine] = (code, document["decisions"])
    assert len({json.dumps(v, sort_keys=True) for v in seen.values()}) == 1, "backends differ"
    return seen["reference"][1]


def _assert_one_reject(
    cli: CliRun,
    path: Path,
    *others: Path,
    line: str,
    words: tuple[str, ...],
    facts: int,
) -> None:
    """``path`` reads as ``facts`` facts and one reject at ``line``; check decides the rest."""
    read_facts, rejects = _read(cli, path)
    assert [_where(r) for r in rejects] == [(path.name, line)]
    reason = str(rejects[0]["reason"])
    for word in words:
        assert word in reason, reason
    assert "\n" not in reason, "one line"
    assert len(reason) < 300, "a short line"
    assert len(read_facts) == facts
    other_facts = len(_read(cli, *others)[0]) if others else 0
    _check_both(cli, path, *others, facts=facts + other_facts, rejects=1)


# --- native formats ------------------------------------------------------------------


def _orders_csv(path: Path, column: str, value: str, good: str = "30") -> Path:
    path.write_text(
        f"#handoff-rules: order\nid,{column}\n4711,{good}\n4712,{value}\n4713,{good}\n",
        encoding="utf-8",
    )
    return path


def _orders_yaml(path: Path, field: str, value: str) -> Path:
    path.write_text(
        "handoff-rules-facts: 1\nfacts:\n"
        "  - {type: order, data: {id: '4711', payment_days: 30}}\n"
        f"  - {{type: order, data: {{id: '4712', {field}: {value}}}}}\n"
        "  - {type: order, data: {id: '4713', payment_days: 10}}\n",
        encoding="utf-8",
    )
    return path


def _orders_jsonl(path: Path, field: str, value: object) -> Path:
    records = [
        {"record": "fact", "type": "order", "data": {"id": "4711", "payment_days": 30}},
        {"record": "fact", "type": "order", "data": {"id": "4712", field: value}},
        {"record": "fact", "type": "order", "data": {"id": "4713", "payment_days": 10}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("digits", [4_301, 5_000, 100_000])
@pytest.mark.parametrize("form", ["csv", "yaml"])
def test_a_whole_number_past_pythons_conversion_limit_is_a_reject(
    cli: CliRun, tmp_path: Path, form: str, digits: int
) -> None:
    # int() refuses more than 4,300 digits with a ValueError: it stopped the whole file.
    value = "9" * digits
    if form == "csv":
        path, line = _orders_csv(tmp_path / "orders.csv", "payment_days", value), "line 4"
    else:
        path, line = _orders_yaml(tmp_path / "orders.yaml", "payment_days", value), "line 4"
    words = ("payment_days", f"{digits:,} characters", "at most 18 digits")
    _assert_one_reject(cli, path, line=line, words=words, facts=2)


@pytest.mark.parametrize("value", [INT64_OVERFLOW, str(-(2**63) - 1), str(10**18)])
@pytest.mark.parametrize("form", ["csv", "yaml", "jsonl"])
def test_a_whole_number_beyond_the_bound_is_a_reject_and_both_backends_decide(
    cli: CliRun, tmp_path: Path, form: str, value: str
) -> None:
    # payment_days = 2**63 was a fact; durable then stopped the run (exit 2) while
    # reference decided every case.
    if form == "csv":
        path = _orders_csv(tmp_path / "orders.csv", "payment_days", value)
        line = "line 4"
    elif form == "yaml":
        path = _orders_yaml(tmp_path / "orders.yaml", "payment_days", value)
        line = "line 4"
    else:
        path = _orders_jsonl(tmp_path / "orders.jsonl", "payment_days", int(value))
        line = "line 2"
    words = ("payment_days", "out of range")
    _assert_one_reject(cli, path, line=line, words=words, facts=2)


@pytest.mark.parametrize("amount", ["92233720368547758.08", "100000000000000.00", "1E+400"])
@pytest.mark.parametrize("form", ["csv", "yaml", "jsonl"])
def test_money_beyond_the_bound_is_a_reject_and_both_backends_decide(
    cli: CliRun, tmp_path: Path, form: str, amount: str
) -> None:
    # 92233720368547758.08 EUR is 2**63 cents: durable stopped the run on it.
    if form == "csv":
        path = _orders_csv(tmp_path / "orders.csv", "net_value", f"{amount} EUR", "10.00 EUR")
        line = "line 4"
    elif form == "yaml":
        path = _orders_yaml(tmp_path / "orders.yaml", "net_value", f"{amount} EUR")
        line = "line 4"
    else:
        money = {"amount": amount, "currency": "EUR"}
        path, line = _orders_jsonl(tmp_path / "orders.jsonl", "net_value", money), "line 2"
    _assert_one_reject(cli, path, line=line, words=("net_value", "out of range"), facts=2)


def _order_lines_csv(path: Path, quantity: str) -> Path:
    path.write_text(
        "#handoff-rules: order_line\norder_id,line_no,quantity\n"
        f"4711,1,2\n4711,2,{quantity}\n4711,3,5\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("quantity", list(HOSTILE_DECIMALS))
def test_a_decimal_out_of_range_is_a_reject_and_check_decides(
    cli: CliRun, tmp_path: Path, quantity: str
) -> None:
    # 1E+999999999 was a fact and then crashed check on both backends (decimal.Overflow);
    # 10,000 digits or -0E-999999 were facts no engine compares exactly.
    orders = _orders_csv(tmp_path / "orders.csv", "payment_days", "20")
    lines = _order_lines_csv(tmp_path / "lines.csv", quantity)
    words = ("quantity", HOSTILE_DECIMALS[quantity])
    _assert_one_reject(cli, lines, orders, line="line 4", words=words, facts=2)


@pytest.mark.parametrize("quantity", ["1E+999999999", "-0E-999999", "NaN", "-Infinity"])
def test_a_decimal_out_of_range_in_jsonl_is_a_reject(
    cli: CliRun, tmp_path: Path, quantity: str
) -> None:
    orders = _orders_csv(tmp_path / "orders.csv", "payment_days", "20")
    path = tmp_path / "lines.jsonl"
    records = [
        {"order_id": "4711", "line_no": "1", "quantity": "2"},
        {"order_id": "4711", "line_no": "2", "quantity": quantity},
        {"order_id": "4711", "line_no": "3", "quantity": "5"},
    ]
    path.write_text(
        "".join(
            json.dumps({"record": "fact", "type": "order_line", "data": r}) + "\n" for r in records
        ),
        encoding="utf-8",
    )
    _assert_one_reject(cli, path, orders, line="line 2", words=("quantity",), facts=2)


def test_a_derived_value_beyond_the_bound_is_a_reject(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "derived.jsonl"
    records = [
        {"name": "x", "subject": "4711", "order_id": "4711", "values": {"n": 1}},
        {"name": "x", "subject": "4712", "order_id": "4712", "values": {"n": 2**63}},
        {"name": "x", "subject": "4713", "order_id": "4713", "values": {"n": {"decimal": "1e400"}}},
    ]
    path.write_text(
        "".join(
            json.dumps({"record": "fact", "type": "derived", "data": r}) + "\n" for r in records
        ),
        encoding="utf-8",
    )
    facts, rejects = _read(cli, path)
    assert [_where(r) for r in rejects] == [(path.name, "line 2"), (path.name, "line 3")]
    assert all("out of range" in str(r["reason"]) for r in rejects)
    assert len(facts) == 1


# --- plugins -------------------------------------------------------------------------


@pytest.fixture
def sap() -> Path:
    pytest.importorskip("handoff_rules_sap")
    return PLUGINS / "handoff-rules-sap" / "tests" / "data"


def test_sap_table_quantity_out_of_range_is_a_reject_and_check_decides(
    cli: CliRun, tmp_path: Path, sap: Path
) -> None:
    # VBAP KWMENG 1E+999999999 was read and then crashed check with decimal.Overflow.
    header = "VBELN\tPOSNR\tMATNR\tKWMENG\tVRKME\tNETWR\tWAERK\n"
    rows = [
        ("000010", "120,000", "1.500,00"),
        ("000020", "1E+999999999", "1,00"),
        ("000030", "3,000", "99999999999999999999,00"),
        ("000040", "9" * 5000, "2,00"),
        ("000050", "4,000", "2,00"),
    ]
    path = tmp_path / "VBAP.tsv"
    path.write_text(
        header + "".join(f"0000012345\t{p}\t100200\t{q}\tST\t{v}\tPLN\n" for p, q, v in rows),
        encoding="utf-8",
    )
    order = tmp_path / "VBAK.csv"
    order.write_text(
        "VBELN;ERDAT;AUART;NETWR;WAERK;KUNNR\n0000012345;20240304;TA;1.500,00;PLN;0000004711\n",
        encoding="utf-8",
    )
    facts, rejects = _read(cli, path)
    assert [_where(r) for r in rejects] == [
        ("VBAP.tsv", "line 3"),
        ("VBAP.tsv", "line 4"),
        ("VBAP.tsv", "line 5"),
    ]
    reasons = [str(r["reason"]) for r in rejects]
    assert re.search("KWMENG.*out of range", reasons[0])
    assert re.search("NETWR.*out of range", reasons[1])
    assert re.search("KWMENG.*5,000 characters", reasons[2])
    assert len(facts) == 2
    _check_both(cli, path, order, facts=3, rejects=3)


def test_sap_idoc_xml_quantity_out_of_range_is_a_reject(
    cli: CliRun, tmp_path: Path, sap: Path
) -> None:
    text = (sap / "orders05_two.xml").read_text(encoding="utf-8")
    assert text.count("<MENGE>120.000</MENGE>") == 1
    path = tmp_path / "orders05.xml"
    path.write_text(text.replace("<MENGE>120.000</MENGE>", "<MENGE>1E+999999999</MENGE>"))
    before_facts, before_rejects = _read(cli, sap / "orders05_two.xml")
    facts, rejects = _read(cli, path)
    (reject,) = [r for r in rejects if "MENGE" in str(r["reason"])]
    assert "out of range" in str(reject["reason"])
    assert _where(reject) == (path.name, "IDoc 0000000000520001 segment 000013 E1EDP01")
    assert len(rejects) == len(before_rejects) + 1
    assert len(facts) == len(before_facts) - 1
    _check_both(cli, path, facts=len(facts), rejects=len(rejects))


def test_sap_flat_idoc_quantity_out_of_range_is_a_reject(
    cli: CliRun, tmp_path: Path, sap: Path
) -> None:
    from handoff_rules_sap.flat_writer import control_record, data_record

    def item(segnum: int, quantity: str) -> str:
        fields = {"POSEX": f"{segnum:06d}", "MENGE": quantity, "NETWR": "1.00", "CURCY": "EUR"}
        return data_record("E1EDP01", fields, docnum="1", segnum=segnum, parent=0, level=2)

    control = {"DOCNUM": "1", "IDOCTYP": "ORDERS05", "MESTYP": "ORDERS", "DIRECT": "2"}
    records = [
        control_record(control),
        data_record("E1EDK01", {"BELNR": "4711", "CURCY": "EUR"}, docnum="1", segnum=1),
        item(2, "2.000"),
        item(3, "1E+999999999"),
        item(4, "5.000"),
    ]
    path = tmp_path / "orders05.txt"
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    facts, rejects = _read(cli, path)
    (reject,) = rejects
    assert re.search("MENGE.*out of range", str(reject["reason"]))
    assert _where(reject)[0] == path.name
    assert sum(f["type"] == "order_line" for f in facts) == 2


@pytest.fixture
def crm_e2e(tmp_path: Path) -> Path:
    pytest.importorskip("handoff_rules_crm")
    source = PLUGINS / "handoff-rules-crm" / "tests" / "data" / "e2e"
    for name in ("Account.csv", "Opportunity.csv", "erp-orders.yaml"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    return tmp_path


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("Payment_Days__c", INT64_OVERFLOW, ("Payment_Days__c", "out of range")),
        ("Payment_Days__c", "9" * 5000, ("Payment_Days__c", "5,000 characters")),
        ("Amount", "1E+999999999", ("Amount", "out of range")),
        ("Discount__c", "-0E-999999", ("Discount__c", "out of range")),
    ],
)
def test_crm_numbers_out_of_range_are_rejects_and_both_backends_decide(
    cli: CliRun, crm_e2e: Path, column: str, value: str, words: tuple[str, ...]
) -> None:
    # a won opportunity's payment days reach the H1 rules: 2**63 stopped the durable run
    path = crm_e2e / "Opportunity.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[1].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[1] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    others = (crm_e2e / "Account.csv", crm_e2e / "erp-orders.yaml")
    _assert_one_reject(cli, path, *others, line="line 2", words=words, facts=len(lines) - 2)


# --- the SDK parsers and the model -----------------------------------------------------


def _in_range(value: Decimal) -> bool:
    """What the engines need, computed by the engine's own flattening."""
    flat = flatten_value(value)
    return isinstance(flat, int) and -MAX_INT <= flat <= MAX_INT


_DIGITS = st.text("0123456789", min_size=1, max_size=40)
_NUMBERISH = st.one_of(
    st.text(st.sampled_from("0123456789.,-+eE ")),
    st.builds(
        "{}{}{}{}{}".format,
        st.sampled_from(["", "-", "+", " "]),
        _DIGITS,
        st.sampled_from(["", ".", ","]),
        st.sampled_from(["", "0", "5", "99995"]) | _DIGITS,
        st.sampled_from(["", "E", "e-", "E+"]).flatmap(
            lambda e: st.just("") if not e else st.integers(0, 10**12).map(lambda n: f"{e}{n}")
        ),
    ),
    st.sampled_from(["NaN", "-nan", "sNaN", "Infinity", "-inf", "1E+999999999", "-0E-999999"]),
)


@settings(deadline=None, max_examples=500)
@given(_NUMBERISH)
@example("9" * 10_000)
@example("0." + "1" * 10_000)
@example("99999999999999.99995")
@example("-99999999999999.99994")
@example(INT64_OVERFLOW)
@example("0" * 5000 + "30")
@example("-1000000E999994")
def test_the_sdk_parsers_return_a_value_in_range_or_refuse(text: str) -> None:
    try:
        value = parse_decimal(text)
    except ValueParseError:
        pass
    else:
        assert isinstance(value, Decimal)
        assert _in_range(value)  # finite, and compared as an int64 by both engines
    try:
        whole = parse_int(text)
    except ValueParseError:
        pass
    else:
        assert type(whole) is int
        assert -MAX_INT <= whole <= MAX_INT


@given(st.integers(-MAX_INT, MAX_INT))
def test_every_whole_number_in_range_is_read(value: int) -> None:
    assert parse_int(str(value)) == value
    assert parse_int(f"{abs(value)}{'-' if value < 0 else ''}") == value  # SAP's trailing sign


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("99999999999999.9999", "99999999999999.9999"),
        ("-99999999999999.99994", "-99999999999999.99994"),
        ("0." + "0" * 27 + "1", "1E-28"),
        ("1E-28", "1E-28"),
        ("000000000000000000001.5", "1.5"),  # leading zeros are not digits of the value
    ],
)
def test_the_largest_and_finest_decimals_are_read(text: str, expected: str) -> None:
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["100000000000000", "99999999999999.99995", "0." + "0" * 28 + "1", "1E-29", "1E+14"]
)
def test_one_digit_more_is_refused(text: str) -> None:
    with pytest.raises(ValueParseError, match="out of range"):
        parse_decimal(text)


def test_whole_numbers_at_the_bound() -> None:
    assert parse_int("9" * MAX_DIGITS) == MAX_INT
    assert parse_int("-" + "9" * MAX_DIGITS) == -MAX_INT
    assert parse_int("0" * 5000 + "30") == 30  # leading zeros are not digits of the value
    assert parse_int("1.000.000", decimal_sep=",") == 10**6
    assert parse_int("30.00") == 30
    for text in ("1" + "0" * MAX_DIGITS, "1E+18", "-1" + "0" * MAX_DIGITS):
        with pytest.raises(ValueParseError, match="at most 18 digits"):
            parse_int(text)
    with pytest.raises(ValueParseError, match="whole number"):
        parse_int("3.5")


def test_the_bounds_fit_what_the_engines_compare() -> None:
    assert DECIMAL_SCALE == 10**DECIMAL_SCALE_DIGITS
    assert MAX_DECIMAL_DIGITS + DECIMAL_SCALE_DIGITS == MAX_DIGITS
    assert max(MINOR_UNITS.values()) <= DECIMAL_SCALE_DIGITS  # money's minor units fit too
    assert 9 * MAX_INT <= INT64_MAX  # nine values of a sum stay exact on both backends
    largest = parse_decimal("99999999999999.9999")
    assert flatten_value(largest) == MAX_INT
    assert Money("99999999999999.99", "EUR").minor < MAX_INT
    assert Money("99999999999999.9999", "CLF").minor == MAX_INT


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1E+14", "-0E-999999", Decimal("sNaN")])
def test_the_model_refuses_what_no_engine_compares(value: object) -> None:
    with pytest.raises(ValueError, match=r"finite|out of range"):
        OrderLine(order_id="1", line_no="1", quantity=value)  # type: ignore[arg-type]
    with pytest.raises(NumberRangeError, match="payment_days"):
        Order(id="1", payment_days=2**63)
    with pytest.raises(MoneyError, match="out of range"):
        Money("100000000000000", "EUR")


def test_rounding_takes_any_number_of_decimals_but_not_any_size() -> None:
    # a tolerance's percent of an amount may have more decimals than any input
    assert Money.rounded("0." + "3" * 40, "EUR") == Money("0.33", "EUR")
    assert Money.rounded(Decimal(1) / 3 / 10**6, "EUR") == Money(0, "EUR")
    for amount in ("1E+400", "100000000000000", "99999999999999.999"):
        with pytest.raises(MoneyError, match="out of range"):
            Money.rounded(amount, "EUR")


def test_sums_of_money_are_exact_whatever_their_size() -> None:
    # A credit exposure adds up open items: the result is not an input, and is not refused.
    large = Money("99999999999999.99", "EUR")
    assert (large + large).minor == 2 * large.minor
    assert (large * 3).minor == 3 * large.minor
    assert -(large - large * 2) == large


# -- versions: packaging turns each release number into an int ------------------------


@pytest.mark.parametrize("version", ["9" * 5_000, "1." + "0" * 4_400, "1.0." + "1" * 300])
def test_a_pack_version_too_long_for_an_int_is_a_usage_error(
    cli: CliRun, tmp_path: Path, version: str
) -> None:
    folder = tmp_path / "packs" / "mine"
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text(
        f"name: mine\nversion: '{version}'\neffective_from: 2024-01-01\n"
    )
    code, out, err = cli("pack", "show", str(folder), "--at", AT)
    assert code == 2, err
    assert "is not a version" in err
    assert "Traceback" not in out + err
    assert "internal error" not in err


def test_an_exception_range_naming_a_huge_version_is_refused_at_its_line(
    cli: CliRun, tmp_path: Path
) -> None:
    register = tmp_path / "exceptions.yaml"
    register.write_text(
        "- id: EX-1\n  revision: 1\n  rule: ACC-CRD-001\n  pack: o2c-standard\n"
        f"  pack_versions: '>={'9' * 5_000}'\n  rule_digest: {'0' * 64}\n"
        "  scope: {order: '1'}\n  reason: r\n  ticket: T\n"
        "  requested_by: {name: A, role: sales_rep}\n"
        "  approved_by: {name: B, role: credit_controller}\n"
        "  valid_from: 2024-01-01\n  valid_until: 2024-01-02\n"
    )
    code, out, err = cli("exceptions", "validate", str(register), "--pack", "o2c-standard")
    assert code == 2, err
    assert "pack_versions must be PEP 440 version specifiers" in err
    assert "Traceback" not in out + err


def test_parse_version_refuses_what_packaging_cannot_turn_into_numbers() -> None:
    from handoff_rules.policy.versions import InvalidVersion, parse_version

    assert str(parse_version("1.2.0")) == "1.2.0"
    with pytest.raises(InvalidVersion):
        parse_version("9" * 5_000)
    with pytest.raises(InvalidVersion):
        parse_version("x" * 300)
