"""Fixtures of the SAP adapter tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from handoff_rules_sap import SapIdocAdapter, SapTableAdapter

from handoff_rules.adapters import Fact, Reject

DATA = Path(__file__).parent / "data"


@pytest.fixture
def sap_data() -> Path:
    return DATA


@pytest.fixture
def idoc_adapter() -> SapIdocAdapter:
    return SapIdocAdapter()


@pytest.fixture
def table_adapter() -> SapTableAdapter:
    return SapTableAdapter()


@pytest.fixture
def facts_of() -> Callable[[list[Fact | Reject], str], list[object]]:
    """The model objects of one fact type among read items."""

    def pick(items: list[Fact | Reject], fact_type: str) -> list[object]:
        return [i.data for i in items if isinstance(i, Fact) and i.type == fact_type]

    return pick
