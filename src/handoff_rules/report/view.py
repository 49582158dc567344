"""One view of a run, built once, that every report format renders.

The table, the JSON document, the JUnit file and the HTML report used to
read a run each in their own way, and they drifted apart: one listed an
exception refused as self-approved among the unused ones, another forgot the
write-off action. Here the run is read once into plain frozen data (what
was decided, why, from which rows, who may waive it, which exceptions were
used, refused, expired or left unused, and the counts); a writer only lays
that data out, so two formats cannot tell different stories about one run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs

from handoff_rules.adapters.registry import SkippedFile
from handoff_rules.cases import Case, CaseSet
from handoff_rules.coverage import Coverage
from handoff_rules.decision import (
    Action,
    Checkpoint,
    Decision,
    Finding,
    Outcome,
    PackRef,
    Result,
    Severity,
)
from handoff_rules.facts import Fact, Provenance, Reject, canonical_order
from handoff_rules.model import Order, to_dict
from handoff_rules.policy.exceptions import ExceptionRegister, ExceptionRevision
from handoff_rules.policy.exceptions.enforcement import ProblemKind, duration_cap, scope_matches
from handoff_rules.policy.pack import Pack

if TYPE_CHECKING:
    from handoff_rules.pipeline import RunResult

__all__ = [
    "EXPIRING_WITHIN_DAYS",
    "UNKNOWN",
    "ActionView",
    "CheckpointCounts",
    "Counts",
    "DecisionView",
    "ExceptionUse",
    "ExceptionsView",
    "FindingView",
    "Refusal",
    "RunInfo",
    "RunView",
    "SourceView",
    "WaiverPolicy",
    "build_view",
    "run_view",
]

#: An exception in force that ends within this many days of the report date is "expiring".
EXPIRING_WITHIN_DAYS: Final = 14
UNKNOWN: Final = "(unknown)"


@attrs.frozen(slots=True)
class SourceView:
    """Where a finding's evidence was read, and what the record said there."""

    provenance: Provenance
    contents: tuple[tuple[str, str], ...]
    """(fact type, ``key=value`` summary) of each fact of the case read from that row."""

    @property
    def where(self) -> str:
        """File and location, e.g. ``orders.yaml: lines 20-21``: the same text in every format."""
        return str(self.provenance)


_CAP_SETTINGS: Final = {
    "rule": "the rule's max_waiver_days",
    "pack": "the pack's max_exception_days",
}


@attrs.frozen(slots=True)
class WaiverPolicy:
    """Who may waive a failing rule, and for how long, as the pack says."""

    rule: str
    roles: tuple[str, ...]
    max_days: int | None
    """The tightest cap on an exception's duration, the rule's or the pack's."""
    cap_by: str | None
    """Which setting caps it: ``rule`` (its ``max_waiver_days``) or ``pack``
    (its ``max_exception_days``)."""

    @property
    def text(self) -> str:
        """``may be waived by chief_accountant for at most 1 day (the rule's max_waiver_days)``."""
        if not self.roles:
            return "may not be waived: the pack allows no role to waive it"
        text = f"may be waived by {', '.join(self.roles)}"
        if self.max_days is not None:
            unit = "day" if self.max_days == 1 else "days"
            setting = _CAP_SETTINGS.get(self.cap_by or "", "")
            text += f" for at most {self.max_days} {unit} ({setting})"
        return text


def _record(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True)
class Refusal:
    """An exception that targeted a failing finding of a case but was not applied, and why."""

    exception: str | None
    kind: str | None
    rule: str | None
    case: str | None
    message: str
    revision: ExceptionRevision | None = attrs.field(eq=False, repr=False)
    record: Mapping[str, Any] = attrs.field(converter=_record, eq=False, repr=False)
    """The problem as the run reported it: the JSON document's ``invalid`` item."""

    @property
    def expired(self) -> bool:
        return self.kind == ProblemKind.EXPIRED.value

    @property
    def text(self) -> str:
        """``EX-1@1 expired: valid until … (case 4712)``."""
        where = f" (case {self.case})" if self.case is not None else ""
        return f"{self.exception or ''} {self.message}{where}".strip()

    @classmethod
    def of(cls, problem: Mapping[str, Any], register: ExceptionRegister | None) -> Refusal:
        key = problem.get("exception")
        return cls(
            exception=key,
            kind=problem.get("kind"),
            rule=problem.get("rule"),
            case=problem.get("case"),
            message=str(problem.get("message", "")),
            revision=_revision_of(register, key) if isinstance(key, str) else None,
            record=problem,
        )


