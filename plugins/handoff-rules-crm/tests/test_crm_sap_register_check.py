"""``check`` over a Salesforce org, SAP extracts and a document register at once.

The CRM account's ``AccountNumber`` is the SAP customer number as SAP stores it
(``0000200010``); the SAP adapter names the customer ``200010``. The account
must still become that customer's counterparty (its tax id decides ACC-ID-001)
and the customer its won deals are compared with (SAL-CRM-00x).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from handoff_rules_crm.linking import erp_customers

import handoff_rules
from handoff_rules.adapters import Fact, Provenance
from handoff_rules.decision import Decision, Result
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.model import Counterparty, Derived, Order

pytest.importorskip("handoff_rules_sap", reason="the scenario reads SAP extracts")

DATA = Path(__file__).parent / "data" / "crm-sap-register"
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])
AT = date(2024, 6, 1)


def _results(decision: Decision) -> dict[str, str]:
    return {
        f.rule: f.result.value for f in decision.findings if f.result is not Result.NOT_APPLICABLE
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_the_crm_decides_its_rules_on_sap_orders(engine: str) -> None:
    run = handoff_rules.check(
        [DATA / "crm", DATA / "sap", DATA / "register"], at=AT, engine=engine, checkpoints=["H1"]
    )
    assert run.rejects == 0
    decisions = {d.case: d for d in run.decisions}
    crm_rules = ("SAL-CRM-001", "SAL-CRM-002", "SAL-CRM-003", "SAL-CRM-004")
    passing = dict.fromkeys(("ACC-ID-001", "LEG-CTR-001", "SUP-DOC-001", *crm_rules), "pass")
    assert {case: _results(d) for case, d in decisions.items()} == {
        "20001": passing,  # the order kept every promise of its deal
        "20002": {**passing, "SAL-CRM-003": "fail", "SAL-CRM-004": "fail"},
        "20003": {**passing, "ACC-ID-001": "fail"},  # the CRM's NIP fails its checksum
    }
    assert decisions["20001"].outcome.value == "allow"
    # ACC-ID-001 is decided from the CRM: KNA1 has no tax id, the Account's VAT__c has.
    (valid,) = [f for f in decisions["20001"].findings if f.rule == "ACC-ID-001"]
    assert any(s.source.endswith("Account.csv") and s.line == 2 for s in valid.sources)
    (invalid,) = [f for f in decisions["20003"].findings if f.rule == "ACC-ID-001"]
    assert "5260250275 fails the PL-NIP checksum" in invalid.message
    assert any(s.source.endswith("Account.csv") and s.line == 3 for s in invalid.sources)
    (amount,) = [f for f in decisions["20002"].findings if f.rule == "SAL-CRM-004"]
    assert "5600 PLN, 12 % off the 5000 PLN" in amount.message
    assert not any("no counterparty" in f.message for d in run.decisions for f in d.findings)


def _fact(data: object, line: int) -> Fact:
    return Fact(data=data, provenance=Provenance("t", "t.csv", f"line {line}", line=line))  # type: ignore[arg-type]


def _account(crm_id: str, number: str) -> Fact:
    details = Derived(
        name="crm_details",
        subject=crm_id,
        values={"object": "Account", "erp_customer_id": number},
    )
    return _fact(details, 1)


def test_an_account_number_matches_the_erp_id_up_to_leading_zeros() -> None:
    facts = [
        _account("001A", "0000200010"),  # SAP's stored form, the ERP id lost its zeros
        _account("001B", "300"),  # the ERP keeps zeros the CRM dropped
        _account("001C", "0000400"),  # no ERP record names it: kept as written
        _account("001D", "C100"),  # equal as written
        _account("001E", "0500"),  # two ERP ids equal it up to zeros: not picked
        _fact(Order(id="1", counterparty_id="200010"), 2),
        _fact(Counterparty(id="0000000300"), 3),
        _fact(Counterparty(id="C100"), 4),
        _fact(Counterparty(id="500"), 5),
        _fact(Counterparty(id="00500"), 6),
    ]
    assert erp_customers(facts) == {
        "001A": "200010",
        "001B": "0000000300",
        "001C": "0000400",
        "001D": "C100",
        "001E": "0500",
    }
