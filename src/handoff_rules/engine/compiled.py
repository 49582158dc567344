"""A compiled pack: what the compiler produces and the evaluator consumes.

The rule IR (:mod:`handoff_rules.engine.ir`) says when a rule fails; these
classes carry it with what a decision reports besides (owner, checkpoints,
severity, message templates, actions) and the typed parameter values. They
live beside the IR so that the engine needs nothing from the modules that read
pack files (``handoff_rules.policy``) or compile them
(``handoff_rules.compile``): both of those import the engine, never the
other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from handoff_rules.decision import Checkpoint, PackRef, Severity
from handoff_rules.engine.derive import BUILTIN_DERIVERS
from handoff_rules.engine.flatten import DERIVED_PREFIX, FieldKind, FlatField
from handoff_rules.engine.ir import Condition, RuleIR
from handoff_rules.engine.tolerance import ToleranceTable
from handoff_rules.model import Money

__all__ = ["ActionSpec", "Pack", "Parameter", "Rule", "Template"]


@attrs.frozen(slots=True)
class Parameter:
    """One parameter: name, type, value (typed: int, Decimal, Money, date, str, ...)."""

    name: str
    type: str
    value: Any
    description: str = ""

    def canonical(self) -> object:
        """A JSON-safe spelling of the value, for digests."""
        return _canonical(self.value)


def _canonical(value: object) -> object:
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, Decimal | date):
        return str(value)
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, ToleranceTable):
        return value.canonical()
    return value


@attrs.frozen(slots=True)
class Template:
    """A message template: text with ``{subject.field}``-style placeholders, checked."""

    text: str
    #: (placeholder text, root, flat field or None for params/at/case)
    fields: tuple[tuple[str, str, FlatField | None], ...]


@attrs.frozen(slots=True)
class ActionSpec:
    """What a passing subject asks the integration to do (e.g. write off a residual)."""

    kind: str
    when: tuple[Condition, ...]
    params: tuple[tuple[str, Template], ...]


@attrs.frozen(slots=True)
class Rule:
    """One compiled rule with its metadata; ``ir`` is what backends evaluate."""

    id: str
    title: str
    owner: str
    checkpoints: tuple[Checkpoint, ...]
    severity: Severity
    severity_by_checkpoint: tuple[tuple[Checkpoint, Severity], ...]
    waivable_by: tuple[str, ...]
    max_waiver_days: int | None
    ir: RuleIR
    message: Template
    clause_messages: tuple[Template | None, ...]
    actions: tuple[ActionSpec, ...]
    digest: str
    source: str  # file:line of the rule
    description: str = ""

    def severity_at(self, checkpoint: Checkpoint) -> Severity:
        return dict(self.severity_by_checkpoint).get(checkpoint, self.severity)


@attrs.frozen(slots=True)
class Pack:
    """One pack version, validated and compiled."""

    name: str
    version: str
    effective_from: date
    description: str
    digest: str
    parameters: Mapping[str, Parameter]
    max_exception_days: int | None
    rules: tuple[Rule, ...]
    derived: Mapping[str, Mapping[str, FieldKind]]
    folder: str

    @property
    def ref(self) -> PackRef:
        return PackRef(self.name, self.version, self.digest)

    @property
    def rule_map(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    def param_values(self) -> dict[str, Any]:
        return {name: p.value for name, p in self.parameters.items()}

    @property
    def checkpoints(self) -> tuple[Checkpoint, ...]:
        used = {cp for rule in self.rules for cp in rule.checkpoints}
        return tuple(cp for cp in Checkpoint if cp in used)

    @property
    def builtin_derivers(self) -> tuple[str, ...]:
        types = {t for rule in self.rules for t in rule.ir.fact_types}
        return tuple(
            sorted(
                t[len(DERIVED_PREFIX) :]
                for t in types
                if t.startswith(DERIVED_PREFIX) and t[len(DERIVED_PREFIX) :] in BUILTIN_DERIVERS
            )
        )