@attrs.frozen(slots=True)
class FindingView:
    """A finding that did not pass, with its sources and who may waive it."""

    rule: str
    result: Result
    severity: Severity
    message: str
    subject: str | None
    exception: str | None
    """The exception (``id@revision``) that waived it."""
    approver: str | None
    """Who approved that exception (``UNKNOWN`` when the register does not have it)."""
    sources: tuple[SourceView, ...]
    waiver: WaiverPolicy | None
    """For a ``fail`` finding of a rule the pack has: who may waive it. An
    ``indeterminate`` one cannot be waived (an exception cannot stand in for a fact)."""
    refused: tuple[Refusal, ...] = ()
    """Exceptions that targeted this finding but were refused (why it still fails)."""

    @property
    def tag(self) -> str:
        if self.result is Result.WAIVED:
            return f"waived by {self.exception}"
        return self.result.value

    @property
    def text(self) -> str:
        return f"{self.rule} [{self.tag}, {self.severity.value}] {self.message}"


@attrs.frozen(slots=True)
class ActionView:
    """Something the decision asks the integration to do, e.g. write off a residual."""

    kind: str
    rule: str
    params: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        params = ", ".join(f"{key}={value}" for key, value in self.params)
        return f"{self.kind} ({self.rule}): {params}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "params": dict(self.params)}


@attrs.frozen(slots=True)
class DecisionView:
    """One decision and everything a report says about it."""

    decision: Decision
    """The decision itself, complete (passing findings too): the JSON document writes it."""
    salesperson: str
    findings: tuple[FindingView, ...]
    actions: tuple[ActionView, ...]

    @property
    def refused(self) -> tuple[Refusal, ...]:
        """Exceptions that targeted a failing finding of this decision and were refused."""
        found: dict[Refusal, None] = {}
        for finding in self.findings:
            found.update(dict.fromkeys(finding.refused))
        return tuple(found)

    @property
    def case(self) -> str:
        return self.decision.case

    @property
    def checkpoint(self) -> Checkpoint:
        return self.decision.checkpoint

    @property
    def outcome(self) -> Outcome:
        return self.decision.outcome

    @property
    def waivers(self) -> tuple[str, ...]:
        """The exceptions (``id@revision``) that waived a finding of this decision."""
        return tuple(sorted({f.exception for f in self.findings if f.exception is not None}))

    @property
    def waived(self) -> int:
        return sum(1 for f in self.findings if f.result is Result.WAIVED)

    def rules_with(self, result: Result) -> tuple[str, ...]:
        """The rules with a finding of ``result`` (the passing ones too), sorted."""
        return tuple(sorted({f.rule for f in self.decision.findings if f.result is result}))

    @property
    def checked(self) -> str:
        """What was checked beyond the findings listed: "passed A, B; not applicable C".

        An ``allow`` with nothing listed would read the same whether every rule
        passed or none applied; this line tells them apart.
        """
        parts = []
        passed = self.rules_with(Result.PASS)
        if passed:
            parts.append(f"passed {', '.join(passed)}")
        idle = self.rules_with(Result.NOT_APPLICABLE)
        if idle:
            parts.append(f"not applicable {', '.join(idle)}")
        return "; ".join(parts) or "no rule guards this checkpoint"


@attrs.frozen(slots=True)
class CheckpointCounts:
    """Decisions per outcome at one checkpoint: one row of the HTML report, one JUnit suite."""

    checkpoint: Checkpoint
    block: int
    warn: int
    allow: int
    waived: int
    """Decisions with at least one waived finding."""

    @property
    def total(self) -> int:
        return self.block + self.warn + self.allow


@attrs.frozen(slots=True)
class Counts:
    """How much the run read and decided; ``None`` where the caller did not say."""

    cases: int
    decisions: int
    block: int
    warn: int
    allow: int
    waived_decisions: int
    waived_findings: int
    facts: int | None = None
    rejects: int | None = None
    unassigned: int | None = None

    @property
    def outcomes(self) -> dict[str, int]:
        """Decisions per outcome, for the outcomes that occur."""
        counts = {"allow": self.allow, "block": self.block, "warn": self.warn}
        return {outcome: n for outcome, n in counts.items() if n}


