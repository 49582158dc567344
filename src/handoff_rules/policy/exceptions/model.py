"""Exceptions as data: who waived which rule, for what, until when, and every revision of it.

An exception is never edited in place. Each change is a new revision with its
own approval, and revoking one is a revision too, so the register answers
"what did exception X say when decision Y was made?" long after the fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import attrs
from packaging.specifiers import SpecifierSet

from handoff_rules.decision import Checkpoint
from handoff_rules.model import ModelDataError, Money
from handoff_rules.policy.versions import (
    InvalidSpecifier,
    InvalidVersion,
    parse_specifiers,
    parse_version,
)


@attrs.frozen(slots=True)
class Party:
    """A person acting on an exception, with the role they act in (``chief_accountant`` …)."""

    name: str
    role: str

    def same_person(self, other: Party) -> bool:
        """Names compare without case and surrounding blanks: "J. Novak " is "j. novak"."""
        return self.name.strip().casefold() == other.name.strip().casefold()

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role}


@attrs.frozen(slots=True)
class Scope:
    """What an exception covers. Every field that is set must match; unset fields match anything.

    ``person`` matches the receiver of a delivery or the order's contact person;
    ``subject`` matches the subject fact of a per-fact finding (a delivery id, a
    document number).
    """

    order: str | None = None
    counterparty: str | None = None
    person: str | None = None
    checkpoint: Checkpoint | None = None
    subject: str | None = None

    def to_dict(self) -> dict[str, str]:
        result = {
            "order": self.order,
            "counterparty": self.counterparty,
            "person": self.person,
            "checkpoint": self.checkpoint.value if self.checkpoint is not None else None,
            "subject": self.subject,
        }
        return {key: value for key, value in result.items() if value is not None}


@attrs.frozen(slots=True)
class Revocation:
    """Why, when and by whom an exception was withdrawn."""

    on: date
    by: Party
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "by": self.by.to_dict(), "reason": self.reason}


def _money_dict(money: Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currency": money.currency}


@attrs.frozen(slots=True)
class ExceptionRevision:
    """One revision of one exception: a complete, self-contained statement.

    ``valid_from`` and ``valid_until`` are both **inclusive**: an exception valid
    until 2026-11-30 still applies to a decision dated 2026-11-30 and not to one
    dated 2026-12-01. Its duration is therefore ``valid_until - valid_from + 1``
    days, which is what the pack's caps are compared with.

    ``rule_digest`` is the content digest of the rule when the exception was
    approved; once the pack's rule has another digest the approval covered a
    different rule and the exception is stale until re-approved.
    """

    id: str
    revision: int
    rule: str
    scope: Scope
    reason: str
    ticket: str
    requested_by: Party
    approved_by: Party
    valid_from: date
    valid_until: date
    pack_versions: str
    rule_digest: str
    pack: str | None = None
    max_value: Money | None = None
    max_uses: int | None = None
    revoked: Revocation | None = None
    source: str | None = attrs.field(default=None, eq=False)

    @property
    def key(self) -> str:
        """``id@revision``: how decisions and logs refer to this revision."""
        return f"{self.id}@{self.revision}"

    @property
    def days(self) -> int:
        """Length of the validity window in days, both ends counted."""
        return (self.valid_until - self.valid_from).days + 1

    def specifiers(self) -> SpecifierSet:
        return parse_specifiers(self.pack_versions)

    def covers_pack_version(self, version: str) -> bool:
        """Whether the pack version is in ``pack_versions`` (pre-releases included if named)."""
        try:
            parsed = parse_version(version)
        except InvalidVersion:
            return False
        return self.specifiers().contains(parsed, prereleases=True)

    def in_force(self, at: date) -> bool:
        """Within its validity window and not revoked (the date checks only)."""
        return self.revoked is None and self.valid_from <= at <= self.valid_until

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExceptionRevision:
        """The inverse of :meth:`to_dict` (audit records hold this form)."""
        scope = dict(data["scope"])
        if "checkpoint" in scope:
            scope["checkpoint"] = Checkpoint(scope["checkpoint"])
        limits = data.get("limits") or {}
        value = limits.get("value")
        revoked = data.get("revoked")
        try:  # checked here, as the register's reader does, not first when compared
            parse_specifiers(str(data["pack_versions"]))
        except InvalidSpecifier as exc:
            raise ModelDataError(f"pack_versions {data['pack_versions']!r}: {exc}") from None
        return cls(
            id=data["id"],
            revision=data["revision"],
            rule=data["rule"],
            scope=Scope(**scope),
            reason=data["reason"],
            ticket=data["ticket"],
            requested_by=Party(**data["requested_by"]),
            approved_by=Party(**data["approved_by"]),
            valid_from=date.fromisoformat(data["valid_from"]),
            valid_until=date.fromisoformat(data["valid_until"]),
            pack_versions=data["pack_versions"],
            rule_digest=data["rule_digest"],
            pack=data.get("pack"),
            max_value=Money(value["amount"], value["currency"]) if value else None,
            max_uses=limits.get("uses"),
            revoked=None
            if revoked is None
            else Revocation(
                on=date.fromisoformat(revoked["on"]),
                by=Party(**revoked["by"]),
                reason=revoked["reason"],
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON/YAML form, as stored and as written into audit records."""
        result: dict[str, Any] = {
            "id": self.id,
            "revision": self.revision,
            "rule": self.rule,
            "scope": self.scope.to_dict(),
            "reason": self.reason,
            "ticket": self.ticket,
            "requested_by": self.requested_by.to_dict(),
            "approved_by": self.approved_by.to_dict(),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "pack_versions": self.pack_versions,
            "rule_digest": self.rule_digest,
        }
        if self.pack is not None:
            result["pack"] = self.pack
        if self.max_value is not None or self.max_uses is not None:
            limits: dict[str, Any] = {}
            if self.max_value is not None:
                limits["value"] = _money_dict(self.max_value)
            if self.max_uses is not None:
                limits["uses"] = self.max_uses
            result["limits"] = limits
        if self.revoked is not None:
            result["revoked"] = self.revoked.to_dict()
        return result


