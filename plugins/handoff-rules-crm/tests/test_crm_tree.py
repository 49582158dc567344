"""sfdx data-tree specifics: references checked against the plan, nesting, broken files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from handoff_rules_crm import CrmOptions, SalesforceTreeAdapter

from handoff_rules.adapters import AdapterError, Fact, Reject
from handoff_rules.model import Opportunity, Person

OPTIONS = CrmOptions(default_currency="USD")


def test_a_dangling_reference_is_rejected_when_a_plan_lists_the_file(
    apex_recipes: Path, copy_dir: Callable[[Path], Path]
) -> None:
    folder = copy_dir(apex_recipes)
    path = folder / "Opportunities.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["records"][1]["accountId"] = "@AccountRef999"
    path.write_text(json.dumps(data, indent=4, ensure_ascii=False), encoding="utf-8")
    items = list(SalesforceTreeAdapter(OPTIONS).read(path))
    rejects = [i for i in items if isinstance(i, Reject)]
    assert len(rejects) == 1
    opportunities = [i for i in items if isinstance(i, Fact) and isinstance(i.data, Opportunity)]
    assert len(opportunities) == 49
    assert (
        rejects[0].reason
        == "accountId: reference '@AccountRef999' names no record of the data plan; "
        "export the referenced records too and list their file in the plan"
    )
    assert rejects[0].provenance.location.endswith("(records[1])")
    # Without the plan the reference cannot be checked and is kept as written.
    (folder / "data-plan.json").unlink()
    kept = [i for i in SalesforceTreeAdapter(OPTIONS).read(path) if isinstance(i, Fact)]
    assert any(
        isinstance(f.data, Opportunity) and f.data.account_id == "AccountRef999" for f in kept
    )


def test_the_plan_must_list_files_that_exist(tmp_path: Path) -> None:
    plan = tmp_path / "data-plan.json"
    plan.write_text('[{"sobject": "Account", "files": ["Missing.json"]}]', encoding="utf-8")
    with pytest.raises(AdapterError, match=r"lists 'Missing\.json', which is not beside it"):
        list(SalesforceTreeAdapter().read(plan))


def test_nested_children_take_their_parent(tmp_path: Path) -> None:
    path = tmp_path / "Accounts.json"
    path.write_text(
        json.dumps(
            {
                "records": [
                    {
                        "attributes": {"type": "Account", "referenceId": "AccountRef1"},
                        "Name": "Acme",
                        "Contacts": {
                            "records": [
                                {
                                    "attributes": {"type": "Contact", "referenceId": "ContactRef1"},
                                    "LastName": "Novák",
                                },
                                "not a record",
                            ]
                        },
                    }
                ]
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    items = list(SalesforceTreeAdapter(OPTIONS).read(path))
    person = next(i.data for i in items if isinstance(i, Fact) and isinstance(i.data, Person))
    assert (person.id, person.counterparty_id) == ("ContactRef1", "AccountRef1")
    reject = next(i for i in items if isinstance(i, Reject))
    assert reject.provenance.location == "line 3 (records[0].Contacts.records[1])"


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ("[]", "expected a JSON object", "line 1"),
        ('{"records": {}}', "the records array", "line 1"),
        ('{"records": [\n{"a": 1},\n{"a": 2,}\n]}', "invalid JSON", "line 3 column 9"),
        ('{"other": 1}', 'no "records" array', None),
        ('{"records": []} trailing', "nothing after the JSON object", "line 1"),
    ],
)
def test_broken_tree_files_name_the_line(
    tmp_path: Path, text: str, message: str, where: str | None
) -> None:
    path = tmp_path / "Opportunities.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AdapterError, match=message) as info:
        list(SalesforceTreeAdapter().read(path))
    assert info.value.location == where


def test_records_before_a_break_are_still_yielded(tmp_path: Path) -> None:
    path = tmp_path / "Opportunities.json"
    good = {"attributes": {"type": "Opportunity"}, "Name": "A", "StageName": "Prospecting"}
    path.write_text('{"records": [' + json.dumps(good) + ", {broken", encoding="utf-8")
    reader = SalesforceTreeAdapter().read(path)
    first = next(reader)
    assert isinstance(first, Fact)
    assert first.data.id == "OpportunityRef1"
    with pytest.raises(AdapterError):
        next(reader)


def test_unknown_sobject_types_are_rejected_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "Cases.json"
    path.write_text(
        json.dumps({"records": [{"attributes": {"type": "Case"}}, {"Name": "x"}, 5]}),
        encoding="utf-8",
    )
    items = list(SalesforceTreeAdapter().read(path))
    assert [i.reason.split("; ")[0] for i in items] == [  # type: ignore[union-attr]
        "sObject type 'Case' is not read by this adapter",
        "a record needs attributes.type",
        "a record must be a JSON object",
    ]
