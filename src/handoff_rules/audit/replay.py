"""Replay: make every logged decision again and compare it byte for byte.

A decision is a pure function of (case facts, pack version, exception register
state, evaluation date); the log records all four, so replaying needs no
export file and no register file. The pack is found by name and version and
must still have the recorded digest; the exception revisions are the ones the
record holds; the use ledger is rebuilt from the records before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import attrs

from handoff_rules.audit.log import SOFTWARE, AuditLog, record_uses
from handoff_rules.cases import Case
from handoff_rules.decision import Decision, Limit, PackIdentity, canonical_json
from handoff_rules.engine.limits import WhyUndecided
from handoff_rules.facts import Fact, Reject
from handoff_rules.model import ModelDataError
from handoff_rules.policy.case_versions import no_version_in_force
from handoff_rules.policy.exceptions import ExceptionRegister, ExceptionRevision, UseLedger
from handoff_rules.policy.waivers import apply_exceptions


class ReplayPack(PackIdentity, Protocol):
    """A pack usable both by the engine and by the exception checks."""

    @property
    def max_exception_days(self) -> int | None: ...

    @property
    def rules(self) -> Any: ...

    @property
    def effective_from(self) -> date: ...


#: (pack name, version) -> the pack, or None when it cannot be found.
PackFinder = Callable[[str, str], ReplayPack | None]


class Evaluate(Protocol):
    """(case, pack, evaluation date, engine name) -> the decisions before exceptions.

    With ``undecided``, no rule decides the case, for that reason; it is passed
    only for such a case, so an evaluator without the keyword replays every other.
    """

    def __call__(
        self,
        case: Case,
        pack: Any,
        at: date,
        engine: str,
        /,
        *,
        undecided: WhyUndecided | None = None,
    ) -> Iterable[Decision]: ...


@attrs.frozen(slots=True)
class ReplayDifference:
    """A logged decision that did not come out the same."""

    line: int
    case: str
    checkpoint: str
    message: str
    recorded: str
    replayed: str | None = None

    def __str__(self) -> str:
        return f"line {self.line} ({self.case} {self.checkpoint}): {self.message}"


@attrs.frozen(slots=True)
class ReplayResult:
    records: int
    differences: tuple[ReplayDifference, ...]

    @property
    def ok(self) -> bool:
        return not self.differences


def _findings(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings of a decision dict; an entry of another shape (a log edited by
    hand) is kept as its text, so it differs from every real finding."""
    found = decision.get("findings", [])
    items = found if isinstance(found, list) else [found]
    return [f if isinstance(f, dict) else {"rule": repr(f)} for f in items]


def _finding_key(finding: dict[str, Any]) -> tuple[str, str]:
    """Rule and subject as text: a recorded subject may be of any JSON shape."""
    subject = finding.get("subject")
    return str(finding.get("rule")), subject if isinstance(subject, str) else repr(subject)


def _first_difference(recorded: dict[str, Any], replayed: dict[str, Any]) -> str:
    """A short description of where two decision dicts part, for the report line."""
    for field in ("outcome", "pack", "at"):
        if recorded.get(field) != replayed.get(field):
            return f"{field} was {recorded.get(field)!r}, now {replayed.get(field)!r}"
    old = {_finding_key(f): f for f in _findings(recorded)}
    new = {_finding_key(f): f for f in _findings(replayed)}
    for key in sorted(set(old) | set(new), key=str):
        if key not in new:
            return f"finding {key[0]} is gone"
        if key not in old:
            return f"finding {key[0]} is new"
        if old[key] != new[key]:
            # a key present on one side only differs even when the other's value is None
            fields = [
                f
                for f in sorted(set(old[key]) | set(new[key]), key=str)
                if (f in old[key], old[key].get(f)) != (f in new[key], new[key].get(f))
            ]
            if not fields:  # equal field by field, yet not equal: keys of another type
                return f"finding {key[0]} differs"
            name = fields[0]
            return (
                f"finding {key[0]}: {name} was {old[key].get(name)!r}, now {new[key].get(name)!r}"
            )
    return "the decisions differ (order of findings or actions)"


