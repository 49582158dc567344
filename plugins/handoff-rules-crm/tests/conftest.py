"""Shared fixtures: the sample folders, options for them, and independent record counts."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from handoff_rules_crm import CrmOptions
from handoff_rules_crm.options import CURRENCY_VARIABLE

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _no_currency_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set the currency variable themselves; the developer's shell does not."""
    monkeypatch.delenv(CURRENCY_VARIABLE, raising=False)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def demo_org() -> Path:
    """The Salesforce demo-org export (MIT, see its SOURCE.md)."""
    return DATA / "salesforce-demo-org"


@pytest.fixture
def apex_recipes() -> Path:
    """The apex-recipes sfdx data (CC0, see its SOURCE.md)."""
    return DATA / "salesforce-apex-recipes"


@pytest.fixture
def e2e() -> Path:
    """Hand-written CRM and ERP exports for the end-to-end test (see its README)."""
    return DATA / "e2e"


@pytest.fixture
def excel_options() -> CrmOptions:
    """How the demo-org files were re-saved: US month-first dates, single-currency USD org."""
    return CrmOptions(date_formats=("%m/%d/%y", "%m/%d/%y %I:%M %p"), default_currency="USD")


@pytest.fixture
def count_csv_records() -> Callable[[Path], int]:
    """Data records of a CSV file counted with the csv module alone (header excluded)."""

    def count(path: Path) -> int:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            rows = [row for row in csv.reader(stream) if row]
        return len(rows) - 1

    return count


@pytest.fixture
def count_tree_records() -> Callable[[Path], int]:
    """Records of an sfdx data-tree file counted with json.load."""

    def count(path: Path) -> int:
        return len(json.loads(path.read_text(encoding="utf-8"))["records"])

    return count


@pytest.fixture
def copy_dir(tmp_path: Path) -> Callable[[Path], Path]:
    """A writable copy of a data folder, for tests that add or change files."""

    def copy(source: Path) -> Path:
        target = tmp_path / source.name
        shutil.copytree(source, target)
        for path in target.iterdir():
            path.chmod(0o644)
        return target

    return copy
