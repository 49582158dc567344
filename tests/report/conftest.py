"""A small run's worth of decisions, cases and exceptions, with hostile strings in every field.

The hostile strings are the real ones: every cell of the apex-recipes CRM
sample that contains markup characters (``<img src=x onerror=alert('hi') />``,
``!@#$%^&*()``).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import attrs
import pytest

from handoff_rules.cases import Case
from handoff_rules.decision import Decision, Finding, PackRef
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Delivery, Money, Order
from handoff_rules.policy.exceptions import ExceptionRegister, ExceptionRevision, Party, Scope

APEX = Path("/work/shared/domain/samples/salesforce-apex-recipes")
MARKUP = set("<>&\"'")
ONERROR = "<img src=x onerror=alert('hi') />"  # Opportunities.csv, lines 9 and 28
PACK = PackRef("default", "1.2.0", "sha256:0f00")
AT = date(2026, 11, 20)


def hostile_strings() -> list[str]:
    """Cells of the apex-recipes CSV exports that contain markup characters."""
    found: set[str] = set()
    if APEX.is_dir():
        for path in sorted(APEX.glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as stream:
                for row in csv.reader(stream):
                    found.update(cell for cell in row if MARKUP & set(cell))
    # Kept even without the sample, so the escaping tests never run empty.
    found.add(ONERROR)
    found.add('"><script>alert(1)</script>')
    return sorted(found)


@attrs.frozen
class SampleRun:
    decisions: tuple[Decision, ...]
    cases: tuple[Case, ...]
    register: ExceptionRegister
    hostile: tuple[str, ...]
    evil: str


def _revision(
    exc_id: str, rule: str, approver: str, valid_until: date, reason: str = "agreed"
) -> ExceptionRevision:
    return ExceptionRevision(
        id=exc_id,
        revision=1,
        rule=rule,
        scope=Scope(order="4711"),
        reason=reason,
        ticket="T-1",
        requested_by=Party("Sam Seller", "sales"),
        approved_by=Party(approver, "chief_accountant"),
        valid_from=date(2026, 11, 1),
        valid_until=valid_until,
        pack_versions=">=1.0",
        rule_digest="sha256:aa",
    )


def build_run() -> SampleRun:
    """Three cases, four decisions: 2 blocked, 1 warned, 1 allowed; 3 waived findings."""
    hostile = tuple(hostile_strings())
    evil = ONERROR
    crm = Provenance("sf-csv", str(APEX / "Opportunities.csv"), "line 9", line=9)
    vbak = Provenance("sap-table", "VBAK.txt", "row 17", line=17)
    lips = Provenance("sap-table", "LIKP.txt", "row 3", line=3)

    order_a = Fact(Order(id="4711", owner=evil, net_value=Money("100.00", "EUR")), vbak)
    delivery_a = Fact(Delivery(id="80001", order_id="4711", receiver_name=evil), lips)
    case_a = Case(id="4711", facts=(order_a, delivery_a))
    order_b = Fact(Order(id="4712", owner="Alice Example"), crm)
    case_b = Case(id="4712", facts=(order_b,))
    order_c = Fact(Order(id="4713", entered_by="Bob Example"), vbak)
    case_c = Case(id="4713", facts=(order_c,))

    decisions = (
        Decision(
            case="4711",
            checkpoint="H3",
            at=AT,
            pack=PACK,
            findings=[
                Finding("LOG-POA", "fail", "block", f"receiver {evil} has no PoA", [lips]),
                Finding("ACC-CENT", "waived", "block", "short by 0.20 EUR", [vbak], "EX-1@1"),
                Finding("DOC-ORIG", "pass", "block", "originals present"),
            ],
        ),
        Decision(
            case="4711",
            checkpoint="H4",
            at=AT,
            pack=PACK,
            findings=[
                Finding("ACC-CENT", "waived", "block", "short by 0.20 EUR", [vbak], "EX-1@1"),
                Finding("DOC-SCAN", "indeterminate", "block", "no document register", []),
            ],
        ),
        Decision(
            case="4712",
            checkpoint="H1",
            at=AT,
            pack=PACK,
            findings=[
                Finding("SAL-TERMS", "fail", "warn", "non-standard terms", [crm]),
                Finding(
                    "LOG-POA",
                    "waived",
                    "block",
                    hostile[-1],
                    [crm, *(Provenance("sf-csv", value, value) for value in hostile)],
                    "EX-2@1",
                ),
            ],
        ),
        Decision(
            case="4713",
            checkpoint="H1",
            at=AT,
            pack=PACK,
            findings=[Finding("SAL-TERMS", "pass", "warn", "standard terms")],
        ),
    )
    register = ExceptionRegister.of(
        [
            _revision("EX-1", "ACC-CENT", evil, date(2026, 11, 25), reason=evil),
            _revision("EX-2", "LOG-POA", "Carol Chief", date(2027, 3, 1)),
            _revision("EX-3", "DOC-ORIG", "Carol Chief", date(2026, 11, 30)),
            _revision("EX-4", "DOC-ORIG", "Carol Chief", date(2026, 11, 10)),  # expired
        ]
    )
    return SampleRun(decisions, (case_a, case_b, case_c), register, hostile, evil)


@pytest.fixture
def sample_run() -> SampleRun:
    return build_run()
