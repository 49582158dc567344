"""Rule needs come from the IR; coverage compares them with what formats declare."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from handoff_rules.adapters.base import FormatInfo, Supply
from handoff_rules.cli import cli
from handoff_rules.coverage import Evaluability, SupplyIndex, coverage
from handoff_rules.engine.needs import NeedKind, pack_needs
from handoff_rules.policy.discovery import load_pack

PACK = load_pack("o2c-standard", at=date(2024, 6, 4))

#: An ERP format of orders and deliveries, and nothing else.
ORDERS_FORMAT = (
    "erp",
    FormatInfo(
        "orders",
        "orders and deliveries",
        supplies=(
            Supply("order", ("id", "counterparty_id", "order_date", "net_value")),
            Supply("delivery", ("id", "order_id", "release_date", "receiver_name")),
        ),
    ),
)
ORDERS_ONLY = SupplyIndex([ORDERS_FORMAT])


def _needs(rule: str) -> dict[tuple[str, str | None], NeedKind]:
    (found,) = [n for n in pack_needs(PACK) if n.rule == rule]
    return {(n.fact_type, n.path): n.kind for n in found.needs}


def test_needs_follow_the_rule_text() -> None:
    contract = _needs("LEG-CTR-001")
    assert contract[("order", None)] is NeedKind.SUBJECT
    assert contract[("order", "order_date")] is NeedKind.REQUIRED
    assert contract[("document", None)] is NeedKind.EVIDENCE  # fail_unless_exists
    assert contract[("document", "valid_until")] is NeedKind.READ
    poa = _needs("ACC-POA-001")
    assert poa[("derived.goods_release", "receiver_key")] is NeedKind.REQUIRED


def test_every_need_reads_in_words_without_internal_spelling() -> None:
    for rule in pack_needs(PACK):
        for need in rule.needs:
            words = need.words
            assert "__" not in words
            assert "_key" not in words
            assert "_minor" not in words
            assert "derived." not in words


def test_a_rule_without_a_source_of_its_evidence_is_not_evaluable() -> None:
    covered = coverage(PACK, ORDERS_ONLY)
    contract = covered.of("LEG-CTR-001")
    assert contract.evaluability is Evaluability.NOT_EVALUABLE
    assert [n.need.words for n in contract.missing if n.need.kind is NeedKind.EVIDENCE] == [
        "document facts"
    ]
    poa = covered.of("ACC-POA-001")
    assert poa.evaluability is Evaluability.NOT_EVALUABLE  # no power of attorney source
    assert "power of attorney facts" in [n.need.words for n in poa.missing]
    # the goods release itself is fed by the delivery rows
    assert all(n.supplied for n in poa.needs if n.need.kind is NeedKind.REQUIRED)


def test_adding_a_document_source_makes_the_contract_rule_evaluable() -> None:
    register = (
        "register",
        FormatInfo(
            "documents",
            "document register",
            supplies=(
                Supply(
                    "document",
                    ("id", "kind", "counterparty_id", "status", "valid_from", "valid_until"),
                ),
            ),
        ),
    )
    index = SupplyIndex([ORDERS_FORMAT, register])
    contract = coverage(PACK, index).of("LEG-CTR-001")
    assert contract.evaluability is Evaluability.PARTIAL  # auto_renewal is never supplied
    assert [n.need.words for n in contract.missing] == ["the document's auto renewal"]


def test_a_format_that_declares_nothing_makes_coverage_unknown_not_missing() -> None:
    index = SupplyIndex([("third-party", FormatInfo("x", "says nothing"))])
    assert {r.evaluability for r in coverage(PACK, index).rules} == {Evaluability.UNKNOWN}


def test_a_plugin_s_derived_fact_is_supplied_only_where_a_format_declares_it() -> None:
    # SAL-CRM-004 judges crm_order_match, which no built-in deriver makes
    assert coverage(PACK, ORDERS_ONLY).of("SAL-CRM-004").evaluability is (
        Evaluability.NOT_EVALUABLE
    )
    with_plugin = coverage(PACK, ORDERS_ONLY, plugin_derivers=True).of("SAL-CRM-004")
    assert with_plugin.evaluability is Evaluability.UNKNOWN  # a plugin may make it
    declared = SupplyIndex(
        [
            ORDERS_FORMAT,
            (
                "crm",
                FormatInfo(
                    "deals",
                    "x",
                    supplies=(
                        Supply(
                            "derived.crm_order_match",
                            ("subject", "order_id", "amount_diff", "amount_diff_pct"),
                        ),
                    ),
                ),
            ),
        ]
    )
    assert coverage(PACK, declared).of("SAL-CRM-004").evaluability is Evaluability.EVALUABLE


def test_a_payment_that_names_no_invoice_makes_no_payment_difference() -> None:
    payments = SupplyIndex(
        [
            (
                "erp",
                FormatInfo(
                    "items",
                    "x",
                    supplies=(
                        Supply("payment", ("id", "amount")),
                        Supply("invoice", ("id", "total", "open_amount")),
                    ),
                ),
            )
        ]
    )
    (subject,) = coverage(PACK, payments).of("ACC-PAY-001").missing[:1]
    assert coverage(PACK, payments).of("ACC-PAY-001").evaluability is Evaluability.NOT_EVALUABLE
    assert subject.need.words == "payment difference facts"


def test_pack_needs_lists_every_rule_with_its_suppliers(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["pack", "needs", "--at", "2024-06-04", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [r["rule"] for r in document["rules"]] == [r.id for r in PACK.rules]
    credit = next(r for r in document["rules"] if r["rule"] == "ACC-CRD-001")
    assert credit["checkpoints"] == ["H2", "H3"]
    assert {"need": "the counterparty's credit limit", "kind": "required"} in [
        {"need": n["need"], "kind": n["kind"]} for n in credit["needs"]
    ]
    table = CliRunner().invoke(cli, ["pack", "needs", "--at", "2024-06-04"])
    assert table.exit_code == 0, table.output
    assert "ACC-CRD-001" in table.output
    assert "the counterparty's credit limit" in table.output


def test_pack_needs_over_inputs_counts_only_the_formats_they_are_in() -> None:
    exports = Path(__file__).parents[2] / "examples" / "o2c" / "exports"
    args = ["pack", "needs", str(exports), "--at", "2024-06-14", "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert "sap-table (knkk)" in document["formats"]
    assert "native-yaml (facts-yaml)" not in document["formats"]
    found = {r["rule"]: r["evaluability"] for r in document["rules"]}
    assert found["ACC-POA-001"] == "evaluable"  # the register's journal names the receiver
    assert found["ACC-CRD-001"] == "evaluable"
    # the SAP files alone: no register, so nothing names the receiver
    sap = [str(exports / name) for name in ("VBAK.txt", "LIKP.txt", "KNKK.txt")]
    result = CliRunner().invoke(cli, ["pack", "needs", *sap, "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert "document-register (register-receipts)" not in document["formats"]
    found = {r["rule"]: r["evaluability"] for r in document["rules"]}
    assert found["ACC-POA-001"] == "not_evaluable"
    assert found["ACC-CRD-001"] == "evaluable"
