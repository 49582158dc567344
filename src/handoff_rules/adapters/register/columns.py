"""The header of a document register: which column means which field, in English or Russian.

Back offices name their columns as they like ("Номер документа", "Doc no.",
"Оригинал получен"), so a register is read through a fixed table of
spellings rather than exact field names. Headers are compared case-folded,
without spaces, with ``ё`` as ``е`` and a trailing ``.`` or ``:`` dropped. A
header may declare how its dates are written in brackets:
``Received on (mm/dd/yyyy)``; see :mod:`handoff_rules.adapters.register.cells`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Final

import attrs

from handoff_rules.adapters.tabular import header_key

__all__ = [
    "ALIASES",
    "CORRECTION_ALIASES",
    "DATE_HINTS",
    "DOCUMENT_TABLE",
    "RECEIPT_ALIASES",
    "REQUIRED",
    "REQUIRED_FOR_LIMITS",
    "TEMPLATE_ALIASES",
    "HeaderMap",
    "HeaderTable",
    "column_key",
    "map_header",
]

#: Canonical column -> the header spellings that mean it (the canonical name matches too).
#: Canonical names are the model's dotted field paths, plus ``credit_limit``,
#: ``currency`` (of every amount of the row) and ``area`` (of a credit limit).
ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "id": ("ID", "Document ID", "Код документа", "Идентификатор"),
    "number": (
        "Document no",
        "Document number",
        "Doc no",
        "Number",
        "No",
        "Номер",
        "Номер документа",
        "№",
        "№ документа",
    ),
    "kind": ("Kind", "Document kind", "Document type", "Doc type", "Вид", "Вид документа"),
    "counterparty_id": (
        "Counterparty",
        "Counterparty ID",
        "Customer",
        "Customer no",
        "Контрагент",
        "Код контрагента",
        "Покупатель",
    ),
    "form": ("Form", "Received as", "Форма", "Форма получения"),
    "order_id": ("Order", "Order no", "Sales order", "Заказ", "Номер заказа"),
    "issued_on": ("Issued on", "Document date", "Date", "Дата", "Дата документа", "Дата выдачи"),
    "signed_on": ("Signed on", "Подписан", "Дата подписания"),
    "valid_from": ("Valid from", "Действует с", "Действителен с"),
    "valid_until": ("Valid until", "Valid to", "Действует до", "Действителен до", "Срок действия"),
    "received_on": ("Received on", "Received", "Получен", "Дата получения"),
    "final_received_on": (
        "Original received on",
        "Final received on",
        "Оригинал получен",
        "Дата получения оригинала",
    ),
    "status": ("Status", "Статус"),
    "auto_renewal": ("Auto renewal", "Auto-renewal", "Автопролонгация"),
    "predecessor_id": ("Predecessor", "Replaces", "Заменяет"),
    "has_electronic_exchange_clause": (
        "Electronic exchange clause",
        "E-exchange clause",
        "Оговорка об ЭДО",
    ),
    "template_id": ("Template", "Шаблон"),
    "template_version": ("Template version", "Версия шаблона"),
    "poa.holder_name": ("Holder", "Доверенное лицо", "Представитель"),
    "poa.holder_person_id": ("Holder ID", "Код доверенного лица"),
    "poa.holder_is_employee": ("Holder is employee", "Сотрудник контрагента"),
    "poa.holder_id_document_number": ("Holder passport", "Паспорт доверенного лица"),
    "poa.amount_limit": ("Amount limit", "Лимит суммы", "Предельная сумма"),
    "poa.goods": ("Goods", "Товары"),
    "poa.basis_ref": ("Basis", "Основание"),
    "poa.revoked_on": ("Revoked on", "Отозвана", "Дата отзыва"),
    "poa.consumed": ("Consumed", "Used", "Использована"),
    "poa.signed_by_chief_accountant": ("Signed by chief accountant", "Подпись главбуха"),
    "credit_limit": ("Credit limit", "Кредитный лимит", "Лимит кредита"),
    "currency": ("Currency", "Валюта"),
    "area": ("Credit control area", "Credit segment", "Область кредитного контроля"),
}

#: The header of a sheet of contract templates: canonical names are the fields of
#: ``ContractTemplate``.
TEMPLATE_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "template_id": ("Template", "Template ID", "Template no", "Шаблон", "Код шаблона"),
    "version": ("Template version", "Version", "Версия шаблона", "Версия", "Редакция"),
    "effective_from": (
        "Effective from",
        "In force from",
        "Действует с",
        "Вступает в силу",
        "Дата введения",
    ),
    "superseded_on": ("Superseded on", "Superseded", "Replaced on", "Заменён", "Дата замены"),
}

#: The header of a sheet of correction tasks: canonical names are the fields of
#: ``CorrectionTask``.
CORRECTION_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "id": (
        "Correction",
        "Correction no",
        "Correction ID",
        "Исправление",
        "Номер исправления",
        "№ исправления",
    ),
    "document_id": ("Document", "Document no", "Документ", "Номер документа"),
    "order_id": ("Order", "Order no", "Sales order", "Заказ", "Номер заказа"),
    "field": ("Field", "Error in", "Поле", "Реквизит", "Ошибка в поле"),
    "customer_facing": (
        "Customer-facing",
        "Customer facing",
        "Seen by customer",
        "Видно клиенту",
        "Клиентский реквизит",
    ),
    "detected_by": ("Detected by", "Found by", "Обнаружил", "Кто обнаружил"),
    "detected_on": ("Detected on", "Found on", "Обнаружено", "Дата обнаружения"),
    "assignee": ("Assignee", "Assigned to", "Responsible", "Исполнитель", "Ответственный"),
    "closed_on": ("Closed on", "Закрыто", "Дата закрытия"),
    "corrected_by": ("Corrected by", "Исправил", "Кто исправил"),
    "via_correction_document": (
        "Via correction document",
        "Correction document",
        "Корректировочным документом",
        "Через корректировочный документ",
    ),
}

#: The header of a warehouse's journal of goods released: who collected a delivery.
#: ``delivery_id`` is the delivery's ``id``; ``poa_number`` is read but kept nowhere
#: (the rules find the power of attorney by counterparty, holder and date).
RECEIPT_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "delivery_id": (
        "Delivery",
        "Delivery no",
        "Outbound delivery",
        "Поставка",
        "Номер поставки",
        "Отгрузка",
        "Номер отгрузки",
    ),
    "receiver_name": ("Received by", "Receiver", "Collected by", "Получил", "Получатель"),
    "receiver_person_id": ("Receiver ID", "Holder ID", "Код получателя", "Код доверенного лица"),
    "receiver_id_document_number": (
        "Passport",
        "Receiver passport",
        "Holder passport",
        "Паспорт",
        "Паспорт получателя",
        "Паспорт доверенного лица",
    ),
    "release_date": (
        "Released on",
        "Release date",
        "Issued on",
        "Дата отпуска",
        "Дата выдачи",
        "Отпущено",
    ),
    "order_id": ("Order", "Order no", "Sales order", "Заказ", "Номер заказа"),
    "counterparty_id": (
        "Counterparty",
        "Counterparty ID",
        "Customer",
        "Контрагент",
        "Код контрагента",
        "Покупатель",
    ),
    "poa_number": (
        "POA no",
        "Power of attorney",
        "Power of attorney no",
        "Доверенность",
        "Номер доверенности",
        "№ доверенности",
    ),
}

#: The columns that make a header a register's when sniffing: a register of documents
#: has these, a register of credit limits the second set.
REQUIRED: Final = ("kind", "number", "counterparty_id")
REQUIRED_FOR_LIMITS: Final = ("counterparty_id", "credit_limit", "currency")

#: Date orders a header may declare in brackets, by their spellings (Russian ДД.ММ.ГГГГ too).
DATE_HINTS: Final[Mapping[str, str]] = {
    "yyyy-mm-dd": "%Y-%m-%d",
    "dd.mm.yyyy": "%d.%m.%Y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "dd/mm/yyyy": "%d/%m/%Y",
    "гггг-мм-дд": "%Y-%m-%d",
    "дд.мм.гггг": "%d.%m.%Y",
    "мм/дд/гггг": "%m/%d/%Y",
    "дд/мм/гггг": "%d/%m/%Y",
}


def column_key(text: str) -> str:
    """How header cells and words are compared: see the module's docstring."""
    return header_key(text).replace("ё", "е").rstrip(".:")


