"""Fact records of the wrong shape are rejects at their line, never a crash of one engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from handoff_rules.model import Derived

CliRun = Callable[..., tuple[int, str, str]]

FACTS = """handoff-rules-facts: 1
facts:
  - type: order
    data: {id: "9001", counterparty_id: C1, order_date: 2024-05-01}
  - type: derived
    data: {name: x, subject: "9001", order_id: "9001", values: {sid: 1}}
  - type: derived
    data: {name: y, subject: "9001", order_id: "9001", values: {Bad-Key: 1}}
  - type: derived
    data: {name: z, subject: "9001", order_id: "9001", values: {good: 1}}
"""


@pytest.mark.parametrize("key", ["sid", "id", "t", "subject", "Bad-Key", "1st", ""])
def test_a_derived_value_key_no_rule_could_name_is_refused_when_made(key: str) -> None:
    with pytest.raises(ValueError, match="derived value key"):
        Derived("x", "9001", {key: 1})


def test_bad_derived_keys_are_rejects_and_both_engines_decide_alike(
    cli: CliRun, tmp_path: Path
) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS, encoding="utf-8")
    code, out, _ = cli("read", str(path), "--format", "jsonl")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    rejects = [r for r in records if r["record"] == "reject"]
    assert [r["provenance"]["location"] for r in rejects] == ["lines 5-6", "lines 7-8"]
    assert "'sid' is reserved" in rejects[0]["reason"]
    assert "'Bad-Key' must be a lower-case identifier" in rejects[1]["reason"]
    assert sum(1 for r in records if r["record"] == "fact") == 2
    outputs = []
    for engine in ("durable", "reference"):
        code, out, err = cli(
            "check", str(path), "--at", "2024-06-01", "--engine", engine, "--format", "json"
        )
        assert code in (0, 1), err
        outputs.append(json.loads(out)["decisions"])
    assert outputs[0] == outputs[1]


def test_a_jsonl_fact_whose_data_is_not_an_object_is_one_reject(
    cli: CliRun, tmp_path: Path
) -> None:
    provenance = {"source": "erp.csv", "adapter": "native-jsonl", "location": "line 1"}
    good = {"id": "1", "counterparty_id": "C", "order_date": "2024-01-01"}
    lines = [
        {"record": "fact", "type": "order", "data": [], "provenance": provenance},
        {"record": "fact", "type": "order", "data": good, "provenance": provenance},
    ]
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    code, out, err = cli("read", str(path), "--format", "jsonl")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    (reject,) = [r for r in records if r["record"] == "reject"]
    assert reject["provenance"]["location"] == "line 1"
    assert "expected an object of fields, not list" in reject["reason"]
    assert records[-1]["facts"] == {"order": 1}
