"""Every reproducer under ``reproducers/`` runs clean, or its class is in the known list.

A reproducer is a folder: ``files/`` (written to a fresh folder) and
``case.json`` (the command, ``{dir}`` standing for that folder). The folder's
name is the failure class. While the class is in
:data:`.known_failures.KNOWN_FAILURES` the test is a strict expected failure:
once the fix lands it passes, strict xfail turns that into a failure, and the
class is taken off the list, leaving the reproducer as a regression test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .classify import classify
from .harness import run_example
from .inputs import HostileInput
from .known_failures import KNOWN_FAILURES

REPRODUCERS = Path(__file__).with_name("reproducers")


def load(folder: Path) -> HostileInput:
    case = json.loads((folder / "case.json").read_text("utf-8"))
    files = tuple(
        (str(path.relative_to(folder / "files")), path.read_bytes())
        for path in sorted((folder / "files").rglob("*"))
        if path.is_file()
    )
    return HostileInput(case["entry"], files, tuple(case["argv"]), (folder.name,))


def _cases() -> list[object]:
    return [
        pytest.param(
            folder,
            id=folder.name,
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[folder.name])
            if folder.name in KNOWN_FAILURES
            else (),
        )
        for folder in sorted(p for p in REPRODUCERS.iterdir() if p.is_dir())
    ]


@pytest.mark.parametrize("folder", _cases())
def test_reproducer(folder: Path) -> None:
    inp = load(folder)
    outcome = run_example(inp)
    assert outcome.ok, [(classify(f, inp), f.detail) for f in outcome.failures]


def test_each_reproducer_is_a_class_the_classifier_names() -> None:
    for folder in REPRODUCERS.iterdir():
        inp = load(folder)
        names = {classify(f, inp) for f in run_example(inp).failures}
        assert names <= {folder.name}, (folder.name, names)
