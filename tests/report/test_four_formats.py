"""The four formats of ``check`` tell the same story about one run.

The README's main job is run once through :func:`handoff_rules.check` and
written as table, JSON, JUnit and HTML, exactly as ``check --format`` writes
them. Each output is read back with a parser of its format (the JSON
module, ``xml.etree`` for JUnit, ``lxml.html`` for HTML, and the table's own
rows and lines), and every one must name the same refused exceptions with
the same reasons, the same expired, unused and used ones, the same actions,
the same blocked decisions, the same source of each finding and (where the
format shows it) who may waive a failing rule. The expected values come
from the run itself, and a few from the example register, so a story every
format forgot would fail too.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import lxml.html
import pytest

from handoff_rules import RunResult, check
from handoff_rules.cli.check_cmd import write_report
from handoff_rules.decision import Result
from handoff_rules.report.table import TABLE_WIDTH, write_table
from handoff_rules.report.view import run_view

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT / "examples" / "exports"
EXCEPTIONS = ROOT / "examples" / "exceptions.yaml"
AT = date(2024, 6, 4)

#: (case, checkpoint, kind, rule, ((param, value), ...))
Action = tuple[str, str, str, str, tuple[tuple[str, str], ...]]
#: (exception, case, message)
Refused = tuple[str, str, str]
#: (case, checkpoint, rule, "file: location")
Source = tuple[str, str, str, str]
#: (case, checkpoint, rule, "may be waived by …")
Waiver = tuple[str, str, str, str]


@attrs.frozen
class Story:
    """What one format says about the run, read back from its text."""

    blocked: frozenset[tuple[str, str]]
    actions: frozenset[Action]
    used: frozenset[str]
    unused: frozenset[str]
    expired: frozenset[str]
    refused: frozenset[Refused]
    #: (case, exception, kind) of each refusal, where the format names the kind
    refused_kinds: frozenset[tuple[str, str, str]]
    sources: frozenset[Source]
    #: None where the format does not say who may waive a rule (JSON)
    waivers: frozenset[Waiver] | None


@pytest.fixture(scope="module")
def run() -> RunResult:
    """The README's main job: ``check examples/exports --exceptions … --at 2024-06-04``."""
    return check([EXPORTS], exceptions=EXCEPTIONS, at=AT)


@pytest.fixture(scope="module")
def outputs(run: RunResult) -> dict[str, str]:
    written = {}
    for fmt in ("table", "json", "junit", "html"):
        out = io.StringIO()
        write_report(run, fmt, out)
        written[fmt] = out.getvalue()
    return written


# --- the lines of one decision, as the table and JUnit write them -----------------------


def _params(text: str) -> tuple[tuple[str, str], ...]:
    pairs = (item.partition("=") for item in text.split(", ") if item)
    return tuple(sorted((name, value) for name, _, value in pairs))


def _action(case: str, checkpoint: str, line: str) -> Action:
    """``action write_off (ACC-PAY-001): account=6890, amount=8.00`` → its parts."""
    text = line.removeprefix("action ")
    kind, _, rest = text.partition(" (")
    rule, _, params = rest.partition("): ")
    return (case, checkpoint, kind, rule, _params(params))


@attrs.define
class _Lines:
    """The facts of one decision's finding lines (rule line, then indented details)."""

    sources: set[Source] = attrs.Factory(set)
    waivers: set[Waiver] = attrs.Factory(set)
    actions: set[Action] = attrs.Factory(set)
    refused_kinds: set[tuple[str, str, str]] = attrs.Factory(set)

    def read(self, case: str, checkpoint: str, lines: Iterable[str]) -> None:
        rule = None
        for line in lines:
            if line.startswith("action "):
                self.actions.add(_action(case, checkpoint, line))
            elif line.startswith("checked: "):
                rule = None  # what an allow checked: no finding of its own
            elif not line.startswith("  "):
                rule = line.split(" ", 1)[0]
            elif rule is None:
                raise AssertionError(f"detail line before any finding: {line!r}")
            elif line.startswith("  at "):
                self.sources.add((case, checkpoint, rule, line.removeprefix("  at ")))
            elif line.startswith("  may "):
                self.waivers.add((case, checkpoint, rule, line.strip()))
            elif line.startswith("  not applied: "):
                key, _, kind = line.removeprefix("  not applied: ").partition(" ")
                self.refused_kinds.add((case, key, kind.strip("()")))