def replay_record(
    line: int,
    record: dict[str, Any],
    ledger: UseLedger,
    find_pack: PackFinder,
    evaluate: Evaluate,
) -> ReplayDifference | None:
    """Re-make one logged decision; ``None`` when it is byte-for-byte the same."""
    recorded_json = canonical_json(record["decision"])
    case_id, checkpoint = record["case"], record["checkpoint"]

    def differ(message: str, replayed: str | None = None) -> ReplayDifference:
        return ReplayDifference(line, case_id, checkpoint, message, recorded_json, replayed)

    pack_ref = record["pack"]
    pack = find_pack(pack_ref["name"], pack_ref["version"])
    if pack is None:
        return differ(f"pack {pack_ref['name']} {pack_ref['version']} is not available")
    if pack.digest != pack_ref["digest"]:
        return differ(
            f"pack {pack_ref['name']} {pack_ref['version']} now has digest {pack.digest[:12]}, "
            f"the log recorded {pack_ref['digest'][:12]}: its content changed without a new version"
        )
    try:
        facts = tuple(Fact.from_record(r) for r in record["facts"])
        rejects = tuple(Reject.from_record(r) for r in record.get("rejects", ()))
        revisions = [ExceptionRevision.from_dict(r) for r in record["exceptions"]]
    except (ModelDataError, KeyError, TypeError, ValueError) as exc:
        return differ(f"the record cannot be read back: {exc}")
    case = Case(id=case_id, facts=facts, rejects=rejects)
    at = date.fromisoformat(record["at"])
    undecided = None
    if _without_version(record["decision"]):
        # The run found no version in force on the case's date: the recorded version was
        # the first. That must still hold, and the decision is made again the same way.
        undecided = no_version_in_force(case, pack, at)
        if undecided is None:
            return differ(
                f"the decision says no version of {pack_ref['name']} was in force for the "
                f"case, but {pack_ref['version']} is in force on its date"
            )
    made = (
        evaluate(case, pack, at, record["engine"])
        if undecided is None
        else evaluate(case, pack, at, record["engine"], undecided=undecided)
    )
    decisions = [d for d in made if d.checkpoint == checkpoint]
    if len(decisions) != 1:
        return differ(f"the engine made {len(decisions)} decisions at {checkpoint}, expected 1")
    register = ExceptionRegister.of(revisions, ledger=ledger.copy())
    outcome = apply_exceptions(decisions[0], case, pack, register, at)
    replayed_json = outcome.decision.to_json()
    if replayed_json == recorded_json:
        return None
    message = _first_difference(record["decision"], outcome.decision.to_dict())
    recorded_by = record.get("software")
    if isinstance(recorded_by, str) and recorded_by != SOFTWARE:
        # the engine's wording and judgement may have changed between releases
        message += f" (recorded by {recorded_by}, replayed by {SOFTWARE})"
    return differ(message, replayed_json)


def _without_version(decision: dict[str, Any]) -> bool:
    """Whether the logged decision was made with no pack version in force on the case's date."""
    findings = decision.get("findings")
    return isinstance(findings, list) and any(
        isinstance(f, dict) and f.get("limit") == Limit.PACK_VERSION.value for f in findings
    )


def replay_log(path: Path | str, find_pack: PackFinder, evaluate: Evaluate) -> ReplayResult:
    """Replay every record of a log, in order, with the use ledger as it was at each one."""
    ledger = UseLedger()
    differences = []
    count = 0
    for line, record in AuditLog(path).records():
        count += 1
        difference = replay_record(line, record, ledger, find_pack, evaluate)
        if difference is not None:
            differences.append(difference)
        record_uses(ledger, record)
    return ReplayResult(count, tuple(differences))
