"""Which pack version judges which case: the one in force on the case's own order date.

Policy changes over time, and an order is judged by the rules that were in
force when it was placed: an order of March checked in June gets March's
version, and an export of 2019 can still be checked. So a run does not choose
one version for all its cases. Each case gets the version in force on its
order date (the latest ``effective_from`` on or before it), while ``at`` stays
the evaluation clock: what rules compare "today" with, what exceptions expire
against.

An order without a date is judged under the version in force at ``at``, and
the run names those cases. A case dated before the pack's first version is
decided by no rule: every finding is ``indeterminate`` with the limit
:data:`~handoff_rules.decision.Limit.PACK_VERSION`, saying so, and the run
decides the other cases. Pinning a version (``--pack-version``, or
``NAME@VERSION``) judges every case under that version whatever its date, for
back-testing old exports against a chosen rule set.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Protocol

import attrs
import pluggy
from packaging.version import Version

from handoff_rules.cases import Case
from handoff_rules.decision import Limit
from handoff_rules.facts import Provenance
from handoff_rules.model import Order
from handoff_rules.policy.discovery import (
    load_versions,
    pack_folder,
    pinned_version,
    version_in_force,
)
from handoff_rules.policy.pack import Pack
from handoff_rules.yamlsrc import PackError

__all__ = [
    "CaseVersion",
    "DatedBy",
    "DatedVersion",
    "NoVersionInForce",
    "PackVersions",
    "case_date",
    "no_version_in_force",
    "resolve_versions",
    "versions_named",
]


class DatedBy(enum.StrEnum):
    """Which date chose a case's version."""

    #: the order date of the case's order
    ORDER_DATE = "order_date"
    #: the evaluation date: the case's order has no date
    AT = "at"
    #: none: a version was pinned for every case
    PINNED = "pinned"


@attrs.frozen(slots=True)
class CaseVersion:
    """The version that judges one case, and why that one."""

    pack: Pack
    """The version; for a case no version covers, the first (its rules are listed undecided)."""
    on: date
    """The date the version was chosen for: the order date, else the evaluation date."""
    dated_by: DatedBy
    undecided: NoVersionInForce | None = None
    """Set when no version is in force on ``on``: why no rule decides the case."""


@attrs.frozen(slots=True)
class NoVersionInForce:
    """Why no rule decides a case: no version of the pack is in force on its date.

    The engine lists every rule ``indeterminate`` for it, as for a case beyond
    a limit (:class:`~handoff_rules.engine.limits.CaseBeyondLimit`), with this reason.
    """

    reason: str
    #: the records of the case's order, whose date it is
    sources: tuple[Provenance, ...] = ()

    @property
    def limit(self) -> Limit:
        return Limit.PACK_VERSION


def case_date(case: Case) -> date | None:
    """The order date of the case's order, or None when the order has none.

    Two exports may both describe the order (an IDoc and a table row); when
    their dates differ, the earliest counts, whichever file came first.
    """
    dates = [
        fact.data.order_date
        for fact in case.own_facts  # the order is the case's own, not its customer's
        if isinstance(fact.data, Order)
        and fact.data.id == case.id
        and fact.data.order_date is not None
    ]
    return min(dates) if dates else None


class DatedVersion(Protocol):
    """What telling a case too old for a version needs: a loaded pack, or replay's."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def effective_from(self) -> date: ...


def no_version_in_force(case: Case, first: DatedVersion, at: date) -> NoVersionInForce | None:
    """Why no rule may decide ``case`` when ``first`` is the pack's first version; None: it may.

    The case's date is its order date, else ``at``. Also used by audit replay,
    which has the recorded version and the case, to make the same decision
    again.
    """
    day = case_date(case)
    on = day if day is not None else at
    if on >= first.effective_from:
        return None
    when = (
        f"{on.isoformat()}, the order date of order {case.id}"
        if day is not None
        else f"{on.isoformat()}, the evaluation date (order {case.id} has no order date)"
    )
    return NoVersionInForce(
        f"no version of {first.name} is in force on {when}; its first version, "
        f"{first.version}, takes effect {first.effective_from.isoformat()}; "
        f"pin a version (--pack-version) to judge the order under it",
        _order_sources(case),
    )


def _order_sources(case: Case) -> tuple[Provenance, ...]:
    return tuple(
        fact.provenance
        for fact in case.own_facts
        if isinstance(fact.data, Order) and fact.data.id == case.id
    )


def _order(pack: Pack) -> tuple[date, Version]:
    return (pack.effective_from, Version(pack.version))


def _oldest_first(packs: Iterable[Pack]) -> tuple[Pack, ...]:
    return tuple(sorted(packs, key=_order))


@attrs.frozen
class PackVersions:
    """The versions of one pack a run may use, and the one pinned for every case, if any."""

    versions: tuple[Pack, ...] = attrs.field(converter=_oldest_first)
    """Oldest first, by effective date."""
    pinned: Pack | None = None

    @versions.validator
    def _not_empty(self, _attribute: object, value: tuple[Pack, ...]) -> None:
        if not value:
            raise ValueError("a pack has at least one version")

    @property
    def first(self) -> Pack:
        """The version that takes effect first."""
        return self.versions[0]

    def at(self, day: date) -> Pack:
        """The run's own version: the one pinned, else the one in force on ``day``, else the first.

        What a run with no case still names, and what its evaluator is built for first.
        """
        if self.pinned is not None:
            return self.pinned
        return version_in_force(self.versions, day) or self.first

    def for_case(self, case: Case, at: date) -> CaseVersion:
        """The version that judges ``case`` evaluated at ``at``."""
        day = case_date(case)
        on = day if day is not None else at
        if self.pinned is not None:
            return CaseVersion(self.pinned, on, DatedBy.PINNED)
        dated_by = DatedBy.ORDER_DATE if day is not None else DatedBy.AT
        found = version_in_force(self.versions, on)
        if found is not None:
            return CaseVersion(found, on, dated_by)
        return CaseVersion(self.first, on, dated_by, no_version_in_force(case, self.first, at))


def resolve_versions(
    pack: str | Path | Pack | None,
    pm: pluggy.PluginManager,
    version: str | None = None,
) -> PackVersions:
    """The versions ``check`` may use: ``pack`` as ``--pack`` takes it, ``version`` pinned.

    ``NAME@VERSION`` and ``version`` both pin; naming two different versions
    is a :class:`~handoff_rules.yamlsrc.PackError`. A loaded pack is the one
    version there is, pinned: it judges every case, as it always did.
    """
    if isinstance(pack, Pack):
        if version is not None and version != pack.version:
            raise PackError(f"the pack given is {pack.ref}, not version {version}")
        return PackVersions((pack,), pinned=pack)
    spec = str(pack) if isinstance(pack, Path) else pack
    folder, from_spec = pack_folder(spec, pm)
    if version is not None and from_spec is not None and version != from_spec:
        raise PackError(
            f"--pack {spec} and --pack-version {version} name two versions; give one of them"
        )
    pin = version or from_spec
    packs = load_versions(folder)
    return PackVersions(packs, pinned_version(folder, packs, pin) if pin else None)


def versions_named(chosen: Iterable[CaseVersion]) -> tuple[Pack, ...]:
    """The versions the decisions of these cases name, each once, oldest first."""
    found = {(c.pack.name, c.pack.version, c.pack.digest): c.pack for c in chosen}
    return tuple(sorted(found.values(), key=_order))
