"""Generated order-to-cash cases for the default pack: seeded, fast, and realistic.

One case is what ``build_cases`` makes of an export: an order with its
counterparty, contract and templates, a goods release with a power of
attorney, an invoice with a payment, shipping documents, open items,
correction tasks and sometimes the won CRM opportunity it came from. Each
piece is usually right and sometimes wrong or missing, with probabilities
chosen so every rule of ``o2c-standard`` passes, fails and is indeterminate
in a useful share of cases, and boundaries (dates equal to a limit, a payment
difference equal to the tolerance) come up often.

``case(seed, number)`` depends only on its arguments, so a benchmark can
regenerate the same case for each backend instead of keeping 100k cases in
memory. Used by ``bench/engine.py`` and by the engine's differential tests.
"""

from __future__ import annotations

import functools
import random
from datetime import date, timedelta
from decimal import Decimal
from importlib.resources import files

from handoff_rules.cases import Case
from handoff_rules.facts import Fact, Provenance, fact_sort_key
from handoff_rules.model import (
    CompanyId,
    ContractStatus,
    ContractTemplate,
    CorrectionTask,
    Counterparty,
    Delivery,
    Document,
    DocumentForm,
    DocumentKind,
    Invoice,
    Money,
    OpenItem,
    Opportunity,
    OpportunityLink,
    Order,
    Payment,
    PoaTerms,
)
from handoff_rules.policy.pack import Pack, load_pack

#: Checksum-valid identifiers per country (checked when this module loads).
VALID_IDS = {
    "RU": ("RU-INN", "7707083893"),
    "CZ": ("CZ-ICO", "25596641"),
    "PL": ("PL-NIP", "5260250274"),
}
INVALID_IDS = {"RU": ("RU-INN", "7707083894"), "CZ": ("CZ-ICO", "25596642")}
CURRENCY = {"RU": "RUB", "CZ": "CZK", "PL": "PLN"}
RECEIVERS = ("Ivan Petrov", "Anna Nováková", "Piotr Nowak", "Ольга Смирнова")
FORMS = tuple(DocumentForm)
BASE_DAY = date(2024, 3, 1)

for _scheme, _value in (*VALID_IDS.values(), *INVALID_IDS.values()):
    _valid = CompanyId(_scheme, _value).is_valid
    if _valid is not ((_scheme, _value) in VALID_IDS.values()):
        raise AssertionError(f"identifier pool is wrong about {_scheme} {_value}")


class _Builder:
    """Collects the facts of one case with numbered provenance."""

    def __init__(self, rng: random.Random, number: int) -> None:
        self.rng = rng
        self.number = number
        self.facts: list[Fact] = []

    def add(self, data: object) -> None:
        line = len(self.facts) + 1
        provenance = Provenance(
            "bench", f"generated/{self.number}.jsonl", f"line {line}", None, line
        )
        self.facts.append(Fact(data=data, provenance=provenance))  # type: ignore[arg-type]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def maybe(self, p: float, value: object) -> object:
        return value if self.rng.random() < p else None

    def day(self, around: date, spread: int) -> date:
        return around + timedelta(days=self.rng.randint(-spread, spread))


@functools.cache
def pack() -> Pack:
    """The pack version these cases are generated for: bundled ``o2c-standard`` 1.0.0."""
    return load_pack(files("handoff_rules.packs") / "o2c-standard" / "1.0.0")


def case(seed: int, number: int) -> tuple[Case, date]:
    """The ``number``-th generated case of ``seed`` and the date to evaluate it at."""
    rng = random.Random(seed * 1_000_003 + number)
    b = _Builder(rng, number)
    country = rng.choice(tuple(VALID_IDS))
    currency = CURRENCY[country]
    party_id = f"C{rng.randint(1, 50)}"
    order_id = f"SO-{number}"
    order_date = b.day(BASE_DAY, 60)
    at = order_date + timedelta(days=rng.randint(0, 40))
    net_minor = rng.randint(1, 500) * 10_000
    receiver = rng.choice(RECEIVERS)
    owner = rng.choice(("kowalski", "novak", "ivanova"))

    b.add(
        Order(
            id=order_id,
            counterparty_id=party_id if b.chance(0.97) else None,
            order_date=order_date if b.chance(0.97) else None,
            net_value=Money.from_minor(net_minor, currency) if b.chance(0.97) else None,
            currency=currency,
            customer_po_ref=b.maybe(0.93, f"PO-{number}"),  # type: ignore[arg-type]
            ship_to=b.maybe(0.95, party_id),  # type: ignore[arg-type]
            payer=b.maybe(0.95, party_id),  # type: ignore[arg-type]
            incoterm=b.maybe(0.95, "DAP"),  # type: ignore[arg-type]
            payment_terms=b.maybe(0.95, "NT30"),  # type: ignore[arg-type]
            payment_days=30,
            discount_pct=Decimal(rng.choice((0, 0, 2, 5))),
            contact_person_id=b.maybe(0.95, f"P{rng.randint(1, 9)}"),  # type: ignore[arg-type]
            owner=owner,
        )
    )
    _counterparty(b, party_id, country, currency, net_minor)
    _contract(b, party_id, order_date)
    _release(b, party_id, order_id, order_date, receiver)
    _billing(b, party_id, order_id, order_date, net_minor, currency)
    _documents(b, party_id, order_id, order_date)
    if b.chance(0.3):
        _correction(b, order_id, order_date, owner)
    if b.chance(0.3):
        _opportunity(b, party_id, order_id, net_minor, currency, order_date)
    rng.shuffle(b.facts)  # arrival order must not matter; Case sorts them anyway
    return Case(id=order_id, facts=tuple(sorted(b.facts, key=fact_sort_key))), at


