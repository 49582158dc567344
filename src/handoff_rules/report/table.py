"""``check --format table``: the run view as a terminal table, for the person at the prompt."""

from __future__ import annotations

from typing import Final, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from handoff_rules.report.text import (
    coverage_lines,
    decision_lines,
    exception_lines,
    header,
    input_lines,
    summary,
)
from handoff_rules.report.view import RunView

__all__ = ["TABLE_WIDTH", "write_table"]

#: Fixed, not the terminal's: the same run prints the same text everywhere (logs, CI, diffs).
TABLE_WIDTH: Final = 160

_STYLE = {"block": "bold red", "warn": "yellow", "allow": "green"}


def write_table(view: RunView, out: TextIO, *, width: int = TABLE_WIDTH) -> None:
    """One row per decision with its findings, sources, waiver rules and actions; then totals.

    The lines under the table are never wrapped, so a long exception message
    stays one line for ``grep``.
    """
    console = Console(file=out, width=width, highlight=False, soft_wrap=False)
    console.print(escape(header(view)), soft_wrap=True)
    table = Table(show_lines=False)
    for column in ("case", "checkpoint", "outcome", "findings"):
        table.add_column(column, overflow="fold")
    for decision in view.decisions:
        outcome = decision.outcome.value + (" (waived)" if decision.waived else "")
        table.add_row(
            escape(decision.case),
            decision.checkpoint.value,
            f"[{_STYLE[decision.outcome.value]}]{outcome}[/]",
            escape("\n".join(decision_lines(decision))) or "-",
        )
    console.print(table)
    console.print(escape(summary(view)), soft_wrap=True)
    for line in [*coverage_lines(view), *input_lines(view), *exception_lines(view)]:
        console.print(escape(line), soft_wrap=True)