@attrs.frozen(slots=True)
class ExceptionUse:
    """An exception revision the run used or left unused, and how it used it."""

    key: str
    revision: ExceptionRevision | None
    uses: int
    """Decisions of this run in which it waived a finding."""
    cases: tuple[str, ...]
    days_left: int | None
    """Days from the report date to the end of its validity window (0: ends that day)."""


@attrs.frozen(slots=True)
class ExceptionsView:
    """The register's side of the run: used, refused (expired among them), unused, expiring."""

    given: bool
    """Whether the run had an exception register; without one nothing below can be known."""
    register: str | None
    used: tuple[ExceptionUse, ...]
    unused: tuple[ExceptionUse, ...]
    """In force on the report date, valid, and waiving nothing in this run."""
    refused: tuple[Refusal, ...]
    expiring: tuple[ExceptionUse, ...]
    """Used or unused ones ending within ``expiring_within`` days of the report date."""
    expiring_within: int

    @property
    def used_keys(self) -> tuple[str, ...]:
        return tuple(use.key for use in self.used)

    @property
    def unused_keys(self) -> tuple[str, ...]:
        return tuple(use.key for use in self.unused)

    @property
    def expired(self) -> tuple[Refusal, ...]:
        """Refused because their validity had ended: renew them or let them go."""
        return tuple(r for r in self.refused if r.expired)

    @property
    def invalid(self) -> tuple[Refusal, ...]:
        """Refused for any other reason (self-approved, stale, role not allowed …)."""
        return tuple(r for r in self.refused if not r.expired)

    @property
    def expired_keys(self) -> tuple[str, ...]:
        return tuple(sorted({r.exception for r in self.expired if r.exception is not None}))


@attrs.frozen(slots=True)
class RunInfo:
    """What only a whole run knows: the pack versions it used, its date and engine."""

    pack: PackRef
    """The newest version that judged a case."""
    at: date
    at_given: bool
    engine: str
    notice: str | None = None
    packs: tuple[PackRef, ...] = ()
    """Every version that judged a case, oldest first: each case is judged by the
    version in force on its order date, so a run may use several."""
    undated_cases: tuple[str, ...] = ()
    """Cases whose order has no date, judged under the version in force at ``at``."""
    pinned: str | None = None
    """The version pinned for every case (``--pack-version``), if any."""

    @property
    def versions(self) -> tuple[PackRef, ...]:
        return self.packs or (self.pack,)


@attrs.frozen(slots=True)
class RunView:
    """Everything a report of a run shows, computed and sorted here; writers only lay it out."""

    run: RunInfo | None
    """``None`` for a report of decisions made elsewhere (:func:`build_view`)."""
    at: date | None
    """The report date: the run's evaluation date, or the latest decision date."""
    packs: tuple[str, ...]
    decisions: tuple[DecisionView, ...]
    """In the run's order."""
    counts: Counts
    checkpoints: tuple[CheckpointCounts, ...]
    exceptions: ExceptionsView
    rejects: tuple[Reject, ...] | None
    """Input records that became no fact, by file and line, when known."""
    skipped: tuple[SkippedFile, ...] = ()
    """Files of input folders that no adapter recognises, left unread."""
    unassigned: tuple[Fact, ...] | None = None
    """Facts that joined no case, in canonical order, when known (a run knows)."""
    coverage: Coverage | None = None
    """Which rules the run's inputs could decide (a run only)."""

    def _sorted(self, keep: Iterable[DecisionView]) -> tuple[DecisionView, ...]:
        return tuple(sorted(keep, key=lambda v: (v.case, v.checkpoint.value)))

    @property
    def blocked(self) -> tuple[DecisionView, ...]:
        return self._sorted(v for v in self.decisions if v.outcome is Outcome.BLOCK)

    @property
    def warned(self) -> tuple[DecisionView, ...]:
        return self._sorted(v for v in self.decisions if v.outcome is Outcome.WARN)

    @property
    def waived(self) -> tuple[DecisionView, ...]:
        return self._sorted(v for v in self.decisions if v.waived)

    @property
    def with_actions(self) -> tuple[DecisionView, ...]:
        return self._sorted(v for v in self.decisions if v.actions)

    def of_checkpoint(self, checkpoint: Checkpoint) -> tuple[DecisionView, ...]:
        return tuple(v for v in self.decisions if v.checkpoint is checkpoint)


