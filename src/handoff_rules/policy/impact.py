"""Impact of a new pack version: which decisions over real exports would change.

A diff says what changed in the rules; the impact says what that does to the
business: "these 14 orders that pass today would block at H3". Both versions
evaluate the same cases on the same date; decisions are compared without the
pack reference (which always differs) and findings by rule and subject, on
result and, for findings that do not pass, severity (a reworded message is
not an impact).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import attrs

from handoff_rules.cases import Case
from handoff_rules.decision import Decision, Finding, Result

#: (case, pack, evaluation date) -> decisions before exceptions.
Evaluate = Callable[[Case, Any, date], Iterable[Decision]]


@attrs.frozen(slots=True)
class FindingChange:
    rule: str
    subject: str | None
    before: str | None  # result under the old version, None when the rule did not apply
    after: str | None

    def __str__(self) -> str:
        what = f"{self.rule}" + (f" [{self.subject}]" if self.subject else "")
        return f"{what}: {self.before or '-'} -> {self.after or '-'}"


@attrs.frozen(slots=True)
class DecisionChange:
    case: str
    checkpoint: str
    before: str | None  # outcome under the old version, None when it made no decision
    after: str | None
    findings: tuple[FindingChange, ...]

    def __str__(self) -> str:
        return f"{self.case} {self.checkpoint}: {self.before or '-'} -> {self.after or '-'}"


@attrs.frozen(slots=True)
class Impact:
    cases: int
    decisions: int
    changes: tuple[DecisionChange, ...]


def _by_key(findings: Iterable[Finding]) -> dict[tuple[str, str | None], Finding]:
    return {(f.rule, f.subject): f for f in findings}


def _comparable(finding: Finding) -> tuple[str, str | None]:
    # Messages quote parameter values ("over 8000.00 EUR"), so they change with
    # every parameter change; what matters to the business is the result, and
    # the severity of a finding that does not pass.
    passing = finding.result in (Result.PASS, Result.WAIVED, Result.NOT_APPLICABLE)
    return (finding.result.value, None if passing else finding.severity.value)


def compare(old: Decision | None, new: Decision | None) -> DecisionChange | None:
    """The change between two decisions for one case and checkpoint, or None."""
    ref = old or new
    assert ref is not None
    old_findings = _by_key(old.findings if old else ())
    new_findings = _by_key(new.findings if new else ())
    changed = []
    for key in sorted(set(old_findings) | set(new_findings), key=lambda k: (k[0], k[1] or "")):
        a, b = old_findings.get(key), new_findings.get(key)
        if a is None or b is None or _comparable(a) != _comparable(b):
            changed.append(
                FindingChange(
                    key[0], key[1], a.result.value if a else None, b.result.value if b else None
                )
            )
    outcome_before = old.outcome.value if old else None
    outcome_after = new.outcome.value if new else None
    if not changed and outcome_before == outcome_after:
        return None
    return DecisionChange(
        ref.case, ref.checkpoint.value, outcome_before, outcome_after, tuple(changed)
    )


def impact(
    cases: Iterable[Case], old_pack: Any, new_pack: Any, at: date, evaluate: Evaluate
) -> Impact:
    """Evaluate every case under both versions and list the decisions that differ."""
    changes = []
    count = decisions = 0
    for case in cases:
        count += 1
        before = {d.checkpoint.value: d for d in evaluate(case, old_pack, at)}
        after = {d.checkpoint.value: d for d in evaluate(case, new_pack, at)}
        for checkpoint in sorted(set(before) | set(after)):
            decisions += 1
            change = compare(before.get(checkpoint), after.get(checkpoint))
            if change is not None:
                changes.append(change)
    return Impact(count, decisions, tuple(changes))
