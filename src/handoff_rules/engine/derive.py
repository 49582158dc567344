"""Built-in derived facts: what rules need but durable_rules cannot compute safely.

Each deriver turns facts of a case into :class:`~handoff_rules.model.Derived`
facts (flat type ``derived.<name>``) before any backend runs, so both backends
see the same values. Why each one exists:

``goods_release`` (one per delivery)
    the receiver's name casefolded and with spaces normalised (string
    casefolding), the release date falling back to the planned date, and the
    counterparty taken from the order when the delivery has none.
``poa_terms`` (one per power of attorney)
    the *effective* validity: ``valid_until`` or, if the PoA names none, its
    issue date plus the pack's ``poa_default_term_days`` (a fallback, i.e. an
    ``or``); its term in days (date difference); the holder's name casefolded.
``payment_difference`` (one per payment allocated to an invoice)
    the difference to the invoice's open amount and the allowed tolerance: a
    minimum of two limits, a percentage and a rounding
    (:mod:`handoff_rules.engine.tolerance`), over the levels that apply.
``credit_exposure`` (one per order)
    a sum over open items in the limit's currency, plus the order value. The
    limit is the lowest ``credit_limit`` fact of the order's counterparty that
    is in force on the evaluation date (no ``valid_until``, or one on or after
    it) and in the order's currency, whatever its credit area: an order names
    no area, and the strictest limit is the one that must hold. Limits in
    force in other currencies only are still reported (the lowest, by currency
    code then amount), so the exposure cannot be compared and the rule is
    indeterminate rather than passing. With no ``credit_limit`` fact in force,
    the counterparty's own ``credit_limit`` applies.

Values that cannot be computed (an invoice missing from the case, currencies
that differ) are left out, so a rule that ``requires`` them is
``indeterminate`` instead of passing.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final, TypeVar

import attrs

from handoff_rules.cases import Case
from handoff_rules.engine.flatten import FieldKind
from handoff_rules.engine.tolerance import Direction, ToleranceTable
from handoff_rules.facts import Fact, Provenance, fact_sort_key
from handoff_rules.model import (
    Counterparty,
    CreditLimit,
    Delivery,
    Derived,
    Document,
    DocumentKind,
    Invoice,
    Money,
    OpenItem,
    Order,
    Payment,
)

__all__ = ["BUILTIN_DERIVERS", "DERIVE_ADAPTER", "DerivedSpec", "fold_name"]

#: The adapter name on the provenance of built-in derived facts.
DERIVE_ADAPTER: Final = "handoff-rules:derive"

Deriver = Callable[[Case, date, Mapping[str, Any]], list[Fact]]
_T = TypeVar("_T")


#: One source of a derived value: a model fact type and a dotted field path.
Source = tuple[str, str]


@attrs.frozen(slots=True)
class DerivedSpec:
    """A derived fact type: its value kinds, the parameters it reads, the function.

    ``reads`` says, per derived value, which model fields it is computed from
    (alternatives: any one suffices, in the order the deriver tries them);
    ``words`` says what the value is in a user's words. Both exist so that a
    rule reading ``derived.goods_release.receiver_key`` can be traced back to
    "the delivery's receiver", which an export must supply, and said so.
    """

    name: str
    fields: Mapping[str, FieldKind]
    params: Mapping[str, tuple[str, ...]]  # parameter name -> accepted parameter types
    derive: Deriver
    #: the model fact the derived fact is made for (one derived fact per such fact)
    source_type: str = ""
    reads: Mapping[str, tuple[Source, ...]] = attrs.field(factory=dict)
    words: Mapping[str, str] = attrs.field(factory=dict)
    #: every model fact type whose records change the derived values (open items
    #: add to a credit exposure): a rejected record of one makes them unknown
    evidence: tuple[str, ...] = ()
    #: fields without which the deriver makes no fact at all (a payment that names
    #: no invoice has no payment difference), each of them needed
    made_from: tuple[Source, ...] = ()


def fold_name(name: str) -> str:
    """A person's name for comparison: casefolded, ``ё`` as ``е``, single spaces."""
    return " ".join(name.casefold().replace("ё", "е").split())


