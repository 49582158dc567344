"""The words a register uses for kinds, forms and statuses, in English and Russian.

A register kept by hand says "Доверенность", "скан", "ЭДО" or "Power of
attorney"; the model says ``power_of_attorney``, ``scan``, ``e_signed``.
Words are compared case-folded, with ``ё`` as ``е``, ``_`` and ``-`` as spaces,
runs of spaces as one, and a trailing ``.`` dropped. A word not in these
tables is a reject naming the words that are: a guess would put a fax
where an original belongs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from handoff_rules.model import ContractStatus, DocumentForm, DocumentKind

__all__ = ["CREDIT_LIMIT_KIND", "FORMS", "KINDS", "STATUSES", "word_key"]

#: The kind of a row that is a credit limit, not a document.
CREDIT_LIMIT_KIND: Final = "credit_limit"

_SPACES: Final = re.compile(r"[\s_\-]+")


def word_key(text: str) -> str:
    """How a cell is compared with the words below: see the module's docstring."""
    return _SPACES.sub(" ", text.casefold().replace("ё", "е")).strip().rstrip(".").strip()


def _table(words: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, spellings in words.items():
        for spelling in (value, *spellings):
            key = word_key(spelling)
            if table.setdefault(key, str(value)) != str(value):
                raise AssertionError(f"{spelling!r} means both {table[key]} and {value}")
    return table


_KIND_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    DocumentKind.CONTRACT: ("agreement", "framework agreement", "договор", "рамочный договор"),
    DocumentKind.ADDENDUM: (
        "amendment",
        "supplementary agreement",
        "дополнительное соглашение",
        "доп соглашение",
        "доп. соглашение",
        "допсоглашение",
    ),
    DocumentKind.POWER_OF_ATTORNEY: ("power of attorney", "poa", "доверенность"),
    DocumentKind.QUOTE: ("quotation", "offer", "коммерческое предложение", "кп"),
    DocumentKind.ORDER_CONFIRMATION: ("order confirmation", "подтверждение заказа"),
    DocumentKind.INVOICE: ("счет", "счет на оплату"),
    DocumentKind.VAT_INVOICE: ("vat invoice", "счет фактура", "сф"),
    DocumentKind.UPD: ("упд", "универсальный передаточный документ"),
    DocumentKind.DELIVERY_NOTE: (
        "delivery note",
        "waybill",
        "consignment note",
        "накладная",
        "товарная накладная",
        "торг 12",
        "торг12",
    ),
    DocumentKind.ACCEPTANCE_ACT: (
        "acceptance act",
        "act",
        "акт",
        "акт выполненных работ",
        "акт сдачи приемки",
    ),
    DocumentKind.CREDIT_NOTE: ("credit note", "кредит нота", "корректировочный счет фактура"),
    DocumentKind.RECONCILIATION_ACT: (
        "reconciliation act",
        "reconciliation statement",
        "акт сверки",
        "акт сверки взаиморасчетов",
    ),
    DocumentKind.CHARTER_EXTRACT: ("charter extract", "выписка из устава"),
    DocumentKind.LETTER: ("письмо",),
    CREDIT_LIMIT_KIND: ("credit limit", "кредитный лимит", "лимит кредита"),
}

_FORM_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    DocumentForm.ORIGINAL: ("paper original", "оригинал", "подлинник"),
    DocumentForm.COPY: ("копия",),
    DocumentForm.SCAN: ("pdf", "скан", "скан копия", "сканкопия"),
    DocumentForm.FAX: ("факс",),
    DocumentForm.E_SIGNED: (
        "e signed",
        "esigned",
        "e signature",
        "qualified e signature",
        "эдо",
        "эп",
        "кэп",
        "эцп",
        "электронная подпись",
    ),
    DocumentForm.EDI_STRUCTURED: ("edi", "edi structured", "формализованный эдо"),
    DocumentForm.FACSIMILE_SIGNATURE: (
        "facsimile",
        "facsimile signature",
        "факсимиле",
        "факсимильная подпись",
    ),
}

_STATUS_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    ContractStatus.DRAFT: ("проект", "черновик", "на согласовании"),
    ContractStatus.SIGNED: ("in force", "подписан", "действует"),
    ContractStatus.TERMINATED: ("расторгнут", "прекращен"),
}

#: word key -> document kind value (or :data:`CREDIT_LIMIT_KIND`).
KINDS: Final = _table(_KIND_WORDS)
#: word key -> document form value.
FORMS: Final = _table(_FORM_WORDS)
#: word key -> contract status value.
STATUSES: Final = _table(_STATUS_WORDS)
