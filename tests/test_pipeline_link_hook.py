"""``handoff_rules_link_facts``: once per run, on every fact, before cases are built."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from datetime import date

import pluggy
import pytest

import handoff_rules
from handoff_rules import hookimpl
from handoff_rules.errors import InputError, PluginError
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Money, Opportunity, OpportunityLink, Order

AT = date(2024, 6, 4)
HERE = Provenance("test", "facts.yaml", "line 1", line=1)
ORDER = Fact(Order("4711", counterparty_id="C1", net_value=Money("10.00", "EUR")), HERE)
DEAL = Fact(Opportunity("OPP-1", account_id="C1", is_won=True, order_ref="4711"), HERE)


class _Linker:
    """Links each won deal to the order its ``order_ref`` names, and counts its calls."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    @hookimpl
    def handoff_rules_link_facts(self, facts: Sequence[Fact]) -> Iterable[Fact]:
        self.calls.append(len(facts))
        orders = {f.data.id for f in facts if isinstance(f.data, Order)}
        where = Provenance("linker", "facts.yaml", "line 1 <-> line 1")
        return [
            Fact(OpportunityLink(f.data.id, f.data.order_ref, "order_ref"), where)
            for f in facts
            if isinstance(f.data, Opportunity) and f.data.order_ref in orders
        ]


def _pm(plugin: object, name: str) -> pluggy.PluginManager:
    pm = handoff_rules.make_plugin_manager(load_entry_points=False)
    pm.register(plugin, name=name)
    return pm


def test_the_facts_returned_join_the_run_once() -> None:
    linker = _Linker()
    run = handoff_rules.check(
        facts=[ORDER, DEAL], at=AT, engine="reference", plugin_manager=_pm(linker, "linker")
    )
    assert linker.calls == [2]  # once per run, with every fact
    (case,) = run.case_list
    assert {f.type for f in case.facts} >= {"order", "opportunity", "link"}
    assert run.facts == 2  # facts read or given; what linkers add is not counted as read
    assert run.unassigned == 0


def test_without_a_linker_the_opportunity_is_in_no_case() -> None:
    pm = handoff_rules.make_plugin_manager(load_entry_points=False)
    run = handoff_rules.check(facts=[ORDER, DEAL], at=AT, engine="reference", plugin_manager=pm)
    assert run.unassigned == 1


class _Wrapper:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl(wrapper=True)
    def handoff_rules_link_facts(self, facts: Sequence[Fact]) -> Generator[None, object, object]:
        self.calls += 1
        return (yield)


def test_a_hook_wrapper_runs_around_the_linkers() -> None:
    pm = _pm(_Linker(), "linker")
    wrapper = _Wrapper()
    pm.register(wrapper, name="wrapper")
    run = handoff_rules.check(facts=[ORDER, DEAL], at=AT, engine="reference", plugin_manager=pm)
    assert wrapper.calls == 1
    assert run.unassigned == 0


class _Raising:
    @hookimpl
    def handoff_rules_link_facts(self, facts: Sequence[Fact]) -> Iterable[Fact]:
        raise KeyError("PO_Number__c")


class _RaisingLater:
    """A generator: it fails only while the pipeline takes its facts."""

    @hookimpl
    def handoff_rules_link_facts(self, facts: Sequence[Fact]) -> Iterable[Fact]:
        yield from ()
        raise ZeroDivisionError("division by zero")


@pytest.mark.parametrize("plugin", [_Raising(), _RaisingLater()], ids=type)
def test_a_failing_linker_is_named(plugin: object) -> None:
    pm = _pm(plugin, "bad-linker")
    pm.register(_Wrapper(), name="wrapper")
    with pytest.raises(PluginError, match=r"^fact linker of plugin 'bad-linker' failed: \w+Error"):
        handoff_rules.check(facts=[ORDER], at=AT, engine="reference", plugin_manager=pm)


class _BadOptions:
    @hookimpl
    def handoff_rules_link_facts(self, facts: Sequence[Fact]) -> Iterable[Fact]:
        raise InputError("crm/options.toml", "link_via 'po' is not one of customer_po, ...")


def test_an_input_error_of_a_linker_stays_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^crm/options.toml: link_via 'po'"):
        handoff_rules.check(
            facts=[ORDER], at=AT, engine="reference", plugin_manager=_pm(_BadOptions(), "crm")
        )


class _NotAFact:
    @hookimpl
    def handoff_rules_link_facts(self, facts: Sequence[Fact]) -> Iterable[object]:
        return [{"opportunity_id": "OPP-1", "order_id": "4711"}]


def test_a_linker_must_return_facts() -> None:
    with pytest.raises(PluginError, match=r"returned \{'opportunity_id'.*, not a Fact"):
        handoff_rules.check(
            facts=[ORDER], at=AT, engine="reference", plugin_manager=_pm(_NotAFact(), "odd")
        )