def _derived(
    source: Fact,
    name: str,
    subject: str,
    values: Mapping[str, object],
    order_id: str | None,
    counterparty_id: str | None,
) -> Fact:
    prov = source.provenance
    provenance = Provenance(
        DERIVE_ADAPTER, prov.source, prov.location, prov.adapter_version, prov.line
    )
    clean = {k: v for k, v in values.items() if v is not None}
    # a source combined from parts (a LIKP delivery and the journal naming its
    # receiver) names them all, so a finding on the derived fact does too
    return Fact(
        Derived(name, subject, clean, order_id, counterparty_id), provenance, also=source.also
    )


class _CaseFacts:
    """A case's facts by class, in case order, read once per case for all derivers.

    Every deriver used to scan the whole case (and some scanned it again per
    fact to find the counterparty); one pass here replaces those scans. A
    group holds what ``isinstance`` selects, so a subclass of a model class
    counts as that class, as before.
    """

    __slots__ = (
        "_case_party_id",
        "case",
        "credit_limits",
        "deliveries",
        "documents",
        "invoices",
        "memo",
        "open_items",
        "orders",
        "parties",
        "payments",
        "shared",
    )

    def __init__(
        self,
        case: Case,
        groups: tuple[list[tuple[Fact, Any]], ...] | None = None,
        memo: DeriveMemo | None = None,
    ) -> None:
        self.case = case
        if groups is None:
            groups = group_facts(case.facts)
        #: work shared between cases of one run (see ``run_builtin_parts``); None: none
        self.memo = memo
        #: the groups that are one shared block's list, the same object in every case
        self.shared: frozenset[int] = frozenset()
        self.orders: list[tuple[Fact, Order]] = groups[0]
        self.deliveries: list[tuple[Fact, Delivery]] = groups[1]
        self.documents: list[tuple[Fact, Document]] = groups[2]
        self.invoices: list[tuple[Fact, Invoice]] = groups[3]
        self.payments: list[tuple[Fact, Payment]] = groups[4]
        self.open_items: list[tuple[Fact, OpenItem]] = groups[5]
        self.parties: list[tuple[Fact, Counterparty]] = groups[6]
        self.credit_limits: list[tuple[Fact, CreditLimit]] = groups[7]
        self._case_party_id: str | bool | None = False  # False: not computed yet

    def party(self, party_id: str | None) -> Counterparty | None:
        """The first counterparty of the case with this id."""
        for _, party in self.parties:
            if party.id == party_id:
                return party
        return None

    def case_party_id(self) -> str | None:
        """The smallest counterparty id of the case's orders (the case's customer)."""
        if self._case_party_id is False:
            ids = {o.counterparty_id for _, o in self.orders if o.counterparty_id}
            self._case_party_id = min(ids) if ids else None
        return self._case_party_id  # type: ignore[return-value]


def group_facts(facts: Sequence[Fact]) -> tuple[list[tuple[Fact, Any]], ...]:
    """``(fact, data)`` pairs by the model class derivers read, in the order of ``facts``."""
    groups: tuple[list[tuple[Fact, Any]], ...] = tuple([] for _ in range(len(_GROUPED) + 1))
    group_of = _GROUP_OF
    for fact in facts:
        data = fact.data
        groups[group_of[type(data)]].append((fact, data))
    return groups


