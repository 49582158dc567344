"""Every model class survives its dict form and JSON text unchanged."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.facts import Fact, Reject
from handoff_rules.model import (
    FACT_TYPES,
    Document,
    ModelDataError,
    Opportunity,
    Order,
    from_dict,
    to_dict,
)
from handoff_rules.testing.strategies import fact_data, facts


@pytest.mark.parametrize("fact_type", sorted(FACT_TYPES))
@settings(deadline=None, max_examples=40)
@given(data=st.data())
def test_dict_form_round_trips(fact_type: str, data: st.DataObject) -> None:
    obj = data.draw(fact_data(fact_type))
    as_dict = to_dict(obj)
    assert from_dict(FACT_TYPES[fact_type], as_dict) == obj
    text = json.dumps(as_dict, ensure_ascii=False)
    assert from_dict(FACT_TYPES[fact_type], json.loads(text)) == obj


def _no_floats(value: object) -> None:
    assert not isinstance(value, float)
    if isinstance(value, dict):
        for child in value.values():
            _no_floats(child)
    elif isinstance(value, list):
        for child in value:
            _no_floats(child)


@settings(deadline=None)
@given(facts())
def test_fact_records_round_trip_through_json_text(fact: Fact) -> None:
    record = fact.to_record()
    _no_floats(record)
    line = json.dumps(record, ensure_ascii=False)
    assert "\n" not in line
    assert Fact.from_record(json.loads(line)) == fact


def test_reject_record_round_trips() -> None:
    reject = Reject(
        "bad date", Fact.from_record(_fact_record()).provenance, type="order", raw="x | y"
    )
    assert Reject.from_record(json.loads(json.dumps(reject.to_record()))) == reject


def _fact_record() -> dict[str, object]:
    return {
        "record": "fact",
        "type": "order",
        "data": {"id": "4711", "net_value": {"amount": "10.00", "currency": "EUR"}},
        "provenance": {"adapter": "x", "source": "a.csv", "location": "line 2", "line": 2},
    }


@pytest.mark.parametrize(
    ("cls", "data", "message"),
    [
        (Order, {"id": "1", "colour": "red"}, "colour"),
        (Order, {"id": "1", "payment_days": 3.7}, "expected int"),
        (Order, {"id": "1", "order_date": "2024-02-30"}, "order_date"),
        (Order, {"id": "1", "net_value": {"amount": 10.5, "currency": "EUR"}}, "float"),
        (Order, {"counterparty_id": "C"}, "required field missing"),
        (Opportunity, {"id": "1", "is_won": "false"}, "expected bool"),
        (Opportunity, {"id": "1", "name": {"a": 1}}, "expected str"),
        (Document, {"id": "D", "kind": "scroll"}, "DocumentKind"),
    ],
)
def test_invalid_dicts_name_the_problem(cls: type, data: object, message: str) -> None:
    with pytest.raises(ModelDataError, match=message):
        from_dict(cls, data)


def test_fact_record_of_unknown_type_is_refused() -> None:
    record = {**_fact_record(), "type": "spaceship"}
    with pytest.raises(ModelDataError, match="spaceship"):
        Fact.from_record(record)
