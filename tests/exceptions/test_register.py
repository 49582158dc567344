"""The YAML register: reading, clear errors with line numbers, revisions, revocation, stores."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import attrs
import pytest

from handoff_rules.hooks import hookimpl
from handoff_rules.model import Money
from handoff_rules.plugins import make_plugin_manager
from handoff_rules.policy.exceptions import (
    ExceptionRegister,
    ExceptionRevision,
    Party,
    RegisterError,
    Revocation,
    YamlExceptionStore,
    open_exception_store,
)
from handoff_rules.policy.waivers import load_register

REGISTER = textwrap.dedent(
    """\
    # approved exceptions
    - id: EX-1
      revision: 1
      rule: ACC-POA-001
      pack: o2c-standard
      pack_versions: ">=1.0,<2"
      rule_digest: a1a1a1a1a1a1a1a1
      scope: {order: "4711", checkpoint: H3, person: P-7}
      reason: known employee of the buyer
      ticket: OPS-1
      requested_by: {name: Jana Novak, role: sales_rep}
      approved_by: {name: Petr Dvorak, role: chief_accountant}
      valid_from: 2026-11-01
      valid_until: 2026-11-14
      limits: {value: "50000.00 CZK", uses: 1}
    """
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exceptions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_a_register(tmp_path):
    register = load_register(_write(tmp_path, REGISTER))
    (revision,) = register
    assert revision.key == "EX-1@1"
    assert revision.scope.person == "P-7"
    assert revision.max_value == Money("50000.00", "CZK")
    assert revision.max_uses == 1
    assert revision.valid_until == date(2026, 11, 14)
    assert revision.covers_pack_version("1.9.3")
    assert not revision.covers_pack_version("2.0.0")
    assert ExceptionRevision.from_dict(revision.to_dict()) == revision


def test_empty_register_is_empty(tmp_path):
    assert len(load_register(_write(tmp_path, "# nothing yet\n"))) == 0


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  ticket: OPS-1\n",
            "  ticket: OPS-1\n  tiket: OPS-2\n",
            "line 11: unknown field 'tiket'",
        ),
        ("  ticket: OPS-1\n", "", "line 2: exception EX-1: 'ticket' is required"),
        (
            "valid_until: 2026-11-14",
            "valid_until: 2026-13-01",
            "line 14: 'valid_until' must be a date",
        ),
        (
            "valid_until: 2026-11-14",
            "valid_until: 2026-10-01",
            "line 14: exception EX-1: valid_until",
        ),
        ('value: "50000.00 CZK"', "value: 50000.00", "line 15: limits value must be text"),
        ('value: "50000.00 CZK"', 'value: "50000.00 XXQ"', "line 15: limits value:"),
        ("uses: 1", "uses: 0", "line 15: 'uses' must be a whole number"),
        ('pack_versions: ">=1.0,<2"', "pack_versions: one or two", "line 6: pack_versions must be"),
        ("checkpoint: H3", "checkpoint: H9", "line 8: scope checkpoint must be one of H1..H5"),
        (
            '{order: "4711", checkpoint: H3, person: P-7}',
            "{person: P-7}",
            "line 8: scope must name",
        ),
        ("revision: 1", "revision: 2", "line 3: exception EX-1: revision 2 is out of sequence"),
        ("  reason: known", "  reason: twice\n  reason: known", "line 10: not valid YAML: key"),
        ("requested_by: {name: Jana Novak, role: sales_rep}", "requested_by: Jana", "line 11"),
    ],
)
def test_mistakes_name_the_line_and_what_was_expected(tmp_path, old, new, message):
    assert old in REGISTER
    path = _write(tmp_path, REGISTER.replace(old, new, 1))
    with pytest.raises(RegisterError) as info:
        load_register(path)
    assert str(info.value).startswith(f"{path}:")
    assert message in str(info.value)


def test_not_yaml_and_not_a_list(tmp_path):
    with pytest.raises(RegisterError, match=r"line 2: not valid YAML"):
        load_register(_write(tmp_path, "- id: [\n  x: }\n"))
    with pytest.raises(RegisterError, match="a register is a YAML list"):
        load_register(_write(tmp_path, "id: EX-1\n"))
    with pytest.raises(RegisterError, match="no such exception register"):
        load_register(tmp_path / "missing.yaml")


def test_editing_appends_a_revision_and_keeps_the_old_bytes(tmp_path):
    path = _write(tmp_path, REGISTER)
    store = YamlExceptionStore(path)
    first = next(iter(store.load()))
    store.append(attrs.evolve(first, revision=2, valid_until=date(2026, 11, 10)))
    revoked = Revocation(date(2026, 11, 5), Party("Petr Dvorak", "chief_accountant"), "PoA came")
    store.append(attrs.evolve(first, revision=3, valid_until=date(2026, 11, 10), revoked=revoked))

    text = path.read_text(encoding="utf-8")
    assert text.startswith(REGISTER)  # earlier revisions, comments and layout untouched
    assert "revoked:" in text.split("revision: 3")[1]
    history = store.load().history("EX-1")
    assert [r.revision for r in history.revisions] == [1, 2, 3]
    assert history.revision(1) == first
    assert history.revision(2).valid_until == date(2026, 11, 10)
    assert history.current.revoked == revoked
    assert history.current.valid_until == date(2026, 11, 10)  # a revocation keeps the rest
    assert not history.current.in_force(date(2026, 11, 6))


def test_a_revision_cannot_be_rewritten_or_skipped(tmp_path):
    path = _write(tmp_path, REGISTER)
    store = YamlExceptionStore(path)
    first = next(iter(store.load()))
    for number in (1, 3):
        with pytest.raises(RegisterError, match="the next revision of EX-1 is 2"):
            store.append(attrs.evolve(first, revision=number, reason="changed"))
    assert path.read_text(encoding="utf-8") == REGISTER


def test_append_that_would_break_the_file_is_rolled_back(tmp_path):
    path = _write(tmp_path, "[]\n")  # a flow list: text cannot be appended to it
    store = YamlExceptionStore(path)
    first = next(iter(load_register(_write(tmp_path, REGISTER))))
    path.write_text("[]\n", encoding="utf-8")
    with pytest.raises(RegisterError):
        store.append(first)
    assert path.read_text(encoding="utf-8") == "[]\n"


def test_revision_one_cannot_be_a_revocation(tmp_path):
    text = (
        "- id: EX-1\n  revision: 1\n"
        "  revoked: {on: 2026-11-01, by: {name: A, role: cfo}, reason: x}\n"
    )
    with pytest.raises(
        RegisterError, match="line 3: exception EX-1: revision 1 cannot be a revocation"
    ):
        load_register(_write(tmp_path, text))


class _MemoryStore:
    def __init__(self, location: str, revisions: list[ExceptionRevision]) -> None:
        self._location = location
        self.revisions = revisions

    @property
    def location(self) -> str:
        return self._location

    def load(self) -> ExceptionRegister:
        return ExceptionRegister.of(self.revisions, location=self._location)

    def append(self, revision: ExceptionRevision) -> None:
        self.revisions.append(revision)


def test_a_plugin_can_supply_the_store(tmp_path):
    revision = next(iter(load_register(_write(tmp_path, REGISTER))))

    class Plugin:
        @hookimpl
        def handoff_rules_exception_store(self, location: str) -> _MemoryStore | None:
            return _MemoryStore(location, [revision]) if location.startswith("memory:") else None

    pm = make_plugin_manager(load_entry_points=False)
    pm.register(Plugin())
    store = open_exception_store("memory:finance", pm)
    assert isinstance(store, _MemoryStore)
    assert [r.key for r in store.load()] == ["EX-1@1"]
    assert isinstance(open_exception_store(str(tmp_path / "x.yaml"), pm), YamlExceptionStore)
