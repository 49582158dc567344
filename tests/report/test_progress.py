"""Progress output: a bar on a terminal, not a byte when piped, items passed through unchanged."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from handoff_rules.cli.progress import progress, track


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=80), buffer


def test_silent_when_piped() -> None:
    console, buffer = _console(terminal=False)
    assert list(track(range(5), "Reading", console=console)) == [0, 1, 2, 3, 4]
    with progress("Evaluating", 3, console=console) as ticker:
        ticker.advance()
        ticker.describe("still evaluating")
    assert buffer.getvalue() == ""


def test_bar_on_a_terminal() -> None:
    console, buffer = _console(terminal=True)
    assert list(track(["a.csv", "b.csv"], "Reading", console=console)) == ["a.csv", "b.csv"]
    shown = buffer.getvalue()
    assert "Reading" in shown
    assert "2/2" in shown


def test_unknown_total_counts_up() -> None:
    console, buffer = _console(terminal=True)
    items = iter(["x", "y", "z"])
    assert list(track(items, "Reading", console=console)) == ["x", "y", "z"]
    assert "3/?" in buffer.getvalue()


@given(st.lists(st.integers(), max_size=50))
def test_track_passes_items_through(items: list[int]) -> None:
    console, _ = _console(terminal=False)
    assert list(track(items, "x", console=console)) == items


def test_read_command_stays_quiet_when_piped() -> None:
    from click.testing import CliRunner

    from handoff_rules.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["read", "--format", "jsonl", "/nonexistent/file.csv"])
    assert "Reading" not in result.output
    assert "no such file" in result.output
