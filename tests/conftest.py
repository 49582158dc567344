"""Fixtures shared by the core's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handoff_rules.cli import main

#: Runs ``handoff-rules ARGS...`` in-process: (exit status, stdout, stderr).
CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRun:
    """The command line as a user runs it, through ``main`` and its error handling."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main([*args])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