class HeaderTable:
    """One table of header spellings, looked up by :func:`column_key`.

    A sheet of documents and a journal of goods receipts both say "Дата" and
    "Контрагент", meaning different fields: each kind of sheet is read
    through its own table, and a spelling is unambiguous within one.
    """

    def __init__(self, aliases: Mapping[str, tuple[str, ...]]) -> None:
        self.aliases = aliases
        self.lookup: dict[str, str] = {}
        for canonical, spellings in aliases.items():
            for spelling in (canonical, *spellings):
                key = column_key(spelling)
                if self.lookup.setdefault(key, canonical) != canonical:
                    raise AssertionError(f"{spelling!r} means {self.lookup[key]} and {canonical}")
        #: column key -> a spelling of it as the documentation writes it, for "did you mean".
        self.spelling = {
            column_key(spelling): spelling
            for spellings in aliases.values()
            for spelling in reversed(spellings)
        }


#: The table of documents and credit limits, the register's first kind of sheet.
DOCUMENT_TABLE: Final = HeaderTable(ALIASES)


@attrs.frozen(slots=True)
class HeaderMap:
    """Where each known field is in a header row, and the date order a column declares.

    ``columns`` maps a canonical name to its 0-based position, ``names`` to the
    header cell as written (what a reject calls the column); ``date_formats``
    the canonical names of columns that declared their date order to it.
    ``ignored`` are the header cells the table does not know (notes, the
    person in charge …): read by nobody, so listed in the documentation as such.
    ``problem`` says why rows cannot be read with this header: two columns
    mean one field, or an unknown column is a near miss of a known spelling
    ("Valid untill"; read as unknown, its values would be silently lost, and
    a contract without its end date counts as open-ended).
    """

    columns: Mapping[str, int]
    names: Mapping[str, str]
    date_formats: Mapping[str, str]
    ignored: tuple[str, ...]
    problem: str | None = None


