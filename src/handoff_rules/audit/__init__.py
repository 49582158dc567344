"""The audit trail: a hash-chained log of decisions that can be verified and replayed."""

from __future__ import annotations

from handoff_rules.audit.log import (
    AuditError,
    AuditLog,
    AuditProblem,
    VerifyResult,
    build_record,
    verify_lines,
)
from handoff_rules.audit.replay import ReplayDifference, ReplayResult, replay_log

__all__ = [
    "AuditError",
    "AuditLog",
    "AuditProblem",
    "ReplayDifference",
    "ReplayResult",
    "VerifyResult",
    "build_record",
    "replay_log",
    "verify_lines",
]
