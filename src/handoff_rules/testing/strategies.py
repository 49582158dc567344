"""Hypothesis strategies that build valid model objects, for property tests of plugins.

Needs hypothesis (the ``testing`` extra). Every strategy builds objects the
model accepts; identifiers carry real check digits (computed with
python-stdnum's own checksum functions), so ``company_ids(valid=True)`` gives
ids a rule must accept and ``company_ids(valid=False)`` ids it must flag.

Keys that link facts (order ids, counterparty ids, person ids) are drawn from
small pools, so generated facts actually meet in cases instead of each
pointing at an order nobody generated.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cz import dic
from stdnum.pl import nip
from stdnum.ru import inn
from stdnum.ua import edrpou

from handoff_rules.decision import (
    Action,
    Checkpoint,
    Decision,
    Finding,
    Limit,
    PackRef,
    Result,
    Severity,
)
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import (
    FACT_TYPES,
    CompanyId,
    ContractStatus,
    ContractTemplate,
    CorrectionTask,
    Counterparty,
    CreditLimit,
    Delivery,
    Derived,
    Document,
    DocumentForm,
    DocumentKind,
    FactData,
    IdDocument,
    IdScheme,
    Invoice,
    Money,
    OpenItem,
    Opportunity,
    OpportunityLink,
    Order,
    OrderLine,
    Payment,
    Person,
    PoaTerms,
)
from handoff_rules.model.bounds import MAX_INT
from handoff_rules.model.crm import RESERVED_VALUE_KEYS
from handoff_rules.model.currencies import MINOR_UNITS
from handoff_rules.model.identifiers import check_identifier

__all__ = [
    "ORDER_IDS",
    "PARTY_IDS",
    "actions",
    "company_ids",
    "contract_templates",
    "corrections",
    "counterparties",
    "credit_limits",
    "currencies",
    "dates",
    "decisions",
    "deliveries",
    "derived_facts",
    "documents",
    "fact_data",
    "fact_lists",
    "facts",
    "findings",
    "id_documents",
    "identifier_values",
    "invoices",
    "money",
    "open_items",
    "opportunities",
    "opportunity_links",
    "order_lines",
    "orders",
    "pack_refs",
    "payments",
    "people",
    "poa_terms",
    "provenances",
]

T = TypeVar("T")

#: The pools linking keys are drawn from.
ORDER_IDS = ("4711", "4712", "4713", "SO-9")
PARTY_IDS = ("C100", "C200", "C300")
PERSON_IDS = ("P1", "P2", "P3")

_ID_ALPHABET = string.ascii_uppercase + string.digits + "-"
# Text as exports carry it: any printable character, including Cyrillic and
# accents, but no surrogates (they are not encodable) and no control characters.
_TEXT_CHARS = st.characters(exclude_categories=("Cs", "Cc"))


def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def texts(max_size: int = 24) -> st.SearchStrategy[str]:
    """Free text: names, descriptions, references."""
    return st.text(_TEXT_CHARS, min_size=1, max_size=max_size)


def ids(prefix: str = "") -> st.SearchStrategy[str]:
    return st.text(_ID_ALPHABET, min_size=1, max_size=10).map(lambda s: prefix + s)


def dates() -> st.SearchStrategy[date]:
    return st.dates(min_value=date(1995, 1, 1), max_value=date(2045, 12, 31))


def decimals(places: int = 4) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(-(10**9)),
        max_value=Decimal(10**9),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


def currencies() -> st.SearchStrategy[str]:
    """Active ISO 4217 codes, weighted towards the ones exports carry most."""
    common = st.sampled_from(("RUB", "EUR", "USD", "CZK", "PLN", "UAH"))
    return common | st.sampled_from(sorted(MINOR_UNITS))


def money(currency: str | None = None, max_minor: int = 10**13) -> st.SearchStrategy[Money]:
    """Money built from integer minor units, so it is exact by construction."""
    codes = st.just(currency) if currency is not None else currencies()
    return st.builds(
        Money.from_minor, st.integers(min_value=-max_minor, max_value=max_minor), codes
    )


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(string.digits, min_size=n, max_size=n)


def _valid_value(scheme: IdScheme) -> st.SearchStrategy[str]:
    makers: dict[IdScheme, Callable[[], st.SearchStrategy[str]]] = {
        # cz.dic refuses legal-entity numbers starting with 9.
        IdScheme.CZ_ICO: lambda: st.builds(
            lambda first, rest: first + rest + dic.calc_check_digit_legal(first + rest),
            st.sampled_from("012345678"),
            _digits(6),
        ),
        IdScheme.PL_NIP: lambda: (
            _digits(9).map(lambda d: d + str(nip.checksum(d + "0"))).filter(lambda v: len(v) == 10)
        ),
        IdScheme.RU_INN: lambda: (
            _digits(9).map(lambda d: d + inn.calc_company_check_digit(d))
            | _digits(10).map(lambda d: d + inn.calc_personal_check_digits(d))
        ),
        IdScheme.UA_EDRPOU: lambda: _digits(7).map(lambda d: d + edrpou.calc_check_digit(d)),
        IdScheme.FR_SIREN: lambda: _digits(8).map(lambda d: d + luhn.calc_check_digit(d)),
        IdScheme.FR_SIRET: lambda: st.builds(
            lambda siren, tail: siren + tail + luhn.calc_check_digit(siren + tail),
            _digits(8).map(lambda d: d + luhn.calc_check_digit(d)),
            _digits(4),
        ),
    }
    return makers[scheme]().filter(lambda v: check_identifier(scheme.value, v)[0] is not None)


def _invalid_value(scheme: IdScheme) -> st.SearchStrategy[str]:
    """A valid number with its last digit changed, or arbitrary text; never a valid id."""
    typo = st.builds(
        lambda value, delta: value[:-1] + str((int(value[-1]) + delta) % 10),
        _valid_value(scheme),
        st.integers(1, 9),
    )
    junk = st.text(_TEXT_CHARS | st.sampled_from(string.digits), max_size=16)
    return (typo | junk).filter(lambda v: check_identifier(scheme.value, v)[0] is None)


def identifier_values(scheme: IdScheme, valid: bool) -> st.SearchStrategy[str]:
    """Values of ``scheme`` that pass (``valid=True``) or fail its checksum."""
    return _valid_value(scheme) if valid else _invalid_value(scheme)


def company_ids(
    valid: bool | None = None, scheme: IdScheme | None = None
) -> st.SearchStrategy[CompanyId]:
    """Company identifiers; ``valid`` None mixes valid and invalid ones."""
    schemes = st.just(scheme) if scheme is not None else st.sampled_from(list(IdScheme))
    validity = st.just(valid) if valid is not None else st.booleans()

    @st.composite
    def build(draw: st.DrawFn) -> CompanyId:
        chosen = draw(schemes)
        value = draw(identifier_values(chosen, draw(validity)))
        return CompanyId(scheme=chosen.value, value=value)

    return build()


def counterparties() -> st.SearchStrategy[Counterparty]:
    return st.builds(
        Counterparty,
        id=st.sampled_from(PARTY_IDS) | ids("C"),
        name=_optional(texts()),
        country=_optional(st.sampled_from(("RU", "CZ", "PL", "UA", "FR", "DE"))),
        identifiers=st.lists(company_ids(), max_size=2).map(tuple),
        is_individual_entrepreneur=st.booleans(),
        credit_limit=_optional(money()),
        risk_class=_optional(st.sampled_from(("A", "B", "C"))),
        dunning_level=_optional(st.integers(0, 9)),
        customer_group=_optional(ids()),
        first_order_on=_optional(dates()),
        paid_orders_count=_optional(st.integers(0, 10_000)),
        registry_verified_on=_optional(dates()),
    )


def credit_limits() -> st.SearchStrategy[CreditLimit]:
    return st.builds(
        CreditLimit,
        counterparty_id=st.sampled_from(PARTY_IDS),
        limit=money(),
        area=_optional(st.sampled_from(("1000", "RU01", "CZ01"))),
        valid_until=_optional(dates()),
    )


def id_documents() -> st.SearchStrategy[IdDocument]:
    return st.builds(
        IdDocument,
        type=st.sampled_from(("passport", "id_card")),
        number=ids(),
        series=_optional(_digits(4)),
        issued_by=_optional(texts()),
        issued_on=_optional(dates()),
    )


def people() -> st.SearchStrategy[Person]:
    return st.builds(
        Person,
        id=st.sampled_from(PERSON_IDS) | ids("P"),
        full_name=texts(),
        counterparty_id=_optional(st.sampled_from(PARTY_IDS)),
        position=_optional(texts()),
        is_employee=_optional(st.booleans()),
        is_director=_optional(st.booleans()),
        id_document=_optional(id_documents()),
        email=_optional(st.emails()),
    )


def poa_terms() -> st.SearchStrategy[PoaTerms]:
    return st.builds(
        PoaTerms,
        holder_name=texts(),
        holder_person_id=_optional(st.sampled_from(PERSON_IDS)),
        holder_is_employee=_optional(st.booleans()),
        holder_id_document_number=_optional(ids()),
        amount_limit=_optional(money()),
        goods=st.lists(texts(12), max_size=3).map(tuple),
        basis_ref=_optional(ids()),
        revoked_on=_optional(dates()),
        consumed=st.booleans(),
        signed_by_chief_accountant=_optional(st.booleans()),
    )


def documents(kind: DocumentKind | None = None) -> st.SearchStrategy[Document]:
    """Documents of any kind (or of ``kind``); a power of attorney always has its terms."""
    kinds = st.just(kind) if kind is not None else st.sampled_from(list(DocumentKind))

    @st.composite
    def build(draw: st.DrawFn) -> Document:
        chosen = draw(kinds)
        is_poa = chosen is DocumentKind.POWER_OF_ATTORNEY
        is_contract = chosen in (DocumentKind.CONTRACT, DocumentKind.ADDENDUM)
        return Document(
            id=draw(ids("D")),
            kind=chosen,
            counterparty_id=draw(_optional(st.sampled_from(PARTY_IDS))),
            number=draw(_optional(ids())),
            form=draw(_optional(st.sampled_from(list(DocumentForm)))),
            order_id=draw(_optional(st.sampled_from(ORDER_IDS))),
            issued_on=draw(_optional(dates())),
            signed_on=draw(_optional(dates())),
            valid_from=draw(_optional(dates())),
            valid_until=draw(_optional(dates())),
            received_on=draw(_optional(dates())),
            final_received_on=draw(_optional(dates())),
            status=draw(_optional(st.sampled_from(list(ContractStatus)))) if is_contract else None,
            auto_renewal=draw(_optional(st.booleans())) if is_contract else None,
            predecessor_id=draw(_optional(ids("D"))) if is_contract else None,
            has_electronic_exchange_clause=draw(_optional(st.booleans())),
            template_id=draw(_optional(st.sampled_from(("SUPPLY", "SERVICE")))),
            template_version=draw(_optional(st.sampled_from(("1", "2", "3")))),
            poa=draw(poa_terms()) if is_poa else None,
        )

    return build()


def contract_templates() -> st.SearchStrategy[ContractTemplate]:
    return st.builds(
        ContractTemplate,
        template_id=st.sampled_from(("SUPPLY", "SERVICE")),
        version=st.sampled_from(("1", "2", "3")),
        effective_from=dates(),
        superseded_on=_optional(dates()),
    )


def orders() -> st.SearchStrategy[Order]:
    return st.builds(
        Order,
        id=st.sampled_from(ORDER_IDS),
        counterparty_id=_optional(st.sampled_from(PARTY_IDS)),
        order_date=_optional(dates()),
        net_value=_optional(money()),
        currency=_optional(currencies()),
        customer_po_ref=_optional(ids()),
        payment_terms=_optional(st.sampled_from(("NT30", "PREPAY", "0001"))),
        payment_days=_optional(st.integers(0, 365)),
        discount_pct=_optional(decimals(2)),
        contract_id=_optional(ids("D")),
        owner=_optional(texts(12)),
        entered_by=_optional(texts(12)),
        planned_delivery_date=_optional(dates()),
        delivery_block=_optional(st.sampled_from(("", "01", "Z1"))),
    )


def order_lines() -> st.SearchStrategy[OrderLine]:
    return st.builds(
        OrderLine,
        order_id=st.sampled_from(ORDER_IDS),
        line_no=_digits(2).map(lambda d: d + "0"),
        item=_optional(ids("M")),
        description=_optional(texts()),
        quantity=_optional(decimals(3)),
        unit=_optional(st.sampled_from(("PC", "KG", "M"))),
        net_value=_optional(money()),
        is_standard=_optional(st.booleans()),
    )


def deliveries() -> st.SearchStrategy[Delivery]:
    return st.builds(
        Delivery,
        id=ids("L"),
        order_id=_optional(st.sampled_from(ORDER_IDS)),
        counterparty_id=_optional(st.sampled_from(PARTY_IDS)),
        planned_date=_optional(dates()),
        release_date=_optional(dates()),
        receiver_name=_optional(texts()),
        receiver_person_id=_optional(st.sampled_from(PERSON_IDS)),
        value=_optional(money()),
        pickup=_optional(st.booleans()),
    )


def invoices() -> st.SearchStrategy[Invoice]:
    return st.builds(
        Invoice,
        id=ids("I"),
        order_id=_optional(st.sampled_from(ORDER_IDS)),
        counterparty_id=_optional(st.sampled_from(PARTY_IDS)),
        issued_on=_optional(dates()),
        due_on=_optional(dates()),
        total=_optional(money()),
        open_amount=_optional(money()),
        form=_optional(st.sampled_from(("paper", "edi"))),
    )


def payments() -> st.SearchStrategy[Payment]:
    return st.builds(
        Payment,
        id=ids("Z"),
        amount=money(),
        counterparty_id=_optional(st.sampled_from(PARTY_IDS)),
        invoice_id=_optional(ids("I")),
        order_id=_optional(st.sampled_from(ORDER_IDS)),
        received_on=_optional(dates()),
        reference=_optional(texts()),
    )


def open_items() -> st.SearchStrategy[OpenItem]:
    return st.builds(
        OpenItem,
        id=ids("OI"),
        counterparty_id=st.sampled_from(PARTY_IDS),
        amount=money(),
        document_ref=_optional(ids()),
        posted_on=_optional(dates()),
        due_on=_optional(dates()),
        cleared_on=_optional(dates()),
        disputed=st.booleans(),
        dunning_level=_optional(st.integers(0, 9)),
    )


def corrections() -> st.SearchStrategy[CorrectionTask]:
    return st.builds(
        CorrectionTask,
        id=ids("T"),
        document_id=_optional(ids("D")),
        order_id=_optional(st.sampled_from(ORDER_IDS)),
        field=_optional(st.sampled_from(("price", "address", "quantity"))),
        customer_facing=_optional(st.booleans()),
        detected_by=_optional(st.sampled_from(("SAL", "SUP", "ACC"))),
        detected_on=_optional(dates()),
        assignee=_optional(st.sampled_from(("SAL", "SUP", "ACC"))),
        closed_on=_optional(dates()),
        via_correction_document=_optional(st.booleans()),
    )


def opportunities() -> st.SearchStrategy[Opportunity]:
    return st.builds(
        Opportunity,
        id=st.sampled_from(("006A", "006B")) | ids("006"),
        name=_optional(texts()),
        account_id=_optional(st.sampled_from(PARTY_IDS)),
        stage=_optional(st.sampled_from(("Closed Won", "Prospecting"))),
        is_won=_optional(st.booleans()),
        is_closed=_optional(st.booleans()),
        close_date=_optional(dates()),
        amount=_optional(money()),
        payment_days=_optional(st.integers(0, 365)),
        discount_pct=_optional(decimals(2)),
        ops_signoff_on=_optional(dates()),
    )


def opportunity_links() -> st.SearchStrategy[OpportunityLink]:
    return st.builds(
        OpportunityLink,
        opportunity_id=st.sampled_from(("006A", "006B")),
        order_id=st.sampled_from(ORDER_IDS),
        via=st.sampled_from(("po_ref", "manual")),
        counterparty_id=_optional(st.sampled_from(PARTY_IDS)),
    )


_DERIVED_VALUES: st.SearchStrategy[Any] = (
    st.none() | st.booleans() | st.integers(-MAX_INT, MAX_INT) | texts() | decimals() | dates()
)


#: Keys a rule can name (``derived.values.<key>``); reserved ones are refused by the model.
_DERIVED_KEYS: st.SearchStrategy[str] = st.text(string.ascii_lowercase, min_size=1).filter(
    lambda key: key not in RESERVED_VALUE_KEYS
)


def derived_facts() -> st.SearchStrategy[Derived]:
    return st.builds(
        Derived,
        name=st.sampled_from(("open_balance", "poa_coverage", "days_overdue")),
        subject=ids(),
        values=st.dictionaries(_DERIVED_KEYS, _DERIVED_VALUES),
        order_id=_optional(st.sampled_from(ORDER_IDS)),
        counterparty_id=_optional(st.sampled_from(PARTY_IDS)),
    )


#: One strategy per fact type, keyed like :data:`handoff_rules.model.FACT_TYPES`.
_BY_TYPE: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    Counterparty.fact_type: counterparties,
    CreditLimit.fact_type: credit_limits,
    Person.fact_type: people,
    Document.fact_type: documents,
    ContractTemplate.fact_type: contract_templates,
    Order.fact_type: orders,
    OrderLine.fact_type: order_lines,
    Delivery.fact_type: deliveries,
    Invoice.fact_type: invoices,
    Payment.fact_type: payments,
    OpenItem.fact_type: open_items,
    CorrectionTask.fact_type: corrections,
    Opportunity.fact_type: opportunities,
    OpportunityLink.fact_type: opportunity_links,
    Derived.fact_type: derived_facts,
}
if set(_BY_TYPE) != set(FACT_TYPES):  # a new model class needs a strategy here
    missing = sorted(set(FACT_TYPES) - set(_BY_TYPE))
    raise ImportError(f"handoff_rules.testing.strategies lacks strategies for {missing}")


def fact_data(fact_type: str | None = None) -> st.SearchStrategy[FactData]:
    """Model objects of one fact type, or of any."""
    if fact_type is not None:
        return _BY_TYPE[fact_type]()
    return st.one_of([_BY_TYPE[name]() for name in sorted(_BY_TYPE)])


def provenances(adapter: str = "test") -> st.SearchStrategy[Provenance]:
    return st.builds(
        lambda source, line: Provenance(
            adapter=adapter, source=source, location=f"line {line}", line=line
        ),
        st.sampled_from(("a.csv", "b.jsonl", "exports/vbak.csv")),
        st.integers(1, 10**6),
    )


def facts(fact_type: str | None = None) -> st.SearchStrategy[Fact]:
    """Facts (model object + provenance) of one fact type, or of any."""
    return st.builds(Fact, data=fact_data(fact_type), provenance=provenances())


def fact_lists(min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[list[Fact]]:
    """Lists of facts whose keys come from small pools, so they form cases together."""
    return st.lists(facts(), min_size=min_size, max_size=max_size)


# --- decisions --------------------------------------------------------------------------

_RULE_IDS = ("party.legal_id", "order.poa_valid", "invoice.matches_order", "credit.limit")


def _sources() -> st.SearchStrategy[Provenance]:
    """Provenances with every optional part present or not."""
    return st.builds(
        Provenance,
        adapter=st.sampled_from(("sap", "crm", "test")),
        source=texts(),
        location=texts(),
        adapter_version=_optional(st.sampled_from(("1.0.0", "2.3.1"))),
        line=_optional(st.integers(0, 10**6)),
    )


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    """Findings the engine could make: waived exactly when an exception is named.

    A finding beyond a case limit is indeterminate, as the engine makes it.
    """
    result = draw(st.sampled_from(Result))
    limit = draw(_optional(st.sampled_from(Limit))) if result is Result.INDETERMINATE else None
    exception = None
    if result is Result.WAIVED:
        exception = f"{draw(ids('EX-'))}@{draw(st.integers(1, 99))}"
    return Finding(
        rule=draw(st.sampled_from(_RULE_IDS)),
        result=result,
        severity=draw(st.sampled_from(Severity)),
        message=draw(texts(60)),
        sources=draw(st.lists(_sources(), max_size=3)),
        exception=exception,
        subject=draw(_optional(ids())),
        limit=limit,
    )


def actions() -> st.SearchStrategy[Action]:
    return st.builds(
        Action,
        kind=st.sampled_from(("write_off", "create_task", "notify")),
        rule=st.sampled_from(_RULE_IDS),
        params=st.dictionaries(st.text(string.ascii_lowercase, min_size=1), texts(), max_size=3),
    )


def pack_refs() -> st.SearchStrategy[PackRef]:
    return st.builds(
        PackRef,
        name=st.sampled_from(("o2c-standard", "o2c-strict")),
        version=st.sampled_from(("1.0.0", "1.1.0", "2.0.0")),
        digest=st.text("0123456789abcdef", min_size=64, max_size=64),
    )


def decisions() -> st.SearchStrategy[Decision]:
    """Decisions whose outcome is the one their findings give, as every decision's is."""
    return st.builds(
        Decision,
        case=st.sampled_from(ORDER_IDS) | ids(),
        checkpoint=st.sampled_from(Checkpoint),
        at=dates(),
        pack=pack_refs(),
        findings=st.lists(findings(), max_size=5),
        actions=st.lists(actions(), max_size=3),
    )
