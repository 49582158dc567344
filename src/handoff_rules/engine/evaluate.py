"""From a case to decisions: derive, flatten, match, then judge every rule.

The backend (durable or reference) only finds violation matches; everything
a person reads is computed here, once, for both: which subjects a rule applies
to, which are ``indeterminate`` for lack of a fact, the rendered messages, the
provenance of the facts involved, actions, and the outcome per checkpoint.
The evaluation date ``at`` is always passed in; nothing here reads the clock.
A case beyond what one case may hold (``handoff_rules.engine.limits``)
reaches neither backend: every rule is ``indeterminate`` for it, saying why.
"""

from __future__ import annotations

import functools
import itertools
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs
import pluggy

from handoff_rules.cases import Case
from handoff_rules.decision import (
    Action,
    Checkpoint,
    Decision,
    Finding,
    Result,
    Severity,
)
from handoff_rules.engine.base import Match, MatchBackend
from handoff_rules.engine.compiled import Pack, Rule, Template
from handoff_rules.engine.derive import BUILTIN_DERIVERS, run_builtin
from handoff_rules.engine.flatten import (
    DECIMAL_SCALE,
    DERIVED_PREFIX,
    FieldKind,
    FlatCase,
    FlatField,
    FlatValue,
    flatten_case,
)
from handoff_rules.engine.ir import SUBJECT, Clause, Compare, Condition, NeedFact, NeedField, Ref
from handoff_rules.engine.limits import (
    CaseBeyondLimit,
    WhyUndecided,
    facts_beyond_limit,
    values_beyond_limit,
)
from handoff_rules.engine.needs import base_sources, rule_needs
from handoff_rules.engine.reference import ReferenceBackend, holds, need_fact_met, own_test
from handoff_rules.engine.shared import SharedWork
from handoff_rules.engine.words import fact_noun, field_words
from handoff_rules.errors import EngineUnavailable, HandoffError
from handoff_rules.facts import Fact, Provenance, Reject, canonical_order
from handoff_rules.model import Derived, Money

__all__ = [
    "BACKENDS",
    "BATCH_SIZE",
    "EngineUnavailable",
    "PackEvaluator",
    "make_evaluator",
    "ruleset_name",
]

BACKENDS: Final = ("durable", "reference")
_FOREVER: Final = date.max.toordinal()

Row = Mapping[str, FlatValue]


def ruleset_name(pack: Pack) -> str:
    """The versioned engine ruleset name: the same name always means the same rules."""
    return f"{pack.name}@{pack.version}#{pack.digest[:8]}"


# --- rendering ----------------------------------------------------------------------


def _show(field: FlatField, row: Row) -> str:
    if field.kind is FieldKind.MONEY:
        minor, currency = row.get(field.key + "__minor"), row.get(field.key + "__currency")
        if not isinstance(minor, int) or not isinstance(currency, str):  # absent
            return "(missing)"
        return str(Money.from_minor(minor, currency))
    value = row.get(field.key)
    if value is None:
        return "(missing)"
    if field.kind is FieldKind.DATE and isinstance(value, int):
        return "no end" if value == _FOREVER else date.fromordinal(value).isoformat()
    if field.kind is FieldKind.BOOL:
        return "yes" if value else "no"
    if field.kind is FieldKind.DECIMAL and isinstance(value, int):
        # trailing zeros go (12.5, not 12.5000), but never into exponent form (10, not 1E+1)
        return format((Decimal(value) / DECIMAL_SCALE).normalize(), "f")
    return str(value)


def render(
    template: Template,
    rows: Mapping[str, Row],
    params: Mapping[str, Any],
    at: date,
    case_id: str,
) -> str:
    """Fill a checked template from flat rows: no attribute access, no code, no format specs."""
    values: dict[str, str] = {}
    name: str | None
    for name, root, field in template.fields:
        if root == "at":
            values[name] = at.isoformat()
        elif root == "case":
            values[name] = case_id
        elif root == "params":
            values[name] = _param_text(params.get(name.split(".", 1)[1]))
        elif field is not None and root in rows:
            values[name] = _show(field, rows[root])
        else:
            values[name] = "(n/a)"
    out: list[str] = []
    for literal, name in _pieces(template.text):
        out.append(literal)
        if name is not None:
            out.append(values[name])
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _pieces(text: str) -> tuple[tuple[str, str | None], ...]:
    """A template's literal text and field names, parsed once per template text."""
    return tuple((literal, name) for literal, name, _spec, _conv in string.Formatter().parse(text))


