"""Credit limits as facts of their own, apart from the counterparty's master data.

A credit limit is set by credit control, per customer and often per credit
control area (SAP KKBER, an S/4HANA credit segment), and it is kept where the
customer's master data is not: a credit-management export, a spreadsheet. A
limit that can only arrive inside a :class:`~handoff_rules.model.Counterparty`
cannot come from those sources, so ``credit_limit`` is a fact type, joined to
the counterparty's cases through ``counterparty_id``; the built-in deriver
``credit_exposure`` decides which limit applies
(:mod:`handoff_rules.engine.derive`).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import attrs

from handoff_rules.model.money import Money


@attrs.frozen(slots=True)
class CreditLimit:
    """The most a counterparty may owe, in one currency, optionally per credit area.

    ``valid_until`` is the last day the limit applies (credit reviews set
    limits for a period); None: until changed.
    """

    fact_type: ClassVar[str] = "credit_limit"

    counterparty_id: str
    limit: Money
    area: str | None = None
    valid_until: date | None = None

    @property
    def id(self) -> str:
        """``counterparty_id``, or ``counterparty_id/area`` for a limit of one credit area."""
        if self.area:
            return f"{self.counterparty_id}/{self.area}"
        return self.counterparty_id
