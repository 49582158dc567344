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

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final

import attrs
import jinja2

from handoff_rules.cases import Case, CaseSet
from handoff_rules.decision import Decision, Result
from handoff_rules.facts import Reject
from handoff_rules.policy.exceptions import ExceptionRegister
from handoff_rules.report.view import EXPIRING_WITHIN_DAYS, UNKNOWN, RunView, build_view

__all__ = ["render_html", "render_view", "write_html"]

DEFAULT_TITLE: Final = "handoff-rules report"

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
class Page:
    """What the template lays out: the run view, the page title and the charts drawn from it."""

    title: str
    view: RunView
    charts: tuple[Chart, ...]


def charts(view: RunView) -> tuple[Chart, ...]:
    """Findings per rule, waivers per salesperson and per approver."""
    rule_counts: Counter[str] = Counter()
    per_salesperson: Counter[str] = Counter()
    per_approver: Counter[str] = Counter()
    for decision in view.decisions:
        for finding in decision.findings:
            rule_counts[finding.rule] += 1
            if finding.result is Result.WAIVED:
                per_salesperson[decision.salesperson] += 1
                per_approver[finding.approver or UNKNOWN] += 1
    return (
        bar_chart("chart-rules", "Findings per rule", rule_counts),
        bar_chart("chart-salespeople", "Waivers per salesperson", per_salesperson),
        bar_chart("chart-approvers", "Waivers per approver", per_approver),
    )


def default_title(view: RunView) -> str:
    """``handoff-rules: o2c-standard 1.0.0 at 2024-06-04`` for a run."""
    if view.run is None:
        return DEFAULT_TITLE
    versions = view.run.versions
    names = ", ".join(v.version for v in versions)
    return f"handoff-rules: {versions[0].name} {names} at {view.run.at.isoformat()}"


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


def render_view(view: RunView, *, title: str | None = None) -> str:
    """The report of a run view as one self-contained HTML document."""
    page = Page(title=title or default_title(view), view=view, charts=charts(view))
    context: dict[str, Any] = {"page": page, "view": view}
    return _environment().get_template("report.html.j2").render(context)


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
    """The report of decisions as one self-contained HTML document.

    For a run of :func:`handoff_rules.check`, ``check --format html`` (or
    :func:`handoff_rules.report.writers.write_report`) also lists the exceptions the
    run refused and who may waive each failing rule; decisions alone do not
    say that.

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
        at=at,
        expiring_within=expiring_within,
    )
    return render_view(view, title=title)


def write_html(path: Path, decisions: Iterable[Decision], **options: Any) -> None:
    """Render the report and write it to ``path`` as UTF-8."""
    path.write_text(render_html(decisions, **options), encoding="utf-8")
