"""The plain-text lines of a run view, shared by the table and the JUnit file.

A person reads the same sentence about a decision in the terminal and in
the CI server's test report, so both take their lines from here.
"""

from __future__ import annotations

from typing import Final

from handoff_rules.coverage import Evaluability
from handoff_rules.decision import Outcome
from handoff_rules.engine.needs import NeedKind
from handoff_rules.report.view import DecisionView, RunView

__all__ = [
    "LISTED_REJECTS",
    "coverage_lines",
    "decision_lines",
    "exception_lines",
    "header",
    "input_lines",
    "summary",
]

#: Indent of the lines that belong to the finding above them.
DETAIL = "  "

#: Rejects a report for people lists, as ``read`` does: thousands of lines help
#: nobody at a terminal; ``--format json`` lists every one.
LISTED_REJECTS: Final = 500


def header(view: RunView) -> str:
    """Pack, date and engine of the run: ``pack o2c-standard 1.0.0 (digest …), at …``."""
    if view.run is None:
        return f"packs {', '.join(view.packs) or 'none'}, at {view.at or 'no date'}"
    run = view.run
    source = "given" if run.at_given else "today's date; pass --at to fix it"
    return (
        f"pack {run.pack.name} {run.pack.version} (digest {run.pack.digest[:12]}), "
        f"at {run.at.isoformat()} ({source}), engine {run.engine}"
    )


def decision_lines(view: DecisionView) -> list[str]:
    """Every finding that did not pass, with its sources, who may waive it, and the actions;
    for an ``allow``, what was checked (passed, not applicable)."""
    lines: list[str] = []
    for finding in view.findings:
        lines.append(finding.text)
        lines.extend(f"{DETAIL}at {source.where}" for source in finding.sources)
        if finding.waiver is not None:
            lines.append(f"{DETAIL}{finding.waiver.text}")
        lines.extend(
            f"{DETAIL}not applied: {refusal.exception} ({refusal.kind})"
            for refusal in finding.refused
        )
    lines.extend(f"action {action.text}" for action in view.actions)
    if view.outcome is Outcome.ALLOW:  # nothing above says what was checked
        lines.append(f"checked: {view.checked}")
    return lines


def summary(view: RunView) -> str:
    """The counts: ``5 cases, 25 decisions: 7 block, …; 39 facts read, 0 rejected, …``."""
    counts = view.counts
    text = (
        f"{counts.cases} cases, {counts.decisions} decisions: {counts.block} block, "
        f"{counts.warn} warn, {counts.allow} allow; "
        f"{counts.waived_decisions} with waived findings"
    )
    read = []
    if counts.facts is not None:
        read.append(f"{counts.facts} facts read")
    if counts.rejects is not None:
        read.append(f"{counts.rejects} rejected")
    if counts.unassigned is not None:
        read.append(f"{counts.unassigned} in no case")
    return "; ".join([text, ", ".join(read)]) if read else text


def coverage_lines(view: RunView) -> list[str]:
    """How much of the pack these inputs can decide, and each rule they cannot, in words.

    Said before any reader trusts an ``allow``: a rule no input can feed is not
    a rule that passed.
    """
    covered = view.coverage
    if covered is None:
        return []
    counts = covered.counts()
    lines = [
        f"coverage: {counts['evaluable']} rules evaluable from these inputs, "
        f"{counts['partial']} partly, {counts['not_evaluable']} not at all, "
        f"{counts['unknown']} unknown (formats: {', '.join(covered.formats) or 'none'})"
    ]
    for rule in covered.rules:
        if rule.evaluability is Evaluability.NOT_EVALUABLE:
            needs = "; ".join(
                n.need.words for n in rule.missing if n.need.kind is not NeedKind.READ
            )
            lines.append(f"{DETAIL}{rule.rule} cannot be decided: no input supplies {needs}")
        elif rule.evaluability is Evaluability.PARTIAL:
            needs = "; ".join(n.need.words for n in rule.missing)
            lines.append(f"{DETAIL}{rule.rule} reads what no input supplies: {needs}")
    return lines


def exception_lines(view: RunView) -> list[str]:
    """The register's part: used, unused and expired ones, then every refusal with its reason."""
    exceptions = view.exceptions
    if not exceptions.given:
        return []

    def keys(items: tuple[str, ...]) -> str:
        return ", ".join(items) or "none"

    lines = [
        f"exceptions {exceptions.register or '(in memory)'}: "
        f"used {keys(exceptions.used_keys)}; unused {keys(exceptions.unused_keys)}; "
        f"expired {keys(exceptions.expired_keys)}"
    ]
    lines.extend(f"{DETAIL}not applied: {refusal.text}" for refusal in exceptions.refused)
    return lines


def input_lines(view: RunView) -> list[str]:
    """Files skipped, then the rejected records (the first :data:`LISTED_REJECTS`)."""
    lines = [f"skipped {item}" for item in view.skipped]
    rejects = view.rejects or ()
    for reject in rejects[:LISTED_REJECTS]:
        kind = f" ({reject.type})" if reject.type else ""
        lines.append(f"rejected {reject.provenance}{kind}: {reject.reason}")
    if len(rejects) > LISTED_REJECTS:
        more = len(rejects) - LISTED_REJECTS
        lines.append(f"{more} more rejected records: --format json lists every one")
    return lines
