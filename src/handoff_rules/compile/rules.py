"""Rules in YAML compiled to the rule IR, with their metadata and message templates.

The compiler checks every rule against the fact model (fields, kinds,
choices), the pack's parameters and derived fact declarations, and reports a
mistake as a :class:`~handoff_rules.yamlsrc.PackError` at its ``file:line``.
It produces :class:`~handoff_rules.engine.compiled.Rule` objects holding the
IR the backends evaluate; reading the files is :mod:`handoff_rules.policy.pack`'s job.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import string
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

import attrs

from handoff_rules.compile.conditions import Compiled, Scope, compile_condition
from handoff_rules.decision import Checkpoint, Severity, canonical_json
from handoff_rules.engine.compiled import ActionSpec, Parameter, Rule, Template
from handoff_rules.engine.derive import BUILTIN_DERIVERS
from handoff_rules.engine.flatten import (
    DERIVED_PREFIX,
    EVALUATION_TYPE,
    FieldKind,
    FlatField,
    field_schema,
)
from handoff_rules.engine.ir import (
    SUBJECT,
    Clause,
    Compare,
    Condition,
    Const,
    Join,
    NeedFact,
    NeedField,
    Op,
    Present,
    Ref,
    Requirement,
    RuleIR,
    RuleIRError,
)
from handoff_rules.engine.words import field_words
from handoff_rules.yamlsrc import Y

__all__ = [
    "OWNERS",
    "RuleCompiler",
    "compile_rules",
    "content_digest",
    "derived_declarations",
    "jsonable",
]

OWNERS: Final = ("SAL", "SUP", "ACC", "LOG", "LEG", "OPS")
_RULE_ID_RE: Final = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+")
_ROLE_RE: Final = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER_RE: Final = re.compile(r"(?P<root>[a-z_][a-z0-9_]*)(?:\.(?P<path>[a-z_][a-z0-9_.]*))?")
_MAX_CLAUSES: Final = 32
_RULE_KEYS: Final = {
    "id",
    "title",
    "owner",
    "checkpoints",
    "severity",
    "waivable_by",
    "max_waiver_days",
    "subject",
    "subject_required",
    "applies",
    "requires",
    "fail_when",
    "fail_unless_exists",
    "message",
    "action",
    "description",
}
_REVERSED: Final = {
    Op.LT: Op.GT,
    Op.LE: Op.GE,
    Op.GT: Op.LT,
    Op.GE: Op.LE,
    Op.EQ: Op.EQ,
    Op.NE: Op.NE,
}


def content_digest(value: object) -> str:
    """sha256 of the canonical JSON of a YAML value: pack and rule digests (the lock pins them)."""
    text = canonical_json(jsonable(value))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def derived_declarations(node: Y | None) -> dict[str, dict[str, FieldKind]]:
    result: dict[str, dict[str, FieldKind]] = {
        name: dict(spec.fields) for name, spec in BUILTIN_DERIVERS.items()
    }
    if node is None:
        return result
    for name, fields in node.mapping("derived_facts").items():
        if name in BUILTIN_DERIVERS:
            raise fields.error(f"derived fact {name!r} is built in; choose another name")
        kinds: dict[str, FieldKind] = {}
        for key, kind_node in fields.mapping(f"derived fact {name}").items():
            kind = kind_node.text(f"kind of {name}.{key}")
            if kind not in {k.value for k in FieldKind} or kind == "money":
                raise kind_node.error(
                    f"kind {kind!r} of {name}.{key}: expected text, int, bool, date or decimal"
                )
            kinds[key] = FieldKind(kind)
        result[name] = kinds
    return result


def compile_rules(
    rule_nodes: Sequence[Y],
    params: Mapping[str, Parameter],
    derived: Mapping[str, Mapping[str, FieldKind]],
    header: Y,
) -> tuple[Rule, ...]:
    """Every rule compiled, ordered by id; a rule id used twice is an error at its second use."""
    compiler = RuleCompiler(params, derived)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for node in rule_nodes:
        rule = compiler.compile(node)
        if rule.id in seen:
            raise node.error(f"rule id {rule.id} is already used at {seen[rule.id]}")
        seen[rule.id] = rule.source
        rules.append(rule)
    _check_deriver_params(rules, params, header)
    return tuple(sorted(rules, key=lambda r: r.id))


def _check_deriver_params(
    rules: Sequence[Rule], params: Mapping[str, Parameter], header: Y
) -> None:
    for rule in rules:
        for fact_type in sorted(rule.ir.fact_types):
            spec = BUILTIN_DERIVERS.get(fact_type[len(DERIVED_PREFIX) :])
            if not fact_type.startswith(DERIVED_PREFIX) or spec is None:
                continue
            for pname, types in spec.params.items():
                param = params.get(pname)
                if param is None or param.type not in types:
                    raise header.error(
                        f"rule {rule.id} uses {fact_type}, which needs parameter {pname!r} "
                        f"of type {' or '.join(types)} in pack.yaml"
                    )


# --- rules ---------------------------------------------------------------------------


def _reverse(cond: Condition, at_key: str = "date") -> Condition:
    """``subject.x <op> at + k``  ->  ``at.date <rev op> subject.x - k`` (for the at join)."""
    assert isinstance(cond, Compare)
    assert isinstance(cond.value, Ref)
    return Compare(at_key, _REVERSED[cond.op], Ref(SUBJECT, cond.key, -cond.value.offset))


def _compile_condition(entry: Y, scope: Scope) -> Compiled:
    """A condition compiled, with a constant the IR refuses (beyond int64) an error at its line."""
    try:
        return compile_condition(entry, scope)
    except RuleIRError as exc:
        raise entry.error(str(exc)) from None


def _product(groups: Sequence[list[list[Condition]]]) -> list[list[Condition]]:
    """All combinations of alternatives: one conjunction per combination."""
    return [[c for part in combo for c in part] for combo in itertools.product(*groups)] or [[]]


@attrs.define
class RuleCompiler:
    params: Mapping[str, Parameter]
    derived: Mapping[str, Mapping[str, FieldKind]]

    def schema(self, node: Y, fact_type: str) -> Mapping[str, FlatField]:
        schema = field_schema(fact_type, self.derived)
        if schema is None or fact_type == EVALUATION_TYPE:
            from handoff_rules.model import FACT_TYPES

            known = sorted(
                [t for t in FACT_TYPES if t != "derived"]
                + [DERIVED_PREFIX + n for n in self.derived]
            )
            raise node.error(f"unknown fact type {fact_type!r} (known: {', '.join(known)})")
        return schema

    def compile(self, node: Y) -> Rule:
        items = node.keys(
            "a rule",
            _RULE_KEYS,
            {"id", "title", "owner", "checkpoints", "severity", "subject", "message"},
        )
        rule_id = items["id"].text("id")
        if not _RULE_ID_RE.fullmatch(rule_id):
            raise items["id"].error(f"rule id {rule_id!r}: expected e.g. ACC-POA-001")
        owner = items["owner"].text("owner")
        if owner not in OWNERS:
            raise items["owner"].error(f"owner {owner!r}: expected one of {', '.join(OWNERS)}")
        checkpoints = self._checkpoints(items["checkpoints"])
        severity, by_cp = self._severity(items["severity"], checkpoints)
        waivable: tuple[str, ...] = ()
        if "waivable_by" in items:
            waivable = tuple(self._role(n) for n in items["waivable_by"].sequence("waivable_by"))
        max_waiver_days = None
        if "max_waiver_days" in items:
            max_waiver_days = items["max_waiver_days"].integer("max_waiver_days", minimum=1)
        subject_type = items["subject"].text("subject")
        subject_schema = self.schema(items["subject"], subject_type)
        subject_required = False
        if "subject_required" in items:
            flag = items["subject_required"]
            if not isinstance(flag.value, bool):
                raise flag.error("subject_required must be true or false")
            subject_required = flag.value

        applies = self._applies(items.get("applies"), subject_type, subject_schema)
        requires = self._requires(items.get("requires"), subject_type, subject_schema)
        clauses, clause_message_nodes, aliases = self._violations(
            node, items, subject_type, subject_schema
        )
        try:
            ir = RuleIR(
                id=rule_id,
                subject=subject_type,
                applies=applies,
                requires=requires,
                violations=tuple(clauses),
                subject_required=subject_required,
            )
        except RuleIRError as exc:
            raise node.error(str(exc)) from None
        scopes = {SUBJECT: subject_schema, **aliases}
        message = self._template(items["message"], scopes)
        clause_messages = tuple(
            None if m is None else self._template(m, scopes) for m in clause_message_nodes
        )
        actions = self._actions(items.get("action"), subject_type, subject_schema)
        digest = content_digest({"rule": node.plain(), "params": self._used_params(node, ir)})
        description = items["description"].text("description") if "description" in items else ""
        return Rule(
            id=rule_id,
            title=items["title"].text("title"),
            owner=owner,
            checkpoints=checkpoints,
            severity=severity,
            severity_by_checkpoint=by_cp,
            waivable_by=waivable,
            max_waiver_days=max_waiver_days,
            ir=ir,
            message=message,
            clause_messages=clause_messages,
            actions=actions,
            digest=digest,
            source=node.where(),
            description=description,
        )

    # -- metadata --

    @staticmethod
    def _checkpoints(node: Y) -> tuple[Checkpoint, ...]:
        values = node.sequence("checkpoints") if isinstance(node.value, list) else [node]
        result = []
        for item in values:
            text = item.text("checkpoint")
            try:
                result.append(Checkpoint(text))
            except ValueError:
                raise item.error(
                    f"checkpoint {text!r}: expected one of H1, H2, H3, H4, H5"
                ) from None
        if not result:
            raise node.error("a rule guards at least one checkpoint")
        return tuple(sorted(set(result), key=list(Checkpoint).index))

    @staticmethod
    def _one_severity(node: Y) -> Severity:
        text = node.text("severity")
        try:
            return Severity(text)
        except ValueError:
            raise node.error(f"severity {text!r}: expected block or warn") from None

    def _severity(
        self, node: Y, checkpoints: tuple[Checkpoint, ...]
    ) -> tuple[Severity, tuple[tuple[Checkpoint, Severity], ...]]:
        if not isinstance(node.value, dict):
            return self._one_severity(node), ()
        by_cp: list[tuple[Checkpoint, Severity]] = []
        for key, value in node.mapping("severity").items():
            try:
                checkpoint = Checkpoint(key)
            except ValueError:
                raise value.error(f"severity per checkpoint: {key!r} is not H1..H5") from None
            if checkpoint not in checkpoints:
                raise value.error(f"severity for {key}, which the rule does not guard")
            by_cp.append((checkpoint, self._one_severity(value)))
        missing = [cp for cp in checkpoints if cp not in dict(by_cp)]
        if missing:
            raise node.error(f"severity lacks {', '.join(missing)}")
        strongest = Severity.BLOCK if any(s is Severity.BLOCK for _, s in by_cp) else Severity.WARN
        return strongest, tuple(sorted(by_cp, key=lambda p: list(Checkpoint).index(p[0])))

    @staticmethod
    def _role(node: Y) -> str:
        text = node.text("role")
        if not _ROLE_RE.fullmatch(text):
            raise node.error(f"role {text!r}: expected lower_snake_case like chief_accountant")
        return text

    # -- conditions --

    def _conditions(self, node: Y | None, scope: Scope, what: str) -> list[tuple[Y, Any]]:
        if node is None or node.value is None:
            return []
        entries = node.sequence(what) if isinstance(node.value, list) else [node]
        return [(entry, _compile_condition(entry, scope)) for entry in entries]

    def _applies(
        self, node: Y | None, subject_type: str, schema: Mapping[str, FlatField]
    ) -> list[Condition]:
        scope = Scope(SUBJECT, subject_type, schema, {}, self.params)
        result: list[Condition] = []
        for entry, compiled in self._conditions(node, scope, "applies"):
            if len(compiled.alternatives) == 1:
                result.extend(compiled.alternatives[0])
                continue
            result.extend(self._complement(entry, schema, compiled.alternatives))
        return result

    @staticmethod
    def _complement(
        entry: Y, schema: Mapping[str, FlatField], alternatives: list[list[Condition]]
    ) -> list[Condition]:
        """``x in [a, b]`` on an enum field as ``x exists`` and ``x != c`` for every other c."""
        first = alternatives[0][0]
        assert isinstance(first, Compare)
        field = next((f for f in schema.values() if f.key == first.key), None)
        if field is None or not field.choices:
            raise entry.error(
                "'in' in 'applies' works on enum fields only (use a rule per value otherwise)"
            )
        chosen = {
            c.value.value
            for alt in alternatives
            for c in alt
            if isinstance(c, Compare) and isinstance(c.value, Const)
        }
        others = [v for v in field.choices if v not in chosen]
        return [
            Present(field.key),
            *(Compare(field.key, Op.NE, Const(v), True) for v in others),
        ]

    def _requires(
        self, node: Y | None, subject_type: str, schema: Mapping[str, FlatField]
    ) -> list[Requirement]:
        if node is None:
            return []
        result: list[Requirement] = []
        for entry in node.sequence("requires"):
            if isinstance(entry.value, str):
                path = entry.value.strip()
                field = schema.get(path)
                if field is None:
                    raise entry.error(f"{subject_type} has no field {path!r} to require")
                key = field.key + ("__minor" if field.kind is FieldKind.MONEY else "")
                result.append(NeedField(key, field_words(subject_type, path)))
                continue
            items = entry.keys("a required fact", {"fact", "where", "label"}, {"fact"})
            fact_type = items["fact"].text("fact")
            fact_schema = self.schema(items["fact"], fact_type)
            scope = Scope("need", fact_type, fact_schema, {SUBJECT: schema}, self.params)
            conditions: list[Condition] = []
            for cond_node, compiled in self._conditions(items.get("where"), scope, "where"):
                if len(compiled.alternatives) != 1:
                    raise cond_node.error("'in' is not allowed in a required fact (use 'not in')")
                conditions.extend(compiled.alternatives[0])
            label = items["label"].text("label") if "label" in items else fact_type
            result.append(NeedFact(fact_type, tuple(conditions), label))
        return result

    def _violations(
        self,
        rule_node: Y,
        items: Mapping[str, Y],
        subject_type: str,
        schema: Mapping[str, FlatField],
    ) -> tuple[list[Clause], list[Y | None], dict[str, Mapping[str, FlatField]]]:
        has_when, has_unless = "fail_when" in items, "fail_unless_exists" in items
        if has_when == has_unless:
            raise rule_node.error("a rule needs exactly one of fail_when or fail_unless_exists")
        aliases: dict[str, Mapping[str, FlatField]] = {}
        clauses: list[Clause] = []
        messages: list[Y | None] = []
        if has_unless:
            specs = [
                (Y({"not_exists": items["fail_unless_exists"]}, *_pos(items["fail_unless_exists"])))
            ]
        else:
            node = items["fail_when"]
            specs = node.sequence("fail_when") if isinstance(node.value, list) else [node]
        for spec in specs:
            new, message = self._clause(spec, subject_type, schema, aliases)
            clauses.extend(new)
            messages.extend([message] * len(new))
        if len(clauses) > _MAX_CLAUSES:
            raise rule_node.error(
                f"the rule expands to {len(clauses)} clauses (at most {_MAX_CLAUSES}); "
                "split it or use fewer 'in' alternatives"
            )
        return clauses, messages, aliases

    def _clause(
        self,
        spec: Y,
        subject_type: str,
        schema: Mapping[str, FlatField],
        aliases: dict[str, Mapping[str, FlatField]],
    ) -> tuple[list[Clause], Y | None]:
        items = spec.keys("a fail_when clause", {"where", "exists", "not_exists", "message"})
        if not items:
            raise spec.error("an empty clause would fail every subject")
        at_schema = field_schema(EVALUATION_TYPE) or {}
        uses_at = False
        at_conditions: list[Condition] = []
        subject_groups: list[list[list[Condition]]] = []
        scope = Scope(SUBJECT, subject_type, schema, {"at": at_schema}, self.params)
        for entry, compiled in self._conditions(items.get("where"), scope, "where"):
            if compiled.uses_at:
                uses_at = True
                try:
                    at_conditions.extend(_reverse(c) for c in compiled.alternatives[0])
                except RuleIRError as exc:
                    raise entry.error(str(exc)) from None
            else:
                subject_groups.append(compiled.alternatives)

        others: dict[str, Mapping[str, FlatField]] = {SUBJECT: schema, "at": at_schema}
        positive: list[list[Join]] = []  # alternatives per positive join
        negated: list[Join] = []
        for kind in ("exists", "not_exists"):
            if kind not in items:
                continue
            entries = items[kind]
            for number, entry in enumerate(
                entries.sequence(kind) if isinstance(entries.value, list) else [entries]
            ):
                join_items = entry.keys(f"an {kind} entry", {"fact", "where", "as"}, {"fact"})
                fact_type = join_items["fact"].text("fact")
                fact_schema = self.schema(join_items["fact"], fact_type)
                prefix = "n" if kind == "not_exists" else "j"
                alias = (
                    join_items["as"].text("as")
                    if "as" in join_items
                    else f"{prefix}{len(positive) + len(negated)}_{number}"
                )
                if kind == "not_exists" and "as" in join_items:
                    raise join_items["as"].error("a fact that must not exist cannot be named")
                if alias in others or alias in ("params", "case", "need"):
                    raise entry.error(f"alias {alias!r} is already used or reserved")
                join_scope = Scope(alias, fact_type, fact_schema, dict(others), self.params)
                groups: list[list[list[Condition]]] = []
                for _c, compiled in self._conditions(join_items.get("where"), join_scope, "where"):
                    uses_at = uses_at or compiled.uses_at
                    groups.append(compiled.alternatives)
                combos = _product(groups)
                if kind == "exists":
                    positive.append([Join(alias, fact_type, tuple(c)) for c in combos])
                    others[alias] = fact_schema
                    aliases[alias] = fact_schema
                else:
                    negated.extend(
                        Join(
                            f"{alias}_{i}" if len(combos) > 1 else alias, fact_type, tuple(c), True
                        )
                        for i, c in enumerate(combos)
                    )
        at_join = [Join("at", EVALUATION_TYPE, tuple(at_conditions))] if uses_at else []
        clauses = []
        join_choices: list[tuple[Join, ...]] = (
            list(itertools.product(*positive)) if positive else [()]
        )
        for subject_conditions in _product(subject_groups):
            for chosen in join_choices:
                all_joins: list[Join] = [*at_join, *chosen, *negated]
                clauses.append(Clause(subject=tuple(subject_conditions), joins=tuple(all_joins)))
        return clauses, items.get("message")

    # -- templates and actions --

    def _template(self, node: Y, scopes: Mapping[str, Mapping[str, FlatField]]) -> Template:
        text = node.text("a message")
        fields: list[tuple[str, str, FlatField | None]] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise node.error(
                f"bad message template: {exc} (write {{{{ for a literal brace)"
            ) from None
        for _literal, name, spec, conversion in parsed:
            if name is None:
                continue
            if spec or conversion:
                raise node.error(f"placeholder {{{name}}}: no format specs or conversions allowed")
            match = _PLACEHOLDER_RE.fullmatch(name)
            if match is None:
                raise node.error(f"placeholder {{{name}}}: expected {{alias.field}}")
            root, path = match["root"], match["path"]
            if root in ("at", "case") and path is None:
                fields.append((name, root, None))
            elif root == "params" and path is not None:
                if path not in self.params:
                    raise node.error(f"placeholder {{{name}}}: unknown parameter {path!r}")
                fields.append((name, root, None))
            elif root in scopes and path is not None:
                field = scopes[root].get(path)
                if path == "id" and field is None:
                    field = scopes[root].get("subject")
                if field is None:
                    raise node.error(f"placeholder {{{name}}}: {root} has no field {path!r}")
                fields.append((name, root, field))
            else:
                raise node.error(
                    f"placeholder {{{name}}}: expected subject.<field>, <alias>.<field>, "
                    f"params.<name>, at or case (aliases: {', '.join(sorted(scopes))})"
                )
        return Template(text, tuple(fields))

    def _actions(
        self, node: Y | None, subject_type: str, schema: Mapping[str, FlatField]
    ) -> tuple[ActionSpec, ...]:
        if node is None:
            return ()
        entries = node.sequence("action") if isinstance(node.value, list) else [node]
        return tuple(self._action(entry, subject_type, schema) for entry in entries)

    def _action(self, node: Y, subject_type: str, schema: Mapping[str, FlatField]) -> ActionSpec:
        items = node.keys("action", {"kind", "when", "params"}, {"kind"})
        kind = items["kind"].text("action kind")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", kind):
            raise items["kind"].error(f"action kind {kind!r}: expected lower_snake_case")
        when = self._applies(items.get("when"), subject_type, schema)
        params: list[tuple[str, Template]] = []
        if "params" in items:
            for key, value in items["params"].mapping("action params").items():
                params.append((key, self._template(value, {SUBJECT: schema})))
        return ActionSpec(kind, tuple(when), tuple(sorted(params, key=lambda p: p[0])))

    def _used_params(self, node: Y, ir: RuleIR) -> dict[str, object]:
        text = canonical_json(jsonable(node.plain()))
        names = set(re.findall(r"params\.([a-z][a-z0-9_]*)", text))
        for fact_type in ir.fact_types:
            spec = BUILTIN_DERIVERS.get(fact_type[len(DERIVED_PREFIX) :])
            if fact_type.startswith(DERIVED_PREFIX) and spec is not None:
                names.update(spec.params)
        return {n: self.params[n].canonical() for n in sorted(names) if n in self.params}


def _pos(node: Y) -> tuple[str, int]:
    return node.file, node.line
