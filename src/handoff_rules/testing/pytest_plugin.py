"""pytest plugin: a pack's scenario files run as test items.

Registered through the ``pytest11`` entry point, so ``pytest path/to/pack``
collects every ``tests/*.yaml`` that sits beside a ``pack.yaml`` (one item per
scenario) and runs it with the reference engine, exactly as
``handoff-rules pack test`` does. Nothing is imported from handoff_rules until
such a file is collected, so the plugin costs nothing in other test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from handoff_rules.policy.scenarios import Scenario


def _is_scenario_file(path: Path) -> bool:
    return (
        path.suffix in (".yaml", ".yml")
        and path.parent.name == "tests"
        and (path.parent.parent / "pack.yaml").is_file()
    )


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if _is_scenario_file(file_path):
        return PackScenarioFile.from_parent(parent, path=file_path)
    return None


class PackScenarioFile(pytest.File):
    """One scenario file of a pack version."""

    def collect(self) -> Iterator[pytest.Item]:
        from handoff_rules.policy.scenarios import load_scenario_file

        for scenario in load_scenario_file(self.path):
            yield PackScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class PackScenarioItem(pytest.Item):
    """One scenario: its facts evaluated under the pack, its expectations checked."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        from handoff_rules.policy.scenarios import scenario_pack
        from handoff_rules.testing.scenarios import run_scenario

        pack = scenario_pack(self.path.parent.parent)
        problems = run_scenario(pack, self.scenario)
        if problems:
            raise ScenarioFailed(problems)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return "\n".join(excinfo.value.problems)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.name}"


class ScenarioFailed(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
