"""Decisions: what the engine concluded for one case at one checkpoint, and why.

A decision is what people act on and auditors replay, so it is plain data
with one stable JSON form (keys sorted, no whitespace variance): the same
inputs give the same bytes.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Final, Protocol

import attrs

from handoff_rules.facts import Provenance

DECISIONS_SCHEMA: Final = "handoff-rules/decisions/1"


class Result(enum.StrEnum):
    """A rule's result for a case. ``indeterminate`` means a fact it needs is missing."""

    PASS = "pass"
    FAIL = "fail"
    INDETERMINATE = "indeterminate"
    WAIVED = "waived"


class Severity(enum.StrEnum):
    """What a failing or indeterminate rule does to its checkpoint: block it or warn."""

    BLOCK = "block"
    WARN = "warn"


class Outcome(enum.StrEnum):
    """A checkpoint's verdict: ``block`` if a blocking rule fails or lacks a fact."""

    BLOCK = "block"
    WARN = "warn"
    ALLOW = "allow"


class Limit(enum.StrEnum):
    """A limit on what one case may hold, the same for every engine.

    A case beyond one is decided by no rule: each finding is ``indeterminate``
    and names the limit, so one oversized order costs that order alone and
    reads the same whichever engine ran.
    """

    #: more facts than one case may hold (its facts, derived ones and the evaluation date)
    FACTS_PER_CASE = "facts_per_case"
    #: an integer beyond 64 bits, or text that is not valid Unicode
    VALUE = "value"


class Checkpoint(enum.StrEnum):
    """The order-to-cash handoffs a rule can guard."""

    H1 = "H1"  # order entry: sales -> sales support (CRM -> ERP)
    H2 = "H2"  # credit check / order release
    H3 = "H3"  # goods release
    H4 = "H4"  # invoicing
    H5 = "H5"  # payment and closing


# Converters that pass members through untouched: an engine run builds many findings,
# and calling the enum class on one of its own members costs more than the check.
def _result(value: str) -> Result:
    return value if type(value) is Result else Result(value)


def _severity(value: str) -> Severity:
    return value if type(value) is Severity else Severity(value)


def _checkpoint(value: str) -> Checkpoint:
    return value if type(value) is Checkpoint else Checkpoint(value)


def _outcome(value: str) -> Outcome:
    return value if type(value) is Outcome else Outcome(value)


def _limit(value: str | None) -> Limit | None:
    return None if value is None else Limit(value)


def _provenances(items: Iterable[Provenance]) -> tuple[Provenance, ...]:
    return tuple(items)


def _string_items(params: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Action parameters as sorted string pairs: stable JSON, no float surprises."""
    return tuple(sorted((str(k), str(v)) for k, v in dict(params).items()))


@attrs.frozen(slots=True)
class Finding:
    """One rule's result for one case (and one subject fact, for per-fact rules)."""

    rule: str
    result: Result = attrs.field(converter=_result)
    severity: Severity = attrs.field(converter=_severity)
    message: str
    sources: tuple[Provenance, ...] = attrs.field(default=(), converter=_provenances)
    exception: str | None = None
    subject: str | None = None
    #: set only when no rule could decide because the case is beyond this limit
    limit: Limit | None = attrs.field(default=None, converter=_limit)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "rule": self.rule,
            "result": self.result.value,
            "severity": self.severity.value,
            "message": self.message,
            "exception": self.exception,
            "subject": self.subject,
            "sources": [p.to_dict() for p in self.sources],
        }
        if self.limit is not None:
            # only then: every other finding keeps the bytes it always had (audit replay)
            result["limit"] = self.limit.value
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            rule=data["rule"],
            result=data["result"],
            severity=data["severity"],
            message=data["message"],
            exception=data.get("exception"),
            subject=data.get("subject"),
            sources=tuple(Provenance.from_dict(p) for p in data.get("sources", ())),
            limit=data.get("limit"),
        )


@attrs.frozen(slots=True)
class Action:
    """Something a rule asks the integration to do, e.g. write off a residual."""

    kind: str
    rule: str
    params: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_string_items)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        return cls(kind=data["kind"], rule=data["rule"], params=data.get("params", {}))


class PackIdentity(Protocol):
    """What names a pack version: enough to lock, log or replay it.

    Satisfied by ``PackRef`` and by loaded packs, so the lock file, the
    audit log and the diff accept either.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def digest(self) -> str: ...


@attrs.frozen(slots=True)
class PackRef:
    """Which pack version decided: name, version and the digest of its content."""

    name: str
    version: str
    digest: str

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "digest": self.digest}


def outcome_of(findings: Iterable[Finding]) -> Outcome:
    """``block`` if a blocking rule fails or is indeterminate, ``warn`` if only warnings do."""
    outcome = Outcome.ALLOW
    for finding in findings:
        if finding.result in (Result.PASS, Result.WAIVED):
            continue
        if finding.severity is Severity.BLOCK:
            return Outcome.BLOCK
        outcome = Outcome.WARN
    return outcome


def _findings(items: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(items)


def _actions(items: Iterable[Action]) -> tuple[Action, ...]:
    return tuple(items)


@attrs.frozen(slots=True)
class Decision:
    """The decision for one case at one checkpoint under one pack version."""

    case: str
    checkpoint: Checkpoint = attrs.field(converter=_checkpoint)
    at: date
    pack: PackRef
    findings: tuple[Finding, ...] = attrs.field(default=(), converter=_findings)
    actions: tuple[Action, ...] = attrs.field(default=(), converter=_actions)
    outcome: Outcome = attrs.field(converter=_outcome)

    @outcome.default
    def _outcome_from_findings(self) -> Outcome:
        return outcome_of(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "checkpoint": self.checkpoint.value,
            "outcome": self.outcome.value,
            "at": self.at.isoformat(),
            "pack": self.pack.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "actions": [a.to_dict() for a in self.actions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            case=data["case"],
            checkpoint=data["checkpoint"],
            at=date.fromisoformat(data["at"]),
            pack=PackRef(**data["pack"]),
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            actions=tuple(Action.from_dict(a) for a in data.get("actions", ())),
            outcome=data["outcome"],
        )

    def to_json(self) -> str:
        """The canonical JSON text: sorted keys, compact, UTF-8 kept readable."""
        return canonical_json(self.to_dict())


def canonical_json(value: Any) -> str:
    """One byte-stable JSON spelling, shared by decisions, audit records and digests."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decisions_document(decisions: Iterable[Decision]) -> dict[str, Any]:
    """The top-level ``--format json`` document (schema ``handoff-rules/decisions/1``)."""
    return {"schema": DECISIONS_SCHEMA, "decisions": [d.to_dict() for d in decisions]}