def _param_text(value: object) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


# --- evaluation ---------------------------------------------------------------------


@attrs.frozen(slots=True)
class _Judged:
    """One rule's finding before a checkpoint gives it a severity."""

    rule: Rule
    result: Result
    message: str
    sources: tuple[Provenance, ...]
    subject: str | None
    actions: tuple[Action, ...]


def _subject_id(row: Row) -> str | None:
    for key in ("id_", "subject"):
        value = row.get(key)
        if value is not None:
            return str(value)
    return None


def _sources(flat: FlatCase, indexes: Iterable[int]) -> tuple[Provenance, ...]:
    seen: list[Provenance] = []
    for index in indexes:
        fact = flat.facts[index]
        if fact is not None:
            seen.extend(place for place in fact.sources if place not in seen)
    return tuple(seen)


def _missing(rule: Rule, flat: FlatCase, row: Row) -> list[str]:
    """What the subject ``row`` lacks of the rule's ``requires``, in a user's words."""
    missing: list[str] = []
    for need in rule.ir.requires:
        if isinstance(need, NeedField):
            if need.key not in row:
                missing.append(need.label or field_words(rule.ir.subject, need.key))
        elif isinstance(need, NeedFact) and not need_fact_met(need, flat.rows, row):
            missing.append(need.label or f"a matching {fact_noun(need.fact_type)}")
    return missing


def _evidence_types(rule: Rule, pack: Pack) -> frozenset[str]:
    """The model fact types a rule's evidence comes from, through derived facts too."""
    types: set[str] = set()
    for need in rule_needs(rule, pack).needs:
        types.update(source_type for source_type, _ in base_sources(need))
        if need.fact_type.startswith(DERIVED_PREFIX):
            spec = BUILTIN_DERIVERS.get(need.fact_type[len(DERIVED_PREFIX) :])
            if spec is not None:
                types.update(spec.evidence)
    return frozenset(types)


def _unknown_applies(conditions: Sequence[Condition], row: Row) -> list[str]:
    """Flat keys an ``applies`` comparison reads that the subject row lacks.

    A comparison with an absent value is false, so without this a rule that
    applies "to documents of kind X" would silently not apply to a document
    whose kind is unknown. Presence tests (``exists``/``missing``) are the
    pack's explicit word on absence and never unknown.
    """
    unknown = []
    for condition in conditions:
        if isinstance(condition, Compare) and condition.key not in row:
            unknown.append(condition.key)
        elif (
            isinstance(condition, Compare)
            and isinstance(condition.value, Ref)
            and condition.value.key not in row
        ):
            unknown.append(condition.value.key)
    return unknown


def _rejected(rejects: Sequence[Reject]) -> str:
    """ "evidence rejected: FILE:LINE (reason)" for at most three rejects, then a count."""
    shown = []
    for reject in rejects[:3]:
        where = reject.provenance.source
        where += (
            f":{reject.provenance.line}"
            if reject.provenance.line
            else (f" ({reject.provenance.location})")
        )
        shown.append(f"{where} ({_first_line(reject.reason)})")
    more = f" and {len(rejects) - 3} more" if len(rejects) > 3 else ""
    return f"evidence rejected: {'; '.join(shown)}{more}"


def _first_line(text: str, limit: int = 160) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _canonical(case: Case) -> Case:
    """The case with its facts in the canonical order (itself when they already are)."""
    ordered = tuple(canonical_order(case.facts))
    return case if ordered == case.facts else attrs.evolve(case, facts=ordered)


_KIND_TYPES: Final[Mapping[FieldKind, type]] = {
    FieldKind.TEXT: str,
    FieldKind.INT: int,
    FieldKind.BOOL: bool,
    FieldKind.DATE: date,
    FieldKind.DECIMAL: Decimal,
}


def _is_kind(value: object, kind: FieldKind) -> bool:
    """Whether a derived value has the declared kind (a bool is not an int here)."""
    expected = _KIND_TYPES.get(kind)
    if expected is None or isinstance(value, bool) is not (expected is bool):
        return False
    if isinstance(value, datetime):  # a date with a time: not a day
        return False
    return isinstance(value, expected)


