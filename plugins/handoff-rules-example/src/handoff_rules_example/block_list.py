"""A decision sink: append every blocked decision to a block list file.

An integration would set a delivery block in the ERP here; the example
writes one tab-separated line per blocked decision (case, checkpoint, the
blocking rules) that a warehouse script can read.
"""

from __future__ import annotations

from pathlib import Path

from handoff_rules.decision import Decision, Outcome, Result, Severity


class BlockList:
    """Appends blocked decisions to ``path``; other outcomes are ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def receive(self, decision: Decision) -> None:
        if decision.outcome is not Outcome.BLOCK:
            return
        rules = sorted(
            {
                f.rule
                for f in decision.findings
                if f.severity is Severity.BLOCK and f.result in (Result.FAIL, Result.INDETERMINATE)
            }
        )
        line = f"{decision.case}\t{decision.checkpoint.value}\t{','.join(rules)}\n"
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line)
