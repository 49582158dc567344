"""The exception register: explicit, approved, expiring, versioned deviations from a rule.

``model`` holds the data, ``yaml_format`` the default file layout, ``store``
the storage interface plugins can replace, and ``enforcement`` the checks an
exception must pass before the engine applies it.
"""

from __future__ import annotations

from handoff_rules.policy.exceptions.enforcement import (
    ExceptionProblem,
    PackView,
    ProblemKind,
    RuleView,
    register_problems,
)
from handoff_rules.policy.exceptions.model import (
    ExceptionHistory,
    ExceptionRegister,
    ExceptionRevision,
    Party,
    Revocation,
    Scope,
    UseLedger,
)
from handoff_rules.policy.exceptions.store import (
    ExceptionStore,
    YamlExceptionStore,
    open_exception_store,
)
from handoff_rules.policy.exceptions.yaml_format import RegisterError

__all__ = [
    "ExceptionHistory",
    "ExceptionProblem",
    "ExceptionRegister",
    "ExceptionRevision",
    "ExceptionStore",
    "PackView",
    "Party",
    "ProblemKind",
    "RegisterError",
    "Revocation",
    "RuleView",
    "Scope",
    "UseLedger",
    "YamlExceptionStore",
    "open_exception_store",
    "register_problems",
]
