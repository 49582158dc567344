"""Every reject of the CRM adapters says what to change, in command-line and CRM terms.

A reject that only says what is wrong ("not a number: 'ten'") leaves the user
to guess whether to fix the CRM, the export or a setting. Every reason the
adapters give on a corpus of bad rows (``data/bad-rows``, one fault a row)
and on every other fixture must therefore end its diagnosis with an
instruction: a clause, after ``;`` or ``:``, that starts with a verb saying
what to do (``correct Discount__c in the CRM``, ``run with --currency USD``,
``set date_formats = [...]``, ``export the OpportunityId column``). The verbs
are listed here, independently of the code that writes the reasons, and no
reason may speak Python (``Money.rounded()``, class names, ``None``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

import handoff_rules
from handoff_rules.adapters import Reject

DATA = Path(__file__).parent / "data"
BAD_ROWS = DATA / "bad-rows"
CRM_ADAPTERS: Final = {"salesforce-csv", "salesforce-tree", "hubspot-csv", "odoo-csv"}

#: What an instruction to the user starts with.
FIX_VERBS: Final = (
    "add",
    "correct",
    "export",
    "fill",
    "keep",
    "leave",
    "put",
    "remove",
    "repair",
    "run with",
    "set",
    "write",
    "for a single-currency org give",
)
_FIX: Final = re.compile(r"[;:] (?:" + "|".join(re.escape(v) for v in FIX_VERBS) + r")\b")

#: Python a command-line user cannot act on.
_PYTHON: Final = re.compile(
    r"\w+\(\)|\bMoney\.|\bDecimal\(|\bNoneType\b|\bNone\b|<class|Error\b|Traceback|\b__\w+__\b"
)


def _rejects(*folders: Path) -> list[Reject]:
    read = handoff_rules.read_files(folders, keep_going=True)
    assert not read.errors, read.errors
    return [r for r in read.rejects if r.provenance.adapter in CRM_ADAPTERS]


def _kind(reason: str) -> str:
    """A reason without its values, so two rows with the same fault count once."""
    return re.sub(r"'[^']*'|\d+(\.\d+)?", "_", reason)


def has_fix(reason: str) -> bool:
    return _FIX.search(reason) is not None


@pytest.mark.parametrize(
    ("reason", "fixed"),
    [
        ("Discount__c: not a number: 'ten'", False),
        ("a record must be a JSON object", False),
        ("Amount 1 has more decimals than USD allows; use Money.rounded()", False),
        ("Discount__c: not a number: 'ten'; correct Discount__c in the CRM", True),
        ("Amount 1 has no currency: the export has none; run with --currency USD", True),
    ],
)
def test_the_check_tells_a_diagnosis_from_an_instruction(reason: str, fixed: bool) -> None:
    assert has_fix(reason) is fixed


def test_every_bad_row_is_a_reject_that_says_what_to_change() -> None:
    rejects = _rejects(*sorted(p for p in BAD_ROWS.iterdir() if p.is_dir()))
    kinds = {_kind(r.reason) for r in rejects}
    assert len(rejects) >= 36
    assert len(kinds) >= 30  # the corpus keeps covering that many different faults
    unfixed = [f"{r.provenance}: {r.reason}" for r in rejects if not has_fix(r.reason)]
    assert unfixed == []
    python = [f"{r.provenance}: {r.reason}" for r in rejects if _PYTHON.search(r.reason)]
    assert python == []


def test_every_reject_of_every_fixture_says_what_to_change() -> None:
    folders = sorted(p for p in DATA.iterdir() if p.is_dir() and p.name != "bad-rows")
    rejects = _rejects(*folders)
    assert len(rejects) >= 10  # the fixtures' deliberately wrong rows, and no-currency amounts
    assert [r.reason for r in rejects if not has_fix(r.reason)] == []
    assert [r.reason for r in rejects if _PYTHON.search(r.reason)] == []


def test_the_currency_reject_gives_all_three_settings_in_the_order_they_win() -> None:
    (reject,) = [
        r
        for r in _rejects(BAD_ROWS / "salesforce")
        if r.reason.startswith("Amount 1200.00 has no currency")
    ]
    settings = ["--currency USD", 'default_currency = "USD"', "HANDOFF_RULES_CRM_CURRENCY=USD"]
    positions = [reject.reason.index(s) for s in settings]
    assert positions == sorted(positions)
