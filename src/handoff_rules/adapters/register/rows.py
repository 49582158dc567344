"""One register row to one fact or one reject.

A row whose kind is a credit limit (or that has no kind but a credit limit)
becomes a ``credit_limit`` fact; any other row a ``document`` fact, with
the power-of-attorney terms in ``poa`` for a power of attorney. A row that
mixes the two (a contract with a credit limit), or fills a power of attorney's
columns on another kind, is a reject: one row is one record, and a value no
fact can hold must not vanish.

The fact is built through the model's dict form (:func:`from_dict`), so the
model validates a register row exactly as it validates any other input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Final, TypeVar

from handoff_rules.adapters.register.cells import (
    CellValue,
    read_currency,
    read_date,
    read_flag,
    read_list,
    read_text,
    split_money,
)
from handoff_rules.adapters.register.columns import HeaderMap
from handoff_rules.adapters.register.words import (
    CREDIT_LIMIT_KIND,
    FORMS,
    KINDS,
    STATUSES,
    word_key,
)
from handoff_rules.adapters.values import ValueParseError
from handoff_rules.facts import Fact, Provenance, Reject
from handoff_rules.model import (
    CreditLimit,
    Document,
    DocumentKind,
    FactData,
    ModelDataError,
    from_dict,
)

__all__ = ["CREDIT_LIMIT_COLUMNS", "DOCUMENT_COLUMNS", "RAW_LIMIT", "RegisterRow", "read_row"]

T = TypeVar("T")

#: A reject's ``raw`` excerpt is at most this long.
RAW_LIMIT: Final = 200

_DATES: Final = (
    "issued_on",
    "signed_on",
    "valid_from",
    "valid_until",
    "received_on",
    "final_received_on",
    "poa.revoked_on",
)
_FLAGS: Final = (
    "auto_renewal",
    "has_electronic_exchange_clause",
    "poa.holder_is_employee",
    "poa.consumed",
    "poa.signed_by_chief_accountant",
)
_TEXTS: Final = (
    "counterparty_id",
    "number",
    "order_id",
    "predecessor_id",
    "template_id",
    "template_version",
    "poa.holder_name",
    "poa.holder_person_id",
    "poa.holder_id_document_number",
    "poa.basis_ref",
)
_POA_ONLY: Final = tuple(
    name
    for name in (*_DATES, *_FLAGS, *_TEXTS, "poa.goods", "poa.amount_limit")
    if name.startswith("poa.")
)
#: The columns a document row fills (model paths; ``currency`` goes with the amount limit).
DOCUMENT_COLUMNS: Final = (
    "id",
    "kind",
    "form",
    "status",
    *_TEXTS,
    *_DATES,
    *_FLAGS,
    "poa.goods",
    "poa.amount_limit",
)
#: The columns a credit-limit row fills; ``number`` and ``id`` may name the row, unread.
CREDIT_LIMIT_COLUMNS: Final = (
    "kind",
    "counterparty_id",
    "credit_limit",
    "currency",
    "area",
    "valid_until",
    "number",
    "id",
)


class RegisterRow:
    """The cells of one row by canonical column, and the problems found reading them."""

    def __init__(self, header: HeaderMap, cells: Sequence[CellValue]) -> None:
        self.header = header
        self.cells = cells
        self.problems: list[str] = []
        width = len(cells)
        # every lookup of a cell's text goes through here: read each cell once
        self._texts = {
            name: read_text(cells[index]) for name, index in header.columns.items() if index < width
        }

    def cell(self, name: str) -> CellValue:
        index = self.header.columns.get(name)
        return self.cells[index] if index is not None and index < len(self.cells) else None

    def text(self, name: str) -> str | None:
        return self._texts.get(name)

    def filled(self, name: str) -> bool:
        return self._texts.get(name) is not None

    def label(self, name: str) -> str:
        return self.header.names.get(name, name)

    def read(self, name: str, reader: Callable[[CellValue], T]) -> T | None:
        """The value of a filled cell by ``reader``, None when blank or unreadable (noted)."""
        if not self.filled(name):
            return None
        try:
            return reader(self.cell(name))
        except ValueParseError as exc:
            self.problems.append(f"{self.label(name)}: {exc}")
            return None

    def date(self, name: str) -> str | None:
        """A date cell in ISO form, read in the order its column declares, if any."""
        declared = self.header.date_formats.get(name)

        def reader(value: CellValue) -> date:
            return read_date(value, declared)

        found = self.read(name, reader)
        return found.isoformat() if found is not None else None

    def word(self, name: str, table: dict[str, str]) -> str | None:
        text = self.text(name)
        if text is None:
            return None
        value = table.get(word_key(text))
        if value is None:
            known = ", ".join(sorted(set(table.values())))
            self.problems.append(f"{self.label(name)}: unknown word {text!r} (known: {known})")
        return value

    def money(self, name: str) -> dict[str, str] | None:
        """``{amount, currency}`` from the cell, its currency written in it or in Currency."""
        if not self.filled(name):
            return None
        try:
            amount, written = split_money(self.cell(name))
            column = read_currency(self.cell("currency")) if self.filled("currency") else None
        except ValueParseError as exc:
            self.problems.append(f"{self.label(name)}: {exc}")
            return None
        if written is not None and column is not None and written != column:
            self.problems.append(
                f"{self.label(name)}: written in {written}, but {self.label('currency')} "
                f"says {column}"
            )
            return None
        currency = written or column
        if currency is None:
            self.problems.append(
                f"{self.label(name)}: no currency (write it in the cell or in a Currency column)"
            )
            return None
        return {"amount": str(amount), "currency": currency}


def read_row(
    header: HeaderMap, cells: Sequence[CellValue], here: Provenance, raw: str
) -> Fact | Reject:
    """The fact of one register row, or the reject saying everything wrong with it."""
    row = RegisterRow(header, cells)
    keys = {"order": row.text("order_id"), "counterparty": row.text("counterparty_id")}
    kind_text = row.text("kind")
    if kind_text is None:
        if not row.filled("credit_limit"):
            return _reject(f"no kind ({row.label('kind')} is blank)", here, None, raw, keys)
        kind = CREDIT_LIMIT_KIND
    else:
        found = row.word("kind", KINDS)
        if found is None:
            return _reject("; ".join(row.problems), here, None, raw, keys)
        kind = found
    if kind == CREDIT_LIMIT_KIND:
        fact_type, data = CreditLimit.fact_type, _credit_limit(row)
    else:
        fact_type, data = Document.fact_type, _document(row, kind)
    if row.problems or data is None:
        return _reject("; ".join(row.problems), here, fact_type, raw, keys)
    try:
        value = from_dict(CreditLimit if fact_type == CreditLimit.fact_type else Document, data)
    except ModelDataError as exc:
        return _reject(str(exc), here, fact_type, raw, keys)
    assert isinstance(value, CreditLimit | Document)
    fact_data: FactData = value
    return Fact(fact_data, here)


def _reject(
    reason: str, here: Provenance, fact_type: str | None, raw: str, keys: dict[str, str | None]
) -> Reject:
    return Reject(reason, here, type=fact_type, raw=raw, keys=keys)


def _stray(row: RegisterRow, allowed: Sequence[str], what: str) -> None:
    """Note every filled known column that ``what`` has no place for."""
    stray = [
        row.label(name)
        for name in row.header.columns
        if name not in allowed and name not in ("currency", "credit_limit") and row.filled(name)
    ]
    if stray:
        row.problems.append(f"{', '.join(stray)}: no place in {what}")


def _credit_limit(row: RegisterRow) -> dict[str, object] | None:
    _stray(row, CREDIT_LIMIT_COLUMNS, "a credit limit")
    data: dict[str, object] = {}
    party = row.text("counterparty_id")
    if party is None:
        row.problems.append(
            f"a credit limit needs its counterparty ({row.label('counterparty_id')})"
        )
    else:
        data["counterparty_id"] = party
    limit = row.money("credit_limit")
    if limit is None and not row.filled("credit_limit"):
        row.problems.append(f"a credit limit needs an amount in {row.label('credit_limit')}")
    if limit is not None:
        data["limit"] = limit
    area = row.text("area")
    if area is not None:
        data["area"] = area
    until = row.date("valid_until")
    if until is not None:
        data["valid_until"] = until
    return data


def _document(row: RegisterRow, kind: str) -> dict[str, object] | None:
    if row.filled("credit_limit"):
        row.problems.append(
            f"a {kind} with a {row.label('credit_limit')}: a credit limit is a row of its own "
            "(kind credit limit)"
        )
    is_poa = kind == DocumentKind.POWER_OF_ATTORNEY
    if not is_poa:
        _stray(row, [c for c in DOCUMENT_COLUMNS if c not in _POA_ONLY], f"a {kind}")
    data: dict[str, object] = {"kind": str(kind)}
    poa: dict[str, object] = {}
    ident = row.text("id") or row.text("number")
    if ident is None:
        row.problems.append(f"no document number ({row.label('number')} is blank)")
    else:
        data["id"] = ident
    for name in _TEXTS:
        _put(data, poa, name, row.text(name))
    for name in _DATES:
        _put(data, poa, name, row.date(name))
    for name in _FLAGS:
        _put(data, poa, name, row.read(name, read_flag))
    _put(data, poa, "form", row.word("form", FORMS))
    _put(data, poa, "status", row.word("status", STATUSES))
    goods = read_list(row.cell("poa.goods")) if row.filled("poa.goods") else None
    _put(data, poa, "poa.goods", goods or None)
    _put(data, poa, "poa.amount_limit", row.money("poa.amount_limit"))
    if is_poa:
        if "holder_name" not in poa:
            label = row.label("poa.holder_name")
            row.problems.append(f"a power of attorney needs its holder ({label})")
        data["poa"] = poa
    return data


def _put(data: dict[str, object], poa: dict[str, object], name: str, value: object) -> None:
    if value is None:
        return
    if name.startswith("poa."):
        poa[name.removeprefix("poa.")] = value
    else:
        data[name] = value
