"""CRM export + ERP export -> linked cases -> H1 decisions under the default pack."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from handoff_rules_crm import LinkResult, link_opportunities

from handoff_rules.adapters import read_files
from handoff_rules.cases import build_cases
from handoff_rules.decision import Checkpoint, Decision, Finding, Outcome, Result
from handoff_rules.engine.evaluate import make_evaluator
from handoff_rules.model import Derived, OpportunityLink
from handoff_rules.plugins import installed_adapters, make_plugin_manager
from handoff_rules.policy.pack_access import load_pack

AT = date(2024, 5, 6)


def _decisions(e2e: Path, engine: str) -> tuple[dict[str, Decision], LinkResult]:
    pm = make_plugin_manager()
    files = [e2e / "Account.csv", e2e / "Opportunity.csv", e2e / "erp-orders.yaml"]
    read = read_files(files, installed_adapters(pm))
    assert read.rejects == ()
    linked = link_opportunities(read.facts, via="customer_po")
    cases = build_cases([*read.facts, *linked.facts()])
    evaluator = make_evaluator(load_pack("o2c-standard", plugin_manager=pm), engine, pm)
    result = {}
    for case in cases.cases:
        (decision,) = evaluator.evaluate(case, AT, [Checkpoint.H1])
        result[case.id] = decision
    return result, linked


def _crm_findings(decision: Decision) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in decision.findings:
        if finding.rule.startswith(("SAL-CRM", "SAL-QUO")) and (
            finding.result is not Result.NOT_APPLICABLE  # the rule had nothing to judge
        ):
            found.setdefault(finding.rule, []).append(finding)
    return found


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_orders_that_differ_from_the_won_opportunity_are_blocked_at_h1(
    e2e: Path, engine: str
) -> None:
    if engine == "durable":
        from handoff_rules.engine.evaluate import durable_available

        if durable_available() is not None:
            pytest.skip("durable_rules does not run here")
    decisions, linked = _decisions(e2e, engine)
    opportunity_csv = str(e2e / "Opportunity.csv")
    orders_yaml = str(e2e / "erp-orders.yaml")

    def failed(order_id: str) -> dict[str, list[Finding]]:
        crm = _crm_findings(decisions[order_id])
        return {rule: fs for rule, fs in crm.items() if any(f.result is Result.FAIL for f in fs)}

    # The order entered as won: every CRM rule passes.
    assert failed("5000001") == {}
    assert {f.result for fs in _crm_findings(decisions["5000001"]).values() for f in fs} == {
        Result.PASS
    }

    # An amount 10 % off the won one (the pack allows 1.0 %): blocked by SAL-CRM-004, naming
    # the ERP order and the CRM deal and both rows; the currency check (SAL-CRM-002) passes.
    amount = failed("5000002")
    assert set(amount) == {"SAL-CRM-004"}
    (finding,) = amount["SAL-CRM-004"]
    assert finding.message == (
        f"ERP order 5000002 ({orders_yaml} lines 7-9) has net value 4400 EUR, 10 % off the "
        f"4000 EUR of won opportunity 006A00000000002AAA ({opportunity_csv} line 3); at most "
        "1.0 % is allowed"
    )
    assert finding.subject == "006A00000000002AAA->5000002"
    places = {(p.source, p.line) for p in finding.sources}
    assert (opportunity_csv, 3) in places  # the opportunity's CSV row
    assert any(source == orders_yaml for source, _line in places)  # the order's YAML record
    link_source = next(p for p in finding.sources if p.adapter == "crm-link")
    assert "line 3 <-> " in link_source.location
    assert "erp-orders.yaml" in link_source.location
    assert decisions["5000002"].outcome is Outcome.BLOCK

    # The wrong customer (the CRM account's AccountNumber is C200).
    customer = failed("5000003")
    assert set(customer) == {"SAL-CRM-001"}
    assert (
        "ERP order 5000003 is for customer C100, but won opportunity 006A00000000003AAA is for "
        "customer C200" in customer["SAL-CRM-001"][0].message
    )

    # Non-standard terms without an operations sign-off.
    assert set(failed("5000004")) == {"SAL-QUO-002"}
    assert decisions["5000004"].outcome is Outcome.BLOCK

    # An order whose deal is not won gets no CRM finding, and is reported as unmatched.
    assert _crm_findings(decisions["5000006"]) == {}
    unmatched_orders = {u.id: u.reason for u in linked.unmatched_orders}
    assert "is not won" in unmatched_orders["5000006"]
    unmatched_opps = {u.id: u.reason for u in linked.unmatched_opportunities}
    assert unmatched_opps == {
        "006A00000000005AAA": "won, but no ERP order has customer_po_ref 'PO-201'"
    }


def test_the_derive_hook_compares_the_linked_order(e2e: Path) -> None:
    pm = make_plugin_manager()
    files = [e2e / "Account.csv", e2e / "Opportunity.csv", e2e / "erp-orders.yaml"]
    read = read_files(files, installed_adapters(pm))
    linked = link_opportunities(read.facts)
    assert len([f for f in linked.links if isinstance(f.data, OpportunityLink)]) == 4
    case = next(c for c in build_cases([*read.facts, *linked.facts()]).cases if c.id == "5000002")
    derived = [
        fact.data
        for result in pm.hook.handoff_rules_derive_facts(case=case, at=AT)
        for fact in result
    ]
    (match,) = [d for d in derived if isinstance(d, Derived) and d.name == "crm_order_match"]
    assert match.get("amount_diff") == 400
    assert str(match.get("amount_diff_pct")) == "10.0000"
    assert match.get("customer_match") is True
    assert match.get("currency_match") is True
    assert str(match.get("opportunity_source")).endswith("Opportunity.csv line 3")
    assert "erp-orders.yaml line" in str(match.get("order_source"))


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_hostile_deal_text_reaches_the_decision_verbatim(apex_recipes: Path, engine: str) -> None:
    from handoff_rules.adapters import Fact, Provenance
    from handoff_rules.engine.evaluate import durable_available
    from handoff_rules.model import Money, Opportunity, Order

    if engine == "durable" and durable_available() is not None:
        pytest.skip("durable_rules does not run here")
    raw = json.loads((apex_recipes / "Opportunities.json").read_text(encoding="utf-8"))
    texts = sorted({r["description"] for r in raw["records"]})
    pm = make_plugin_manager()
    evaluator = make_evaluator(load_pack("o2c-standard", plugin_manager=pm), engine, pm)
    here = Provenance("test", "hostile", "line 1", line=1)
    for number, text in enumerate(texts):
        opp = Opportunity(
            id=f"O{number}",
            name=text,
            account_id="C1",
            is_won=True,
            amount=Money("10.00", "EUR"),
            order_ref=f"PO-{number}",
            nonstandard_terms=text,
        )
        order = Order(
            id=f"S{number}",
            counterparty_id="C1",
            net_value=Money("10.00", "EUR"),
            customer_po_ref=f"PO-{number}",
        )
        facts = [Fact(opp, here), Fact(order, here)]
        (case,) = build_cases([*facts, *link_opportunities(facts).facts()]).cases
        (decision,) = evaluator.evaluate(case, AT, [Checkpoint.H1])
        (finding,) = [f for f in decision.findings if f.rule == "SAL-QUO-002"]
        assert finding.result is Result.FAIL
        assert f'({text}) promises non-standard terms "{text}"' in finding.message
