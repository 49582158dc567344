"""Collection for the whole repository: the bundled plugins' tests need those plugins.

``pip install -e ".[testing]"`` installs the core only; the plugins under
``plugins/`` are distributions of their own (tox installs them). Their tests
are left out when the plugin is not installed, and the run's header says which
and how to install them, instead of failing at collection.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).parent

#: plugin test folder -> the module the plugin installs.
BUNDLED = {
    "plugins/handoff-rules-sap/tests": "handoff_rules_sap",
    "plugins/handoff-rules-crm/tests": "handoff_rules_crm",
    "plugins/handoff-rules-example/tests": "handoff_rules_example",
}

MISSING = sorted(folder for folder, module in BUNDLED.items() if find_spec(module) is None)

collect_ignore = [str(ROOT / folder) for folder in MISSING]


def pytest_report_header(config: pytest.Config) -> list[str]:
    if not MISSING:
        return []
    plugins = " ".join(str(Path(folder).parent) for folder in MISSING)
    return [
        f"not collected, their plugins are not installed: {', '.join(MISSING)}",
        f"  install them with: pip install --no-deps {plugins}",
    ]
