"""The plugin module the ``handoff_rules`` entry point names: one function per hook."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from handoff_rules.adapters import Adapter
from handoff_rules.cases import Case
from handoff_rules.decision import Decision
from handoff_rules.facts import Fact
from handoff_rules.hooks import hookimpl
from handoff_rules_example.block_list import BlockList
from handoff_rules_example.lead_time import lead_days
from handoff_rules_example.slips import SlipAdapter

#: Where the decision sink writes; unset, it writes nothing.
BLOCK_LIST_ENV = "HANDOFF_EXAMPLE_BLOCK_LIST"


@hookimpl
def handoff_rules_adapters() -> Iterable[Adapter]:
    return [SlipAdapter()]


@hookimpl
def handoff_rules_derive_facts(case: Case, at: date) -> Iterable[Fact]:
    return lead_days(case)


@hookimpl
def handoff_rules_decision(decision: Decision, case: Case) -> None:
    target = os.environ.get(BLOCK_LIST_ENV)
    if target:
        BlockList(Path(target)).receive(decision)


@hookimpl
def handoff_rules_packs() -> Iterable[Traversable]:
    return [files("handoff_rules_example") / "packs" / "release-lead-time"]
