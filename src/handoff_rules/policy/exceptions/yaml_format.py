"""The YAML form of an exception register: a list of revisions, appended to, never rewritten.

The file is one YAML sequence; each item is one revision of one exception::

    - id: EX-2026-014
      revision: 1
      rule: ACC-POA-001
      pack: o2c-standard
      pack_versions: ">=1.0,<2"
      rule_digest: 3f1c…            # the rule's digest when approved
      scope: {order: "4711", checkpoint: H3}
      reason: known employee of the buyer, PoA re-issued on Monday
      ticket: OPS-2231
      requested_by: {name: Jana Novak, role: sales_rep}
      approved_by: {name: Petr Dvorak, role: chief_accountant}
      valid_from: 2026-11-02
      valid_until: 2026-11-06        # inclusive
      limits: {value: "50000.00 CZK", uses: 1}
    - id: EX-2026-014
      revision: 2
      revoked: {on: 2026-11-04, by: {name: Petr Dvorak, role: chief_accountant},
                reason: PoA arrived}

A revocation item carries only ``id``, ``revision`` and ``revoked``; it keeps
the rest of the previous revision. Because the file is a plain sequence, a new
revision is appended as text at its end: earlier revisions, comments and
layout stay byte for byte as they were.

The file is read by ``handoff_rules.yamlsafe``: UTF-8, one document, no
aliases, no tags beyond plain data's, bounded nesting; each refusal names its
line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import yaml

from handoff_rules.decision import Checkpoint
from handoff_rules.errors import RegisterError as RegisterError
from handoff_rules.model import Money, MoneyError
from handoff_rules.policy.exceptions.model import (
    ExceptionRevision,
    Party,
    Revocation,
    Scope,
)
from handoff_rules.policy.versions import InvalidSpecifier, parse_specifiers
from handoff_rules.yamlsafe import (
    BoundedLoader,
    YamlError,
    compose,
    construct,
    decode_utf8,
    first_refusal,
)

REQUIRED = (
    "id",
    "revision",
    "rule",
    "scope",
    "reason",
    "ticket",
    "requested_by",
    "approved_by",
    "valid_from",
    "valid_until",
    "pack_versions",
    "rule_digest",
)
OPTIONAL = ("pack", "limits", "revoked")
SCOPE_FIELDS = ("order", "counterparty", "person", "checkpoint", "subject")
#: A scope must name at least one of these: an exception for every case is a parameter change.
SCOPE_SUBJECTS = ("order", "counterparty", "subject")


class _Located(dict[str, Any]):
    """A YAML mapping that remembers where it and each of its keys were written."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(BoundedLoader):
    """The bounded safe loader, recording line numbers and refusing duplicate keys.

    YAML 1.1 reads ``on``/``no``/``yes`` as booleans and ``2026-13-01`` as a
    broken timestamp; here only ``true``/``false`` are booleans and dates stay
    text until a field that expects a date parses them with a clear message.
    """


_LineLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in BoundedLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Located:
    result = _Located()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"keys must be text, not {key!r}", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key!r} appears twice (first on line {result.key_lines[key]})",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