def _positive_aliases(clause: Clause) -> list[str]:
    return [j.alias for j in clause.joins if not j.negated]


#: Cases evaluated together by :meth:`PackEvaluator.evaluate_many` (one backend call).
BATCH_SIZE: Final = 64


@attrs.frozen(slots=True)
class _Plan:
    """Which rules one set of checkpoints needs, and each rule's severity at each."""

    rules: tuple[Rule, ...]
    checkpoints: tuple[Checkpoint, ...]
    #: per checkpoint: (index into ``rules``, severity) of the rules that guard it
    guards: tuple[tuple[tuple[int, Severity], ...], ...]


def _finding_order(finding: Finding) -> tuple[str, str, str, str]:
    # Result is a StrEnum: the member orders as its value, without the descriptor call
    return (finding.rule, finding.subject or "", finding.result, finding.message)


def _action_order(action: Action) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return (action.rule, action.kind, action.params)


class PackEvaluator:
    """Evaluates cases under one pack version with one match backend."""

    def __init__(
        self,
        pack: Pack,
        backend: MatchBackend,
        pm: pluggy.PluginManager | None = None,
        notice: str | None = None,
    ) -> None:
        self.pack = pack
        self.match_backend = backend
        self.backend = backend.name
        self.pm = pm
        self.notice = notice
        self._params = pack.param_values()
        self._derivers = pack.builtin_derivers
        self._plans: dict[tuple[Checkpoint, ...] | None, _Plan] = {}
        self._applies = {rule.id: own_test(rule.ir.applies, SUBJECT) for rule in pack.rules}
        #: per rule, the model fact types its evidence comes from: a rejected
        #: record of one of them leaves the rule unable to decide for that case
        self._evidence_types = {rule.id: _evidence_types(rule, pack) for rule in pack.rules}

    def derived_facts(self, case: Case, at: date) -> list[Fact]:
        """Built-in derived facts plus those of ``handoff_rules_derive_facts`` plugins.

        Derivers see the case's facts in the canonical order, so that when two
        facts disagree (the same invoice from two exports) the choice does not
        depend on arrival order.
        """
        case = _canonical(case)
        facts = run_builtin(self._derivers, case, at, self._params)
        facts.extend(self.plugin_facts(case, at))
        return facts

    def plugin_facts(self, case: Case, at: date) -> list[Fact]:
        """The derived facts of ``handoff_rules_derive_facts`` plugins, checked."""
        facts: list[Fact] = []
        if self.pm is not None:
            for result in self.pm.hook.handoff_rules_derive_facts(case=case, at=at):
                for fact in result or ():
                    if not isinstance(fact, Fact):
                        raise HandoffError(
                            f"a handoff_rules_derive_facts plugin returned {fact!r}, not a Fact"
                        )
                    if isinstance(fact.data, Derived):
                        self._check_declared_kinds(fact, fact.data)
                    facts.append(fact)
        return facts

    def _check_declared_kinds(self, fact: Fact, data: Derived) -> None:
        """Refuse a plugin's value of another kind than the pack declares for it.

        Such a value would compare false with everything, so a rule reading it
        would pass where it cannot decide: a silent pass, which is worse than
        stopping with an error that names the fact, the key and the adapter.
        """
        declared = self.pack.derived.get(data.name)
        if declared is None:
            return  # no rule can name it
        for key, value in data.values:
            kind = declared.get(key)
            if kind is None or value is None or _is_kind(value, kind):
                continue
            raise HandoffError(
                f"derived fact {data.name!r} from {fact.provenance.adapter} "
                f"({fact.provenance}): value {key!r} is {type(value).__name__} {value!r}, "
                f"but pack {self.pack.ref} declares it {kind.value}"
            )

    def flatten(self, case: Case, at: date) -> FlatCase:
        return flatten_case([*case.facts, *self.derived_facts(case, at)], at)

    def _prepare(
        self, case: Case, at: date, shared: SharedWork | None = None
    ) -> FlatCase | CaseBeyondLimit:
        """The flat case, or why it is beyond what a case may hold on every backend.

        The facts are counted before flattening (an oversized case costs no
        flat rows), the values after (the limits are on flat values). With
        ``shared``, work on facts shared with other cases is done once per run.
        """
        ready = shared.prepare(case, at) if shared is not None else None
        if ready is not None:
            return ready
        derived = self.derived_facts(case, at)
        beyond = facts_beyond_limit(case.id, len(case.facts), len(derived))
        if beyond is not None:
            return beyond
        flat = flatten_case([*case.facts, *derived], at)
        return values_beyond_limit(case.id, flat) or flat

    def evaluate(
        self, case: Case, at: date, checkpoints: Sequence[Checkpoint] | None = None
    ) -> list[Decision]:
        """One decision per checkpoint (default: every checkpoint the pack's rules guard).

        A case beyond a limit of ``handoff_rules.engine.limits`` reaches no
        backend: at each checkpoint every rule is ``indeterminate``, saying why.
        """
        plan = self._plan(checkpoints)
        flat = self._prepare(case, at)
        if isinstance(flat, CaseBeyondLimit):
            return self._undecided(plan, case.id, at, flat)
        return self._decide(plan, case, at, flat, self.match_backend.matches(flat.rows))

    def undecided(
        self,
        case: Case,
        at: date,
        why: WhyUndecided,
        checkpoints: Sequence[Checkpoint] | None = None,
    ) -> list[Decision]:
        """The decisions of a case no rule may decide, for a reason found before evaluating.

        Such as no version of the pack in force on the case's date: the case
        reaches no backend, and at each checkpoint every rule is
        ``indeterminate``, saying why, exactly as for a case beyond a limit.
        """
        return self._undecided(self._plan(checkpoints), case.id, at, why)

    def evaluate_many(
        self,
        items: Iterable[tuple[Case, date]],
        checkpoints: Sequence[Checkpoint] | None = None,
    ) -> Iterator[list[Decision]]:
        """:meth:`evaluate` of each ``(case, at)``, in order, lazily.

        The same decisions as one :meth:`evaluate` call per case; the cases go
        to the backend :data:`BATCH_SIZE` at a time, which lets the durable
        backend share engine sessions between them. A case beyond a limit is
        left out of its batch, so it costs the other cases nothing.
        """
        plan = self._plan(checkpoints)
        pending = iter(items)
        shared = self.shared_work()
        while chunk := list(itertools.islice(pending, BATCH_SIZE)):
            prepared = [self._prepare(case, at, shared) for case, at in chunk]
            flats = [flat for flat in prepared if isinstance(flat, FlatCase)]
            found = self.match_backend.matches_many([flat.rows for flat in flats])
            matched = iter(list(zip(flats, found, strict=True)))
            for (case, at), ready in zip(chunk, prepared, strict=True):
                if isinstance(ready, CaseBeyondLimit):
                    yield self._undecided(plan, case.id, at, ready)
                else:
                    flat, matches = next(matched)
                    yield self._decide(plan, case, at, flat, matches)

    def shared_work(self) -> SharedWork:
        """Work on the facts cases share (a customer's, global ones), for one run."""
        rules = [rule.ir for rule in self.pack.rules]
        return SharedWork(rules, self._derivers, self._params, self.plugin_facts)

    def _plan(self, checkpoints: Sequence[Checkpoint] | None) -> _Plan:
        key = tuple(checkpoints) if checkpoints is not None else None
        plan = self._plans.get(key)
        if plan is None:
            wanted = key if key is not None else self.pack.checkpoints
            rules = tuple(r for r in self.pack.rules if any(cp in r.checkpoints for cp in wanted))
            guards = tuple(
                tuple(
                    (number, rule.severity_at(checkpoint))
                    for number, rule in enumerate(rules)
                    if checkpoint in rule.checkpoints
                )
                for checkpoint in wanted
            )
            plan = self._plans[key] = _Plan(rules, wanted, guards)
        return plan

    def _decide(
        self, plan: _Plan, case: Case, at: date, flat: FlatCase, matches: Iterable[Match]
    ) -> list[Decision]:
        case_id = case.id
        best: dict[tuple[str, int], Match] = {}
        for match in matches:
            key = (match.rule, match.subject)
            known = best.get(key)
            if known is None or match < known:
                best[key] = match
        by_type: dict[FlatValue, list[int]] = {}
        for index, row in enumerate(flat.rows):
            by_type.setdefault(row["t"], []).append(index)
        judged = [
            self._with_rejects(rule, self._judge(rule, flat, by_type, best, case_id, at), case)
            for rule in plan.rules
        ]
        decisions = []
        # A rule guarding several checkpoints at one severity gives the same findings.
        made: dict[tuple[int, Severity], list[Finding]] = {}
        for checkpoint, guards in zip(plan.checkpoints, plan.guards, strict=True):
            findings: list[Finding] = []
            actions: list[Action] = []
            for number, severity in guards:
                items = judged[number]
                shared = made.get((number, severity))
                if shared is None:
                    shared = made[number, severity] = [
                        Finding(
                            rule=item.rule.id,
                            result=item.result,
                            severity=severity,
                            message=item.message,
                            sources=item.sources,
                            subject=item.subject,
                        )
                        for item in items
                    ]
                findings.extend(shared)
                for item in items:
                    actions.extend(item.actions)
            decisions.append(self._decision(case_id, checkpoint, at, findings, actions))
        return decisions

    def _undecided(
        self, plan: _Plan, case_id: str, at: date, beyond: WhyUndecided
    ) -> list[Decision]:
        """Every rule ``indeterminate`` at every checkpoint, naming the limit the case exceeds."""
        messages = [f"{rule.title}: cannot decide, {beyond.reason}" for rule in plan.rules]
        decisions = []
        for checkpoint, guards in zip(plan.checkpoints, plan.guards, strict=True):
            findings = [
                Finding(
                    rule=plan.rules[number].id,
                    result=Result.INDETERMINATE,
                    severity=severity,
                    message=messages[number],
                    sources=beyond.sources,
                    limit=beyond.limit,
                )
                for number, severity in guards
            ]
            decisions.append(self._decision(case_id, checkpoint, at, findings))
        return decisions

    def _decision(
        self,
        case_id: str,
        checkpoint: Checkpoint,
        at: date,
        findings: list[Finding],
        actions: Sequence[Action] = (),
    ) -> Decision:
        """A checkpoint's decision, its findings and actions in their canonical order."""
        return Decision(
            case=case_id,
            checkpoint=checkpoint,
            at=at,
            pack=self.pack.ref,
            findings=tuple(sorted(findings, key=_finding_order)),
            actions=tuple(sorted(actions, key=_action_order)),
        )

    def _judge(
        self,
        rule: Rule,
        flat: FlatCase,
        by_type: Mapping[FlatValue, list[int]],
        best: Mapping[tuple[str, int], Match],
        case_id: str,
        at: date,
    ) -> list[_Judged]:
        ir = rule.ir
        subjects = by_type.get(ir.subject)
        if not subjects:
            if not ir.subject_required:
                return [
                    _Judged(
                        rule,
                        Result.NOT_APPLICABLE,
                        f"{rule.title}: not applicable, the case has no {fact_noun(ir.subject)}",
                        (),
                        None,
                        (),
                    )
                ]
            return [
                _Judged(
                    rule,
                    Result.INDETERMINATE,
                    f"{rule.title}: cannot decide, the case has no {ir.subject} fact",
                    (),
                    None,
                    (),
                )
            ]
        result = []
        applies = self._applies[rule.id]
        noun = fact_noun(ir.subject)
        for index in subjects:
            row = flat.rows[index]
            subject_id = _subject_id(row)
            unknown = _unknown_applies(ir.applies, row) if ir.applies else ()
            if unknown:
                words = ", ".join(dict.fromkeys(field_words(ir.subject, k) for k in unknown))
                result.append(
                    _Judged(
                        rule,
                        Result.INDETERMINATE,
                        f"{rule.title}: cannot tell whether it applies to {noun} {subject_id}, "
                        f"missing {words}",
                        _sources(flat, [index]),
                        subject_id,
                        (),
                    )
                )
                continue
            if not applies(row):
                continue
            missing = _missing(rule, flat, row) if ir.requires else None
            if missing:
                result.append(
                    _Judged(
                        rule,
                        Result.INDETERMINATE,
                        f"{rule.title}: cannot decide for {noun} {subject_id}, "
                        f"missing {', '.join(missing)}",
                        _sources(flat, [index]),
                        subject_id,
                        (),
                    )
                )
                continue
            match = best.get((rule.id, index))
            if match is None:
                result.append(
                    _Judged(
                        rule,
                        Result.PASS,
                        f"{rule.title}: satisfied for {noun} {subject_id}",
                        _sources(flat, [index]),
                        subject_id,
                        self._actions(rule, row, case_id, at) if rule.actions else (),
                    )
                )
                continue
            clause = ir.violations[match.clause]
            rows = {SUBJECT: row}
            for alias, bound in zip(_positive_aliases(clause), match.bound, strict=True):
                rows[alias] = flat.rows[bound]
            template = rule.clause_messages[match.clause] or rule.message
            result.append(
                _Judged(
                    rule,
                    Result.FAIL,
                    render(template, rows, self._params, at, case_id),
                    _sources(flat, [index, *match.bound]),
                    subject_id,
                    (),
                )
            )
        if not result:
            result.append(
                _Judged(
                    rule,
                    Result.NOT_APPLICABLE,
                    f"{rule.title}: not applicable to any {noun} of the case",
                    (),
                    None,
                    (),
                )
            )
        return result

    def _with_rejects(self, rule: Rule, judged: list[_Judged], case: Case) -> list[_Judged]:
        """Findings that rejected evidence of the case could have changed, made indeterminate.

        A rejected record of a fact type the rule draws on (or of an unknown
        type) might have been the contract, the release or the payment that
        decides it; a ``pass`` or ``not_applicable`` is then not known, so it
        becomes ``indeterminate`` naming the rejects. A ``fail`` found on the
        evidence that was read stays a fail: no missing record can undo it.
        """
        if not case.rejects:
            return judged
        types = self._evidence_types[rule.id]
        relevant = [r for r in case.rejects if r.type is None or r.type in types]
        if not relevant:
            return judged
        reason = _rejected(relevant)
        sources = tuple(dict.fromkeys(r.provenance for r in relevant))
        return [
            attrs.evolve(
                item,
                result=Result.INDETERMINATE,
                message=f"{rule.title}: cannot decide"
                + (f" for {fact_noun(rule.ir.subject)} {item.subject}" if item.subject else "")
                + f", {reason}",
                sources=(*item.sources, *sources),
                actions=(),
            )
            if item.result in (Result.PASS, Result.NOT_APPLICABLE)
            else item
            for item in judged
        ]

    def _actions(self, rule: Rule, row: Row, case_id: str, at: date) -> tuple[Action, ...]:
        actions = []
        for spec in rule.actions:
            if not all(holds(c, row, SUBJECT, {}) for c in spec.when):
                continue
            params = {
                name: render(template, {SUBJECT: row}, self._params, at, case_id)
                for name, template in spec.params
            }
            actions.append(Action(kind=spec.kind, rule=rule.id, params=params))
        return tuple(actions)