# --- building ------------------------------------------------------------------------


def run_view(run: RunResult, *, expiring_within: int = EXPIRING_WITHIN_DAYS) -> RunView:
    """The view of a run of :func:`handoff_rules.check`: what every ``--format`` renders."""
    view = _build(
        run.decisions,
        run=RunInfo(
            run.pack.ref,
            run.at,
            run.at_given,
            run.engine,
            run.notice,
            packs=tuple(p.ref for p in run.packs),
            undated_cases=run.undated_cases,
            pinned=run.pinned,
        ),
        packs=run.packs or (run.pack,),
        cases=run.case_list,
        register=run.register,
        register_given=run.exceptions_file is not None,
        register_name=run.exceptions_file,
        used=run.exceptions_used,
        unused=run.exceptions_unused,
        problems=run.exception_problems,
        rejects=run.reject_list,
        at=run.at,
        counts=(run.cases, run.facts, run.rejects, run.unassigned),
        expiring_within=expiring_within,
    )
    return attrs.evolve(
        view,
        skipped=run.skipped,
        unassigned=tuple(canonical_order(run.unassigned_list)),
        coverage=run.coverage,
    )


def build_view(
    decisions: Iterable[Decision],
    *,
    cases: Iterable[Case] | CaseSet | None = None,
    exceptions: ExceptionRegister | None = None,
    rejects: Iterable[Reject] | None = None,
    pack: Pack | None = None,
    at: date | None = None,
    expiring_within: int = EXPIRING_WITHIN_DAYS,
) -> RunView:
    """The view of decisions made elsewhere (an integration that chains the steps itself).

    Without the run, the exceptions refused are not known, and "unused" can
    only leave out the ones the register's ledger saw targeting a finding.
    ``at`` is the date "unused" and "expiring" are judged on; by default the
    latest evaluation date among the decisions (never the wall clock, so the
    same decisions always give the same report).
    """
    from handoff_rules.policy.waivers import unused_exceptions

    all_decisions = tuple(decisions)
    if at is None and all_decisions:
        at = max(d.at for d in all_decisions)
    used = sorted(
        {f.exception for d in all_decisions for f in d.findings if f.exception is not None}
    )
    unused: list[str] = []
    if exceptions is not None and at is not None:
        unused = sorted(r.key for r in unused_exceptions(exceptions, used, at))
    reject_list = None if rejects is None else tuple(rejects)
    return _build(
        all_decisions,
        run=None,
        packs=() if pack is None else (pack,),
        cases=cases,
        register=exceptions,
        register_given=exceptions is not None,
        register_name=None if exceptions is None else exceptions.location,
        used=used,
        unused=unused,
        problems=(),
        rejects=reject_list,
        at=at,
        counts=(
            len({d.case for d in all_decisions}),
            None,
            None if reject_list is None else len(reject_list),
            None,
        ),
        expiring_within=expiring_within,
    )


def _build(
    decisions: Sequence[Decision],
    *,
    run: RunInfo | None,
    packs: Sequence[Pack],
    cases: Iterable[Case] | CaseSet | None,
    register: ExceptionRegister | None,
    register_given: bool,
    register_name: str | None,
    used: Sequence[str],
    unused: Sequence[str],
    problems: Iterable[Mapping[str, Any]],
    rejects: Iterable[Reject] | None,
    at: date | None,
    counts: tuple[int, int | None, int | None, int | None],
    expiring_within: int,
) -> RunView:
    case_index = _case_index(cases)
    refused = tuple(Refusal.of(p, register) for p in problems)
    by_version = {p.ref: _waiver_policies(p) for p in packs}
    # one pack given (build_view): its waiver rules hold for every decision, as they always did
    fallback = by_version[packs[0].ref] if len(packs) == 1 else {}
    rows: dict[str, _Rows] = {}  # per case: its decisions share the row index
    refused_of: dict[str, list[Refusal]] = defaultdict(list)  # per case, in their order
    for refusal in refused:
        if refusal.case is not None:
            refused_of[refusal.case].append(refusal)
    views = []
    for decision in decisions:
        case = case_index.get(decision.case)
        if decision.case not in rows:
            rows[decision.case] = _Rows(case)
        waivers = by_version.get(decision.pack, fallback)
        mine = refused_of.get(decision.case, ())
        views.append(_decision_view(decision, case, rows[decision.case], register, waivers, mine))
    outcomes = Counter(d.outcome for d in decisions)
    cases_count, facts, reject_count, unassigned = counts
    return RunView(
        run=run,
        at=at,
        packs=tuple(sorted({str(d.pack) for d in decisions})),
        decisions=tuple(views),
        counts=Counts(
            cases=cases_count,
            decisions=len(decisions),
            block=outcomes[Outcome.BLOCK],
            warn=outcomes[Outcome.WARN],
            allow=outcomes[Outcome.ALLOW],
            waived_decisions=sum(1 for v in views if v.waived),
            waived_findings=sum(v.waived for v in views),
            facts=facts,
            rejects=reject_count,
            unassigned=unassigned,
        ),
        checkpoints=_checkpoint_counts(decisions),
        exceptions=_exceptions_view(
            register,
            register_given,
            register_name,
            views,
            used,
            unused,
            refused,
            at,
            expiring_within,
        ),
        rejects=None if rejects is None else tuple(sorted(rejects, key=_reject_key)),
    )


