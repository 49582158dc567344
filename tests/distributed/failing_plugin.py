"""A plugin whose deriver fails on one order: how a worker's failure reaches the user.

It lives in a module of its own so that worker processes can import it (the
tests put this folder on the path before their workers start).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from handoff_rules.cases import Case
from handoff_rules.facts import Fact
from handoff_rules.hooks import hookimpl


class FailsOnOrder:
    """Derives nothing, and divides by zero for the case of ``order``."""

    def __init__(self, order: str) -> None:
        self.order = order

    @hookimpl
    def handoff_rules_derive_facts(self, case: Case, at: date) -> Iterable[Fact]:
        if case.id == self.order:
            raise ZeroDivisionError("division by zero")
        return []