@attrs.frozen(slots=True)
class _Reader:
    """Field access on one register item, each error naming the line of the field."""

    source: str
    item: _Located

    def fail(
        self, message: str, key: str | None = None, item: _Located | None = None
    ) -> RegisterError:
        where = item if item is not None else self.item
        line = where.key_lines.get(key, where.line) if key is not None else where.line
        return RegisterError(self.source, message, f"line {line}")

    def text(self, key: str, item: _Located | None = None, *, required: bool = True) -> str | None:
        where = item if item is not None else self.item
        value = where.get(key)
        if value is None:
            if required:
                raise self.fail(f"{key!r} is required", None, where)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(f"{key!r} must be text, not {value!r}", key, where)
        text = str(value).strip()
        if not text:
            raise self.fail(f"{key!r} must not be empty", key, where)
        return text

    def required_text(self, key: str, item: _Located | None = None) -> str:
        value = self.text(key, item)
        assert value is not None
        return value

    def mapping(self, key: str, item: _Located | None = None) -> _Located:
        where = item if item is not None else self.item
        value = where.get(key)
        if not isinstance(value, _Located):
            raise self.fail(f"{key!r} must be a mapping, not {value!r}", key, where)
        return value

    def day(self, key: str, item: _Located | None = None) -> date:
        where = item if item is not None else self.item
        value = where.get(key)
        if isinstance(value, datetime):  # a !!timestamp with a time: no day to compare
            raise self.fail(f"{key!r} must be a date YYYY-MM-DD, not a date and time", key, where)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(f"{key!r} must be a date YYYY-MM-DD, not {value!r}", key, where)

    def party(self, key: str) -> Party:
        value = self.mapping(key)
        self.only(value, ("name", "role"), key)
        return Party(name=self.required_text("name", value), role=self.required_text("role", value))

    def only(self, item: _Located, allowed: tuple[str, ...], what: str) -> None:
        unknown = sorted(set(item) - set(allowed))
        if unknown:
            raise self.fail(
                f"unknown field {unknown[0]!r} in {what} (expected one of {', '.join(allowed)})",
                unknown[0],
                item,
            )

    def positive_int(self, key: str, item: _Located | None = None) -> int:
        where = item if item is not None else self.item
        value = where.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(f"{key!r} must be a whole number ≥ 1, not {value!r}", key, where)
        return value


def parse_money(text: str) -> Money:
    """``"50000.00 CZK"`` → Money; the amount is text so it never passes through a float."""
    parts = text.split()
    if len(parts) != 2:
        raise MoneyError(f"expected an amount and a currency like '5000.00 EUR', not {text!r}")
    amount, currency = parts
    return Money(Decimal(amount.replace(",", "")), currency.upper())


def _scope(reader: _Reader) -> Scope:
    item = reader.mapping("scope")
    reader.only(item, SCOPE_FIELDS, "scope")
    if not any(item.get(name) is not None for name in SCOPE_SUBJECTS):
        raise reader.fail(
            "scope must name at least one of order, counterparty or subject "
            "(an exception for every case is a parameter change, not an exception)",
            "scope",
        )
    checkpoint_text = reader.text("checkpoint", item, required=False)
    checkpoint = None
    if checkpoint_text is not None:
        try:
            checkpoint = Checkpoint(checkpoint_text.upper())
        except ValueError:
            raise reader.fail(
                f"scope checkpoint must be one of H1..H5, not {checkpoint_text!r}",
                "checkpoint",
                item,
            ) from None
    return Scope(
        order=reader.text("order", item, required=False),
        counterparty=reader.text("counterparty", item, required=False),
        person=reader.text("person", item, required=False),
        checkpoint=checkpoint,
        subject=reader.text("subject", item, required=False),
    )


def _limits(reader: _Reader) -> tuple[Money | None, int | None]:
    if reader.item.get("limits") is None:
        return None, None
    item = reader.mapping("limits")
    reader.only(item, ("value", "uses"), "limits")
    max_value = None
    if item.get("value") is not None:
        value = item["value"]
        if not isinstance(value, str):
            raise reader.fail(
                f"limits value must be text like '5000.00 EUR' (quoted, never a float), "
                f"not {value!r}",
                "value",
                item,
            )
        try:
            max_value = parse_money(value)
        except (MoneyError, ArithmeticError) as exc:
            raise reader.fail(f"limits value: {exc}", "value", item) from None
    max_uses = reader.positive_int("uses", item) if item.get("uses") is not None else None
    return max_value, max_uses


def _revocation(reader: _Reader) -> Revocation:
    item = reader.mapping("revoked")
    reader.only(item, ("on", "by", "reason"), "revoked")
    by = reader.mapping("by", item)
    reader.only(by, ("name", "role"), "revoked.by")
    return Revocation(
        on=reader.day("on", item),
        by=Party(reader.required_text("name", by), reader.required_text("role", by)),
        reason=reader.required_text("reason", item),
    )


def _pack_versions(reader: _Reader) -> str:
    text = reader.required_text("pack_versions")
    try:
        parse_specifiers(text)
    except InvalidSpecifier:
        raise reader.fail(
            f"pack_versions must be PEP 440 version specifiers like '>=1.0,<2', not {text!r}",
            "pack_versions",
        ) from None
    return text