def _durable(pack: Pack) -> MatchBackend:
    from handoff_rules.engine.durable_backend import DurableBackend

    return DurableBackend(ruleset_name(pack), [r.ir for r in pack.rules])


def durable_available() -> str | None:
    """None when the durable backend can run here, else why not."""
    try:
        from handoff_rules.engine import durable_backend
    except ImportError as exc:
        return f"the durable backend cannot be imported ({exc})"
    if not durable_backend.available():
        return "durable_rules is not installed or does not import on this Python"
    return None


def make_evaluator(
    pack: Pack, backend: str | None = None, pm: pluggy.PluginManager | None = None
) -> PackEvaluator:
    """An evaluator for ``pack``: ``durable`` (forced), ``reference``, or None = best available.

    With ``backend=None`` the durable backend is used where durable_rules runs,
    else the reference backend, and ``evaluator.notice`` says why. A forced
    ``durable`` that cannot run is an :class:`EngineUnavailable` error.
    """
    if backend not in (None, *BACKENDS):
        raise HandoffError(f"unknown engine {backend!r} (expected durable or reference)")
    rules = [r.ir for r in pack.rules]
    if backend == "reference":
        return PackEvaluator(pack, ReferenceBackend(ruleset_name(pack), rules), pm)
    reason = durable_available()
    if reason is None:
        return PackEvaluator(pack, _durable(pack), pm)
    if backend == "durable":
        raise EngineUnavailable(f"--engine durable: {reason}")
    notice = f"using the reference engine: {reason}"
    return PackEvaluator(pack, ReferenceBackend(ruleset_name(pack), rules), pm, notice)
