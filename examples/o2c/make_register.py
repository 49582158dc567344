"""Write ``document-register.xlsx``: the back office's register of contracts, powers of
attorney, received documents and credit limits, the legal department's contract templates,
the log of corrections and the warehouse's journal of goods collected, as a workbook kept
by hand.

The workbook is generated so that it can be reproduced and reviewed as text; the
committed ``exports/document-register.xlsx`` is what ``python examples/o2c/make_register.py``
writes, byte for byte. Dates are real date cells, as a person typing into Excel makes
them; customer numbers are text, as the ERP shows them without leading zeros.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

DOCUMENTS_HEADER = [
    "Document no",
    "Kind",
    "Customer",
    "Sales order",
    "Received as",
    "Document date",
    "Signed on",
    "Valid from",
    "Valid until",
    "Original received on",
    "Status",
    "Holder",
    "Template",
    "Template version",
    "Notes",
]
d = date
# fmt: off
DOCUMENTS = [
    # framework agreements, one per customer
    ["UR/2024/017", "Framework agreement", "100010", None, "Original", d(2024, 1, 8),
     d(2024, 1, 8), d(2024, 1, 8), d(2024, 12, 31), d(2024, 1, 15), "Signed", None,
     "FA-PL", "3", "filed in binder 2024/A"],
    ["KS-2023-112", "Framework agreement", "100020", None, "E-signed", d(2023, 11, 20),
     d(2023, 11, 20), d(2023, 12, 1), d(2024, 11, 30), None, "Signed", None,
     "FA-CZ", "2", "qualified e-signature both sides"],
    ["UR/2024/031", "Framework agreement", "100030", None, "Original", d(2024, 3, 1),
     d(2024, 3, 1), d(2024, 3, 1), d(2025, 2, 28), d(2024, 3, 6), "Signed", None,
     "FA-PL", "3", None],
    # powers of attorney of the buyers' drivers
    ["PEL/14/2024", "Power of attorney", "100010", "10481", "Original", d(2024, 6, 3), None,
     d(2024, 6, 3), d(2024, 6, 17), d(2024, 6, 3), None, "Jan Kowalski", None, None,
     "handed over at the gate"],
    ["PM-2024-06", "Power of attorney", "100020", "10485", "Scan", d(2024, 6, 10), None,
     d(2024, 6, 10), d(2024, 6, 24), None, None, "Tomáš Novák", None, None,
     "original by post"],
    # typed as text: "until revoked" is no date, so the row is a reject
    ["PEL/3/2024", "Power of attorney", "100030", "10484", "Original", d(2024, 6, 13), None,
     d(2024, 6, 13), "do odwołania", d(2024, 6, 13), None, "Piotr Zieliński", None, None,
     "pickup planned 18.06"],
    # delivery notes signed by the buyer
    ["WZ/80001481", "Delivery note", "100010", "10481", "Original", d(2024, 6, 3), None,
     None, None, d(2024, 6, 7), None, None, None, None, None],
    ["DL 80001485", "Delivery note", "100020", "10485", "Scan", d(2024, 6, 11), None,
     None, None, None, None, None, None, None, "scan by e-mail, original requested"],
]

LIMITS_HEADER = ["Customer", "Credit limit", "Currency", "Credit segment", "Valid until", "Notes"]
LIMITS = [
    ["100020", 25000, "EUR", "Credit insurer", d(2024, 12, 31),
     "insured limit, policy 7741-CZ (lower than the ERP limit)"],
]
TEMPLATES_HEADER = ["Template", "Template version", "Effective from", "Superseded on", "Notes"]
TEMPLATES = [
    ["FA-PL", "2", d(2022, 9, 1), d(2023, 7, 1), "framework agreement, Polish law"],
    ["FA-PL", "3", d(2023, 7, 1), d(2024, 4, 1), "penalty clause reworded"],
    ["FA-PL", "4", d(2024, 4, 1), None, "e-invoicing (KSeF) clause"],
    ["FA-CZ", "2", d(2023, 1, 1), None, "rámcová smlouva, Czech law"],
]

CORRECTIONS_HEADER = [
    "Correction no", "Sales order", "Document", "Field", "Customer-facing", "Found by",
    "Found on", "Assigned to", "Closed on", "Corrected by", "Correction document",
]
CORRECTIONS = [
    # the PO number on the invoice was wrong: corrected by the order's owner with a
    # correcting invoice (faktura korygująca)
    ["KOR/2024/05", "10481", "90001481", "PO number", "Yes", "A. Lis", d(2024, 6, 4),
     "1017", d(2024, 6, 6), "1017", "Yes"],
    # a wrong ship-to address on the order confirmation, handed to someone who does not
    # own the order (its owner is personnel number 1022), still open
    ["KOR/2024/07", "10483", "AB 10483", "Ship-to address", "Yes", "A. Lis",
     d(2024, 6, 7), "1017", None, None, None],
]

RECEIPTS_HEADER = ["Delivery", "Released on", "Received by", "Passport", "POA no", "Notes"]
RECEIPTS = [
    ["80001481", d(2024, 6, 3), "Jan Kowalski", "CDK 318274", "PEL/14/2024", None],
    ["80001485", d(2024, 6, 11), "Pavel Dvořák", "208455112", "PM-2024-06",
     "the driver named on the power of attorney was ill"],
]
# fmt: on


def build(path: Path) -> None:
    workbook = Workbook()
    documents = workbook.active
    documents.title = "Documents"
    documents.append(["Document register, sales PL/CZ, as of 14.06.2024"])
    documents.append(DOCUMENTS_HEADER)
    for row in DOCUMENTS:
        documents.append(row)
    limits = workbook.create_sheet("Credit limits")
    limits.append(LIMITS_HEADER)
    for row in LIMITS:
        limits.append(row)
    templates = workbook.create_sheet("Templates")
    corrections = workbook.create_sheet("Corrections")
    receipts = workbook.create_sheet("Goods issued")
    for sheet, header, rows in (
        (templates, TEMPLATES_HEADER, TEMPLATES),
        (corrections, CORRECTIONS_HEADER, CORRECTIONS),
        (receipts, RECEIPTS_HEADER, RECEIPTS),
    ):
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    for sheet in workbook.worksheets:
        for column in sheet.iter_cols():
            for cell in column:
                if isinstance(cell.value, date):
                    cell.number_format = "DD.MM.YYYY"
    workbook.properties.created = FIXED
    workbook.properties.creator = "Back office"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_reproducible(buffer.getvalue()))


#: The time stamped into the workbook, so the same script writes the same bytes.
FIXED = datetime(2024, 6, 14, 8, 0, 0)


def _reproducible(package: bytes) -> bytes:
    """The package with fixed member times and modification date (openpyxl writes now)."""
    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    data,
                )
            member = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, data)
    return out.getvalue()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "exports" / "document-register.xlsx")
