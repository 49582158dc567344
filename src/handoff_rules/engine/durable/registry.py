"""The process's ruleset names: each is loaded into the engine once and never replaced.

The C engine can neither replace, unload nor re-register a ruleset: loading a
name twice fails, and ``$state``/``$flow`` in a name make it a statechart or
flowchart. So within one process a name stands for one set of rules: the same
name with the same rules gets the ruleset already loaded (and its lock, so one
session at a time still holds), the same name with other rules is a
:class:`RulesetConflictError`, and ``$`` is refused in names. Callers put the
version into the name (``"o2c-standard@1.2.0"``).
"""

from __future__ import annotations

import threading

from handoff_rules.engine.durable.rules import RulesetShapeError
from handoff_rules.engine.durable.session import EngineRuleset
from handoff_rules.errors import RulesetConflictError as RulesetConflictError


def check_ruleset_name(name: object) -> str:
    """``name`` if the engine can hold a ruleset under it; else :class:`RulesetShapeError`."""
    if not isinstance(name, str) or not name or not name.isprintable() or len(name) > 200:
        raise RulesetShapeError(str(name), None, "the name must be 1-200 printable characters")
    if "$" in name:
        raise RulesetShapeError(
            name, None, "'$' is refused in names ('$state'/'$flow' are special)"
        )
    return name


_REGISTRY: dict[str, EngineRuleset] = {}
_REGISTRY_LOCK = threading.Lock()


def registered(name: str, definition: str) -> EngineRuleset:
    """The engine ruleset loaded under ``name``, loading ``definition`` the first time."""
    with _REGISTRY_LOCK:
        existing = _REGISTRY.get(name)
        if existing is not None:
            if existing.definition != definition:
                raise RulesetConflictError(
                    f"ruleset {name!r} is already loaded with different rules; "
                    "the engine cannot replace it: publish the rules under a new version"
                )
            return existing
        engine_ruleset = EngineRuleset(name, definition)
        _REGISTRY[name] = engine_ruleset
        return engine_ruleset
