"""Decisions: what the engine concluded for one case at one checkpoint, and why.

A decision is what people act on and auditors replay, so it is plain data
with one stable JSON form (keys sorted, no whitespace variance): the same
inputs give the same bytes.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Final, Protocol, TypeVar

import attrs

from handoff_rules.errors import DecisionDataError as DecisionDataError
from handoff_rules.facts import Provenance
from handoff_rules.model import ModelDataError

DECISIONS_SCHEMA: Final = "handoff-rules/decisions/1"


class Result(enum.StrEnum):
    """A rule's result for a case. ``indeterminate`` means a fact it needs is missing.

    ``not_applicable`` says the rule guards the checkpoint but nothing in the
    case is what it judges (no correction task, no document of its kinds): it
    changes no outcome, but an ``allow`` lists it, so "checked and passed"
    reads differently from "nothing applied".
    """

    PASS = "pass"
    FAIL = "fail"
    INDETERMINATE = "indeterminate"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"


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
    """Why no rule could decide a case, the same for every engine.

    A limit on what one case may hold, or the case's date before every version
    of the pack. A case beyond one is decided by no rule: each finding is
    ``indeterminate`` and names the limit, so one oversized or too old order
    costs that order alone and reads the same whichever engine ran.
    """

    #: more facts than one case may hold (its facts, derived ones and the evaluation date)
    FACTS_PER_CASE = "facts_per_case"
    #: an integer beyond 64 bits, or text that is not valid Unicode
    VALUE = "value"
    #: no version of the pack is in force on the case's date (its order date, else ``at``)
    PACK_VERSION = "pack_version"


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
    def from_dict(cls, data: object, path: str = "finding") -> Finding:
        """The finding of :meth:`to_dict`; :class:`DecisionDataError` if it is not one."""
        fields = _fields(data, path, _FINDING_REQUIRED, _FINDING_OPTIONAL)
        result = _member(Result, fields["result"], f"{path}.result")
        exception = _optional_text(fields["exception"], f"{path}.exception")
        limit_value = fields.get("limit")
        limit = None if limit_value is None else _member(Limit, limit_value, f"{path}.limit")
        if exception is not None and not _EXCEPTION_KEY.fullmatch(exception):
            raise DecisionDataError(
                f"{path}.exception: {exception!r} is not an exception key (id@revision)"
            )
        if (result is Result.WAIVED) is not (exception is not None):
            problem = "names no exception" if exception is None else f"names exception {exception}"
            raise DecisionDataError(f"{path}: a {result} finding {problem}")
        if limit is not None and result is not Result.INDETERMINATE:
            raise DecisionDataError(
                f"{path}: a finding beyond the {limit} limit is indeterminate, not {result}"
            )
        sources = _list(fields["sources"], f"{path}.sources")
        return cls(
            rule=_text(fields["rule"], f"{path}.rule"),
            result=result,
            severity=_member(Severity, fields["severity"], f"{path}.severity"),
            message=_text(fields["message"], f"{path}.message"),
            exception=exception,
            subject=_optional_text(fields.get("subject"), f"{path}.subject"),
            sources=tuple(
                _provenance(item, f"{path}.sources[{i}]") for i, item in enumerate(sources)
            ),
            limit=limit,
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
    def from_dict(cls, data: object, path: str = "action") -> Action:
        """The action of :meth:`to_dict`; :class:`DecisionDataError` if it is not one."""
        fields = _fields(data, path, {"kind", "rule", "params"}, frozenset())
        params = fields["params"]
        if not isinstance(params, dict):
            raise DecisionDataError(f"{path}.params: expected an object, not {_kind(params)}")
        for key, value in params.items():
            _text(value, f"{path}.params.{key}")
        return cls(
            kind=_text(fields["kind"], f"{path}.kind"),
            rule=_text(fields["rule"], f"{path}.rule"),
            params=params,
        )


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
        if finding.result in (Result.PASS, Result.WAIVED, Result.NOT_APPLICABLE):
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
    def from_dict(cls, data: object) -> Decision:
        """The decision of :meth:`to_dict` (schema ``decisions-1.json``), checked.

        Besides its shape, what the engine guarantees of every decision is
        checked too: the outcome is the one its findings give, and a finding is
        waived exactly when it names an exception. Anything else raises
        :class:`DecisionDataError` naming the first problem.
        """
        fields = _fields(data, "decision", _DECISION_REQUIRED, frozenset())
        case = _text(fields["case"], "decision.case")
        path = f"decision {case}"
        checkpoint = _member(Checkpoint, fields["checkpoint"], f"{path}.checkpoint")
        path = f"decision {case} {checkpoint}"
        outcome = _member(Outcome, fields["outcome"], f"{path}.outcome")
        findings = tuple(
            Finding.from_dict(item, f"{path}.findings[{i}]")
            for i, item in enumerate(_list(fields["findings"], f"{path}.findings"))
        )
        expected = outcome_of(findings)
        if outcome is not expected:
            raise DecisionDataError(
                f"{path}: outcome is {outcome}, but its findings give {expected}"
            )
        return cls(
            case=case,
            checkpoint=checkpoint,
            at=_date(fields["at"], f"{path}.at"),
            pack=_pack(fields["pack"], f"{path}.pack"),
            findings=findings,
            actions=tuple(
                Action.from_dict(item, f"{path}.actions[{i}]")
                for i, item in enumerate(_list(fields["actions"], f"{path}.actions"))
            ),
            outcome=outcome,
        )

    def to_json(self) -> str:
        """The canonical JSON text: sorted keys, compact, UTF-8 kept readable."""
        return canonical_json(self.to_dict())


# --- reading decisions back: the checks of schemas/decisions-1.json, in code --------------

_DECISION_REQUIRED: Final = frozenset(
    {"case", "checkpoint", "outcome", "at", "pack", "findings", "actions"}
)
_FINDING_REQUIRED: Final = frozenset(
    {"rule", "result", "severity", "message", "exception", "sources"}
)
_FINDING_OPTIONAL: Final = frozenset({"subject", "limit"})
_EXCEPTION_KEY: Final = re.compile(r".+@[0-9]+", re.DOTALL)
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")


def _kind(value: object) -> str:
    """A value's JSON kind, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _fields(
    data: object, path: str, required: frozenset[str] | set[str], optional: frozenset[str]
) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise DecisionDataError(f"{path}: expected an object, not {_kind(data)}")
    missing = sorted(required - set(data))
    if missing:
        raise DecisionDataError(f"{path}: missing {', '.join(missing)}")
    unknown = sorted(str(key) for key in set(data) - required - optional)
    if unknown:
        raise DecisionDataError(f"{path}: unknown {', '.join(unknown)}")
    return data


