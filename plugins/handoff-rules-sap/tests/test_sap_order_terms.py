"""The order terms SAL-CRM-003 and SAL-ERR-001 read, from SAP tables.

SAL-CRM-003 compares a won opportunity's payment terms, days and discount with
the ERP order's; SAL-ERR-001 sends customer-facing corrections to the order's
owner. VBAK has none of them: the owner is VBPA's sales employee (VE), the
payment terms are VBKD's ZTERM and their days are customizing (T052, given as
options), the discount is in the pricing conditions (KONV, PRCD_ELEMENTS).
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from handoff_rules_sap import SapTableAdapter
from handoff_rules_sap.options import OPTIONS_FILE, PAYMENT_DAYS_VARIABLE
from handoff_rules_sap.table_adapter import parse_payment_days

from handoff_rules import check
from handoff_rules.adapters import AdapterError, Fact, Provenance, Reject
from handoff_rules.model import CorrectionTask, Opportunity, OpportunityLink, Order

AT = date(2024, 3, 20)
CRM = Provenance("test", "Opportunity.csv", "line 2", line=2)


def _read(adapter: SapTableAdapter, path: Path) -> tuple[list[Fact], list[Reject]]:
    items = list(adapter.read(path))
    return [i for i in items if isinstance(i, Fact)], [i for i in items if isinstance(i, Reject)]


def _orders(adapter: SapTableAdapter, path: Path) -> dict[str, Order]:
    facts, _rejects = _read(adapter, path)
    return {f.data.id: f.data for f in facts if isinstance(f.data, Order)}


# -- the owner: VBPA's sales employee ------------------------------------------------


def test_the_sales_employee_is_the_order_owner_by_personnel_number(sap_data):
    orders = _orders(SapTableAdapter(), sap_data / "VBPA.txt")
    assert orders["12345"].owner == "1042"  # stored key VE, PERNR 00001042
    assert orders["12346"].owner == "1077"  # SE16's English display ES


def test_a_sales_employee_without_a_personnel_number_is_a_reject(tmp_path):
    path = tmp_path / "VBPA.txt"
    path.write_text("VBELN\tPOSNR\tPARVW\tKUNNR\tPERNR\n0000000042\t000000\tVE\t \t00000000\n")
    facts, (reject,) = _read(SapTableAdapter(), path)
    assert facts == []
    assert "sales employee (PARVW VE) without a number" in reject.reason
    assert dict(reject.keys) == {"order": "42"}


# -- payment days: the days of VBKD's ZTERM, from customizing -------------------------


def test_payment_days_come_from_the_options_and_an_unknown_key_gets_none(sap_data):
    orders = _orders(SapTableAdapter(payment_days={"zb14": 14}), sap_data / "VBKD.csv")
    assert (orders["12345"].payment_terms, orders["12345"].payment_days) == ("ZB14", 14)
    # ZB30 has no days configured: never guessed from its name
    assert (orders["12346"].payment_terms, orders["12346"].payment_days) == ("ZB30", None)


def test_payment_days_from_the_options_file_beside_the_extract(sap_data, tmp_path):
    shutil.copy(sap_data / "VBKD.csv", tmp_path / "VBKD.csv")
    (tmp_path / OPTIONS_FILE).write_text('[payment_terms]\nZB14 = 14\n"ZB30" = 30\n')
    orders = _orders(SapTableAdapter(), tmp_path / "VBKD.csv")
    assert (orders["12345"].payment_days, orders["12346"].payment_days) == (14, 30)
    # the adapter's own argument comes first
    orders = _orders(SapTableAdapter(payment_days={"ZB14": 10}), tmp_path / "VBKD.csv")
    assert (orders["12345"].payment_days, orders["12346"].payment_days) == (10, None)


def test_payment_days_from_the_environment(sap_data, monkeypatch):
    monkeypatch.setenv(PAYMENT_DAYS_VARIABLE, "ZB14=14, ZB30=30")
    orders = _orders(SapTableAdapter(), sap_data / "VBKD.csv")
    assert (orders["12345"].payment_days, orders["12346"].payment_days) == (14, 30)
    monkeypatch.setenv(PAYMENT_DAYS_VARIABLE, "ZB14=fourteen")
    with pytest.raises(AdapterError, match=f"{PAYMENT_DAYS_VARIABLE}: payment terms ZB14"):
        list(SapTableAdapter().read(sap_data / "VBKD.csv"))
    # a table that reads no payment terms is not stopped by it
    assert _orders(SapTableAdapter(), sap_data / "VBPA.txt")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[payment_terms]\nZB14 = -1\n", "not a number of days"),
        ("[payment_terms]\nZB14 = 1.5\n", "not a number of days"),
        ("[payment_term]\nZB14 = 14\n", "unknown SAP option table"),
        ("[pricing]\ndiscount_conditions = 'HA00'\n", "must be a list"),
        ("[pricing]\ndiscounts = ['HA00']\n", "unknown [pricing] option"),
        ("[credit_currency]\n1000 = 978\n", "a currency is a string"),
        ("[payment_terms\n", "cannot read SAP options"),
    ],
)
def test_a_malformed_options_file_stops_the_file_naming_it(sap_data, tmp_path, text, message):
    shutil.copy(sap_data / "VBKD.csv", tmp_path / "VBKD.csv")
    (tmp_path / OPTIONS_FILE).write_text(text)
    with pytest.raises(AdapterError, match=OPTIONS_FILE) as raised:
        list(SapTableAdapter().read(tmp_path / "VBKD.csv"))
    assert message in str(raised.value)


def test_parse_payment_days():
    assert parse_payment_days("") == {}
    assert parse_payment_days("zb30=30,NT60 = 60") == {"ZB30": 30, "NT60": 60}
    for bad in ("ZB30", "ZB30=1000", "TOOLONG=30", "=30"):
        with pytest.raises(ValueError):
            parse_payment_days(bad)


def test_the_credit_currency_can_be_set_in_the_options_file(sap_data, tmp_path):
    shutil.copy(sap_data / "KNKK.txt", tmp_path / "KNKK.txt")
    (tmp_path / OPTIONS_FILE).write_text('[credit_currency]\n"*" = "PLN"\n')
    facts, _rejects = _read(SapTableAdapter(), tmp_path / "KNKK.txt")
    assert facts
    assert {f.data.limit.currency for f in facts} == {"PLN"}


# -- the discount: header discount conditions of KONV / PRCD_ELEMENTS -----------------


def test_konv_stores_a_percentage_per_mille_and_a_discount_negative(sap_data):
    facts, rejects = _read(SapTableAdapter(), sap_data / "KONV.txt")
    orders = {f.data.id: f.data for f in facts}
    # HA00 30,00- is a 3 % discount; HB00 (absolute) and ZHD1 (not a discount by default)
    # do not count
    assert orders["12345"].discount_pct == Decimal("3")
    assert orders["12345"].discount_pct.as_tuple().exponent == 0
    # an inactive HA00 (KINAK X) and the tax give no discount
    assert orders["12346"].discount_pct is None
    assert {f.part for f in facts} == {True}
    item_price, item_discount, unreadable = rejects
    assert "only the order's own (KPOSN 000000)" in item_price.reason
    assert item_price.keys == item_discount.keys == ()
    assert "KBETR" in unreadable.reason
    assert dict(unreadable.keys) == {"order": "12347"}
    assert facts[0].provenance.location == (
        "line 2 (KONV VBELN 0000012345 KPOSN 000000 KSCHL HA00), with its rows on lines 2, 3, 4"
    )


def test_several_discount_conditions_of_an_order_add_up(sap_data, tmp_path):
    shutil.copy(sap_data / "KONV.txt", tmp_path / "KONV.txt")
    (tmp_path / OPTIONS_FILE).write_text('[pricing]\ndiscount_conditions = ["HA00", "zhd1"]\n')
    orders = _orders(SapTableAdapter(), tmp_path / "KONV.txt")
    assert orders["12345"].discount_pct == Decimal("4.5")  # 3 % + 1.5 %
    orders = _orders(SapTableAdapter(discount_conditions=["ZHD1"]), tmp_path / "KONV.txt")
    assert orders["12345"].discount_pct == Decimal("1.5")


def test_prcd_elements_stores_the_percentage_as_it_is(sap_data):
    orders = _orders(SapTableAdapter(), sap_data / "PRCD_ELEMENTS.csv")
    # HA00 -3.000000000 is 3 %; the statistical K007 (KSTAT X) changes no price
    assert orders["12345"].discount_pct == Decimal("3")
    assert orders["12346"].discount_pct == Decimal("2.5")


def test_a_discount_type_that_is_no_percentage_is_a_reject(sap_data):
    _facts, rejects = _read(SapTableAdapter(discount_conditions=["HB00"]), sap_data / "KONV.txt")
    (absolute,) = [r for r in rejects if "HB00" in r.reason]
    assert "KRECH B is no percentage (A)" in absolute.reason
    assert dict(absolute.keys) == {"order": "12345"}


def test_a_pricing_extract_without_the_order_number_says_how_to_get_it(tmp_path):
    path = tmp_path / "KONV.csv"
    path.write_text("MANDT;KNUMV;KPOSN;KSCHL;KRECH;KBETR\n800;0000524318;000000;HA00;A;30,00-\n")
    with pytest.raises(AdapterError, match=r"lacks required column\(s\) VBELN") as raised:
        list(SapTableAdapter().read(path))
    assert "joined with VBAK" in str(raised.value)


def test_pricing_conditions_are_recognised_by_the_file_name_only(sap_data, tmp_path):
    path = tmp_path / "conditions.csv"
    shutil.copy(sap_data / "PRCD_ELEMENTS.csv", path)
    with pytest.raises(AdapterError, match="told apart by the file name only"):
        list(SapTableAdapter().read(path))


# -- the rules ------------------------------------------------------------------------


def _sap_facts(sap_data: Path, *names: str) -> list[Fact]:
    adapter = SapTableAdapter(payment_days={"ZB14": 14})
    return [f for name in names for f in _read(adapter, sap_data / name)[0]]


def _promise(**terms: object) -> list[Fact]:
    opportunity = Opportunity(id="OPP-7", account_id="4711", is_won=True, **terms)  # type: ignore[arg-type]
    link = OpportunityLink(opportunity_id="OPP-7", order_id="12345", via="customer_po")
    return [Fact(opportunity, CRM), Fact(link, CRM)]


def _findings(facts: list[Fact], rule: str, engine: str, checkpoint: str) -> list[tuple[str, str]]:
    run = check(facts=facts, at=AT, checkpoints=[checkpoint], engine=engine)
    (decision,) = [d for d in run.decisions if d.case == "12345"]
    return [(f.result.value, f.message) for f in decision.findings if f.rule == rule]


ORDER_TABLES = ("VBAK.csv", "VBKD.csv", "KONV.txt")


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_sal_crm_003_passes_on_an_order_keeping_the_promised_terms(sap_data, engine):
    facts = _sap_facts(sap_data, *ORDER_TABLES) + _promise(
        payment_terms="ZB14", payment_days=14, discount_pct=Decimal("3.0")
    )
    [(result, _message)] = _findings(facts, "SAL-CRM-003", engine, "H1")
    assert result == "pass"


@pytest.mark.parametrize("engine", ["reference", "durable"])
@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ({"discount_pct": Decimal("5")}, "ERP order 12345 has a 3 % discount"),
        ({"payment_days": 30}, "ERP order 12345 gives 14 days to pay"),
    ],
)
def test_sal_crm_003_fails_on_an_order_off_the_promise(sap_data, engine, terms, expected):
    promise = {"payment_terms": "ZB14", "payment_days": 14, "discount_pct": Decimal("3")}
    facts = _sap_facts(sap_data, *ORDER_TABLES) + _promise(**{**promise, **terms})
    [(result, message)] = _findings(facts, "SAL-CRM-003", engine, "H1")
    assert result == "fail"
    assert message.startswith(expected)


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_sal_crm_003_without_the_pricing_extract_sees_no_discount(sap_data, engine):
    facts = _sap_facts(sap_data, "VBAK.csv", "VBKD.csv") + _promise(
        payment_terms="ZB14", payment_days=14, discount_pct=Decimal("3")
    )
    [(result, message)] = _findings(facts, "SAL-CRM-003", engine, "H1")
    assert result == "fail"
    assert "ERP order 12345 has no discount" in message


def _correction(assignee: str) -> Fact:
    task = CorrectionTask(
        id="COR-1",
        document_id="90000017",
        order_id="12345",
        field="ship-to address",
        customer_facing=True,
        detected_on=AT,
        assignee=assignee,
    )
    return Fact(task, Provenance("test", "corrections.csv", "line 2", line=2))


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_sal_err_001_sends_a_correction_to_the_sales_employee(sap_data, engine):
    facts = _sap_facts(sap_data, "VBAK.csv", "VBPA.txt")
    [(result, _message)] = _findings([*facts, _correction("1042")], "SAL-ERR-001", engine, "H4")
    assert result == "pass"
    [(result, message)] = _findings([*facts, _correction("2000")], "SAL-ERR-001", engine, "H4")
    assert result == "fail"
    assert "is assigned to 2000, not to the order owner 1042" in message


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_a_check_over_a_folder_takes_the_options_file_as_no_input(sap_data, tmp_path, engine):
    for name in ("VBAK.csv", "VBPA.txt", "VBKD.csv", "KONV.txt"):
        shutil.copy(sap_data / name, tmp_path / name)
    (tmp_path / OPTIONS_FILE).write_text("[payment_terms]\nZB14 = 14\n")
    run = check([tmp_path], at=AT, checkpoints=["H1"], engine=engine)
    assert run.skipped == ()
    (case,) = [c for c in run.case_list if c.id == "12345"]
    order = case.order
    assert (order.payment_terms, order.payment_days, order.discount_pct, order.owner) == (
        "ZB14",
        14,
        Decimal("3"),
        "1042",
    )