def parse_revision(
    source: str, item: object, previous: Mapping[str, ExceptionRevision]
) -> ExceptionRevision:
    """One register item → a revision. ``previous`` holds the latest revision read per id."""
    if not isinstance(item, _Located):
        raise RegisterError(source, f"each item must be a mapping (one revision), not {item!r}")
    reader = _Reader(source, item)
    exc_id = reader.required_text("id")
    number = reader.positive_int("revision")
    before = previous.get(exc_id)
    expected = 1 if before is None else before.revision + 1
    if number != expected:
        what = "a new exception" if before is None else f"after revision {before.revision}"
        raise reader.fail(
            f"exception {exc_id}: revision {number} is out of sequence ({what} "
            f"expects revision {expected}); revisions are appended, never rewritten",
            "revision",
        )
    if "revoked" in item and set(item) <= {"id", "revision", "revoked"}:
        if before is None:
            raise reader.fail(f"exception {exc_id}: revision 1 cannot be a revocation", "revoked")
        return attrs.evolve(
            before, revision=number, revoked=_revocation(reader), source=f"{source}:{item.line}"
        )
    reader.only(item, REQUIRED + OPTIONAL, f"exception {exc_id}")
    for key in REQUIRED:
        if item.get(key) is None:
            raise reader.fail(f"exception {exc_id}: {key!r} is required")
    valid_from = reader.day("valid_from")
    valid_until = reader.day("valid_until")
    if valid_until < valid_from:
        raise reader.fail(
            f"exception {exc_id}: valid_until {valid_until} is before valid_from {valid_from}",
            "valid_until",
        )
    max_value, max_uses = _limits(reader)
    return ExceptionRevision(
        id=exc_id,
        revision=number,
        rule=reader.required_text("rule"),
        scope=_scope(reader),
        reason=reader.required_text("reason"),
        ticket=reader.required_text("ticket"),
        requested_by=reader.party("requested_by"),
        approved_by=reader.party("approved_by"),
        valid_from=valid_from,
        valid_until=valid_until,
        pack_versions=_pack_versions(reader),
        rule_digest=reader.required_text("rule_digest"),
        pack=reader.text("pack", required=False),
        max_value=max_value,
        max_uses=max_uses,
        revoked=_revocation(reader) if item.get("revoked") is not None else None,
        source=f"{source}:{item.line}",
    )


def register_text(data: bytes, source: str) -> str:
    """The text of a register file's bytes, which must be UTF-8 (else an error at its line)."""
    try:
        return decode_utf8(data, source)
    except YamlError as exc:
        raise RegisterError(source, exc.message, exc.location) from None


def parse_register_text(text: str, source: str) -> list[ExceptionRevision]:
    """Every revision in a register file, in file order; the first mistake is an error."""
    try:
        root = compose(text, source, _LineLoader)
        if root is None:
            return []
        if not isinstance(root, yaml.SequenceNode) and first_refusal(root) is None:
            raise RegisterError(
                source,
                "a register is a YAML list of exception revisions ('- id: ...' items)",
                f"line {root.start_mark.line + 1}",
            )
        data = construct(root, source, _LineLoader(""))
    except YamlError as exc:
        raise RegisterError(source, exc.message, exc.location) from None
    latest: dict[str, ExceptionRevision] = {}
    revisions = []
    for item in data:
        revision = parse_revision(source, item, latest)
        latest[revision.id] = revision
        revisions.append(revision)
    return revisions


def revision_yaml(revision: ExceptionRevision, previous: ExceptionRevision | None) -> str:
    """The YAML text of one revision as a list item, ready to append to a register."""
    if (
        revision.revoked is not None
        and previous is not None
        and attrs.evolve(previous, revision=revision.revision, revoked=revision.revoked) == revision
    ):
        data: dict[str, Any] = {
            "id": revision.id,
            "revision": revision.revision,
            "revoked": revision.revoked.to_dict(),
        }
    else:
        data = revision_document(revision)
    return yaml.safe_dump([data], sort_keys=False, allow_unicode=True, width=100)


def revision_document(revision: ExceptionRevision) -> dict[str, Any]:
    """A revision as written in a register file (money as ``"2000.00 EUR"``)."""
    data = revision.to_dict()
    if "limits" in data and "value" in data["limits"]:
        value = data["limits"]["value"]
        data["limits"]["value"] = f"{value['amount']} {value['currency']}"
    return data
