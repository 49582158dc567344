"""The run's read settings reach the adapters that take them, and only through arguments."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import pytest

import handoff_rules
from handoff_rules import hookimpl
from handoff_rules.adapters import (
    Adapter,
    Fact,
    FormatInfo,
    Provenance,
    ReadSettings,
    ReadsSettings,
    Reject,
    Sample,
    SniffResult,
    read_files,
)
from handoff_rules.errors import UsageError
from handoff_rules.model import Derived


def _fact(path: Path, adapter: str, seen: str) -> Fact:
    return Fact(
        data=Derived(name="seen_currency", subject=path.name, values={"currency": seen}),
        provenance=Provenance(adapter=adapter, source=str(path), location="line 1", line=1),
    )


class _Claims:
    formats: Sequence[FormatInfo] = (FormatInfo("ledger-lines", "test lines", (".lines",)),)
    version = "1"

    def sniff(self, sample: Sample) -> SniffResult | None:
        return SniffResult("ledger-lines", 0.9) if sample.path.suffix == ".lines" else None


class OldAdapter(_Claims):
    """Written before settings existed: only ``read(path)``."""

    name = "old-lines"

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        yield _fact(path, self.name, "none")


class SettingsAdapter(_Claims):
    """Takes the run's settings by declaring ``read_with_settings``."""

    name = "new-lines"

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        return self.read_with_settings(path, ReadSettings())

    def read_with_settings(self, path: Path, settings: ReadSettings) -> Iterator[Fact | Reject]:
        yield _fact(path, self.name, settings.default_currency or "none")


def _seen(facts: Sequence[Fact]) -> list[object]:
    return [f.data.get("currency") for f in facts if isinstance(f.data, Derived)]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "a.lines"
    path.write_text("x\n", encoding="utf-8")
    return path


def test_the_code_is_checked_and_normalised() -> None:
    assert ReadSettings(default_currency=" usd ").default_currency == "USD"
    assert ReadSettings(default_currency="").default_currency is None
    assert ReadSettings().default_currency is None
    with pytest.raises(UsageError, match=r"'DOLLARS' \(--currency\) is not an ISO 4217"):
        ReadSettings(default_currency="dollars")


def test_settings_are_a_plain_value_that_travels_to_worker_processes() -> None:
    settings = ReadSettings(default_currency="CZK")
    assert pickle.loads(pickle.dumps(settings)) == settings
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        settings.default_currency = "EUR"  # type: ignore[misc]


def test_an_adapter_opts_in_by_declaring_read_with_settings() -> None:
    assert isinstance(SettingsAdapter(), ReadsSettings)
    assert not isinstance(OldAdapter(), ReadsSettings)
    assert isinstance(OldAdapter(), Adapter)


def test_settings_reach_an_adapter_that_takes_them_and_old_adapters_still_read(
    export: Path,
) -> None:
    settings = ReadSettings(default_currency="EUR")
    new = read_files([export], [SettingsAdapter()], settings=settings)
    assert _seen(new.facts) == ["EUR"]
    assert _seen(read_files([export], [SettingsAdapter()]).facts) == ["none"]
    old = read_files([export], [OldAdapter()], settings=settings)
    assert _seen(old.facts) == ["none"]


class _Plugin:
    @hookimpl
    def handoff_rules_adapters(self) -> list[Adapter]:
        return [SettingsAdapter()]


def test_the_library_pipeline_hands_its_settings_down(export: Path) -> None:
    pm = handoff_rules.make_plugin_manager(load_entry_points=False)
    pm.register(_Plugin())
    settings = ReadSettings(default_currency="PLN")
    read = handoff_rules.read_files([export], plugin_manager=pm, settings=settings)
    assert _seen(read.facts) == ["PLN"]
    again = handoff_rules.read_files([export], plugin_manager=pm)  # nothing left behind
    assert _seen(again.facts) == ["none"]
