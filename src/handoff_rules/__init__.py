"""handoff-rules: the handoffs between sales and the back office as versioned policy.

Everything an integration needs is importable from here::

    import handoff_rules

    run = handoff_rules.check(["exports/"], at=date(2024, 6, 4),
                              exceptions="exceptions.yaml", audit_log="decisions.log")
    for decision in run.decisions:
        ...

The names are loaded on first use, so ``import handoff_rules`` (and the
command line's ``--help``) stays fast; deeper modules are implementation and
may move between releases.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    # the pipeline
    "check": "handoff_rules.pipeline",
    "read_files": "handoff_rules.pipeline",
    "RunResult": "handoff_rules.pipeline",
    "DecisionSinkError": "handoff_rules.pipeline",
    # facts and cases
    "Fact": "handoff_rules.facts",
    "Reject": "handoff_rules.facts",
    "Provenance": "handoff_rules.facts",
    "ReadResult": "handoff_rules.adapters.registry",
    "Case": "handoff_rules.cases",
    "CaseSet": "handoff_rules.cases",
    "build_cases": "handoff_rules.cases",
    # packs and evaluation
    "Pack": "handoff_rules.engine.compiled",
    "load_pack": "handoff_rules.policy.discovery",
    "Evaluator": "handoff_rules.engine.evaluate",
    "make_evaluator": "handoff_rules.engine.evaluate",
    # decisions
    "Decision": "handoff_rules.decision",
    "Finding": "handoff_rules.decision",
    "Action": "handoff_rules.decision",
    "Outcome": "handoff_rules.decision",
    "Result": "handoff_rules.decision",
    "Severity": "handoff_rules.decision",
    "Checkpoint": "handoff_rules.decision",
    # exceptions (waivers) and the audit log
    "ExceptionRegister": "handoff_rules.policy.exceptions",
    "load_register": "handoff_rules.policy.waivers",
    "apply_exceptions": "handoff_rules.policy.waivers",
    "AuditLog": "handoff_rules.audit",
    # plugins
    "hookimpl": "handoff_rules.hooks",
    "make_plugin_manager": "handoff_rules.plugins",
    # errors
    "HandoffError": "handoff_rules.errors",
    "InputError": "handoff_rules.errors",
    "NoOrderError": "handoff_rules.errors",
}

#: Names whose defining module uses another name for them.
_RENAMED: dict[str, str] = {"Evaluator": "PackEvaluator"}

__all__ = [
    "Action",
    "AuditLog",
    "Case",
    "CaseSet",
    "Checkpoint",
    "Decision",
    "DecisionSinkError",
    "Evaluator",
    "ExceptionRegister",
    "Fact",
    "Finding",
    "HandoffError",
    "InputError",
    "NoOrderError",
    "Outcome",
    "Pack",
    "Provenance",
    "ReadResult",
    "Reject",
    "Result",
    "RunResult",
    "Severity",
    "__version__",
    "apply_exceptions",
    "build_cases",
    "check",
    "hookimpl",
    "load_pack",
    "load_register",
    "make_evaluator",
    "make_plugin_manager",
    "read_files",
]

if TYPE_CHECKING:
    from handoff_rules.adapters.registry import ReadResult
    from handoff_rules.audit import AuditLog
    from handoff_rules.cases import Case, CaseSet, build_cases
    from handoff_rules.decision import (
        Action,
        Checkpoint,
        Decision,
        Finding,
        Outcome,
        Result,
        Severity,
    )
    from handoff_rules.engine.compiled import Pack
    from handoff_rules.engine.evaluate import PackEvaluator as Evaluator
    from handoff_rules.engine.evaluate import make_evaluator
    from handoff_rules.errors import HandoffError, InputError, NoOrderError
    from handoff_rules.facts import Fact, Provenance, Reject
    from handoff_rules.hooks import hookimpl
    from handoff_rules.pipeline import DecisionSinkError, RunResult, check, read_files
    from handoff_rules.plugins import make_plugin_manager
    from handoff_rules.policy.discovery import load_pack
    from handoff_rules.policy.exceptions import ExceptionRegister
    from handoff_rules.policy.waivers import apply_exceptions, load_register


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'handoff_rules' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
