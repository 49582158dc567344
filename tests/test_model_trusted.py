"""Trusted constructors and ``Money.from_parsed`` build what the public constructors build.

Adapters use them for values they have already parsed; the public constructors
keep refusing bad values. The properties here hold for every model class that
has a trusted constructor and for any amount and currency code.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import FACT_TYPES, Money, MoneyError, OrderLine
from handoff_rules.model.currencies import MINOR_UNITS
from handoff_rules.model.trusted import trusted_constructor
from handoff_rules.testing.strategies import fact_data, facts

_TRUSTED_TYPES = sorted(
    name for name, cls in FACT_TYPES.items() if not hasattr(cls, "__attrs_post_init__")
)


@pytest.mark.parametrize("fact_type", _TRUSTED_TYPES)
@settings(deadline=None, max_examples=30)
@given(data=st.data())
def test_trusted_constructor_builds_what_the_class_builds(
    fact_type: str, data: st.DataObject
) -> None:
    obj = data.draw(fact_data(fact_type))
    cls = type(obj)
    make = trusted_constructor(cls)
    values = {field.alias: getattr(obj, field.name) for field in attrs.fields(cls)}
    by_keyword = make(**values)
    by_position = make(*values.values())
    assert by_keyword == obj == by_position
    assert type(by_keyword) is cls
    assert hash(by_keyword) == hash(obj)
    assert repr(by_keyword) == repr(obj)


@settings(deadline=None, max_examples=50)
@given(fact=facts())
def test_trusted_fact_and_provenance_equal_the_public_ones(fact: Fact) -> None:
    provenance = trusted_constructor(Provenance)(*attrs.astuple(fact.provenance, recurse=False))
    rebuilt = trusted_constructor(Fact)(fact.data, provenance, part=fact.part, also=fact.also)
    assert rebuilt == fact
    assert rebuilt.to_record() == fact.to_record()


def test_trusted_constructor_takes_the_defaults_of_the_class() -> None:
    line = trusted_constructor(OrderLine)("4711", "10", quantity=Decimal("2"))
    assert line == OrderLine(order_id="4711", line_no="10", quantity=Decimal("2"))
    fact = trusted_constructor(Fact)(line, Provenance("a", "s", "line 1"))
    assert fact.part is False
    assert fact.also == ()


def test_trusted_constructor_checks_nothing_so_is_refused_where_construction_finishes() -> None:
    with pytest.raises(TypeError, match="__attrs_post_init__"):
        trusted_constructor(Money)
    with pytest.raises(TypeError, match="not a slotted attrs class"):
        trusted_constructor(dict)


_CODES = st.sampled_from(sorted(MINOR_UNITS)) | st.sampled_from(["", "XXX", "eur", "RUR", " EUR"])
_AMOUNTS = (
    st.decimals(allow_nan=True, allow_infinity=True)
    | st.decimals(places=2, min_value=-(10**15), max_value=10**15)
    | st.decimals(places=0, min_value=-(10**15), max_value=10**15)
    | st.sampled_from(
        [
            Decimal("79.19"),
            Decimal("-0.00"),
            Decimal("9999999999999.99"),
            Decimal("99999999999999.99"),
            Decimal("1.0000000000000000000000000000000"),
            Decimal("1E+2"),
            Decimal("5"),
            Decimal("5.000"),
        ]
    )
)


def _outcome(build: object, amount: Decimal, code: str) -> tuple[str, str]:
    try:
        money = build(amount, code)  # type: ignore[operator]
    except MoneyError as exc:
        return "refused", str(exc)
    return "built", f"{money.amount!s} {money.currency} {money.amount.as_tuple()}"


@settings(deadline=None, max_examples=500)
@given(amount=_AMOUNTS, code=_CODES)
def test_from_parsed_gives_or_refuses_what_the_constructor_does(amount: Decimal, code: str) -> None:
    assert _outcome(Money.from_parsed, amount, code) == _outcome(Money, amount, code)


def test_from_parsed_keeps_an_amount_that_needs_no_quantizing() -> None:
    """The fast path: the parsed Decimal itself is the amount (the constructor makes a new one)."""
    amount = Decimal("79.19")
    assert Money.from_parsed(amount, "EUR").amount is amount
    assert Money.from_parsed(Decimal("5"), "EUR").amount.as_tuple().exponent == -2