def _text(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise DecisionDataError(f"{path}: expected a string, not {_kind(value)}")
    return value


def _optional_text(value: object, path: str) -> str | None:
    return None if value is None else _text(value, path)


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise DecisionDataError(f"{path}: expected an array, not {_kind(value)}")
    return value


_E = TypeVar("_E", bound=enum.StrEnum)


def _member(enum_cls: type[_E], value: object, path: str) -> _E:
    known = [member.value for member in enum_cls]
    if not isinstance(value, str) or value not in known:
        raise DecisionDataError(f"{path}: {value!r} is not one of {', '.join(known)}")
    return enum_cls(value)


def _date(value: object, path: str) -> date:
    text = _text(value, path)
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise DecisionDataError(f"{path}: {text!r} is not a date (YYYY-MM-DD)") from None


def _pack(value: object, path: str) -> PackRef:
    fields = _fields(value, path, {"name", "version", "digest"}, frozenset())
    digest = _text(fields["digest"], f"{path}.digest")
    if not _DIGEST.fullmatch(digest):
        raise DecisionDataError(f"{path}.digest: {digest!r} is not 64 lower-case hex digits")
    return PackRef(
        name=_text(fields["name"], f"{path}.name"),
        version=_text(fields["version"], f"{path}.version"),
        digest=digest,
    )


def _provenance(value: object, path: str) -> Provenance:
    try:
        return Provenance.from_dict(value)
    except ModelDataError as error:
        raise DecisionDataError(f"{path}: {error}") from None


def canonical_json(value: Any) -> str:
    """One byte-stable JSON spelling, shared by decisions, audit records and digests."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decisions_document(decisions: Iterable[Decision]) -> dict[str, Any]:
    """The top-level ``--format json`` document (schema ``handoff-rules/decisions/1``)."""
    return {"schema": DECISIONS_SCHEMA, "decisions": [d.to_dict() for d in decisions]}