class DeriveMemo:
    """Derived work that depends on one shared block of facts alone, kept for one run.

    A power of attorney's terms depend on the document alone; the open items
    a credit exposure adds up are the customer's, the same for each of its
    orders. Entries hold the block's list they were computed from, so an id
    is never reused while its entry lives.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[object, ...], tuple[object, object]] = {}

    def get(self, source: object, key: tuple[object, ...], make: Callable[[], _T]) -> _T:
        full = (id(source), *key)
        entry = self._entries.get(full)
        if entry is not None and entry[0] is source:
            return entry[1]  # type: ignore[return-value]
        value = make()
        self._entries[full] = (source, value)
        return value


#: The model classes derivers read, in the order of the groups of :class:`_CaseFacts`.
_GROUPED: Final = (
    Order,
    Delivery,
    Document,
    Invoice,
    Payment,
    OpenItem,
    Counterparty,
    CreditLimit,
)


_DOCUMENTS: Final = _GROUPED.index(Document)
_OPEN_ITEMS: Final = _GROUPED.index(OpenItem)


class _GroupOf(dict[type, int]):
    """The group of each data class (``len(_GROUPED)``: none), found on first sight."""

    def __missing__(self, cls: type) -> int:
        # a subclass goes where its model class goes (slotted attrs classes cannot
        # inherit from two model classes, so there is at most one)
        found = [index for index, model in enumerate(_GROUPED) if issubclass(cls, model)]
        self[cls] = found[0] if found else len(_GROUPED)
        return self[cls]


_GROUP_OF: Final = _GroupOf({cls: index for index, cls in enumerate(_GROUPED)})


def _indexed(derive: Callable[[_CaseFacts, date, Mapping[str, Any]], list[Fact]]) -> Deriver:
    """The ``(case, at, params)`` form of a deriver that reads an indexed case."""

    def from_case(case: Case, at: date, params: Mapping[str, Any]) -> list[Fact]:
        return derive(_CaseFacts(case), at, params)

    from_case.__name__ = from_case.__qualname__ = derive.__name__
    from_case.__doc__ = derive.__doc__
    return from_case


# --- goods release -----------------------------------------------------------------


def _goods_release(facts: _CaseFacts, at: date, params: Mapping[str, Any]) -> list[Fact]:
    result = []
    for fact, data in facts.deliveries:
        receiver = data.receiver_name
        values: dict[str, object] = {
            "delivery_id": data.id,
            "release_date": data.release_date or data.planned_date,
            "receiver_name": receiver,
            "receiver_key": fold_name(receiver) if receiver else None,
        }
        if data.value is not None:
            values["value_minor"] = data.value.minor
            values["value_currency"] = data.value.currency
        result.append(
            _derived(
                fact,
                "goods_release",
                data.id,
                values,
                data.order_id or facts.case.id,
                data.counterparty_id or facts.case_party_id(),
            )
        )
    return result


# --- powers of attorney ---------------------------------------------------------------

#: A PoA without a term under a law with no default term is valid until revoked.
_FOREVER: Final = date.max


def _poa_terms(facts: _CaseFacts, at: date, params: Mapping[str, Any]) -> list[Fact]:
    return _poa_terms_of(facts.documents, params)


def _poa_terms_of(
    documents: Sequence[tuple[Fact, Document]], params: Mapping[str, Any]
) -> list[Fact]:
    """The terms of each power of attorney: of the document and the parameters alone."""
    default_days: int = params["poa_default_term_days"]
    result = []
    for fact, data in documents:
        if data.kind is not DocumentKind.POWER_OF_ATTORNEY:
            continue
        poa = data.poa
        issued = data.issued_on
        until = data.valid_until
        if until is None and issued is not None:
            until = issued + timedelta(days=default_days) if default_days > 0 else _FOREVER
        values: dict[str, object] = {
            "document_id": data.id,
            "issued_on": issued,
            "valid_from": data.valid_from or issued,
            "valid_until": until,
            "term_days": (until - issued).days if until and issued and until != _FOREVER else None,
        }
        if poa is not None:
            values["holder_name"] = poa.holder_name
            values["holder_key"] = fold_name(poa.holder_name)
            values["revoked_on"] = poa.revoked_on
            values["consumed"] = poa.consumed
        result.append(
            _derived(fact, "poa_terms", data.id, values, data.order_id, data.counterparty_id)
        )
    return result


# --- payment difference ---------------------------------------------------------------


def _payment_difference(facts: _CaseFacts, at: date, params: Mapping[str, Any]) -> list[Fact]:
    table: ToleranceTable = params["payment_tolerance"]
    invoices = {data.id: data for _, data in facts.invoices}  # the last one of an id wins
    result = []
    for fact, data in facts.payments:
        if data.invoice_id is None:
            continue
        invoice = invoices.get(data.invoice_id)
        paid = data.amount
        values: dict[str, object] = {
            "payment_id": data.id,
            "invoice_id": data.invoice_id,
            "paid_minor": paid.minor,
            "currency": paid.currency,
        }
        open_amount = None
        if invoice is not None:
            open_amount = invoice.open_amount or invoice.total
        if open_amount is not None and open_amount.currency == paid.currency:
            values.update(_difference(facts, table, open_amount, paid, invoice))
        result.append(
            _derived(
                fact,
                "payment_difference",
                data.id,
                values,
                (invoice.order_id if invoice else None) or data.order_id or facts.case.id,
                data.counterparty_id,
            )
        )
    return result


def _difference(
    facts: _CaseFacts,
    table: ToleranceTable,
    open_amount: Money,
    paid: Money,
    invoice: Invoice | None,
) -> dict[str, object]:
    diff = open_amount - paid
    party_id = (invoice.counterparty_id if invoice else None) or facts.case_party_id()
    party = facts.party(party_id)
    group = party.customer_group if party is not None else None
    if diff.amount > 0:
        direction = Direction.LOSS
    elif diff.amount < 0:
        direction = Direction.GAIN
    else:
        direction = None
    allowed = table.allowed(direction, open_amount, group) if direction else Money(0, paid.currency)
    diff_minor = diff.minor
    return {
        "open_minor": open_amount.minor,
        "diff_minor": diff_minor,
        "abs_diff_minor": abs(diff_minor),
        "direction": direction.value if direction else "none",
        "allowed_minor": allowed.minor,
        # the amount of abs(diff) as Money: abs() of a quantized amount is exact
        "difference": str(abs(diff.amount)),
        "allowed": str(allowed.amount),
    }


# --- credit exposure -----------------------------------------------------------------


def _credit_exposure(facts: _CaseFacts, at: date, params: Mapping[str, Any]) -> list[Fact]:
    result = []
    case_id = facts.case.id
    for fact, order in facts.orders:
        if order.id != case_id or order.counterparty_id is None:
            continue
        party_id = order.counterparty_id
        party = facts.party(party_id)
        in_force = [
            data
            for _, data in facts.credit_limits
            if data.counterparty_id == party_id
            and (data.valid_until is None or data.valid_until >= at)
        ]
        if party is None and not in_force:
            continue
        values: dict[str, object] = {}
        limit = _credit_limit(in_force, order) if in_force else None
        if limit is None and party is not None:
            limit = party.credit_limit
        if limit is not None:
            values["limit_minor"] = limit.minor
            values["currency"] = limit.currency
            values["limit"] = str(limit)
            exposure = _exposure(facts, party_id, order, limit.currency, at)
            if exposure is not None:
                values["exposure_minor"] = exposure.minor
                values["exposure"] = str(exposure)
        result.append(_derived(fact, "credit_exposure", order.id, values, order.id, party_id))
    return result


def _credit_limit(in_force: list[CreditLimit], order: Order) -> Money:
    """The lowest limit in the order's currency, else the lowest by currency code and amount."""
    currency = order.net_value.currency if order.net_value is not None else order.currency
    same = [c.limit for c in in_force if c.limit.currency == currency]
    if same:
        return min(same, key=lambda money: money.amount)
    return min((c.limit for c in in_force), key=lambda money: (money.currency, money.amount))