# --- table ----------------------------------------------------------------------------


def _logical_lines(fragments: list[str], rule_ids: set[str]) -> list[str]:
    """Undo the table's folding of long cells: a fragment that starts no line continues one."""
    lines: list[str] = []
    for fragment in fragments:
        first = fragment.split(" ", 2)
        starts = (
            fragment.startswith(("  ", "action ", "checked: "))
            or (len(first) > 1 and first[0] in rule_ids and first[1].startswith("["))
            or not lines
        )
        if starts:
            lines.append(fragment.rstrip())
        else:
            lines[-1] += " " + fragment.strip()
    return lines


def _table_rows(text: str) -> list[tuple[str, str, str, list[str]]]:
    """(case, checkpoint, outcome, findings cell fragments) of each row of the rich table."""
    rows: list[tuple[str, str, str, list[str]]] = []
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = line.split("│")[1:-1]
        assert len(cells) == 4, line
        case, checkpoint, outcome = (c.strip() for c in cells[:3])
        findings = cells[3][1:]  # the cell's left padding
        if case:
            rows.append((case, checkpoint, outcome, []))
        if findings.strip() and findings.strip() != "-":
            rows[-1][3].append(findings.rstrip())
    return rows


def _keys(text: str) -> frozenset[str]:
    return frozenset() if text == "none" else frozenset(text.split(", "))


def read_table(text: str, rule_ids: set[str]) -> Story:
    rows = _table_rows(text)
    lines = _Lines()
    for case, checkpoint, _outcome, fragments in rows:
        lines.read(case, checkpoint, _logical_lines(fragments, rule_ids))
    lists: dict[str, frozenset[str]] = {}
    refused: set[Refused] = set()
    for line in text.splitlines():
        if line.startswith("exceptions "):
            _register, _, listed = line.partition(": ")
            for part in listed.split("; "):
                name, _, keys = part.partition(" ")
                lists[name] = _keys(keys)
        elif line.startswith("  not applied: "):
            key, _, tail = line.removeprefix("  not applied: ").partition(" ")
            message, _, case = tail.rpartition(" (case ")
            refused.add((key, case.removesuffix(")"), message))
    return Story(
        blocked=frozenset((case, cp) for case, cp, outcome, _ in rows if outcome == "block"),
        actions=frozenset(lines.actions),
        used=lists.get("used", frozenset()),
        unused=lists.get("unused", frozenset()),
        expired=lists.get("expired", frozenset()),
        refused=frozenset(refused),
        refused_kinds=frozenset(lines.refused_kinds),
        sources=frozenset(lines.sources),
        waivers=frozenset(lines.waivers),
    )


# --- JSON -----------------------------------------------------------------------------


def read_json(text: str) -> Story:
    document = json.loads(text)
    decisions = document["decisions"]
    invalid = document["exceptions"]["invalid"]
    return Story(
        blocked=frozenset(
            (d["case"], d["checkpoint"]) for d in decisions if d["outcome"] == "block"
        ),
        actions=frozenset(
            (d["case"], d["checkpoint"], a["kind"], a["rule"], tuple(sorted(a["params"].items())))
            for d in decisions
            for a in d["actions"]
        ),
        used=frozenset(document["exceptions"]["used"]),
        unused=frozenset(document["exceptions"]["unused"]),
        expired=frozenset(p["exception"] for p in invalid if p["kind"] == "expired"),
        refused=frozenset((p["exception"], p["case"], p["message"]) for p in invalid),
        refused_kinds=frozenset((p["case"], p["exception"], p["kind"]) for p in invalid),
        sources=frozenset(
            (d["case"], d["checkpoint"], f["rule"], f"{s['source']}: {s['location']}")
            for d in decisions
            for f in d["findings"]
            if f["result"] != "pass"
            for s in f["sources"]
        ),
        waivers=None,
    )


