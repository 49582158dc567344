"""The checks that make an exception valid, enforced by the engine rather than by convention.

An exception that fails a check is not applied, and it is not dropped either:
every failed check becomes an :class:`ExceptionProblem` with a message a
compliance officer can act on ("approved by its own requester", "stale: the
rule changed since approval").
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any, Protocol

import attrs

from handoff_rules.cases import Case
from handoff_rules.decision import Checkpoint, Finding
from handoff_rules.model import Delivery, Money, Order
from handoff_rules.policy.exceptions.model import ExceptionRevision, Scope, UseLedger


class RuleView(Protocol):
    """What the checks need from a pack's rule."""

    @property
    def id(self) -> str: ...

    @property
    def waivable_by(self) -> Collection[str]: ...

    @property
    def max_waiver_days(self) -> int | None: ...

    @property
    def digest(self) -> str: ...


class PackView(Protocol):
    """What the checks need from a pack version."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def max_exception_days(self) -> int | None: ...

    @property
    def rules(self) -> Any: ...


def rules_of(pack: PackView) -> dict[str, RuleView]:
    """The pack's rules by id, whether the pack keeps them in a mapping or a sequence."""
    rules = pack.rules
    if isinstance(rules, Mapping):
        return dict(rules)
    return {rule.id: rule for rule in rules}


class ProblemKind(enum.StrEnum):
    SELF_APPROVED = "self_approved"
    ROLE_NOT_ALLOWED = "role_not_allowed"
    NOT_WAIVABLE = "not_waivable"
    UNKNOWN_RULE = "unknown_rule"
    OTHER_PACK = "other_pack"
    PACK_VERSION = "pack_version"
    STALE = "stale"
    TOO_LONG = "too_long"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    VALUE_BOUND = "value_bound"
    USE_BOUND = "use_bound"


@attrs.frozen(slots=True)
class ExceptionProblem:
    """Why one exception revision was not applied (to one case, when ``case`` is set)."""

    exception_id: str
    revision: int
    kind: ProblemKind
    message: str
    rule: str
    case: str | None = None

    @property
    def key(self) -> str:
        return f"{self.exception_id}@{self.revision}"

    def __str__(self) -> str:
        where = f" (case {self.case})" if self.case is not None else ""
        return f"{self.key}{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "exception": self.key,
            "kind": self.kind.value,
            "rule": self.rule,
            "case": self.case,
            "message": self.message,
        }


def _problem(
    revision: ExceptionRevision, kind: ProblemKind, message: str, case: str | None = None
) -> ExceptionProblem:
    return ExceptionProblem(revision.id, revision.revision, kind, message, revision.rule, case)


def _bare_digest(digest: str) -> str:
    return digest.strip().lower().removeprefix("sha256:")


def digest_matches(approved: str, current: str) -> bool:
    """Equal digests, or an approved prefix of at least 12 hex digits (as git abbreviates)."""
    approved, current = _bare_digest(approved), _bare_digest(current)
    return approved == current or (len(approved) >= 12 and current.startswith(approved))


def duration_cap(rule: RuleView, pack: PackView) -> tuple[int, str] | None:
    """The tightest of the rule's ``max_waiver_days`` and the pack's ``max_exception_days``."""
    caps = []
    if rule.max_waiver_days is not None:
        caps.append((rule.max_waiver_days, f"rule {rule.id} (max_waiver_days)"))
    if pack.max_exception_days is not None:
        caps.append((pack.max_exception_days, f"pack {pack.name} (max_exception_days)"))
    return min(caps) if caps else None


def static_problems(revision: ExceptionRevision, pack: PackView) -> list[ExceptionProblem]:
    """Checks that depend only on the exception and the pack version, not on date or case."""
    problems: list[ExceptionProblem] = []
    if revision.requested_by.same_person(revision.approved_by):
        problems.append(
            _problem(
                revision,
                ProblemKind.SELF_APPROVED,
                f"approved by its own requester {revision.approved_by.name}; "
                "an exception needs a second person to approve it",
            )
        )
    if revision.pack is not None and revision.pack != pack.name:
        problems.append(
            _problem(
                revision,
                ProblemKind.OTHER_PACK,
                f"written for pack {revision.pack}, not {pack.name}",
            )
        )
    if not revision.covers_pack_version(pack.version):
        problems.append(
            _problem(
                revision,
                ProblemKind.PACK_VERSION,
                f"applies to pack versions {revision.pack_versions!r}, "
                f"not to {pack.name} {pack.version}; re-approve it for this version",
            )
        )
    rule = rules_of(pack).get(revision.rule)
    if rule is None:
        problems.append(
            _problem(
                revision,
                ProblemKind.UNKNOWN_RULE,
                f"waives rule {revision.rule}, which pack {pack.name} {pack.version} does not have",
            )
        )
        return problems
    allowed = sorted(rule.waivable_by)
    if not allowed:
        problems.append(
            _problem(
                revision,
                ProblemKind.NOT_WAIVABLE,
                f"rule {rule.id} cannot be waived: the pack allows no role to waive it",
            )
        )
    elif revision.approved_by.role not in allowed:
        problems.append(
            _problem(
                revision,
                ProblemKind.ROLE_NOT_ALLOWED,
                f"approver {revision.approved_by.name} acts as {revision.approved_by.role}, "
                f"but rule {rule.id} may be waived only by {', '.join(allowed)}",
            )
        )
    if not digest_matches(revision.rule_digest, rule.digest):
        problems.append(
            _problem(
                revision,
                ProblemKind.STALE,
                f"stale: rule {rule.id} changed since approval (approved digest "
                f"{_bare_digest(revision.rule_digest)[:12]}, now {_bare_digest(rule.digest)[:12]});"
                " it applies again only once re-approved as a new revision",
            )
        )
    cap = duration_cap(rule, pack)
    if cap is not None and revision.days > cap[0]:
        problems.append(
            _problem(
                revision,
                ProblemKind.TOO_LONG,
                f"valid for {revision.days} days ({revision.valid_from} to "
                f"{revision.valid_until}, both inclusive), longer than the {cap[0]}-day "
                f"maximum of {cap[1]}",
            )
        )
    return problems


