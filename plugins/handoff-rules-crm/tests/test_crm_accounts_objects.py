"""Accounts carry country and tax id to the ERP customer; Contract, Product2 and
PricebookEntry are read; ``check`` decides CRM and identifier rules from CRM data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from handoff_rules_crm import CrmOptions, SalesforceCsvAdapter
from handoff_rules_crm.accounts import erp_counterparties
from handoff_rules_crm.cells import Cells
from handoff_rules_crm.options import CURRENCY_VARIABLE
from handoff_rules_crm.salesforce import account_country, company_ids

import handoff_rules
from handoff_rules.adapters import Fact, Provenance, Reject
from handoff_rules.cases import build_cases
from handoff_rules.decision import Decision, Result
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.model import CompanyId, ContractStatus, Counterparty, Derived, Document

ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])
SHARED = Path("/work/shared/domain/samples")


@pytest.fixture
def single(data_dir: Path) -> Path:
    return data_dir / "sf-single-currency"


def _facts(path: Path, options: CrmOptions | None = None) -> list[Fact]:
    items = list(SalesforceCsvAdapter(options).read(path))
    assert [i for i in items if isinstance(i, Reject)] == []
    return [i for i in items if isinstance(i, Fact)]


# -- accounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "country"),
    [
        ({"BillingCountryCode": "cz", "BillingCountry": "Germany"}, "CZ"),
        ({"BillingCountry": "Czech Republic"}, "CZ"),
        ({"BillingCountry": " united  states "}, "US"),
        ({"BillingCountry": "PL"}, "PL"),
        ({"BillingCountry": "Atlantis"}, None),
        ({"ShippingCountry": "France"}, "FR"),
    ],
)
def test_account_country(cells: dict[str, str], country: str | None) -> None:
    assert account_country(Cells(cells, CrmOptions())) == country


@pytest.mark.parametrize(
    ("country", "values", "expected"),
    [
        ("CZ", ["CZ25596641"], (CompanyId("CZ-ICO", "25596641"),)),  # DIČ = CZ + IČO
        ("CZ", ["25596642", "25596641"], (CompanyId("CZ-ICO", "25596641"),)),  # valid wins
        ("CZ", ["25596642"], (CompanyId("CZ-ICO", "25596642"),)),  # kept, flagged invalid
        ("PL", ["PL 526 025 02 74"], (CompanyId("PL-NIP", "5260250274"),)),
        ("FR", ["FR44732829320"], (CompanyId("FR-SIREN", "732829320"),)),
        (
            "FR",
            ["73282932000074"],
            (CompanyId("FR-SIRET", "73282932000074"), CompanyId("FR-SIREN", "732829320")),
        ),
        ("US", ["12-3456789"], ()),  # no scheme the model knows: kept in crm_details only
        (None, ["CZ25596641"], ()),
    ],
)
def test_company_ids_by_country(
    country: str | None, values: list[str], expected: tuple[CompanyId, ...]
) -> None:
    assert company_ids(country, values) == expected


def test_accounts_carry_country_and_identifiers(single: Path) -> None:
    facts = _facts(single / "Account.csv")
    parties = {f.data.id: f.data for f in facts if isinstance(f.data, Counterparty)}
    kobalt = parties["001A0000001KobAAA"]
    assert kobalt.country == "CZ"
    assert kobalt.legal_id() == CompanyId("CZ-ICO", "25596641")
    assert kobalt.legal_id() is not None
    assert kobalt.legal_id().is_valid
    brzoza = parties["001A0000001BrzAAA"]
    assert brzoza.country == "PL"  # from BillingCountry "Poland"
    assert brzoza.identifiers == (CompanyId("PL-NIP", "5260250275"),)
    assert not brzoza.identifiers[0].is_valid
    details = {
        f.data.subject: f.data
        for f in facts
        if isinstance(f.data, Derived) and f.data.name == "crm_details"
    }
    assert details["001A0000001BrzAAA"].get("tax_id") == "PL5260250275"  # as written


@pytest.mark.parametrize("base", ["test data", "shared sample"])
def test_apex_recipes_accounts_get_their_country(apex_recipes: Path, base: str) -> None:
    folder = apex_recipes if base == "test data" else SHARED / apex_recipes.name
    if not folder.is_dir():
        pytest.skip("the shared samples are not on this machine")
    parties = [f.data for f in _facts(folder / "Accounts.csv") if isinstance(f.data, Counterparty)]
    assert len(parties) == 50
    assert {p.country for p in parties} == {"US"}  # billingcountry "United States"


def test_an_account_number_makes_the_account_a_part_of_the_erp_customer(single: Path) -> None:
    facts = _facts(single / "Account.csv")
    parts = list(erp_counterparties(facts))
    customers = {f.data.id: f for f in parts if isinstance(f.data, Counterparty)}
    assert set(customers) == {"C100", "C200", "C300"}
    assert all(f.part for f in customers.values())
    assert customers["C100"].provenance.line == 2  # the Account row
    # The ERP's own customer record wins; the CRM fills only what it lacks.
    erp = Fact(
        data=Counterparty(id="C100", name="KOBALT PUMPY SRO", country="CZ"),
        provenance=Provenance(adapter="native-yaml", source="kna1.yaml", location="line 3"),
    )
    order = Fact(
        data=handoff_rules.model.Order(id="1", counterparty_id="C100"),
        provenance=Provenance(adapter="native-yaml", source="orders.yaml", location="line 3"),
    )
    both = list(erp_counterparties([erp, *facts]))
    (part,) = [f for f in both if isinstance(f.data, Counterparty) and f.data.id == "C100"]
    assert part.data == Counterparty(id="C100", identifiers=(CompanyId("CZ-ICO", "25596641"),))
    (case,) = build_cases([erp, order, *facts, *both]).cases
    (whole,) = [f for f in case.facts if isinstance(f.data, Counterparty)]
    assert whole.data.name == "KOBALT PUMPY SRO"
    assert whole.data.identifiers == (CompanyId("CZ-ICO", "25596641"),)
    assert [p.source for p in whole.sources] == ["kna1.yaml", str(single / "Account.csv")]
    # An ERP record that lacks nothing gets no CRM part: the CRM row is not cited.
    complete = attrs.evolve(erp, data=attrs.evolve(erp.data, identifiers=part.data.identifiers))
    assert not [
        f
        for f in erp_counterparties([complete, *facts])
        if isinstance(f.data, Counterparty) and f.data.id == "C100"
    ]


# -- more objects ---------------------------------------------------------------------------


def test_contracts_become_contract_documents(single: Path) -> None:
    documents = {
        f.data.id: f.data for f in _facts(single / "Contract.csv") if isinstance(f.data, Document)
    }
    active = documents["800A0000001CtrAA1"]
    assert active.kind == "contract"
    assert active.status is ContractStatus.SIGNED
    assert active.counterparty_id == "001A0000001KobAAA"
    assert active.number == "00000100"
    assert active.valid_from == date(2024, 1, 1)
    assert active.valid_until == date(2024, 12, 31)  # StartDate + 12 months - 1 day
    assert active.signed_on == date(2023, 12, 20)
    assert documents["800A0000001CtrAA2"].status is ContractStatus.DRAFT


@pytest.mark.parametrize(
    ("start", "term", "end"),
    [("2024-01-31", "1", date(2024, 2, 28)), ("2023-03-01", "12", date(2024, 2, 29))],
)
def test_contract_end_from_its_term(tmp_path: Path, start: str, term: str, end: date) -> None:
    path = tmp_path / "Contract.csv"
    path.write_text(
        f"Id,AccountId,Status,StartDate,ContractTerm\n800X,001X,Activated,{start},{term}\n",
        encoding="utf-8",
    )
    (document,) = [f.data for f in _facts(path) if isinstance(f.data, Document)]
    assert document.valid_until == end


def test_products_and_pricebook_entries_are_read(single: Path) -> None:
    products = {f.data.subject: f.data for f in _facts(single / "Product2.csv")}  # type: ignore[union-attr]
    valve = products["01tA0000001PrdAA1"]
    assert isinstance(valve, Derived)
    assert valve.name == "product"
    assert valve.get("product_code") == "BV-50"
    assert valve.get("is_active") is True
    entries = _facts(single / "PricebookEntry.csv", CrmOptions(default_currency="USD"))
    entry = entries[0].data
    assert isinstance(entry, Derived)
    assert entry.name == "pricebook_entry"
    assert entry.get("product_id") == "01tA0000001PrdAA1"
    assert entry.get("unit_price") == Decimal("266.66666667")


def test_the_report_export_never_stops_check(demo_org: Path) -> None:
    files = [demo_org / "OpportunityHistoryGroup.csv", demo_org / "Opportunity.csv"]
    with pytest.raises(handoff_rules.errors.NoOrderError):  # read, but these files hold no order
        handoff_rules.check(files, at=date(2024, 6, 1), engine="reference")


# -- check over a Salesforce org and ERP orders ---------------------------------------------


def _by_rule(decision: Decision) -> dict[str, set[Result]]:
    found: dict[str, set[Result]] = {}
    for finding in decision.findings:
        if finding.result is not Result.NOT_APPLICABLE:
            found.setdefault(finding.rule, set()).add(finding.result)
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_check_decides_crm_and_identifier_rules_from_crm_data(
    single: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CURRENCY_VARIABLE, "USD")
    files = [*sorted(single.glob("*.csv")), single / "erp-orders.yaml"]
    run = handoff_rules.check(files, at=date(2024, 6, 1), engine=engine, checkpoints=["H1"])
    decisions = {d.case: d for d in run.decisions}
    matching = decisions["5000001"]
    assert matching.outcome.value == "allow"
    rules = _by_rule(matching)
    assert rules["ACC-ID-001"] == {Result.PASS}  # the CRM's DIČ, under the ERP number
    assert rules["LEG-CTR-001"] == {Result.PASS}  # the CRM's activated contract
    for rule in ("SAL-CRM-001", "SAL-CRM-002", "SAL-CRM-003", "SAL-CRM-004"):
        assert rules[rule] == {Result.PASS}, rule
    assert not any("no counterparty fact" in f.message for f in matching.findings)
    failing = {
        case: sorted(r for r, results in _by_rule(d).items() if Result.FAIL in results)
        for case, d in decisions.items()
    }
    assert failing == {
        "5000001": [],
        "5000002": ["ACC-ID-001", "LEG-CTR-001"],  # bad NIP checksum; a draft contract
        "5000003": ["SAL-CRM-004"],  # 4400 against 4000 won
    }
    (finding,) = [f for f in decisions["5000002"].findings if f.rule == "ACC-ID-001"]
    assert "5260250275 fails the PL-NIP checksum" in finding.message
    assert any(s.source.endswith("Account.csv") and s.line == 3 for s in finding.sources)