# --- JUnit ----------------------------------------------------------------------------


def _properties(element: ET.Element) -> list[tuple[str, str]]:
    found = element.find("properties")
    if found is None:
        return []
    return [(p.get("name", ""), p.get("value", "")) for p in found.findall("property")]


def read_junit(text: str) -> Story:
    root = ET.fromstring(text)
    suites = root.findall("testsuite")
    assert suites
    # The run's exceptions are in every suite's properties, the same in each.
    run_properties = {tuple(sorted(_properties(suite))) for suite in suites}
    assert len(run_properties) == 1
    (properties,) = run_properties

    def named(name: str) -> list[str]:
        return [value for key, value in properties if key == name]

    refusals = [json.loads(value) for value in named("exception.refused")]
    lines = _Lines()
    blocked = set()
    case_refusals = set()
    for suite in suites:
        for testcase in suite.findall("testcase"):
            case = testcase.get("classname", "").removeprefix("case.")
            checkpoint = testcase.get("name", "")
            failure = testcase.find("failure")
            output = testcase.find("system-out")
            if failure is not None:
                blocked.add((case, checkpoint))
            body = failure if failure is not None else output
            text_lines = (body.text or "").splitlines() if body is not None else []
            lines.read(case, checkpoint, text_lines)
            for name, value in _properties(testcase):
                if name == "action":
                    action = json.loads(value)
                    params = tuple(sorted(action["params"].items()))
                    assert (
                        case,
                        checkpoint,
                        action["kind"],
                        action["rule"],
                        params,
                    ) in lines.actions
                elif name == "exception.refused":
                    refusal = json.loads(value)
                    case_refusals.add((refusal["case"], refusal["exception"], refusal["kind"]))
    assert case_refusals == lines.refused_kinds  # properties and text agree
    return Story(
        blocked=frozenset(blocked),
        actions=frozenset(lines.actions),
        used=frozenset(named("exception.used")),
        unused=frozenset(named("exception.unused")),
        expired=frozenset(named("exception.expired")),
        refused=frozenset((r["exception"], r["case"], r["message"]) for r in refusals),
        refused_kinds=frozenset((r["case"], r["exception"], r["kind"]) for r in refusals),
        sources=frozenset(lines.sources),
        waivers=frozenset(lines.waivers),
    )


# --- HTML -----------------------------------------------------------------------------


def _text(element: Any) -> str:
    return " ".join(str(element.text_content()).split())


def _first(element: Any, path: str) -> str:
    """The text of the first element ``path`` finds, or "" when there is none."""
    found = element.xpath(path)
    return _text(found[0]) if found else ""


def _table_keys(doc: Any, table_id: str) -> frozenset[str]:
    return frozenset(_text(k) for k in doc.xpath(f'//*[@id="{table_id}"]//span[@class="key"]'))


