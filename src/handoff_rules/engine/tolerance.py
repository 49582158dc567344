"""Payment-difference tolerance, SAP OBA3 style: the lower limit always wins.

A limit has an amount and a percent (of the invoice's open amount); the
allowed difference is the lower of the two ("the system always uses the lower
of both amounts", SAP KBA 3539821). An absent field means "no limit from this
field" (SAP: enter the maximum). Several levels apply at once (company
default, customer group, user group): the allowed difference is the lowest
over all of them. Losses (underpayment) and gains (overpayment) have separate
limits; a currency without a limit at any level allows nothing.

This is computed in Python before rules run (a derived fact): it needs a
minimum, a percentage and a rounding, none of which durable_rules can do
safely, and both backends must see the same number.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import cache
from typing import Final

import attrs

from handoff_rules.model import Money, minor_units

__all__ = ["Direction", "ToleranceLimit", "ToleranceTable", "allowed_difference"]


class Direction(enum.StrEnum):
    LOSS = "loss"  # the customer paid less: written off to an expense account
    GAIN = "gain"  # the customer paid more: revenue, never silently


_HUNDRED: Final = Decimal(100)


@cache
def _minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


@attrs.frozen(slots=True)
class ToleranceLimit:
    """One level's limit for one currency; ``None`` fields do not limit."""

    amount: Money | None = None
    percent: Decimal | None = None

    def allowed(self, base: Money) -> Money | None:
        """The allowed difference for an open amount ``base``; None when unlimited.

        The percent part is rounded down to the minor unit: a limit may never
        allow more than it says.
        """
        amount = self.amount
        if self.percent is None:
            return amount
        raw = abs(base.amount) * self.percent / _HUNDRED
        if amount is not None and raw.is_finite():
            # Money is slow to make: the percent part is made only when it is the lower
            # one (on a tie the amount wins, as ``min`` keeps the first of equals)
            try:
                cut = raw.quantize(_minor_unit(base.currency), ROUND_DOWN)
            except (InvalidOperation, ValueError):  # Money.rounded below says what is wrong
                pass
            else:
                if not cut < amount.amount:
                    return amount
        percent = Money.rounded(raw, base.currency, ROUND_DOWN)
        if amount is None:
            return percent
        return percent if percent.amount < amount.amount else amount


def allowed_difference(limits: Iterable[ToleranceLimit], base: Money) -> Money:
    """The lowest allowed difference over every applicable level (zero if none limits)."""
    found: list[Money] = []
    for limit in limits:
        value = limit.allowed(base)
        if value is not None:
            found.append(value)
    if not found:
        return Money(0, base.currency)
    return min(found, key=lambda m: m.amount)


@attrs.frozen(slots=True)
class ToleranceTable:
    """Limits by level ("" = company default, else a customer group), direction, currency."""

    levels: tuple[tuple[str, Direction, str, ToleranceLimit], ...]
    #: ``(level, limit)`` by direction and currency, in the order of ``levels``
    _by_side: Mapping[tuple[Direction, str], tuple[tuple[str, ToleranceLimit], ...]] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        by_side: dict[tuple[Direction, str], list[tuple[str, ToleranceLimit]]] = {}
        for level, side, currency, limit in self.levels:
            if type(side) is Direction:  # no other side is ever looked up here
                by_side.setdefault((side, currency), []).append((level, limit))
        object.__setattr__(self, "_by_side", {k: tuple(v) for k, v in by_side.items()})

    @classmethod
    def from_levels(
        cls, levels: Mapping[str, Mapping[str, Mapping[str, ToleranceLimit]]]
    ) -> ToleranceTable:
        rows = [
            (level, Direction(direction), currency, limit)
            for level, sides in levels.items()
            for direction, currencies in sides.items()
            for currency, limit in currencies.items()
        ]
        return cls(tuple(sorted(rows, key=lambda r: (r[0], r[1].value, r[2]))))

    def limits(
        self, direction: Direction, currency: str, group: str | None
    ) -> list[ToleranceLimit]:
        """The limits that apply: the company default and the customer's group, if any."""
        wanted = {"", group} if group else {""}
        if type(direction) is Direction:  # else: what the scan below finds (mistyped input)
            return [
                limit
                for level, limit in self._by_side.get((direction, currency), ())
                if level in wanted
            ]
        return [
            limit
            for level, side, cur, limit in self.levels
            if level in wanted and side is direction and cur == currency
        ]

    def allowed(self, direction: Direction, base: Money, group: str | None = None) -> Money:
        return allowed_difference(self.limits(direction, base.currency, group), base)

    def canonical(self) -> list[list[str | None]]:
        return [
            [
                level,
                side.value,
                cur,
                None if limit.amount is None else str(limit.amount),
                None if limit.percent is None else str(limit.percent),
            ]
            for level, side, cur, limit in self.levels
        ]
