"""The adapter conformance kit catches each broken guarantee, and passes a good adapter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from handoff_rules.adapters.base import FormatInfo, Sample, SniffResult
from handoff_rules.facts import Fact, Provenance, Reject
from handoff_rules.model import Counterparty
from handoff_rules.testing import check_adapter


class LinesAdapter:
    """Reads ``id`` per line into counterparties; a line ``!`` is a reject. Subclasses break it."""

    name = "lines"
    version = "1"
    formats: Sequence[FormatInfo] = (FormatInfo("lines", "one counterparty id per line"),)

    def sniff(self, sample: Sample) -> SniffResult | None:
        return SniffResult("lines", 0.5) if sample.head.startswith(b"C") else None

    def provenance(self, path: Path, line: int) -> Provenance:
        return Provenance(self.name, str(path), f"line {line}", line=line)

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line == "!":
                yield Reject("a bang", self.provenance(path, number))
            else:
                yield Fact(Counterparty(id=line), self.provenance(path, number))


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "ids.txt"
    path.write_text("C1\nC2\n!\nC3\n")
    return path


def test_a_good_adapter_passes(sample: Path) -> None:
    report = check_adapter(LinesAdapter(), sample, expected_records=4)
    assert (len(report.facts), len(report.rejects), report.records) == (3, 1, 4)
    assert report.format == "lines"


def test_lost_record(sample: Path) -> None:
    class Lossy(LinesAdapter):
        def read(self, path: Path) -> Iterator[Fact | Reject]:
            return (i for i in super().read(path) if isinstance(i, Fact))

    with pytest.raises(AssertionError, match=r"accounts for 3 records .*expected 4"):
        check_adapter(Lossy(), sample, expected_records=4)


def test_not_claimed(sample: Path) -> None:
    class Shy(LinesAdapter):
        def sniff(self, sample: Sample) -> SniffResult | None:
            return None

    with pytest.raises(AssertionError, match="does not claim"):
        check_adapter(Shy(), sample)


def test_claimed_as_a_foreign_format(sample: Path) -> None:
    class Confused(LinesAdapter):
        def sniff(self, sample: Sample) -> SniffResult | None:
            return SniffResult("csv", 0.9)

    with pytest.raises(AssertionError, match="format 'csv'"):
        check_adapter(Confused(), sample)


def test_not_deterministic(sample: Path) -> None:
    class Moody(LinesAdapter):
        calls = 0

        def read(self, path: Path) -> Iterator[Fact | Reject]:
            self.calls += 1
            items = list(super().read(path))
            return iter(items if self.calls == 1 else items[::-1])

    with pytest.raises(AssertionError, match=r"not deterministic .* item 0 differs"):
        check_adapter(Moody(), sample)


def test_empty_location(sample: Path) -> None:
    class Vague(LinesAdapter):
        def provenance(self, path: Path, line: int) -> Provenance:
            return Provenance(self.name, str(path), " ")

    with pytest.raises(AssertionError, match="incomplete provenance"):
        check_adapter(Vague(), sample)


def test_provenance_of_another_adapter_or_file(sample: Path, tmp_path: Path) -> None:
    class Impostor(LinesAdapter):
        def provenance(self, path: Path, line: int) -> Provenance:
            return Provenance("sap-idoc", str(path), f"line {line}")

    with pytest.raises(AssertionError, match="names adapter 'sap-idoc'"):
        check_adapter(Impostor(), sample)
    check_adapter(Impostor(), sample, passthrough_provenance=True)

    class Elsewhere(LinesAdapter):
        def provenance(self, path: Path, line: int) -> Provenance:
            return Provenance(self.name, str(tmp_path / "other.txt"), f"line {line}")

    with pytest.raises(AssertionError, match="names source"):
        check_adapter(Elsewhere(), sample)


def test_fact_that_does_not_survive_its_json_record(sample: Path) -> None:
    class Boolish(LinesAdapter):
        def provenance(self, path: Path, line: int) -> Provenance:
            return Provenance(self.name, str(path), f"line {line}", line=True)  # type: ignore[arg-type]

    with pytest.raises(AssertionError, match="does not read back"):
        check_adapter(Boolish(), sample)


def test_something_else_than_facts_and_rejects(sample: Path) -> None:
    class Chatty(LinesAdapter):
        def read(self, path: Path) -> Iterator[Fact | Reject]:
            yield from super().read(path)
            yield "done"  # type: ignore[misc]

    with pytest.raises(AssertionError, match="yielded str as item 4"):
        check_adapter(Chatty(), sample)


def test_unreadable_file_is_an_assertion(tmp_path: Path) -> None:
    from handoff_rules.adapters.native import NativeCsvAdapter

    path = tmp_path / "f.csv"
    path.write_text("#handoff-rules: document\nid,kind,colour\n")
    with pytest.raises(AssertionError, match="could not read"):
        check_adapter(NativeCsvAdapter(), path)


def test_strategies_module_is_not_imported_by_the_kit() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import handoff_rules.testing; "
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
