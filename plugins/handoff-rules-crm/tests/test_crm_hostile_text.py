"""Hostile text is data: kept byte for byte, never interpreted, never a crash."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from handoff_rules_crm import CrmOptions, SalesforceCsvAdapter, SalesforceTreeAdapter
from hypothesis import example, given, settings
from hypothesis import strategies as st

from handoff_rules.adapters import Fact, Reject
from handoff_rules.model import Derived, Opportunity
from handoff_rules.testing import check_adapter

OPTIONS = CrmOptions(default_currency="USD")


def _descriptions(items: Sequence[Fact | Reject]) -> dict[str, object]:
    return {
        i.data.subject: i.data.get("description")
        for i in items
        if isinstance(i, Fact) and isinstance(i.data, Derived) and i.data.name == "crm_details"
    }


def test_apex_tree_descriptions_are_kept_verbatim(apex_recipes: Path) -> None:
    path = apex_recipes / "Opportunities.json"
    raw = json.loads(path.read_text(encoding="utf-8"))["records"]
    expected = {r["attributes"]["referenceId"]: r["description"] for r in raw}
    hostile = [d for d in expected.values() if not d.isascii() or set(d) & set("<>;'\"\\")]
    assert len(hostile) > 30, "the sample is the naughty-strings one"
    got = _descriptions(list(SalesforceTreeAdapter(OPTIONS).read(path)))
    assert got == expected
    for key, text in expected.items():
        assert str(got[key]).encode("utf-8") == text.encode("utf-8")


def test_apex_csv_descriptions_are_kept_verbatim(apex_recipes: Path) -> None:
    path = apex_recipes / "Opportunities.csv"
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    expected = {f"OpportunityRef{n}": r["description"] for n, r in enumerate(rows, start=1)}
    got = _descriptions(list(SalesforceCsvAdapter(OPTIONS).read(path)))
    assert got == {k: v for k, v in expected.items() if v != ""}


def test_hostile_names_survive_the_jsonl_round_trip(apex_recipes: Path) -> None:
    # check_adapter reads each fact back from its JSON record and compares.
    check_adapter(SalesforceTreeAdapter(OPTIONS), apex_recipes / "Opportunities.json")


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    min_size=1,
).filter(lambda s: s.strip() != "#N/A")  # '' and a configured null mean "no value"


@settings(max_examples=60, deadline=None)
@given(name=_TEXT, description=_TEXT)
@example(name="null", description="   ")
@example(name="None", description="N/A")
@example(name='=HYPERLINK("http://x")', description='line one\r\nline "two"\n')
def test_any_text_in_a_csv_cell_is_kept_exactly(
    tmp_path_factory: object, name: str, description: str
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["Id", "Name", "StageName", "CloseDate", "Description"])
    writer.writerow(["006000000000001AAA", name, "Prospecting", "2024-01-31", description])
    directory = tmp_path_factory.mktemp("hostile")  # type: ignore[attr-defined]
    path = directory / "Opportunity.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    items = list(SalesforceCsvAdapter(OPTIONS).read(path))
    opportunity = next(i.data for i in items if isinstance(i, Fact))
    assert isinstance(opportunity, Opportunity)
    assert opportunity.name == name
    assert _descriptions(items) == {"006000000000001AAA": description}


@settings(max_examples=60, deadline=None)
@given(name=_TEXT, description=_TEXT)
def test_any_text_in_a_tree_record_is_kept_exactly(
    tmp_path_factory: object, name: str, description: str
) -> None:
    record = {
        "attributes": {"type": "Opportunity", "referenceId": "OpportunityRef1"},
        "Name": name,
        "StageName": "Prospecting",
        "CloseDate": "2024-01-31",
        "Description": description,
    }
    directory = tmp_path_factory.mktemp("hostile")  # type: ignore[attr-defined]
    path = directory / "Opportunities.json"
    path.write_text(json.dumps({"records": [record]}, indent=2), encoding="utf-8")
    items = list(SalesforceTreeAdapter(OPTIONS).read(path))
    opportunity = next(i.data for i in items if isinstance(i, Fact))
    assert isinstance(opportunity, Opportunity)
    assert opportunity.name == name
    assert _descriptions(items) == {"OpportunityRef1": description}