def read_html(text: str) -> Story:
    doc = lxml.html.document_fromstring(text)
    blocked = frozenset(
        (
            _first(a, './/span[@class="case"]'),
            _first(a, './/span[@class="checkpoint"]'),
        )
        for a in doc.xpath('//section[@id="blocked"]/article')
    )
    actions = set()
    for row in doc.xpath('//table[@id="actions-table"]/tbody/tr[@class="action"]'):
        params = tuple(
            sorted(
                (
                    _first(p, './span[@class="name"]'),
                    _first(p, './span[@class="value"]'),
                )
                for p in row.xpath('./td[@class="params"]/div[@class="param"]')
            )
        )
        actions.add(
            (
                _first(row, './/span[@class="case"]'),
                _first(row, './td[@class="checkpoint"]'),
                _first(row, './td[@class="kind"]'),
                _first(row, './td[@class="rule"]'),
                params,
            )
        )
    refused = set()
    kinds = set()
    for table_id in ("exceptions-refused", "exceptions-expired"):
        for row in doc.xpath(f'//table[@id="{table_id}"]/tbody/tr[@class="refusal"]'):
            key = _first(row, './/span[@class="key"]')
            case = _first(row, './/span[@class="case"]')
            kind = _first(row, './td[@class="kind"]')
            assert (kind == "expired") == (table_id == "exceptions-expired"), (table_id, kind)
            refused.add((key, case, _first(row, './td[@class="detail"]')))
            kinds.add((case, key, kind))
    sources = set()
    waivers = set()
    for article in doc.xpath('//section[@id="blocked" or @id="warned" or @id="waived"]/article'):
        case = _first(article, './/span[@class="case"]')
        checkpoint = _first(article, './/span[@class="checkpoint"]')
        for row in article.xpath('.//tr[@class="finding"]'):
            rule = str(row.xpath('./td[@class="rule"]')[0].text).strip()
            sources.update(
                (case, checkpoint, rule, _text(s)) for s in row.xpath('.//div[@class="source"]')
            )
            waivers.update(
                (case, checkpoint, rule, _text(w)) for w in row.xpath('.//small[@class="waiver"]')
            )
    return Story(
        blocked=blocked,
        actions=frozenset(actions),
        used=_table_keys(doc, "exceptions-used"),
        unused=_table_keys(doc, "exceptions-unused"),
        expired=_table_keys(doc, "exceptions-expired"),
        refused=frozenset(refused),
        refused_kinds=frozenset(kinds),
        sources=frozenset(sources),
        waivers=frozenset(waivers),
    )


# --- the tests ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stories(run: RunResult, outputs: dict[str, str]) -> dict[str, Story]:
    return {
        "table": read_table(outputs["table"], set(run.pack.rule_map)),
        "json": read_json(outputs["json"]),
        "junit": read_junit(outputs["junit"]),
        "html": read_html(outputs["html"]),
    }


def _expected(run: RunResult) -> Story:
    """The story as the run holds it, before any writer touched it.

    ``waivers`` holds the roles the pack allows to waive each failing rule.
    """
    problems = run.exception_problems
    return Story(
        blocked=frozenset(
            (d.case, d.checkpoint.value) for d in run.decisions if d.outcome.value == "block"
        ),
        actions=frozenset(
            (d.case, d.checkpoint.value, a.kind, a.rule, a.params)
            for d in run.decisions
            for a in d.actions
        ),
        used=frozenset(run.exceptions_used),
        unused=frozenset(run.exceptions_unused),
        expired=frozenset(p["exception"] for p in problems if p["kind"] == "expired"),
        refused=frozenset((p["exception"], p["case"], p["message"]) for p in problems),
        refused_kinds=frozenset((p["case"], p["exception"], p["kind"]) for p in problems),
        sources=frozenset(
            (d.case, d.checkpoint.value, f.rule, str(s))
            for d in run.decisions
            for f in d.findings
            if f.result is not Result.PASS
            for s in f.sources
        ),
        waivers=frozenset(
            (
                d.case,
                d.checkpoint.value,
                f.rule,
                ", ".join(sorted(run.pack.rule_map[f.rule].waivable_by)),
            )
            for d in run.decisions
            for f in d.findings
            if f.result is Result.FAIL
        ),
    )


FORMATS = ("table", "json", "junit", "html")


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_tells_the_story_of_the_run(
    fmt: str, run: RunResult, stories: dict[str, Story]
) -> None:
    story, expected = stories[fmt], _expected(run)
    assert story.blocked == expected.blocked
    assert story.actions == expected.actions
    assert story.used == expected.used
    assert story.unused == expected.unused
    assert story.expired == expected.expired
    assert story.refused == expected.refused
    assert story.refused_kinds == expected.refused_kinds
    assert story.sources == expected.sources
    if story.waivers is None:
        assert fmt == "json"  # the decision document leaves that to ``pack show``
        return
    shown = {(case, cp, rule): text for case, cp, rule, text in story.waivers}
    assert len(shown) == len(story.waivers)  # one line per failing finding's rule
    roles = {(case, cp, rule): text for case, cp, rule, text in expected.waivers}
    assert shown.keys() == roles.keys()
    for where, text in shown.items():
        assert text.startswith(f"may be waived by {roles[where]} for at most "), (where, text)


