"""``handoff-rules check --format html --output FILE`` writes the report of the run."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from handoff_rules.cli import cli

pytest.importorskip(
    "handoff_rules_example",
    reason="needs the example plugin: pip install -e plugins/handoff-rules-example",
)

DATA = Path(__file__).resolve().parents[2] / "plugins" / "handoff-rules-example" / "tests" / "data"


def test_check_writes_an_html_report(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(DATA),
            "--pack",
            "release-lead-time",
            "--at",
            "2026-11-23",
            "--engine",
            "reference",
            "--format",
            "html",
            "--output",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    doc = lxml.html.document_fromstring(report.read_text(encoding="utf-8"))

    def shown(element_id: str) -> str:
        return str(doc.xpath(f'//*[@id="{element_id}"]')[0].text_content()).strip()

    assert shown("title") == "handoff-rules: release-lead-time 1.0.0 at 2026-11-23"
    assert [shown(f"total-{k}") for k in ("decisions", "block", "warn", "allow")] == [
        "2",
        "0",
        "1",
        "1",
    ]
    (message,) = [
        m.text_content() for m in doc.xpath('//section[@id="warned"]//td[@class="message"]')
    ]
    assert message == "delivery 80002 released 18 days after the order (promised at most 10)"
    rows = [r.text_content() for r in doc.xpath('//section[@id="warned"]//div[@class="source"]')]
    assert rows == [f"{DATA / 'week47.slip'}: line 4"]
    salesperson = doc.xpath('//section[@id="warned"]//h4')[0].text_content()
    assert "salesperson: Maria Sales" in salesperson
    # The finding's source is the derived fact, which points at the slip line;
    # the report shows what that line said.
    contents = [r.text_content() for r in doc.xpath('//section[@id="warned"]//div[@class="row"]')]
    assert contents == [
        "delivery: id=80002, order_id=4712, release_date=2026-11-20, receiver_name=Olga Sidorova"
    ]