def _case_index(cases: Iterable[Case] | CaseSet | None) -> dict[str, Case]:
    if cases is None:
        return {}
    items = cases.cases if isinstance(cases, CaseSet) else cases
    return {case.id: case for case in items}


def _waiver_policies(pack: Pack) -> dict[str, WaiverPolicy]:
    policies = {}
    for rule in pack.rules:
        cap = duration_cap(rule, pack)
        days = None if cap is None else cap[0]
        policies[rule.id] = WaiverPolicy(
            rule=rule.id,
            roles=tuple(sorted(rule.waivable_by)),
            max_days=days,
            cap_by=None if days is None else "rule" if rule.max_waiver_days == days else "pack",
        )
    return policies


def _revision_of(register: ExceptionRegister | None, key: str | None) -> ExceptionRevision | None:
    """The revision ``id@revision`` names, if the register has it."""
    if register is None or key is None or "@" not in key:
        return None
    exc_id, _, number = key.rpartition("@")
    history = register.histories.get(exc_id)
    if history is None or not number.isdigit():
        return None
    for revision in history.revisions:
        if revision.revision == int(number):
            return revision
    return None


def _salesperson(case: Case | None) -> str:
    """The order's owner (the salesperson), else who entered it."""
    if case is None:
        return UNKNOWN
    for fact in case.facts:
        if isinstance(fact.data, Order) and fact.data.id == case.id:
            person = fact.data.owner or fact.data.entered_by
            if person:
                return person
    return UNKNOWN


def _format_value(value: object) -> str:
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            return f"{value['amount']} {value['currency']}"
        return "{" + ", ".join(f"{k}={_format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return str(value)


def _fact_summary(fact: Fact) -> str:
    fields = to_dict(fact.data)
    return ", ".join(f"{key}={_format_value(value)}" for key, value in fields.items())


class _Rows:
    """The facts of one case by the row they were read from, summarised once per row.

    Indexed on first use: most decisions pass and never ask.
    """

    def __init__(self, case: Case | None) -> None:
        self._case = case
        self._facts: dict[tuple[str, str], list[Fact]] | None = None
        self._done: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}

    def _index(self) -> dict[tuple[str, str], list[Fact]]:
        if self._facts is None:
            # Matched by file and location only: a derived fact's provenance names the
            # deriving plugin as adapter but points at the row it was computed from.
            self._facts = defaultdict(list)
            for fact in self._case.facts if self._case is not None else ():
                self._facts[fact.provenance.source, fact.provenance.location].append(fact)
        return self._facts

    def contents(self, where: Provenance) -> tuple[tuple[str, str], ...]:
        key = (where.source, where.location)
        if key not in self._done:
            facts = self._index().get(key, ())
            self._done[key] = tuple((f.type, _fact_summary(f)) for f in facts)
        return self._done[key]


