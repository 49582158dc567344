"""Scenario files: mistakes are reported with their line."""

from __future__ import annotations

import pytest

from handoff_rules.policy.scenarios import load_scenarios
from handoff_rules.yamlsrc import PackError

GOOD = """\
base_facts:
  - type: order
    data: {id: "0000012345", counterparty_id: C1, net_value: 10.50 EUR}
scenarios:
  - name: one
    at: 2024-05-10
    expect:
      - {rule: ACC-ID-001, result: indeterminate}
"""


def test_fact_values_are_read_as_text_for_the_model_to_type() -> None:
    (scenario,) = load_scenarios(GOOD, "t.yaml")
    (order,) = scenario.facts
    assert order.data.id == "0000012345"
    assert str(order.data.net_value) == "10.50 EUR"
    assert order.provenance.location == "line 2"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("result: indeterminate", "result: maybe", "t.yaml:8: result 'maybe'"),
        ("type: order", "type: orders", "t.yaml:2: unknown fact type 'orders'"),
        ("net_value: 10.50 EUR", "net_value: ten EUR", "t.yaml:2: invalid order"),
        ("at: 2024-05-10", "at: soon", "t.yaml:6: at must be a date"),
        ("    expect:", "    remove: [order:9]\n    expect:", "no base fact ['order:9']"),
    ],
)
def test_mistakes_have_lines(old: str, new: str, message: str) -> None:
    with pytest.raises(PackError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_scenarios(GOOD.replace(old, new), "t.yaml")
