"""Rows of the register's other sheets: contract templates, correction tasks, goods receipts.

A back office keeps beside its documents the versions of its contract
templates (LEG-CTR-002), the log of errors found in documents and who
corrects them (SAL-ERR-001, ACC-CLS-001), and the warehouse's journal of who
collected each delivery (ACC-POA-001). Each row becomes one fact or one
reject, built through the model's dict form like a document row.

A receipt is only part of a delivery: the ERP knows the delivery's order,
ship-to and value, the warehouse only who took the goods. So a receipt is a
``delivery`` fact marked ``part``, combined into the ERP's delivery of the
same number when cases are built (:mod:`handoff_rules.parts`). Its number is
written the way the SAP readers write it, without the leading zeros of an
all-digit number (``0080000123`` is delivery ``80000123``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from handoff_rules.adapters.register.cells import CellValue, read_flag
from handoff_rules.adapters.register.columns import HeaderMap
from handoff_rules.adapters.register.rows import RegisterRow
from handoff_rules.adapters.values import strip_leading_zeros
from handoff_rules.facts import Fact, Provenance, Reject
from handoff_rules.model import (
    ContractTemplate,
    CorrectionTask,
    Delivery,
    FactData,
    ModelDataError,
    from_dict,
)

__all__ = [
    "CORRECTION_DATES",
    "CORRECTION_FLAGS",
    "CORRECTION_TEXTS",
    "RECEIPT_FIELDS",
    "TEMPLATE_FIELDS",
    "ReceiptJournal",
    "read_correction_row",
    "read_template_row",
]

#: The fields a template row fills.
TEMPLATE_FIELDS: Final = ("template_id", "version", "effective_from", "superseded_on")
CORRECTION_TEXTS: Final = (
    "id",
    "document_id",
    "order_id",
    "field",
    "detected_by",
    "assignee",
    "corrected_by",
)
CORRECTION_DATES: Final = ("detected_on", "closed_on")
CORRECTION_FLAGS: Final = ("customer_facing", "via_correction_document")
#: The fields of a delivery a receipt row fills (``delivery_id`` is its ``id``).
RECEIPT_FIELDS: Final = (
    "id",
    "order_id",
    "counterparty_id",
    "release_date",
    "receiver_name",
    "receiver_person_id",
    "receiver_id_document_number",
)
_RECEIPT_TEXTS: Final = (
    "order_id",
    "counterparty_id",
    "receiver_name",
    "receiver_person_id",
    "receiver_id_document_number",
)


def _fact(
    row: RegisterRow,
    model: type[ContractTemplate | CorrectionTask | Delivery],
    data: dict[str, object],
    here: Provenance,
    raw: str,
    keys: dict[str, str | None],
    *,
    part: bool = False,
) -> Fact | Reject:
    fact_type = model.fact_type
    if row.problems:
        return Reject("; ".join(row.problems), here, type=fact_type, raw=raw, keys=keys)
    try:
        value = from_dict(model, data)
    except ModelDataError as exc:
        return Reject(str(exc), here, type=fact_type, raw=raw, keys=keys)
    assert isinstance(value, ContractTemplate | CorrectionTask | Delivery)
    fact_data: FactData = value
    return Fact(fact_data, here, part=part)


def _need(row: RegisterRow, data: dict[str, object], name: str, value: object, what: str) -> None:
    """Put a value the record cannot do without, or say that its cell is blank.

    A filled cell that gave no value was unreadable, and said so already.
    """
    if value is not None:
        data[name] = value
    elif not row.filled(name):
        row.problems.append(f"{what} ({row.label(name)} is blank)")


def read_template_row(
    header: HeaderMap, cells: Sequence[CellValue], here: Provenance, raw: str
) -> Fact | Reject:
    """One version of a contract template: its id, version and the day it took effect."""
    row = RegisterRow(header, cells)
    data: dict[str, object] = {}
    _need(row, data, "template_id", row.text("template_id"), "no template")
    _need(row, data, "version", row.text("version"), "no template version")
    _need(row, data, "effective_from", row.date("effective_from"), "no date it took effect")
    superseded = row.date("superseded_on")
    if superseded is not None:
        data["superseded_on"] = superseded
    return _fact(row, ContractTemplate, data, here, raw, {})


def read_correction_row(
    header: HeaderMap, cells: Sequence[CellValue], here: Provenance, raw: str
) -> Fact | Reject:
    """One correction task; an order's open one keeps the order from being closed."""
    row = RegisterRow(header, cells)
    keys = {"order": row.text("order_id")}
    data: dict[str, object] = {}
    for name in CORRECTION_TEXTS:
        value = row.text(name)
        if value is not None:
            data[name] = value
    for name in CORRECTION_DATES:
        date = row.date(name)
        if date is not None:
            data[name] = date
    for name in CORRECTION_FLAGS:
        flag = row.read(name, read_flag)
        if flag is not None:
            data[name] = flag
    if "id" not in data:
        row.problems.append(f"no correction number ({row.label('id')} is blank)")
    return _fact(row, CorrectionTask, data, here, raw, keys)


class ReceiptJournal:
    """Reads the rows of one journal of goods receipts, remembering who took each delivery.

    Two rows of one delivery naming different receivers cannot both be its
    receiver (a delivery has one): the later row is a reject naming the
    earlier, rather than parts whose fields would mix two people.
    """

    def __init__(self) -> None:
        self._receivers: dict[str, tuple[tuple[str | None, ...], str]] = {}

    def read_row(
        self, header: HeaderMap, cells: Sequence[CellValue], here: Provenance, raw: str
    ) -> Fact | Reject:
        """One receipt: a part of the delivery fact of that number."""
        row = RegisterRow(header, cells)
        number = row.text("delivery_id")
        delivery = strip_leading_zeros(number) if number is not None else None
        keys = {
            "delivery": delivery,
            "order": row.text("order_id"),
            "counterparty": row.text("counterparty_id"),
        }
        data: dict[str, object] = {}
        if delivery is None:
            row.problems.append(f"no delivery number ({row.label('delivery_id')} is blank)")
        else:
            data["id"] = delivery
        for name in _RECEIPT_TEXTS:
            value = row.text(name)
            if value is not None:
                data[name] = value
        if "receiver_name" not in data:
            row.problems.append(f"no receiver ({row.label('receiver_name')} is blank)")
        released = row.date("release_date")
        if released is not None:
            data["release_date"] = released
        if delivery is not None and not row.problems:
            receiver = tuple(row.text(n) for n in _RECEIPT_TEXTS[2:])
            earlier = self._receivers.setdefault(delivery, (receiver, here.location))
            if earlier[0] != receiver:
                row.problems.append(
                    f"delivery {delivery} was collected by {earlier[0][0]} ({earlier[1]}): "
                    "one delivery has one receiver"
                )
        return _fact(row, Delivery, data, here, raw, keys, part=True)
