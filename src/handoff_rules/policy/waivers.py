"""Applying exceptions to a decision: shadow evaluation, never silent.

A failing finding covered by a valid exception becomes ``waived`` and keeps
its message, so the decision still says what *would* have blocked and names
the exception as ``id@revision``. An exception that targets the case but fails
a check (self-approved, expired, stale, over its bounds …) is not applied and
comes back as a problem; exceptions that covered nothing in a run are listed
by :func:`unused_exceptions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import attrs

from handoff_rules.cases import Case
from handoff_rules.decision import Decision, Finding, Result, outcome_of
from handoff_rules.policy.exceptions import (
    ExceptionProblem,
    ExceptionRegister,
    ExceptionRevision,
    PackView,
    open_exception_store,
)
from handoff_rules.policy.exceptions.enforcement import (
    bound_problems,
    case_value,
    date_problems,
    scope_matches,
    static_problems,
)

__all__ = [
    "ExceptionProblem",
    "ExceptionRegister",
    "WaiverOutcome",
    "apply_exceptions",
    "load_register",
    "unused_exceptions",
    "unwaived",
]


def load_register(path: Path | str) -> ExceptionRegister:
    """Read a register through its store (a plugin's, or the YAML file at ``path``)."""
    return open_exception_store(path).load()


@attrs.frozen(slots=True)
class WaiverOutcome:
    """The decision after exceptions, which revisions it used, and the ones refused."""

    decision: Decision
    used: tuple[str, ...] = ()
    problems: tuple[ExceptionProblem, ...] = ()


def _problems_for(
    revision: ExceptionRevision,
    case: Case,
    pack: PackView,
    register: ExceptionRegister,
    at: date,
) -> list[ExceptionProblem]:
    problems = [
        attrs.evolve(p, case=case.id)
        for p in (*static_problems(revision, pack), *date_problems(revision, at))
    ]
    problems.extend(bound_problems(revision, case, register.ledger))
    return problems


def apply_exceptions(
    decision: Decision,
    case: Case,
    pack: PackView,
    register: ExceptionRegister,
    at: date,
) -> WaiverOutcome:
    """Waive the failing findings valid exceptions cover; report the exceptions refused.

    Only ``fail`` findings can be waived: an ``indeterminate`` finding lacks a
    fact, and an exception cannot stand in for missing data. When several valid
    exceptions cover one finding, the one with the smallest id is used; every
    exception that targets a failing finding is checked, so an invalid one is
    reported even when a valid one covers the finding. Each
    applied exception's use is recorded in ``register.ledger`` so use and value
    bounds hold across the cases of a run (and across runs, when the ledger
    was seeded from the audit log).
    """
    candidates = [r for r in register if r.rule in {f.rule for f in decision.findings}]
    if not candidates:
        return WaiverOutcome(decision)
    checked: dict[str, list[ExceptionProblem]] = {}
    used: list[str] = []
    findings: list[Finding] = []
    for finding in decision.findings:
        if finding.result is not Result.FAIL:
            findings.append(finding)
            continue
        waiver = None
        for revision in candidates:
            if revision.rule != finding.rule or not scope_matches(
                revision.scope, case, decision.checkpoint, finding
            ):
                continue
            if revision.key not in checked:
                checked[revision.key] = _problems_for(revision, case, pack, register, at)
                register.ledger.matched.add(revision.key)
            # keep looking after a valid one: every invalid exception that targets
            # the finding is reported, even when another one covers it
            if waiver is None and not checked[revision.key]:
                waiver = revision
        if waiver is None:
            findings.append(finding)
            continue
        findings.append(attrs.evolve(finding, result=Result.WAIVED, exception=waiver.key))
        register.ledger.record(waiver.id, case.id, case_value(case))
        if waiver.key not in used:
            used.append(waiver.key)
    if not used:
        new_decision = decision
    else:
        new_decision = attrs.evolve(decision, findings=findings, outcome=outcome_of(findings))
    problems = tuple(p for key in sorted(checked) for p in checked[key])
    return WaiverOutcome(new_decision, tuple(sorted(used)), problems)


def unused_exceptions(
    register: ExceptionRegister, used: set[str] | Iterable[str], at: date
) -> list[ExceptionRevision]:
    """Exceptions in force at ``at`` (not revoked, inside their window) that matched nothing.

    One that targeted a failing finding but was refused is not "unused": it
    is reported with its problems instead (``register.ledger.matched``).
    """
    skip = set(used) | register.ledger.matched
    return [r for r in register if r.in_force(at) and r.key not in skip]


def unwaived(decision: Decision) -> Decision:
    """The decision as it was before exceptions: every waived finding back to ``fail``."""
    findings = [
        attrs.evolve(f, result=Result.FAIL, exception=None) if f.result is Result.WAIVED else f
        for f in decision.findings
    ]
    return attrs.evolve(decision, findings=findings, outcome=outcome_of(findings))