@attrs.frozen(slots=True)
class ExceptionHistory:
    """Every revision of one exception, oldest first; the last one is in force."""

    id: str
    revisions: tuple[ExceptionRevision, ...]

    def __attrs_post_init__(self) -> None:
        # A register file holds revisions 1..n (the YAML reader checks that); an
        # audit record holds only the revisions a decision used, so only the
        # order is required here.
        numbers = [r.revision for r in self.revisions]
        if (
            not numbers
            or numbers != sorted(set(numbers))
            or {r.id for r in self.revisions} != {self.id}
        ):
            raise ValueError(f"exception {self.id}: revisions must increase, got {numbers}")

    @property
    def current(self) -> ExceptionRevision:
        return self.revisions[-1]

    def revision(self, number: int) -> ExceptionRevision:
        for revision in self.revisions:
            if revision.revision == number:
                return revision
        known = ", ".join(str(r.revision) for r in self.revisions)
        raise KeyError(f"exception {self.id} has no revision {number} (revisions: {known})")


class UseLedger:
    """Which cases each exception has already waived, and the value it released.

    A use bound ("single use") and a cumulative value bound need memory across
    runs. The ledger is seeded from the audit log
    (:meth:`handoff_rules.audit.AuditLog.use_ledger`), which is where every
    applied waiver is recorded, and grows during a run as waivers are applied.
    A use is one *case*: re-evaluating the same order, or evaluating it at
    another checkpoint, does not use the exception up again.
    """

    def __init__(self, uses: Mapping[str, Mapping[str, Money | None]] | None = None) -> None:
        self._uses: dict[str, dict[str, Money | None]] = {
            exc_id: dict(cases) for exc_id, cases in (uses or {}).items()
        }
        #: revisions (``id@rev``) that targeted a failing finding in this run, applied or not
        self.matched: set[str] = set()

    def cases(self, exception_id: str) -> Mapping[str, Money | None]:
        return dict(self._uses.get(exception_id, {}))

    def record(self, exception_id: str, case: str, value: Money | None) -> None:
        self._uses.setdefault(exception_id, {}).setdefault(case, value)

    def copy(self) -> UseLedger:
        """The recorded uses (not the per-run ``matched`` set)."""
        return UseLedger(self._uses)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UseLedger) and self._uses == other._uses

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"UseLedger({self._uses!r})"


@attrs.frozen(slots=True)
class ExceptionRegister:
    """All exceptions known to a run, with their full history and the use ledger.

    The register is the "exception register state" a decision depends on:
    the current revision of every exception plus how often each was used.
    """

    histories: Mapping[str, ExceptionHistory] = attrs.field(factory=dict)
    ledger: UseLedger = attrs.field(factory=UseLedger, eq=False)
    location: str | None = attrs.field(default=None, eq=False)

    @classmethod
    def of(
        cls,
        revisions: Iterable[ExceptionRevision],
        *,
        ledger: UseLedger | None = None,
        location: str | None = None,
    ) -> ExceptionRegister:
        """Group revisions by id; each id must have revisions 1..n exactly once."""
        grouped: dict[str, list[ExceptionRevision]] = {}
        for revision in revisions:
            grouped.setdefault(revision.id, []).append(revision)
        histories = {
            exc_id: ExceptionHistory(exc_id, tuple(sorted(revs, key=lambda r: r.revision)))
            for exc_id, revs in sorted(grouped.items())
        }
        return cls(histories=histories, ledger=ledger or UseLedger(), location=location)

    def __iter__(self) -> Iterator[ExceptionRevision]:
        """The current revision of every exception, by id."""
        for exc_id in sorted(self.histories):
            yield self.histories[exc_id].current

    def __len__(self) -> int:
        return len(self.histories)

    def history(self, exception_id: str) -> ExceptionHistory:
        try:
            return self.histories[exception_id]
        except KeyError:
            known = ", ".join(sorted(self.histories)) or "none"
            raise KeyError(f"no exception {exception_id!r} (known: {known})") from None

    def with_ledger(self, ledger: UseLedger) -> ExceptionRegister:
        return attrs.evolve(self, ledger=ledger)

    def all_revisions(self) -> Iterator[ExceptionRevision]:
        for exc_id in sorted(self.histories):
            yield from self.histories[exc_id].revisions
