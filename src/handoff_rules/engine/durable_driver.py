"""Former home of the durable_rules driver, kept so that existing imports keep working.

The driver is now the package :mod:`handoff_rules.engine.durable`, one module
per job; import from there. This module only re-exports the names it used to
define publicly. Assigning to one of them here (as a test patching a limit
would) would change nothing the driver reads, since each name is read in the
module that defines it, so assignments are refused with an error naming the
package, instead of silently having no effect.
"""

from __future__ import annotations

import sys
from types import ModuleType

from handoff_rules.engine.durable import (
    CASE_KEY,
    DONE_RULE,
    INT64_MAX,
    INT64_MIN,
    MAX_COMPARISONS_PER_PATTERN,
    MAX_CONDITIONS_PER_RULE,
    MAX_FACT_PROPERTIES,
    MAX_FACTS,
    MAX_PATTERNS_PER_FACT_TYPE,
    MAX_RULES,
    TRIGGER_ALIAS,
    TRIGGER_TYPE,
    CompiledRuleset,
    DurableEvaluationError,
    DurableUnavailable,
    FactValueError,
    Firing,
    RulesetConflictError,
    RulesetShapeError,
    available,
    fnv1a_32,
)
from handoff_rules.engine.durable.session import MAX_QUARANTINED_SESSIONS, MAX_SESSION_FACTS

__all__ = [
    "CASE_KEY",
    "DONE_RULE",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_COMPARISONS_PER_PATTERN",
    "MAX_CONDITIONS_PER_RULE",
    "MAX_FACTS",
    "MAX_FACT_PROPERTIES",
    "MAX_PATTERNS_PER_FACT_TYPE",
    "MAX_QUARANTINED_SESSIONS",
    "MAX_RULES",
    "MAX_SESSION_FACTS",
    "TRIGGER_ALIAS",
    "TRIGGER_TYPE",
    "CompiledRuleset",
    "DurableEvaluationError",
    "DurableUnavailable",
    "FactValueError",
    "Firing",
    "RulesetConflictError",
    "RulesetShapeError",
    "available",
    "fnv1a_32",
]


class _ReExports(ModuleType):
    """This module's type: reading works as for any module, assigning is refused."""

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"{__name__} only re-exports handoff_rules.engine.durable; setting {name!r} here "
            "would change nothing: set it in the module of handoff_rules.engine.durable "
            "that defines it"
        )

    def __delattr__(self, name: str) -> None:
        self.__setattr__(name, None)


sys.modules[__name__].__class__ = _ReExports