def _decision_view(
    decision: Decision,
    case: Case | None,
    rows: _Rows,
    register: ExceptionRegister | None,
    waivers: Mapping[str, WaiverPolicy],
    mine: Sequence[Refusal],
) -> DecisionView:
    """The view of one decision; ``mine`` are the refused exceptions of its case."""
    findings = []
    for finding in decision.findings:
        if finding.result in (Result.PASS, Result.NOT_APPLICABLE):  # in ``checked``
            continue
        approver = None
        if finding.exception is not None:
            revision = _revision_of(register, finding.exception)
            approver = str(revision.approved_by) if revision is not None else UNKNOWN
        findings.append(
            FindingView(
                rule=finding.rule,
                result=finding.result,
                severity=finding.severity,
                message=finding.message,
                subject=finding.subject,
                exception=finding.exception,
                approver=approver,
                sources=tuple(SourceView(p, rows.contents(p)) for p in finding.sources),
                waiver=waivers.get(finding.rule) if finding.result is Result.FAIL else None,
                refused=_refused_for(finding, decision.checkpoint, case, mine),
            )
        )
    return DecisionView(
        decision=decision,
        salesperson=_salesperson(case),
        findings=tuple(findings),
        actions=tuple(_action_view(a) for a in decision.actions),
    )


def _action_view(action: Action) -> ActionView:
    return ActionView(kind=action.kind, rule=action.rule, params=action.params)


def _refused_for(
    finding: Finding, checkpoint: Checkpoint, case: Case | None, refused: Sequence[Refusal]
) -> tuple[Refusal, ...]:
    """The refusals (of this case) whose exception targeted this failing finding.

    The waiver step's own test: same rule, and the exception's scope covers
    the finding at this checkpoint.
    """
    if finding.result is not Result.FAIL:
        return ()
    return tuple(
        r
        for r in refused
        if r.rule == finding.rule
        and (
            r.revision is None
            or case is None
            or scope_matches(r.revision.scope, case, checkpoint, finding)
        )
    )


def _checkpoint_counts(decisions: Iterable[Decision]) -> tuple[CheckpointCounts, ...]:
    outcomes: dict[Checkpoint, Counter[Outcome]] = defaultdict(Counter)
    waived: Counter[Checkpoint] = Counter()
    for decision in decisions:
        outcomes[decision.checkpoint][decision.outcome] += 1
        if any(f.result is Result.WAIVED for f in decision.findings):
            waived[decision.checkpoint] += 1
    return tuple(
        CheckpointCounts(
            checkpoint=checkpoint,
            block=outcomes[checkpoint][Outcome.BLOCK],
            warn=outcomes[checkpoint][Outcome.WARN],
            allow=outcomes[checkpoint][Outcome.ALLOW],
            waived=waived[checkpoint],
        )
        for checkpoint in Checkpoint
        if checkpoint in outcomes
    )


def _exceptions_view(
    register: ExceptionRegister | None,
    given: bool,
    name: str | None,
    decisions: Sequence[DecisionView],
    used: Sequence[str],
    unused: Sequence[str],
    refused: tuple[Refusal, ...],
    at: date | None,
    expiring_within: int,
) -> ExceptionsView:
    uses: dict[str, set[tuple[str, Checkpoint]]] = defaultdict(set)
    for view in decisions:
        for key in view.waivers:
            uses[key].add((view.case, view.checkpoint))

    def use(key: str) -> ExceptionUse:
        revision = _revision_of(register, key)
        used_by = uses.get(key, set())
        days_left = None
        if revision is not None and at is not None:
            days_left = (revision.valid_until - at).days
        return ExceptionUse(
            key=key,
            revision=revision,
            uses=len(used_by),
            cases=tuple(sorted({case for case, _ in used_by})),
            days_left=days_left,
        )

    used_views = tuple(use(key) for key in used)
    unused_views = tuple(use(key) for key in unused)
    expiring: tuple[ExceptionUse, ...] = ()
    if at is not None:
        # at the end of the calendar (``--at 9999-12-31``) everything in force expires within
        window = timedelta(days=expiring_within)
        horizon = at + window if date.max - at > window else date.max
        expiring = tuple(
            sorted(
                (
                    u
                    for u in (*used_views, *unused_views)
                    if u.revision is not None
                    and u.revision.in_force(at)
                    and u.revision.valid_until <= horizon
                ),
                key=lambda u: u.key,
            )
        )
    return ExceptionsView(
        given=given,
        register=name,
        used=used_views,
        unused=unused_views,
        refused=refused,
        expiring=expiring,
        expiring_within=expiring_within,
    )


def _reject_key(reject: Reject) -> tuple[str, int, str]:
    where = reject.provenance
    return (where.source, where.line or 0, where.location)