@pytest.mark.parametrize("field", [f.name for f in attrs.fields(Story)])
def test_the_four_formats_agree(field: str, stories: dict[str, Story]) -> None:
    told = {fmt: getattr(story, field) for fmt, story in stories.items()}
    told = {fmt: value for fmt, value in told.items() if value is not None}
    assert len(told) >= 3
    first = next(iter(told.values()))
    assert all(value == first for value in told.values()), told


def test_the_story_is_the_one_of_the_example_register(stories: dict[str, Story]) -> None:
    """What the README promises, in every format: so no format can agree by forgetting."""
    for fmt, story in stories.items():
        assert story.used == {"EX-2024-007@1"}, fmt
        assert story.unused == {"EX-2024-010@1"}, fmt
        assert story.expired == {"EX-2024-005@1"}, fmt
        assert story.refused_kinds == {
            ("4712", "EX-2024-005@1", "expired"),
            ("4714", "EX-2024-009@1", "self_approved"),
        }, fmt
        assert ("4712", "H3") in story.blocked, fmt
        assert len(story.blocked) == 7, fmt
        write_off = (
            "4711",
            "H5",
            "write_off",
            "ACC-PAY-001",
            (
                ("account", "6890"),
                ("amount", "8.00"),
                ("currency", "EUR"),
                ("direction", "loss"),
                ("invoice", "INV-4711"),
                ("payment", "PAY-4711"),
            ),
        )
        assert story.actions == {write_off}, fmt
        poa = ("4712", "H3", "ACC-POA-001", f"{EXPORTS / 'orders.yaml'}: lines 20-21")
        assert poa in story.sources, fmt
        if story.waivers is not None:
            assert (
                "4712",
                "H3",
                "ACC-POA-001",
                "may be waived by chief_accountant for at most 1 day (the rule's max_waiver_days)",
            ) in story.waivers, fmt


def test_html_keeps_refused_exceptions_out_of_unused_and_expiring(outputs: dict[str, str]) -> None:
    """The self-approved EX-2024-009 is in force by its dates, but it is not a usable exception."""
    doc = lxml.html.document_fromstring(outputs["html"])
    assert _table_keys(doc, "exceptions-refused") == {"EX-2024-009@1"}
    assert _table_keys(doc, "exceptions-expired") == {"EX-2024-005@1"}
    assert _table_keys(doc, "exceptions-unused") == {"EX-2024-010@1"}
    assert _table_keys(doc, "exceptions-expiring") == {"EX-2024-010@1"}  # ends 2024-06-14


def test_junit_carries_the_run_as_suite_properties(run: RunResult, outputs: dict[str, str]) -> None:
    root = ET.fromstring(outputs["junit"])
    for suite in root.findall("testsuite"):
        properties = dict(_properties(suite))  # the single-valued ones
        assert properties["pack"] == "o2c-standard@1.1.0"
        assert properties["pack.digest"] == run.pack.digest
        assert properties["at"] == "2024-06-04"
        assert properties["engine"] == run.engine
        assert properties["exceptions.register"] == str(EXCEPTIONS)
        failures = [c for c in suite.findall("testcase") if c.find("failure") is not None]
        assert suite.get("failures") == str(len(failures))


def test_the_table_keeps_its_width_and_its_lines_whole(
    run: RunResult, outputs: dict[str, str]
) -> None:
    """160 columns for the table; the lines under it are never folded, however narrow."""
    table = [line for line in outputs["table"].splitlines() if line[:1] in "┏┃┡│└"]
    assert table
    assert {len(line) for line in table} == {TABLE_WIDTH}
    narrow = io.StringIO()
    write_table(run_view(run), narrow, width=60)
    refusals = [line for line in narrow.getvalue().splitlines() if "not applied: " in line]
    refusals = [line for line in refusals if not line.startswith("│")]
    expected = [
        f"  not applied: {p['exception']} {p['message']} (case {p['case']})"
        for p in run.exception_problems
    ]
    assert refusals == expected
    assert max(len(line) for line in refusals) > 60