def _exposure(
    facts: _CaseFacts, party_id: str, order: Order, currency: str, at: date
) -> Money | None:
    if order.net_value is None or order.net_value.currency != currency:
        return None
    items = facts.open_items
    if facts.memo is not None and _OPEN_ITEMS in facts.shared:  # one block's list: the customer's
        owed = facts.memo.get(
            items, ("owed", party_id, currency, at), lambda: _owed(items, party_id, currency, at)
        )
    else:
        owed = _owed(items, party_id, currency, at)
    if owed is None:
        return None
    total = order.net_value
    for amount in owed:  # in the case's order, as always
        total = total + amount
    return total


def _owed(
    open_items: Sequence[tuple[Fact, OpenItem]], party_id: str, currency: str, at: date
) -> tuple[Money, ...] | None:
    """The amounts of the party's items still open at ``at``; None: one is in another currency."""
    owed = []
    for _, item in open_items:
        if item.counterparty_id != party_id:
            continue
        if item.cleared_on is not None and item.cleared_on <= at:
            continue
        if item.amount.currency != currency:
            return None
        owed.append(item.amount)
    return tuple(owed)


BUILTIN_DERIVERS: Final[Mapping[str, DerivedSpec]] = {
    spec.name: spec
    for spec in (
        DerivedSpec(
            "goods_release",
            {
                "delivery_id": FieldKind.TEXT,
                "release_date": FieldKind.DATE,
                "receiver_name": FieldKind.TEXT,
                "receiver_key": FieldKind.TEXT,
                "value_minor": FieldKind.INT,
                "value_currency": FieldKind.TEXT,
            },
            {},
            _indexed(_goods_release),
            source_type="delivery",
            evidence=("delivery",),
            reads={
                "delivery_id": (("delivery", "id"),),
                "release_date": (("delivery", "release_date"), ("delivery", "planned_date")),
                "receiver_name": (("delivery", "receiver_name"),),
                "receiver_key": (("delivery", "receiver_name"),),
                "value_minor": (("delivery", "value"),),
                "value_currency": (("delivery", "value"),),
            },
            words={
                "delivery_id": "the delivery's number",
                "release_date": "the delivery's release date (or planned date)",
                "receiver_name": "the delivery's receiver",
                "receiver_key": "the delivery's receiver",
                "value_minor": "the delivery's value",
                "value_currency": "the delivery's currency",
            },
        ),
        DerivedSpec(
            "poa_terms",
            {
                "document_id": FieldKind.TEXT,
                "issued_on": FieldKind.DATE,
                "valid_from": FieldKind.DATE,
                "valid_until": FieldKind.DATE,
                "term_days": FieldKind.INT,
                "holder_name": FieldKind.TEXT,
                "holder_key": FieldKind.TEXT,
                "revoked_on": FieldKind.DATE,
                "consumed": FieldKind.BOOL,
            },
            {"poa_default_term_days": ("days", "int")},
            _indexed(_poa_terms),
            source_type="document",
            evidence=("document",),
            reads={
                "document_id": (("document", "id"),),
                "issued_on": (("document", "issued_on"),),
                "valid_from": (("document", "valid_from"), ("document", "issued_on")),
                "valid_until": (("document", "valid_until"), ("document", "issued_on")),
                "term_days": (("document", "issued_on"),),
                "holder_name": (("document", "poa.holder_name"),),
                "holder_key": (("document", "poa.holder_name"),),
                "revoked_on": (("document", "poa.revoked_on"),),
                "consumed": (("document", "poa.consumed"),),
            },
            words={
                "document_id": "the power of attorney's number",
                "issued_on": "the power of attorney's date of issue",
                "valid_from": "the power of attorney's start of validity",
                "valid_until": "the power of attorney's end of validity",
                "term_days": "the power of attorney's term",
                "holder_name": "the power of attorney's holder",
                "holder_key": "the power of attorney's holder",
                "revoked_on": "the power of attorney's revocation date",
                "consumed": "whether the power of attorney is used up",
            },
        ),
        DerivedSpec(
            "payment_difference",
            {
                "payment_id": FieldKind.TEXT,
                "invoice_id": FieldKind.TEXT,
                "paid_minor": FieldKind.INT,
                "open_minor": FieldKind.INT,
                "diff_minor": FieldKind.INT,
                "abs_diff_minor": FieldKind.INT,
                "allowed_minor": FieldKind.INT,
                "currency": FieldKind.TEXT,
                "direction": FieldKind.TEXT,
                "difference": FieldKind.TEXT,
                "allowed": FieldKind.TEXT,
            },
            {"payment_tolerance": ("tolerance",)},
            _indexed(_payment_difference),
            source_type="payment",
            evidence=("payment", "invoice", "counterparty"),
            made_from=(("payment", "invoice_id"),),
            reads={
                "payment_id": (("payment", "id"),),
                "invoice_id": (("payment", "invoice_id"),),
                "paid_minor": (("payment", "amount"),),
                "currency": (("payment", "amount"),),
                **dict.fromkeys(
                    (
                        "open_minor",
                        "diff_minor",
                        "abs_diff_minor",
                        "allowed_minor",
                        "direction",
                        "difference",
                        "allowed",
                    ),
                    (("invoice", "open_amount"), ("invoice", "total")),
                ),
            },
            words={
                "payment_id": "the payment's number",
                "invoice_id": "the invoice the payment is for",
                "paid_minor": "the amount paid",
                "currency": "the payment's currency",
                "open_minor": "the invoice's open amount (or total) in the payment's currency",
                "diff_minor": "the payment difference",
                "abs_diff_minor": "the payment difference",
                "allowed_minor": "the allowed payment difference",
                "direction": "the direction of the payment difference",
                "difference": "the payment difference",
                "allowed": "the allowed payment difference",
            },
        ),
        DerivedSpec(
            "credit_exposure",
            {
                "limit_minor": FieldKind.INT,
                "exposure_minor": FieldKind.INT,
                "currency": FieldKind.TEXT,
                "limit": FieldKind.TEXT,
                "exposure": FieldKind.TEXT,
            },
            {},
            _indexed(_credit_exposure),
            source_type="order",
            evidence=("order", "counterparty", "credit_limit", "open_item"),
            made_from=(("order", "counterparty_id"),),
            reads={
                "limit_minor": (("credit_limit", "limit"), ("counterparty", "credit_limit")),
                "currency": (("credit_limit", "limit"), ("counterparty", "credit_limit")),
                "limit": (("credit_limit", "limit"), ("counterparty", "credit_limit")),
                "exposure_minor": (("order", "net_value"),),
                "exposure": (("order", "net_value"),),
            },
            words={
                "limit_minor": "the counterparty's credit limit",
                "currency": "the credit limit's currency",
                "limit": "the counterparty's credit limit",
                "exposure_minor": "the credit exposure (order value plus open items)",
                "exposure": "the credit exposure (order value plus open items)",
            },
        ),
    )
}


