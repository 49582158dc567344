"""The HTML report: what a run decided, in one file a person can open anywhere.

The file stands alone (no server, no network, no scripts, no external
stylesheets or fonts): it is mailed around and archived next to the audit
log, so it must look the same in ten years and on a machine without access
to anything. Charts are inline SVG whose geometry is computed here, not by a
JavaScript library.

Every value in it comes from export files, pack texts or exception registers,
and exports contain hostile strings (CRM descriptions such as
``<img src=x onerror=...>``). The template is rendered with autoescaping on,
nothing is marked safe, and a Content-Security-Policy forbids scripts, so a
string that slipped through would still be inert.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

import attrs
import jinja2

from handoff_rules.cases import Case, CaseSet
from handoff_rules.decision import Checkpoint, Decision, Finding, Outcome, Result
from handoff_rules.facts import Fact, Provenance, Reject
from handoff_rules.model import Order, to_dict
from handoff_rules.policy.exceptions import ExceptionRegister, ExceptionRevision

__all__ = ["render_html", "write_html"]

DEFAULT_TITLE: Final = "handoff-rules report"
#: An exception in force that ends within this many days of the report date is "expiring".
EXPIRING_WITHIN_DAYS: Final = 14
UNKNOWN: Final = "(unknown)"

_BAR_MAX_WIDTH: Final = 320.0
_BAR_HEIGHT: Final = 20
_BAR_GAP: Final = 6
_LABEL_WIDTH: Final = 220
_VALUE_WIDTH: Final = 60


@attrs.frozen(slots=True)
class Bar:
    """One bar of a chart, with its geometry already computed."""

    label: str
    value: int
    y: int
    width: float


@attrs.frozen(slots=True)
class Chart:
    """A horizontal bar chart rendered as inline SVG."""

    id: str
    title: str
    bars: tuple[Bar, ...]
    height: int
    label_width: int = _LABEL_WIDTH
    bar_max_width: float = _BAR_MAX_WIDTH
    value_width: int = _VALUE_WIDTH

    @property
    def width(self) -> int:
        return int(self.label_width + self.bar_max_width + self.value_width)

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)


def bar_chart(chart_id: str, title: str, counts: Mapping[str, int]) -> Chart:
    """Bars sorted by count (largest first), then label; widths proportional to the largest."""
    items = sorted(
        ((label, n) for label, n in counts.items() if n > 0), key=lambda i: (-i[1], i[0])
    )
    largest = max((n for _, n in items), default=0)
    bars = tuple(
        Bar(
            label=label,
            value=n,
            y=index * (_BAR_HEIGHT + _BAR_GAP),
            width=round(_BAR_MAX_WIDTH * n / largest, 1) if largest else 0.0,
        )
        for index, (label, n) in enumerate(items)
    )
    height = max(len(bars) * (_BAR_HEIGHT + _BAR_GAP), _BAR_HEIGHT)
    return Chart(id=chart_id, title=title, bars=bars, height=height)


@attrs.frozen(slots=True)
class SourceRow:
    """Where a finding's evidence was read, and what the record said."""

    where: Provenance
    facts: tuple[tuple[str, str], ...]
    """(fact type, ``key=value`` summary) of each fact read from that row."""


@attrs.frozen(slots=True)
class FindingView:
    finding: Finding
    sources: tuple[SourceRow, ...]
    approver: str | None


@attrs.frozen(slots=True)
class DecisionView:
    decision: Decision
    salesperson: str
    findings: tuple[FindingView, ...]

    @property
    def waived(self) -> int:
        return sum(1 for f in self.decision.findings if f.result is Result.WAIVED)


@attrs.frozen(slots=True)
class CheckpointRow:
    checkpoint: Checkpoint
    block: int
    warn: int
    allow: int
    waived: int

    @property
    def total(self) -> int:
        return self.block + self.warn + self.allow


@attrs.frozen(slots=True)
class ExceptionView:
    revision: ExceptionRevision
    uses: int
    """Decisions of this report in which the revision waived a finding."""
    cases: tuple[str, ...]
    days_left: int | None
    """Days from the report date to the end of the validity window (0 = ends today)."""


@attrs.frozen(slots=True)
class ReportView:
    """Everything the template shows, computed and sorted here so the template only lays out."""

    title: str
    at: date | None
    packs: tuple[str, ...]
    checkpoints: tuple[CheckpointRow, ...]
    totals: Mapping[str, int]
    blocked: tuple[DecisionView, ...]
    warned: tuple[DecisionView, ...]
    waived: tuple[DecisionView, ...]
    exceptions_used: tuple[ExceptionView, ...]
    exceptions_unused: tuple[ExceptionView, ...]
    exceptions_expiring: tuple[ExceptionView, ...]
    has_register: bool
    expiring_within: int
    charts: tuple[Chart, ...]
    rejects: tuple[Reject, ...] | None
    """Input records that became no fact, when the caller passed them."""