def _counterparty(b: _Builder, party_id: str, country: str, currency: str, net: int) -> None:
    roll = b.rng.random()
    if roll < 0.85:
        identifiers = (CompanyId(*VALID_IDS[country]),)
    elif roll < 0.92 and country in INVALID_IDS:
        identifiers = (CompanyId(*INVALID_IDS[country]),)
    elif roll < 0.96:
        other = "CZ" if country != "CZ" else "PL"
        identifiers = (CompanyId(*VALID_IDS[other]),)
    else:
        identifiers = ()
    limit = None
    if b.chance(0.8):
        limit = Money.from_minor(b.rng.choice((net, net * 2, net // 2, 10**9)), currency)
    b.add(
        Counterparty(
            id=party_id,
            name=f"Customer {party_id}",
            country=country,
            identifiers=identifiers,
            credit_limit=limit,
            customer_group=b.rng.choice((None, "KEY")),
        )
    )
    for item in range(b.rng.randint(0, 2)):
        b.add(
            OpenItem(
                id=f"OI-{b.number}-{item}",
                counterparty_id=party_id,
                amount=Money.from_minor(b.rng.randint(1, 300) * 10_000, currency),
                due_on=b.day(BASE_DAY, 30),
                cleared_on=b.maybe(0.3, b.day(BASE_DAY, 30)),  # type: ignore[arg-type]
            )
        )


def _contract(b: _Builder, party_id: str, order_date: date) -> None:
    b.add(ContractTemplate("SUPPLY", "1", date(2020, 1, 1), superseded_on=date(2023, 6, 1)))
    b.add(ContractTemplate("SUPPLY", "2", date(2023, 6, 1)))
    if not b.chance(0.92):
        return
    start = order_date - timedelta(days=b.rng.choice((400, 200, 30, 0, -1)))
    end = b.rng.choice((order_date, order_date - timedelta(days=1), start + timedelta(days=365)))
    b.add(
        Document(
            id=f"K-{b.number}",
            kind=DocumentKind.CONTRACT,
            counterparty_id=party_id,
            form=b.rng.choice((DocumentForm.ORIGINAL, DocumentForm.ORIGINAL, DocumentForm.SCAN)),
            status=b.rng.choice((ContractStatus.SIGNED,) * 8 + (ContractStatus.DRAFT,)),
            signed_on=b.maybe(0.95, start),  # type: ignore[arg-type]
            valid_from=start,
            valid_until=b.maybe(0.85, end),  # type: ignore[arg-type]
            auto_renewal=b.rng.choice((None, False, True)),
            has_electronic_exchange_clause=b.rng.choice((None, False, True)),
            template_id="SUPPLY",
            template_version=b.rng.choice(("1", "2", "2", "2", "3")),
        )
    )


def _release(b: _Builder, party_id: str, order_id: str, order_date: date, receiver: str) -> None:
    if not b.chance(0.85):
        return
    release = order_date + timedelta(days=b.rng.randint(0, 20))
    b.add(
        Delivery(
            id=f"DL-{b.number}",
            order_id=order_id,
            counterparty_id=party_id,
            release_date=b.maybe(0.95, release),  # type: ignore[arg-type]
            receiver_name=b.maybe(0.95, receiver),  # type: ignore[arg-type]
        )
    )
    for poa in range(b.rng.choice((0, 1, 1, 1, 2))):
        issued = release - timedelta(days=b.rng.choice((0, 1, 5, 14, 15, 16, 40)))
        term = b.rng.choice((15, 14, 16, 30, None))
        holder = receiver if b.chance(0.85) else b.rng.choice(RECEIVERS)
        b.add(
            Document(
                id=f"POA-{b.number}-{poa}",
                kind=DocumentKind.POWER_OF_ATTORNEY,
                counterparty_id=party_id if b.chance(0.95) else "C0",
                form=DocumentForm.ORIGINAL,
                issued_on=b.maybe(0.95, issued),  # type: ignore[arg-type]
                valid_until=issued + timedelta(days=term) if term is not None else None,
                poa=PoaTerms(
                    holder_name=holder.upper() if b.chance(0.2) else holder,
                    revoked_on=b.maybe(0.1, release + timedelta(days=b.rng.randint(-2, 2))),  # type: ignore[arg-type]
                    consumed=b.chance(0.05),
                ),
            )
        )


def _billing(
    b: _Builder, party_id: str, order_id: str, order_date: date, net: int, currency: str
) -> None:
    if not b.chance(0.85):
        return
    invoice_id = f"INV-{b.number}"
    b.add(
        Invoice(
            id=invoice_id,
            order_id=order_id,
            counterparty_id=party_id,
            issued_on=order_date + timedelta(days=3),
            total=Money.from_minor(net, currency),
        )
    )
    if not b.chance(0.8):
        return
    # Around the tolerance (1 % capped at 10.00): inside, exactly on it, outside, both ways.
    tolerance = min(net // 100, 1000)
    difference = b.rng.choice((0, 0, 1, tolerance, tolerance + 1, -tolerance, -tolerance - 1, 5000))
    b.add(
        Payment(
            id=f"PAY-{b.number}",
            amount=Money.from_minor(max(net - difference, 1), currency),
            counterparty_id=party_id,
            invoice_id=invoice_id if b.chance(0.95) else f"INV-X{b.number}",
            received_on=order_date + timedelta(days=20),
        )
    )


def _documents(b: _Builder, party_id: str, order_id: str, order_date: date) -> None:
    kinds = (DocumentKind.DELIVERY_NOTE, DocumentKind.UPD, DocumentKind.VAT_INVOICE)
    for number in range(b.rng.choice((0, 1, 2, 2, 3))):
        form = b.rng.choice(FORMS)
        final = b.maybe(0.7, order_date + timedelta(days=b.rng.randint(1, 30)))
        b.add(
            Document(
                id=f"D-{b.number}-{number}",
                kind=b.rng.choice(kinds),
                counterparty_id=party_id,
                order_id=order_id,
                form=form if b.chance(0.95) else None,
                issued_on=order_date,
                final_received_on=final,  # type: ignore[arg-type]
            )
        )


def _correction(b: _Builder, order_id: str, order_date: date, owner: str) -> None:
    b.add(
        CorrectionTask(
            id=f"CT-{b.number}",
            order_id=order_id,
            document_id=f"INV-{b.number}",
            field="price",
            customer_facing=b.rng.choice((True, False, None)),
            detected_on=order_date + timedelta(days=b.rng.randint(0, 10)),
            assignee=b.maybe(0.9, owner if b.chance(0.8) else "someone"),  # type: ignore[arg-type]
            closed_on=b.maybe(0.5, order_date + timedelta(days=12)),  # type: ignore[arg-type]
            via_correction_document=b.rng.choice((True, False, None)),
        )
    )


def _opportunity(
    b: _Builder, party_id: str, order_id: str, net: int, currency: str, order_date: date
) -> None:
    opportunity_id = f"OPP-{b.number}"
    amount = net if b.chance(0.8) else net + 100
    b.add(
        Opportunity(
            id=opportunity_id,
            name="Deal",
            account_id=party_id,
            is_won=True,
            amount=Money.from_minor(amount, currency if b.chance(0.9) else "EUR"),
            payment_terms=b.rng.choice(("NT30", "NT30", "NT60", None)),
            payment_days=b.rng.choice((30, 30, 60, None)),
            discount_pct=Decimal(b.rng.choice((0, 2, 5))),
            nonstandard_terms=b.maybe(0.3, "delivery in 2 days"),  # type: ignore[arg-type]
            ops_signoff_by=b.maybe(0.6, "ops"),  # type: ignore[arg-type]
            ops_signoff_on=b.maybe(0.6, order_date),  # type: ignore[arg-type]
        )
    )
    b.add(
        OpportunityLink(
            opportunity_id=opportunity_id,
            order_id=order_id,
            via="crm",
            counterparty_id=party_id if b.chance(0.9) else "C0",
        )
    )