def run_builtin(
    names: Sequence[str], case: Case, at: date, params: Mapping[str, Any]
) -> list[Fact]:
    """The derived facts of the named built-in derivers, in name order."""
    facts = _CaseFacts(case)
    result: list[Fact] = []
    for name in sorted(names):
        result.extend(_BY_CASE_FACTS[name](facts, at, params))
    return result


def run_builtin_parts(
    names: Sequence[str],
    case: Case,
    own: Sequence[Fact],
    blocks: Sequence[Sequence[Fact]],
    at: date,
    params: Mapping[str, Any],
    memo: DeriveMemo,
) -> tuple[list[Fact], list[list[Fact]]]:
    """:func:`run_builtin` of a case made of its own facts and shared blocks.

    The same derived facts as ``run_builtin(names, case, at, params)`` (the
    same objects for what a block alone decides, and in another order), in
    two parts: those made for this case, and one list per block of facts
    that depend on that block alone (the terms of its powers of attorney),
    made once per run and shared by every case holding the block. ``own`` and
    ``blocks`` are disjoint, each in the case's order, and together the case's facts.
    """
    own_groups = group_facts(own)
    block_groups = [
        memo.get(block, ("groups",), functools.partial(group_facts, block)) for block in blocks
    ]
    merged: list[list[tuple[Fact, Any]]] = []
    shared = set()
    for number, own_group in enumerate(own_groups):
        if number == _DOCUMENTS:  # read by the terms of powers of attorney alone, below
            merged.append([])
            continue
        sources = [own_group] if own_group else []
        sources += [groups[number] for groups in block_groups if groups[number]]
        if not sources:
            merged.append(own_group)
        elif len(sources) == 1:
            merged.append(sources[0])
            if sources[0] is not own_group:
                shared.add(number)
        else:  # in the case's order: the first counterparty of an id, the last invoice
            merged.append(
                sorted(itertools.chain(*sources), key=lambda pair: fact_sort_key(pair[0]))
            )
    facts = _CaseFacts(case, tuple(merged), memo)
    facts.shared = frozenset(shared)
    result: list[Fact] = []
    per_block: list[list[Fact]] = []
    for name in sorted(names):
        if name != "poa_terms":
            result.extend(_BY_CASE_FACTS[name](facts, at, params))
            continue
        result.extend(_poa_terms_of(own_groups[_DOCUMENTS], params))
        for block, groups in zip(blocks, block_groups, strict=True):
            if groups[_DOCUMENTS]:
                make = functools.partial(_poa_terms_of, groups[_DOCUMENTS], params)
                per_block.append(memo.get(block, ("poa_terms",), make))
    return result, per_block


#: The built-in derivers on an indexed case (``run_builtin`` indexes each case once).
_BY_CASE_FACTS: Final[Mapping[str, Callable[[_CaseFacts, date, Mapping[str, Any]], list[Fact]]]] = {
    "goods_release": _goods_release,
    "poa_terms": _poa_terms,
    "payment_difference": _payment_difference,
    "credit_exposure": _credit_exposure,
}
