"""The release-slip adapter passes the conformance kit and reports bad lines as rejects."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from handoff_rules_example.slips import SlipAdapter

from handoff_rules.adapters import AdapterError, Sample
from handoff_rules.model import Delivery
from handoff_rules.testing import check_adapter

DATA = Path(__file__).parent / "data"


def test_conformance() -> None:
    report = check_adapter(SlipAdapter(), DATA / "week47.slip", expected_records=4)
    assert report.format == "release-slips"
    assert [f.data for f in report.facts] == [
        Delivery(
            id="80001",
            order_id="4711",
            receiver_name="Ivan Petrov",
            release_date=date(2026, 11, 12),
        ),
        Delivery(
            id="80002",
            order_id="4712",
            receiver_name="Olga Sidorova",
            release_date=date(2026, 11, 20),
        ),
    ]
    assert [(r.provenance.line, r.reason) for r in report.rejects] == [
        (6, "expected 4 fields delivery;order;receiver;released_on, found 3"),
        (7, "released_on '20.11.2026' is not a date (YYYY-MM-DD)"),
    ]


def test_provenance_points_at_the_line() -> None:
    fact = next(iter(SlipAdapter().read(DATA / "week47.slip")))
    assert str(fact.provenance) == f"{DATA / 'week47.slip'}: line 3"
    assert fact.provenance.adapter == "example-slips"


def test_claims_only_slip_files(tmp_path: Path) -> None:
    other = tmp_path / "orders.csv"
    other.write_text("id;order\n1;2\n", encoding="utf-8")
    assert SlipAdapter().sniff(Sample.of(other)) is None
    assert SlipAdapter().sniff(Sample.of(DATA / "week47.slip")) is not None


def test_missing_marker_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.slip"
    path.write_text("80001;4711;Ivan Petrov;2026-11-12\n", encoding="utf-8")
    with pytest.raises(AdapterError) as caught:
        list(SlipAdapter().read(path))
    assert str(caught.value) == f"{path}:line 1: expected '# release slips v1' as the first line"


def test_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.slip"
    path.write_bytes(b"# release slips v1\n80001;4711;Jos\xe9;2026-11-12\n")
    with pytest.raises(AdapterError) as caught:
        list(SlipAdapter().read(path))
    assert str(caught.value) == f"{path}:line 2: not UTF-8 text (invalid continuation byte)"
