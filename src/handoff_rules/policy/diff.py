"""What changed between two pack versions, and whether the version bump says so.

Compliance reviews a pack like code: the diff lists rules and parameters
added, removed and changed, and rates each change the way semantic versioning
rates an API change:

- **major**: something that can block a case that passed before: a new
  blocking rule; a warning made blocking; a blocking rule guarding more
  checkpoints; fewer roles allowed to waive; a shorter waiver cap; a rule
  condition changed (a condition edit cannot be proven to loosen, so it
  counts as tightening); a parameter changed in the tightening direction or
  in an unknown one;
- **minor**: a new warning, a loosened parameter or rule, a rule removed,
  a new parameter;
- **patch**: wording only (title, message, description).

A parameter's direction comes from its name: a higher value loosens a
parameter whose name speaks of a maximum, limit, tolerance, grace period,
allowance or days (``poa_max_days``, ``loss_amount_tolerance``); a higher
value tightens one named ``min…``. Anything else is "unknown" and rated major.
The check fails when the version bump is smaller than the largest change.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol, cast

import attrs

from handoff_rules.decision import PackIdentity
from handoff_rules.model import Money
from handoff_rules.policy.versions import InvalidVersion, parse_version


class Level(enum.IntEnum):
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    def __str__(self) -> str:
        return self.name.lower()


class DiffPack(PackIdentity, Protocol):
    @property
    def max_exception_days(self) -> int | None: ...

    @property
    def rules(self) -> Any: ...

    @property
    def parameters(self) -> Any: ...


#: Rule fields that only change what people read.
WORDING_FIELDS = frozenset({"title", "message", "clause_messages", "description", "doc", "notes"})
#: Rule fields that identify or are derived, never compared directly.
SKIPPED_FIELDS = frozenset({"id", "digest", "source", "file", "line"})
_LOOSER_WHEN_HIGHER = ("max", "limit", "tolerance", "grace", "allow", "days", "cap", "threshold")


@attrs.frozen(slots=True)
class Change:
    level: Level
    subject: str
    what: str

    def __str__(self) -> str:
        return f"{self.level!s:<5}  {self.subject}: {self.what}"


@attrs.frozen(slots=True)
class PackDiff:
    old: str
    new: str
    changes: tuple[Change, ...]
    bump: Level

    @property
    def level(self) -> Level:
        return max((c.level for c in self.changes), default=Level.NONE)

    @property
    def ok(self) -> bool:
        return self.bump >= self.level


def version_bump(old: str, new: str) -> Level:
    """How big a step ``old -> new`` is; going backwards or sideways is NONE."""
    try:
        a, b = parse_version(old), parse_version(new)
    except InvalidVersion:
        return Level.NONE
    if b <= a:
        return Level.NONE
    if b.major != a.major:
        return Level.MAJOR
    if b.minor != a.minor:
        return Level.MINOR
    return Level.PATCH


def _fields(obj: object) -> dict[str, Any]:
    if attrs.has(type(obj)):
        return attrs.asdict(cast(Any, obj), recurse=False)
    return dict(vars(obj))


def _rules(pack: DiffPack) -> dict[str, Any]:
    rules = pack.rules
    if isinstance(rules, Mapping):
        return dict(rules)
    return {rule.id: rule for rule in rules}


def _as_set(value: object) -> set[Any]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    return set(cast(Iterable[Any], value))


def _is_block(rule: object) -> bool:
    return str(getattr(rule, "severity", "block")).lower().endswith("block")


def _blocking_checkpoints(rule: object) -> set[str]:
    by_checkpoint = dict(getattr(rule, "severity_by_checkpoint", ()) or ())
    return {
        str(cp)
        for cp in getattr(rule, "checkpoints", ())
        if str(by_checkpoint.get(cp, getattr(rule, "severity", "block"))).endswith("block")
    }


#: (rule id) -> whether the new rule, compiled with the old parameters, equals the old rule.
SameUnderOldParams = Callable[[str], bool]


def _rule_changes(
    rule_id: str, old: object, new: object, same_under_old_params: SameUnderOldParams
) -> list[Change]:
    subject = f"rule {rule_id}"
    if same_under_old_params(rule_id):
        return []  # only the values of parameters it reads changed; rated with the parameters
    a, b = _fields(old), _fields(new)
    changes = []
    blocking = _is_block(new)
    for name in sorted(set(a) | set(b)):
        if name in SKIPPED_FIELDS or a.get(name) == b.get(name):
            continue
        before, after = a.get(name), b.get(name)
        if name == "severity_by_checkpoint":
            newly_blocking = _blocking_checkpoints(new) - _blocking_checkpoints(old)
            if newly_blocking and a.get("checkpoints") == b.get("checkpoints"):
                where = ", ".join(sorted(newly_blocking))
                changes.append(Change(Level.MAJOR, subject, f"blocking at {where} now"))
            elif a.get("checkpoints") == b.get("checkpoints"):
                changes.append(Change(Level.MINOR, subject, "severity per checkpoint loosened"))
            continue
        if name in WORDING_FIELDS:
            changes.append(Change(Level.PATCH, subject, f"{name} reworded"))
        elif name == "severity":
            tighter = _is_block(new) and not _is_block(old)
            changes.append(
                Change(
                    Level.MAJOR if tighter else Level.MINOR,
                    subject,
                    f"severity {before} -> {after}",
                )
            )
        elif name in ("checkpoints", "waivable_by"):
            gained = sorted(map(str, _as_set(after) - _as_set(before)))
            lost = sorted(map(str, _as_set(before) - _as_set(after)))
            tighter = bool(gained and blocking) if name == "checkpoints" else bool(lost)
            parts = ([f"+{', '.join(gained)}"] if gained else []) + (
                [f"-{', '.join(lost)}"] if lost else []
            )
            changes.append(
                Change(
                    Level.MAJOR if tighter else Level.MINOR, subject, f"{name} {' '.join(parts)}"
                )
            )
        elif name == "max_waiver_days":
            tighter = after is not None and (before is None or after < before)
            changes.append(
                Change(
                    Level.MAJOR if tighter else Level.MINOR,
                    subject,
                    f"max_waiver_days {before} -> {after}",
                )
            )
        elif name == "owner":
            changes.append(Change(Level.MINOR, subject, f"owner {before} -> {after}"))
        else:
            level = Level.MAJOR if blocking else Level.MINOR
            changes.append(Change(level, subject, f"{name} changed"))
    if not changes and getattr(old, "digest", None) != getattr(new, "digest", None):
        level = Level.MAJOR if blocking else Level.MINOR
        changes.append(Change(level, subject, "content changed"))
    return changes


def _number(value: object) -> Decimal | None:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    return None


def _param_value(param: object) -> object:
    return getattr(param, "value", param)


def parameter_direction(name: str, before: object, after: object) -> Level:
    """MINOR when the change loosens, MAJOR when it tightens or cannot be told."""
    a, b = _number(before), _number(after)
    if a is None or b is None:
        return Level.MAJOR
    if isinstance(before, Money) and isinstance(after, Money) and before.currency != after.currency:
        return Level.MAJOR
    words = name.lower().split("_")
    if "min" in words or name.lower().startswith("min"):
        return Level.MINOR if b < a else Level.MAJOR
    if any(marker in name.lower() for marker in _LOOSER_WHEN_HIGHER):
        return Level.MINOR if b > a else Level.MAJOR
    return Level.MAJOR


def _never_same(rule_id: str) -> bool:
    return False


def diff_packs(
    old: DiffPack, new: DiffPack, same_under_old_params: SameUnderOldParams = _never_same
) -> PackDiff:
    """Every change from ``old`` to ``new``, rated, with the bump the versions make.

    A rule's compiled form and digest include the values of the parameters it
    uses, so a loosened tolerance also changes the rules that read it.
    ``same_under_old_params`` tells such rules apart from rules whose text
    changed (:func:`handoff_rules.policy.pack_access.same_under_old_params`).
    """
    changes: list[Change] = []
    old_rules, new_rules = _rules(old), _rules(new)
    for rule_id in sorted(set(old_rules) | set(new_rules)):
        if rule_id not in old_rules:
            rule = new_rules[rule_id]
            blocking = _is_block(rule)
            changes.append(
                Change(
                    Level.MAJOR if blocking else Level.MINOR,
                    f"rule {rule_id}",
                    f"added ({'blocking' if blocking else 'warning'})",
                )
            )
        elif rule_id not in new_rules:
            changes.append(Change(Level.MINOR, f"rule {rule_id}", "removed"))
        else:
            changes.extend(
                _rule_changes(
                    rule_id, old_rules[rule_id], new_rules[rule_id], same_under_old_params
                )
            )

    old_params, new_params = dict(old.parameters or {}), dict(new.parameters or {})
    for name in sorted(set(old_params) | set(new_params)):
        subject = f"parameter {name}"
        if name not in old_params:
            changes.append(Change(Level.MINOR, subject, "added"))
        elif name not in new_params:
            changes.append(Change(Level.MINOR, subject, "removed"))
        else:
            before, after = _param_value(old_params[name]), _param_value(new_params[name])
            if before != after:
                level = parameter_direction(name, before, after)
                verdict = "loosened" if level is Level.MINOR else "tightened or direction unknown"
                changes.append(Change(level, subject, f"{before} -> {after} ({verdict})"))

    if old.max_exception_days != new.max_exception_days:
        a, b = old.max_exception_days, new.max_exception_days
        tighter = b is not None and (a is None or b < a)
        changes.append(
            Change(
                Level.MAJOR if tighter else Level.MINOR,
                "pack",
                f"max_exception_days {a} -> {b}",
            )
        )
    if not changes and old.digest != new.digest:
        changes.append(Change(Level.MINOR, "pack", "content changed outside rules and parameters"))
    return PackDiff(
        old=f"{old.name} {old.version}",
        new=f"{new.name} {new.version}",
        changes=tuple(changes),
        bump=version_bump(old.version, new.version),
    )
