"""The report in a real browser: headless Chromium renders it, and we read what a person sees.

``--dump-dom`` gives the document after the browser parsed and laid it out,
so the numbers checked here are those on screen, and a hostile string from
the CRM sample that turned into markup would show up as an element. The
screenshot is kept under pytest's tmp dir for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from handoff_rules.report import write_html

pytestmark = pytest.mark.browser

_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def _chromium() -> str | None:
    configured = os.environ.get("HANDOFF_RULES_CHROMIUM")
    for name in (configured, *_CANDIDATES):
        if name and (found := shutil.which(name)):
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = _chromium()
    if binary is None:
        pytest.skip(
            "no Chromium binary found (/usr/bin/chromium, chromium, chromium-browser, "
            "google-chrome or $HANDOFF_RULES_CHROMIUM); .ci/run installs Debian's chromium"
        )
    return binary


def _run(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, timeout=120, check=False)


@pytest.fixture
def report_file(sample_run: Any, tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    write_html(
        path,
        sample_run.decisions,
        cases=sample_run.cases,
        exceptions=sample_run.register,
        title="Handoffs, week 47",
    )
    return path


def test_numbers_a_person_sees(
    chromium: str, report_file: Path, tmp_path: Path, sample_run: Any
) -> None:
    result = _run(chromium, tmp_path / "profile", "--dump-dom", report_file.as_uri())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    dom = lxml.html.document_fromstring(result.stdout.decode("utf-8"))

    def shown(element_id: str) -> str:
        (element,) = dom.xpath(f'//*[@id="{element_id}"]')
        return str(element.text_content()).strip()

    assert shown("title") == "Handoffs, week 47"
    totals = {k: shown(f"total-{k}") for k in ("decisions", "cases", "block", "warn", "allow")}
    assert totals == {"decisions": "4", "cases": "3", "block": "2", "warn": "1", "allow": "1"}
    assert shown("total-waived") == "3"
    h1 = [c.text_content() for c in dom.xpath('//tr[@id="checkpoint-H1"]/td')]
    assert h1 == ["0", "1", "1", "1", "2"]
    # The browser made no elements out of the CRM sample's strings ...
    assert dom.xpath("//img | //script") == []
    # ... and shows them as the text they are.
    evil = "<img src=x onerror=alert('hi') />"
    messages = [m.text_content() for m in dom.xpath('//td[@class="message"]')]
    assert f"receiver {evil} has no PoA" in messages
    bars = dom.xpath('//*[@id="chart-rules"]//*[local-name()="rect"]')
    assert [b.get("width") for b in bars] == ["320.0", "320.0", "160.0", "160.0"]


def test_screenshot(chromium: str, report_file: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    result = _run(
        chromium,
        tmp_path / "profile",
        f"--screenshot={png}",
        "--window-size=1200,1800",
        report_file.as_uri(),
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a rendered page, not a blank one
    print(f"screenshot: {png}")


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_report_of_the_bundled_examples(chromium: str, tmp_path: Path) -> None:
    """The example run's report shows the counts of the same run's JSON document."""
    from handoff_rules import check
    from handoff_rules.report import write_report

    if not (EXAMPLES / "exports").is_dir():
        pytest.fail(f"the bundled examples are missing: {EXAMPLES / 'exports'}")
    run = check(
        [EXAMPLES / "exports"],
        exceptions=EXAMPLES / "exceptions.yaml",
        at=date(2024, 6, 10),
        engine="reference",
    )
    document = run.document()
    report = tmp_path / "examples.html"
    with report.open("w", encoding="utf-8") as handle:
        write_report(run, "html", handle)
    result = _run(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    dom = lxml.html.document_fromstring(result.stdout.decode("utf-8"))

    def shown(element_id: str) -> str:
        (element,) = dom.xpath(f'//*[@id="{element_id}"]')
        return str(element.text_content()).strip()

    outcomes = document["run"]["outcomes"]
    assert shown("total-decisions") == str(len(document["decisions"]))
    assert shown("total-cases") == str(document["run"]["cases"])
    for outcome in ("block", "warn", "allow"):
        assert shown(f"total-{outcome}") == str(outcomes.get(outcome, 0))
    waived = [f for d in document["decisions"] for f in d["findings"] if f["result"] == "waived"]
    assert shown("total-waived") == str(len(waived))
    for checkpoint in sorted({d["checkpoint"] for d in document["decisions"]}):
        mine = [d for d in document["decisions"] if d["checkpoint"] == checkpoint]
        cells = [c.text_content() for c in dom.xpath(f'//tr[@id="checkpoint-{checkpoint}"]/td')]
        expected = [sum(1 for d in mine if d["outcome"] == o) for o in ("block", "warn", "allow")]
        assert cells[:3] == [str(n) for n in expected]
        assert cells[4] == str(len(mine))

    def keys(table_id: str) -> list[str]:
        return [k.text_content() for k in dom.xpath(f'//*[@id="{table_id}"]//span[@class="key"]')]

    exceptions = document["exceptions"]
    used = keys("exceptions-used")
    assert used == exceptions["used"]
    assert used  # the example register's exception waives a finding
    # Refused exceptions are shown as refused, with the run's reasons, never as unused:
    # on 2024-06-10 EX-2024-009 is both self-approved and expired, EX-2024-005 expired.
    assert keys("exceptions-unused") == exceptions["unused"] == ["EX-2024-010@1"]

    def refusals(table_id: str) -> list[tuple[str, str, str, str]]:
        return [
            tuple(
                row.xpath(f'.//*[@class="{name}"]')[0].text_content()
                for name in ("key", "case", "kind", "detail")
            )
            for row in dom.xpath(f'//table[@id="{table_id}"]/tbody/tr')
        ]

    invalid = [(p["exception"], p["case"], p["kind"], p["message"]) for p in exceptions["invalid"]]
    expired = [p for p in invalid if p[2] == "expired"]
    assert refusals("exceptions-expired") == expired
    assert refusals("exceptions-refused") == [p for p in invalid if p[2] != "expired"]
    assert [p[0] for p in expired] == ["EX-2024-005@1", "EX-2024-009@1"]
    assert [p[:3] for p in invalid if p not in expired] == [
        ("EX-2024-009@1", "4714", "self_approved")
    ]
    # The write-off inside tolerance is listed although its decision allows.
    (action,) = dom.xpath('//table[@id="actions-table"]/tbody/tr')
    cells = [c.text_content() for c in action.xpath("./td")]
    assert cells[:5] == ["4711", "H5", "allow", "write_off", "ACC-PAY-001"]
    (write_off,) = [a for d in document["decisions"] for a in d["actions"]]
    shown = [p.text_content() for p in action.xpath('.//div[@class="param"]')]
    assert shown == [f"{k}={v}" for k, v in sorted(write_off["params"].items())]
    # A blocked decision says who may waive its rule and why the exception did not.
    (poa,) = dom.xpath(
        '//section[@id="blocked"]//tr[@class="finding"]'
        '[td[@class="rule"][starts-with(., "ACC-POA-001")]]'
    )
    assert poa.xpath('.//small[@class="waiver"]')[0].text_content() == (
        "may be waived by chief_accountant for at most 1 day (the rule's max_waiver_days)"
    )
    refused = poa.xpath('.//small[@class="refused"]')[0].text_content()
    assert refused == "not applied: EX-2024-005@1 (expired)"
    png = tmp_path / "examples.png"
    shot = _run(
        chromium,
        tmp_path / "profile",
        f"--screenshot={png}",
        "--window-size=1200,2400",
        report.as_uri(),
    )
    assert shot.returncode == 0
    assert png.read_bytes().startswith(b"\x89PNG")


APEX = Path("/work/shared/domain/samples/salesforce-apex-recipes")


def test_apex_sample_strings_stay_text_in_the_browser(chromium: str, tmp_path: Path) -> None:
    """``check`` over the real CRM sample: its hostile cells reach the report only as text."""
    pytest.importorskip("handoff_rules_crm", reason="reads the sample with the CRM plugin")
    from handoff_rules import check
    from handoff_rules.cli.check_cmd import write_report

    if not APEX.is_dir():
        pytest.skip(f"the apex-recipes sample is not at {APEX}")
    files = [APEX / name for name in ("Accounts.csv", "Contacts.csv", "Opportunities.csv")]
    # The sample holds no order, and a run needs one: the examples' exports bring theirs.
    run = check([*files, EXAMPLES / "exports"], at=date(2024, 6, 10), engine="reference")
    report = tmp_path / "apex.html"
    with report.open("w", encoding="utf-8") as handle:
        write_report(run, "html", handle)
    html = report.read_text(encoding="utf-8")
    assert "<img" not in html
    result = _run(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    dom = lxml.html.document_fromstring(result.stdout.decode("utf-8"))
    assert dom.xpath("//img | //script") == []
    (count,) = dom.xpath('//*[@id="total-rejects"]')
    assert count.text_content() == str(len(run.reject_list))
    raw = [r.text_content() for r in dom.xpath('//tr[@class="reject"]/td[@class="raw"]')]
    evil = "<img src=x onerror=alert('hi') />"
    assert sum(evil in text for text in raw) == 2  # Opportunities.csv lines 9 and 28
