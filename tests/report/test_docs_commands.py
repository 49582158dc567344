"""Every ``$ handoff-rules ...`` command shown in the docs runs without a usage or input error.

The Python examples of the docs are doctests; the shell examples are run
here, in the order they appear in each page, from a scratch directory that
sees the repository's ``examples`` and ``plugins`` folders. Exit status 1
(something blocks, a check found a problem) is a valid outcome of the
command; 2 or a crash is a broken example.
"""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from handoff_rules.cli import cli
from handoff_rules.errors import HandoffError

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.rst")), ROOT / "plugins" / "handoff-rules-example" / "README.md"]
_PROMPT = re.compile(r"^\s*\$ (handoff-rules .*)$")


def documented_commands(page: Path) -> list[list[str]]:
    commands: list[list[str]] = []
    pending = ""
    for line in page.read_text(encoding="utf-8").splitlines():
        if pending:
            pending += " " + line.strip()
        else:
            match = _PROMPT.match(line)
            if match is None:
                continue
            pending = match.group(1)
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        commands.append(shlex.split(pending, comments=True)[1:])
        pending = ""
    return commands


@pytest.mark.parametrize("page", [p for p in PAGES if documented_commands(p)], ids=lambda p: p.name)
def test_documented_commands_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("handoff_rules_example", reason="the docs use the example plugin")
    for name in ("examples", "plugins"):
        (tmp_path / name).symlink_to(ROOT / name)
    commands = documented_commands(page)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in commands:
        started = time.perf_counter()
        result = runner.invoke(cli, args)
        print(f"{time.perf_counter() - started:5.2f}s  {shlex.join(args)}")
        shown = f"$ handoff-rules {shlex.join(args)}\n{result.output}"
        assert not isinstance(result.exception, HandoffError), shown
        assert result.exit_code in (0, 1), shown
        assert "Usage:" not in result.output, shown
        assert "error:" not in result.output.lower(), shown


def test_the_commands_are_found() -> None:
    found = {page.name: len(documented_commands(page)) for page in PAGES}
    assert found["tutorial.rst"] >= 5
    assert found["compliance.rst"] >= 8