def _format_value(value: object) -> str:
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            return f"{value['amount']} {value['currency']}"
        return "{" + ", ".join(f"{k}={_format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return str(value)


def _fact_summary(fact: Fact) -> str:
    fields = to_dict(fact.data)
    return ", ".join(f"{key}={_format_value(value)}" for key, value in fields.items())


def _case_index(cases: Iterable[Case] | CaseSet | None) -> dict[str, Case]:
    if cases is None:
        return {}
    items = cases.cases if isinstance(cases, CaseSet) else cases
    return {case.id: case for case in items}


def _salesperson(case: Case | None) -> str:
    """The order's owner (the salesperson), else who entered it."""
    if case is None:
        return UNKNOWN
    for fact in case.facts:
        if isinstance(fact.data, Order) and fact.data.id == case.id:
            person = fact.data.owner or fact.data.entered_by
            if person:
                return person
    return UNKNOWN


def _revision_of(register: ExceptionRegister | None, key: str) -> ExceptionRevision | None:
    """The revision ``id@revision`` names, if the register has it."""
    if register is None or "@" not in key:
        return None
    exc_id, _, number = key.rpartition("@")
    history = register.histories.get(exc_id)
    if history is None or not number.isdigit():
        return None
    for revision in history.revisions:
        if revision.revision == int(number):
            return revision
    return None


def _source_rows(finding: Finding, case: Case | None) -> tuple[SourceRow, ...]:
    # Matched by file and location only: a derived fact's provenance names the
    # deriving plugin as adapter but points at the row it was computed from.
    by_row: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    if case is not None:
        for fact in case.facts:
            by_row[fact.provenance.source, fact.provenance.location].append(fact)
    return tuple(
        SourceRow(
            where=where,
            facts=tuple(
                (f.type, _fact_summary(f)) for f in by_row.get((where.source, where.location), ())
            ),
        )
        for where in finding.sources
    )


def _decision_view(
    decision: Decision, case: Case | None, register: ExceptionRegister | None
) -> DecisionView:
    findings = []
    for finding in decision.findings:
        if finding.result is Result.PASS:
            continue
        approver = None
        if finding.exception is not None:
            revision = _revision_of(register, finding.exception)
            approver = str(revision.approved_by) if revision is not None else UNKNOWN
        findings.append(FindingView(finding, _source_rows(finding, case), approver))
    return DecisionView(decision, _salesperson(case), tuple(findings))


def _checkpoint_rows(decisions: Iterable[Decision]) -> tuple[CheckpointRow, ...]:
    outcomes: dict[Checkpoint, Counter[Outcome]] = defaultdict(Counter)
    waived: Counter[Checkpoint] = Counter()
    for decision in decisions:
        outcomes[decision.checkpoint][decision.outcome] += 1
        if any(f.result is Result.WAIVED for f in decision.findings):
            waived[decision.checkpoint] += 1
    return tuple(
        CheckpointRow(
            checkpoint=checkpoint,
            block=outcomes[checkpoint][Outcome.BLOCK],
            warn=outcomes[checkpoint][Outcome.WARN],
            allow=outcomes[checkpoint][Outcome.ALLOW],
            waived=waived[checkpoint],
        )
        for checkpoint in Checkpoint
        if checkpoint in outcomes
    )


def _exception_views(
    register: ExceptionRegister | None,
    decisions: Iterable[Decision],
    at: date | None,
    expiring_within: int,
) -> tuple[tuple[ExceptionView, ...], tuple[ExceptionView, ...], tuple[ExceptionView, ...]]:
    uses: dict[str, set[tuple[str, Checkpoint]]] = defaultdict(set)
    for decision in decisions:
        for finding in decision.findings:
            if finding.result is Result.WAIVED and finding.exception is not None:
                uses[finding.exception].add((decision.case, decision.checkpoint))

    def view(revision: ExceptionRevision) -> ExceptionView:
        used_by = uses.get(revision.key, set())
        return ExceptionView(
            revision=revision,
            uses=len(used_by),
            cases=tuple(sorted({case for case, _ in used_by})),
            days_left=(revision.valid_until - at).days if at is not None else None,
        )

    used = []
    for key in sorted(uses):
        revision = _revision_of(register, key)
        if revision is not None:
            used.append(view(revision))
    if register is None or at is None:
        return tuple(used), (), ()
    in_force = [r for r in register if r.in_force(at)]
    unused = tuple(view(r) for r in in_force if r.key not in uses)
    # at the end of the calendar (``--at 9999-12-31``) everything in force expires within
    window = timedelta(days=expiring_within)
    horizon = at + window if date.max - at > window else date.max
    expiring = tuple(view(r) for r in in_force if r.valid_until <= horizon)
    return tuple(used), unused, expiring


def _sort_key(view: DecisionView) -> tuple[str, str]:
    return (view.decision.case, view.decision.checkpoint.value)


def _reject_key(reject: Reject) -> tuple[str, int, str]:
    where = reject.provenance
    return (where.source, where.line or 0, where.location)


def build_view(
    decisions: Iterable[Decision],
    *,
    cases: Iterable[Case] | CaseSet | None = None,
    exceptions: ExceptionRegister | None = None,
    rejects: Iterable[Reject] | None = None,
    title: str = DEFAULT_TITLE,
    at: date | None = None,
    expiring_within: int = EXPIRING_WITHIN_DAYS,
) -> ReportView:
    """Compute what the report shows; :func:`render_html` lays it out.

    ``at`` is the date "unused" and "expiring" are judged on; by default the
    latest evaluation date among the decisions (never the wall clock, so the
    same run always gives the same report).
    """
    all_decisions = list(decisions)
    if at is None and all_decisions:
        at = max(d.at for d in all_decisions)
    case_index = _case_index(cases)
    views = sorted(
        (_decision_view(d, case_index.get(d.case), exceptions) for d in all_decisions),
        key=_sort_key,
    )
    used, unused, expiring = _exception_views(exceptions, all_decisions, at, expiring_within)

    rule_counts: Counter[str] = Counter()
    per_salesperson: Counter[str] = Counter()
    per_approver: Counter[str] = Counter()
    for view in views:
        for item in view.findings:
            rule_counts[item.finding.rule] += 1
            if item.finding.result is Result.WAIVED:
                per_salesperson[view.salesperson] += 1
                per_approver[item.approver or UNKNOWN] += 1

    outcomes = Counter(d.outcome for d in all_decisions)
    totals = {
        "decisions": len(all_decisions),
        "cases": len({d.case for d in all_decisions}),
        "block": outcomes[Outcome.BLOCK],
        "warn": outcomes[Outcome.WARN],
        "allow": outcomes[Outcome.ALLOW],
        "waived_findings": sum(per_approver.values()),
    }
    return ReportView(
        title=title,
        at=at,
        packs=tuple(sorted({str(d.pack) for d in all_decisions})),
        checkpoints=_checkpoint_rows(all_decisions),
        totals=totals,
        blocked=tuple(v for v in views if v.decision.outcome is Outcome.BLOCK),
        warned=tuple(v for v in views if v.decision.outcome is Outcome.WARN),
        waived=tuple(v for v in views if v.waived),
        exceptions_used=used,
        exceptions_unused=unused,
        exceptions_expiring=expiring,
        has_register=exceptions is not None,
        expiring_within=expiring_within,
        charts=(
            bar_chart("chart-rules", "Findings per rule", rule_counts),
            bar_chart("chart-salespeople", "Waivers per salesperson", per_salesperson),
            bar_chart("chart-approvers", "Waivers per approver", per_approver),
        ),
        rejects=None if rejects is None else tuple(sorted(rejects, key=_reject_key)),
    )


@cache
def _environment() -> jinja2.Environment:
    """One environment per process: compiling the template is most of the rendering cost."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("handoff_rules.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    decisions: Iterable[Decision],
    *,
    cases: Iterable[Case] | CaseSet | None = None,
    exceptions: ExceptionRegister | None = None,
    rejects: Iterable[Reject] | None = None,
    title: str = DEFAULT_TITLE,
    at: date | None = None,
    expiring_within: int = EXPIRING_WITHIN_DAYS,
) -> str:
    """The report as one self-contained HTML document.

    :param decisions: the decisions of a run, as ``check`` made them
    :param cases: the cases they were made for; with them the report shows
        each source row's content and the salesperson (the order's owner)
    :param exceptions: the exception register the run used; with it the report
        lists approvers and the exceptions used, unused and expiring
    :param rejects: the input records that became no fact; with them the report
        lists each one with its file, line and reason
    :param title: the page heading
    :param at: the date "unused" and "expiring" are judged on (default: the
        latest decision date)
    :param expiring_within: how many days ahead an exception counts as expiring
    """
    view = build_view(
        decisions,
        cases=cases,
        exceptions=exceptions,
        rejects=rejects,
        title=title,
        at=at,
        expiring_within=expiring_within,
    )
    context: dict[str, Any] = {"report": view}
    return _environment().get_template("report.html.j2").render(context)


def write_html(path: Path, decisions: Iterable[Decision], **options: Any) -> None:
    """Render the report and write it to ``path`` as UTF-8."""
    path.write_text(render_html(decisions, **options), encoding="utf-8")
