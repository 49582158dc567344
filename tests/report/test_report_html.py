"""The HTML report: the numbers it shows, the escaping of every value, self-containment."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import lxml.html
import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.decision import Checkpoint, Decision, Finding, Outcome, PackRef, Result, Severity
from handoff_rules.facts import Provenance
from handoff_rules.report import render_html, write_html
from handoff_rules.report.html import bar_chart
from handoff_rules.report.view import build_view

APEX = Path("/work/shared/domain/samples/salesforce-apex-recipes")


def _doc(html: str) -> Any:
    return lxml.html.document_fromstring(html)


def _text(doc: Any, element_id: str) -> str:
    (element,) = doc.xpath(f'//*[@id="{element_id}"]')
    return str(element.text_content()).strip()


def _render(run: Any, **options: Any) -> str:
    return render_html(run.decisions, cases=run.cases, exceptions=run.register, **options)


def test_summary_numbers(sample_run: Any) -> None:
    doc = _doc(_render(sample_run))
    shown = {key: _text(doc, f"total-{key}") for key in ("decisions", "cases", "block", "warn")}
    assert shown == {"decisions": "4", "cases": "3", "block": "2", "warn": "1"}
    assert _text(doc, "total-allow") == "1"
    assert _text(doc, "total-waived") == "3"
    assert _text(doc, "report-date") == "2026-11-20"


def test_outcome_per_checkpoint(sample_run: Any) -> None:
    doc = _doc(_render(sample_run))
    rows = {}
    for row in doc.xpath('//table[@id="checkpoints"]/tbody/tr'):
        rows[row.xpath("./th")[0].text_content()] = [c.text_content() for c in row.xpath("./td")]
    # block, warn, allow, with waivers, decisions
    assert rows == {
        "H1": ["0", "1", "1", "1", "2"],
        "H3": ["1", "0", "0", "1", "1"],
        "H4": ["1", "0", "0", "1", "1"],
    }


def test_case_sections_list_findings_with_source_rows(sample_run: Any) -> None:
    doc = _doc(_render(sample_run))
    counts = {s: _text(doc, s).split("(")[1].split(")")[0] for s in ("blocked", "warned", "waived")}
    assert counts == {"blocked": "2", "warned": "1", "waived": "3"}
    blocked = doc.xpath('//section[@id="blocked"]')[0]
    cases = [c.text_content() for c in blocked.xpath('.//span[@class="case"]')]
    assert cases == ["4711", "4711"]
    messages = [m.text_content() for m in blocked.xpath('.//td[@class="message"]')]
    evil = sample_run.evil
    assert f"receiver {evil} has no PoA" in messages
    assert "originals present" not in messages  # passing findings are not listed
    sources = [s.text_content() for s in blocked.xpath('.//div[@class="source"]')]
    assert "LIKP.txt: row 3" in sources
    rows = [r.text_content() for r in blocked.xpath('.//div[@class="row"]')]
    assert f"delivery: id=80001, order_id=4711, receiver_name={evil}" in rows


def test_waived_findings_name_exception_and_approver(sample_run: Any) -> None:
    html = _render(sample_run)
    doc = _doc(html)
    waived = doc.xpath('//section[@id="waived"]')[0].text_content()
    assert "by EX-2@1, approved by Carol Chief (chief_accountant)" in waived


def test_exceptions_used_unused_expiring(sample_run: Any) -> None:
    doc = _doc(_render(sample_run))

    def keys(table_id: str) -> list[str]:
        return [k.text_content() for k in doc.xpath(f'//*[@id="{table_id}"]//span[@class="key"]')]

    assert keys("exceptions-used") == ["EX-1@1", "EX-2@1"]
    assert keys("exceptions-unused") == ["EX-3@1"]  # EX-4 expired: not "unused", just over
    assert keys("exceptions-expiring") == ["EX-1@1", "EX-3@1"]
    used = doc.xpath('//*[@id="exceptions-used"]//tr')[1]
    cells = [c.text_content() for c in used.xpath("./td")]
    assert cells[6] == "5"  # days left to 2026-11-25
    assert cells[7] == "24711"  # two decisions, of case 4711


def test_expiring_horizon_and_date_are_parameters(sample_run: Any) -> None:
    doc = _doc(_render(sample_run, at=date(2026, 11, 28), expiring_within=1))
    assert doc.xpath('//*[@id="exceptions-expiring"]//span[@class="key"]') == []
    doc = _doc(_render(sample_run, at=date(2026, 11, 29), expiring_within=1))
    expiring = doc.xpath('//*[@id="exceptions-expiring"]//span[@class="key"]')
    assert [k.text_content() for k in expiring] == ["EX-3@1"]


def _bars(doc: Any, chart_id: str) -> dict[str, str]:
    result = {}
    for group in doc.xpath(f'//*[@id="{chart_id}"]//*[local-name()="g"]'):
        label = group.xpath('./*[local-name()="title"]')[0].text_content()
        name, _, value = label.rpartition(": ")
        result[name] = value
    return result


def test_charts(sample_run: Any) -> None:
    doc = _doc(_render(sample_run))
    evil = sample_run.evil
    assert _bars(doc, "chart-rules") == {
        "ACC-CENT": "2",
        "LOG-POA": "2",
        "DOC-SCAN": "1",
        "SAL-TERMS": "1",
    }
    assert _bars(doc, "chart-salespeople") == {evil: "2", "Alice Example": "1"}
    assert _bars(doc, "chart-approvers") == {
        f"{evil} (chief_accountant)": "2",
        "Carol Chief (chief_accountant)": "1",
    }


def test_bar_widths_are_proportional() -> None:
    chart = bar_chart("c", "t", {"a": 4, "b": 1, "c": 2, "zero": 0})
    assert [(b.label, b.value, b.width) for b in chart.bars] == [
        ("a", 4, 320.0),
        ("c", 2, 160.0),
        ("b", 1, 80.0),
    ]
    assert [b.y for b in chart.bars] == [0, 26, 52]
    assert bar_chart("c", "t", {}).bars == ()


def test_every_hostile_string_is_escaped(sample_run: Any) -> None:
    html = _render(sample_run, title=sample_run.evil)
    assert "<img" not in html
    assert "<script>" not in html
    for value in sample_run.hostile:
        assert value not in html, f"{value!r} appears unescaped"
        assert str(markupsafe.escape(value)) in html
    doc = _doc(html)
    assert doc.xpath("//img | //script | //iframe | //object") == []
    handlers = [a for el in doc.iter() for a in getattr(el, "attrib", {}) if a.startswith("on")]
    assert handlers == []
    # ... and a person reads the string as it was in the export.
    assert _text(doc, "title") == sample_run.evil


def test_hostile_strings_come_from_the_apex_sample(sample_run: Any) -> None:
    if not APEX.is_dir():
        pytest.skip(f"the apex-recipes sample is not at {APEX}")
    assert "!@#$%^&*()" in sample_run.hostile  # read from Accounts/Contacts/Opportunities.csv
    assert "<img src=x onerror=alert('hi') />" in sample_run.hostile


def test_self_contained(sample_run: Any) -> None:
    html = _render(sample_run)
    doc = _doc(html)
    assert doc.xpath("//link | //script | //iframe | //img | //object | //embed") == []
    assert doc.xpath("//*[@src] | //*[@href]") == []
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never fetched
    csp = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_same_input_same_bytes(sample_run: Any) -> None:
    first = _render(sample_run)
    reordered = render_html(
        reversed(sample_run.decisions),
        cases=reversed(sample_run.cases),
        exceptions=sample_run.register,
    )
    assert first == reordered


def test_without_cases_or_register(sample_run: Any, tmp_path: Any) -> None:
    path = tmp_path / "report.html"
    write_html(path, sample_run.decisions)
    doc = _doc(path.read_text(encoding="utf-8"))
    assert _text(doc, "total-block") == "2"
    assert _bars(doc, "chart-salespeople") == {"(unknown)": "3"}
    assert _bars(doc, "chart-approvers") == {"(unknown)": "3"}
    assert "No exception register was given" in _text(doc, "exceptions")


def test_empty_run() -> None:
    doc = _doc(render_html([]))
    assert _text(doc, "total-decisions") == "0"
    assert doc.xpath('//*[@id="report-date"]') == []


# -- properties ---------------------------------------------------------------

_printable = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s)

_findings = st.builds(
    Finding,
    rule=st.sampled_from(["R-A", "R-B", "R-C"]),
    result=st.sampled_from(list(Result)),
    severity=st.sampled_from(list(Severity)),
    message=_printable,
    sources=st.lists(
        st.builds(Provenance, adapter=st.just("x"), source=_printable, location=_printable),
        max_size=2,
    ),
    exception=st.none() | st.just("EX-9@1"),
)

_decisions = st.builds(
    Decision,
    case=st.sampled_from(["1", "2", "3", "4"]),
    checkpoint=st.sampled_from(list(Checkpoint)),
    at=st.just(date(2026, 1, 5)),
    pack=st.just(PackRef("p", "1.0.0", "d")),
    findings=st.lists(_findings, max_size=4),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_decisions, max_size=8))
def test_shown_numbers_match_the_decisions(decisions: list[Decision]) -> None:
    doc = _doc(render_html(decisions))
    outcomes = Counter(d.outcome for d in decisions)
    assert _text(doc, "total-decisions") == str(len(decisions))
    assert _text(doc, "total-cases") == str(len({d.case for d in decisions}))
    for outcome in Outcome:
        assert _text(doc, f"total-{outcome.value}") == str(outcomes[outcome])
    shown_rows = doc.xpath('//table[@id="checkpoints"]/tbody/tr')
    assert sum(int(r.xpath("./td")[4].text_content()) for r in shown_rows) == len(decisions)
    listed = [
        f
        for d in decisions
        for f in d.findings
        if f.result not in (Result.PASS, Result.NOT_APPLICABLE)
    ]
    assert sorted(
        m.text_content()
        for m in doc.xpath('//section[@id="blocked" or @id="warned"]//td[@class="message"]')
    ) == sorted(
        f.message
        for d in decisions
        if d.outcome is not Outcome.ALLOW
        for f in d.findings
        if f.result not in (Result.PASS, Result.NOT_APPLICABLE)
    )
    assert sum(int(v) for v in _bars(doc, "chart-rules").values()) == len(listed)


@settings(max_examples=40, deadline=None)
@given(_printable)
def test_any_text_reads_back_unchanged(text: str) -> None:
    decision = Decision(
        case=text,
        checkpoint="H2",
        at=date(2026, 1, 5),
        pack=PackRef("p", "1.0.0", "d"),
        findings=[Finding(text, "fail", "block", text, [Provenance("a", text, text)])],
    )
    doc = _doc(render_html([decision], title=text))
    assert _text(doc, "title") == text
    assert doc.xpath('//td[@class="message"]')[0].text_content() == text
    assert doc.xpath('//span[@class="case"]')[0].text_content() == text
    assert doc.xpath("//script | //img") == []


def test_view_is_plain_data(sample_run: Any) -> None:
    view = build_view(sample_run.decisions, cases=sample_run.cases, exceptions=sample_run.register)
    assert [v.decision.case for v in view.blocked] == ["4711", "4711"]
    assert view.counts.waived_findings == 3


@pytest.mark.parametrize("value", ["<b>", "a & b", '"quoted"', "it's"])
def test_small_markup_is_escaped(value: str) -> None:
    decision = Decision(
        case="1",
        checkpoint="H1",
        at=date(2026, 1, 1),
        pack=PackRef("p", "1", "d"),
        findings=[Finding("R", "fail", "warn", value)],
    )
    html = render_html([decision])
    assert f'<td class="message">{markupsafe.escape(value)}</td>' in html


def test_rejects_are_listed_when_given(sample_run: Any) -> None:
    from handoff_rules.facts import Reject

    where = Provenance("sf-csv", "Opportunities.csv", "line 9", line=9)
    reject = Reject("Amount has no currency", where, "opportunity", raw=sample_run.evil)
    later = Reject("bad date", Provenance("sf-csv", "Opportunities.csv", "line 28", line=28))
    html = render_html(sample_run.decisions, rejects=[later, reject])
    doc = _doc(html)
    assert _text(doc, "total-rejects") == "2"
    rows = [[c.text_content() for c in r.xpath("./td")] for r in doc.xpath('//tr[@class="reject"]')]
    assert rows == [
        ["Opportunities.csv: line 9", "opportunity", "Amount has no currency", sample_run.evil],
        ["Opportunities.csv: line 28", "", "bad date", ""],
    ]
    assert "<img" not in html


def test_no_rejects_section_without_rejects(sample_run: Any) -> None:
    doc = _doc(render_html(sample_run.decisions))
    assert doc.xpath('//*[@id="rejects"] | //*[@id="total-rejects"]') == []


def test_actions_are_listed_whatever_the_outcome() -> None:
    from handoff_rules.decision import Action

    write_off = Action("write_off", "ACC-PAY-001", {"amount": "8.00", "account": "6890"})
    decision = Decision(
        case="4711",
        checkpoint="H5",
        at=date(2024, 6, 4),
        pack=PackRef("p", "1.0.0", "d"),
        findings=[Finding("ACC-PAY-001", "pass", "block", "within tolerance")],
        actions=[write_off],
    )
    doc = _doc(render_html([decision]))
    assert decision.outcome is Outcome.ALLOW
    (row,) = doc.xpath('//table[@id="actions-table"]/tbody/tr')
    cells = [c.text_content() for c in row.xpath("./td")]
    assert cells == ["4711", "H5", "allow", "write_off", "ACC-PAY-001", "account=6890amount=8.00"]
    assert doc.xpath('//section[@id="blocked" or @id="warned"]//article') == []


def test_without_the_run_refusals_are_not_claimed(sample_run: Any) -> None:
    """Decisions alone do not say which exceptions were refused: the report says so."""
    doc = _doc(_render(sample_run))
    assert doc.xpath('//*[@id="exceptions-refused" or @id="exceptions-expired"]') == []
    assert "known only to the run that applied them" in _text(doc, "exceptions")