def _split_hint(cell: str) -> tuple[str, str | None]:
    r"""``Valid until (DD.MM.YYYY)`` -> the name and the date format its hint declares.

    Found from the last ``(`` rather than by a regular expression: a lazy name
    before ``\s*\(`` backtracked quadratically over a long header cell.
    """
    if not cell.endswith(")"):
        return cell, None
    opening = cell.rfind("(")
    hint = cell[opening + 1 : -1]
    if opening < 0 or "(" in hint or ")" in hint:
        return cell, None
    fmt = DATE_HINTS.get(column_key(hint))
    return (cell[:opening].rstrip(), fmt) if fmt is not None else (cell, None)


def map_header(cells: Sequence[str], table: HeaderTable = DOCUMENT_TABLE) -> HeaderMap:
    """The :class:`HeaderMap` of one header row by ``table``, with the first ``problem``."""
    problems: list[str] = []
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    formats: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw in enumerate(cells):
        cell = raw.strip()
        if not cell:
            continue
        name, fmt = _split_hint(cell)
        canonical = table.lookup.get(column_key(name))
        if canonical is None:
            if near := difflib.get_close_matches(column_key(name), table.lookup, 1, 0.86):
                problems.append(
                    f"unknown column {cell!r} (column {index + 1}); "
                    f"did you mean {table.spelling.get(near[0], near[0])!r} "
                    "(see docs/reference/document-register.rst)?"
                )
            ignored.append(cell)
            continue
        if canonical in columns:
            problems.append(
                f"columns {columns[canonical] + 1} and {index + 1} both mean {canonical!r}"
            )
            continue
        columns[canonical] = index
        names[canonical] = cell
        if fmt is not None:
            formats[canonical] = fmt
    return HeaderMap(columns, names, formats, tuple(ignored), problems[0] if problems else None)
