"""A reject keeps the business keys its record still shows, through the JSON Lines contract."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff_rules.facts import REJECT_KEYS, Provenance, Reject
from handoff_rules.model import ModelDataError

WHERE = Provenance("native-csv", "deliveries.csv", "line 3", line=3)


def test_blank_keys_are_dropped_and_the_rest_sorted() -> None:
    reject = Reject("bad date", WHERE, keys={"order": " 4712 ", "delivery": "  ", "invoice": "9"})
    assert reject.keys == (("invoice", "9"), ("order", "4712"))
    assert reject.key("order") == "4712"
    assert reject.key("delivery") is None


def test_a_reject_without_keys_writes_the_record_it_always_wrote() -> None:
    assert "keys" not in Reject("bad", WHERE).to_record()


def test_an_unknown_key_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown reject key 'customer'"):
        Reject("bad", WHERE, keys={"customer": "C1"})
    record = Reject("bad", WHERE).to_record() | {"keys": {"customer": "C1"}}
    with pytest.raises(ModelDataError, match="unknown reject keys"):
        Reject.from_record(record)
    with pytest.raises(ModelDataError, match="object of texts"):
        Reject.from_record(record | {"keys": {"order": 4712}})


@given(
    keys=st.dictionaries(
        st.sampled_from(REJECT_KEYS), st.text(min_size=1).filter(lambda t: t == t.strip())
    )
)
def test_keys_round_trip_through_the_record(keys: dict[str, str]) -> None:
    reject = Reject("bad", WHERE, keys=keys)
    assert Reject.from_record(reject.to_record()) == reject
    assert dict(reject.keys) == keys