def date_problems(revision: ExceptionRevision, at: date) -> list[ExceptionProblem]:
    """Revocation and the validity window; ``valid_from`` and ``valid_until`` are inclusive."""
    if revision.revoked is not None:
        revoked = revision.revoked
        return [
            _problem(
                revision,
                ProblemKind.REVOKED,
                f"revoked on {revoked.on} by {revoked.by}: {revoked.reason}",
            )
        ]
    if at < revision.valid_from:
        return [
            _problem(
                revision,
                ProblemKind.NOT_YET_VALID,
                f"not valid yet: valid from {revision.valid_from}, evaluation date {at}",
            )
        ]
    if at > revision.valid_until:
        return [
            _problem(
                revision,
                ProblemKind.EXPIRED,
                f"expired: valid until {revision.valid_until} (inclusive), evaluation date {at}",
            )
        ]
    return []


def case_orders(case: Case) -> list[Order]:
    return [f.data for f in case.facts if isinstance(f.data, Order) and f.data.id == case.id]


def case_value(case: Case) -> Money | None:
    """The value a value bound is measured against: the order's net value."""
    for order in case_orders(case):
        if order.net_value is not None:
            return order.net_value
    return None


def _money_text(money: Money) -> str:
    return f"{money.amount} {money.currency}"


def bound_problems(
    revision: ExceptionRevision, case: Case, ledger: UseLedger
) -> list[ExceptionProblem]:
    """The use bound (distinct cases) and the value bound (cumulative order value)."""
    problems: list[ExceptionProblem] = []
    earlier = {case_id: v for case_id, v in ledger.cases(revision.id).items() if case_id != case.id}
    if revision.max_uses is not None and len(earlier) >= revision.max_uses:
        problems.append(
            _problem(
                revision,
                ProblemKind.USE_BOUND,
                f"use bound reached: at most {revision.max_uses} case(s), already used for "
                f"{', '.join(sorted(earlier))}",
                case.id,
            )
        )
    if revision.max_value is not None:
        bound = revision.max_value
        value = case_value(case)
        if value is None:
            message = (
                f"value bound {_money_text(bound)} cannot be checked: "
                f"order {case.id} has no net value"
            )
            problems.append(_problem(revision, ProblemKind.VALUE_BOUND, message, case.id))
        elif value.currency != bound.currency:
            message = (
                f"value bound is in {bound.currency}, order {case.id} is in {value.currency}; "
                "no conversion is made"
            )
            problems.append(_problem(revision, ProblemKind.VALUE_BOUND, message, case.id))
        else:
            released = Money(0, bound.currency)
            for earlier_value in earlier.values():
                if earlier_value is not None and earlier_value.currency == bound.currency:
                    released = released + earlier_value
            if (released + value).amount > bound.amount:
                before = f" ({_money_text(released)} already released)" if earlier else ""
                message = (
                    f"value bound {_money_text(bound)} exceeded: order {case.id} is "
                    f"{_money_text(value)}{before}"
                )
                problems.append(_problem(revision, ProblemKind.VALUE_BOUND, message, case.id))
    return problems


def _case_people(case: Case) -> set[str]:
    people: set[str] = set()
    for fact in case.facts:
        data = fact.data
        if isinstance(data, Delivery) and data.order_id in (None, case.id):
            people.update(p for p in (data.receiver_person_id, data.receiver_name) if p)
        elif isinstance(data, Order) and data.id == case.id and data.contact_person_id:
            people.add(data.contact_person_id)
    return people


def scope_matches(scope: Scope, case: Case, checkpoint: Checkpoint, finding: Finding) -> bool:
    """Whether a finding of this case at this checkpoint is inside the exception's scope."""
    if scope.checkpoint is not None and scope.checkpoint != checkpoint:
        return False
    if scope.order is not None and scope.order != case.id:
        return False
    if scope.subject is not None and scope.subject != finding.subject:
        return False
    if scope.counterparty is not None and scope.counterparty not in {
        o.counterparty_id for o in case_orders(case)
    }:
        return False
    return scope.person is None or scope.person in _case_people(case)


def register_problems(
    revisions: Iterable[ExceptionRevision], pack: PackView, at: date | None
) -> list[ExceptionProblem]:
    """Every problem of the given revisions that is visible without a case."""
    problems: list[ExceptionProblem] = []
    for revision in revisions:
        problems.extend(static_problems(revision, pack))
        if at is not None:
            problems.extend(date_problems(revision, at))
    return problems
