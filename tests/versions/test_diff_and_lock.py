"""Pack diff classification, version-bump discipline and the lock file, on real packs."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from handoff_rules.cli.pack_versions_cmd import diff, lock
from handoff_rules.policy.diff import Level, diff_packs, version_bump
from handoff_rules.policy.lock import check_lock, read_lock, update_lock
from handoff_rules.policy.pack_access import load_pack, same_under_old_params, versions_at


def _diff(old_folder, new_folder):
    old, new = load_pack(str(old_folder)), load_pack(str(new_folder))
    return diff_packs(old, new, same_under_old_params(old, new))


@pytest.mark.parametrize(
    ("changes", "level", "words"),
    [
        (
            {"title": "Order value inside the limit"},
            Level.PATCH,
            "rule ACC-CRD-001: title reworded",
        ),
        (
            {"limit": "8000.00"},
            Level.MINOR,
            "parameter max_order_value: 5000.00 EUR -> 8000.00 EUR (loosened)",
        ),
        ({"limit": "3000.00"}, Level.MAJOR, "(tightened or direction unknown)"),
        ({"extra_severity": "warn"}, Level.MINOR, "rule ACC-CRD-002: added (warning)"),
        ({"extra_severity": "block"}, Level.MAJOR, "rule ACC-CRD-002: added (blocking)"),
        ({"po_severity": "block"}, Level.MAJOR, "rule SUP-DOC-001: severity warn -> block"),
        ({"severity": "warn"}, Level.MINOR, "rule ACC-CRD-001: severity block -> warn"),
        ({"condition": "net_value >= params.max_order_value"}, Level.MAJOR, "ir changed"),
        ({"roles": "credit_controller, cfo"}, Level.MINOR, "waivable_by +cfo"),
        ({"roles": "cfo"}, Level.MAJOR, "waivable_by +cfo -credit_controller"),
    ],
)
def test_changes_are_classified(pack_writer, changes, level, words):
    old = pack_writer("1.0.0")
    new = pack_writer("1.0.1", **changes)
    result = _diff(old, new)
    assert result.level is level, [str(c) for c in result.changes]
    assert any(words in str(c) for c in result.changes), [str(c) for c in result.changes]
    assert result.bump is Level.PATCH
    assert result.ok is (level <= Level.PATCH)


def test_a_loosened_parameter_does_not_count_as_a_changed_rule(pack_writer):
    result = _diff(pack_writer("1.0.0"), pack_writer("1.1.0", limit="9000.00"))
    assert [c.subject for c in result.changes] == ["parameter max_order_value"]
    assert result.ok


def test_removed_rule_is_minor(pack_writer):
    old = pack_writer("1.0.0", extra_severity="block")
    result = _diff(old, pack_writer("1.1.0"))
    assert [str(c) for c in result.changes] == ["minor  rule ACC-CRD-002: removed"]
    assert result.ok


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("1.0.0", "2.0.0", Level.MAJOR),
        ("1.0.0", "1.1.0", Level.MINOR),
        ("1.0.0", "1.0.1", Level.PATCH),
        ("1.2.0", "1.2.0", Level.NONE),
        ("1.2.0", "1.1.9", Level.NONE),
    ],
)
def test_version_bump(old, new, bump):
    assert version_bump(old, new) is bump


def test_diff_command_fails_when_the_bump_is_too_small(pack_writer, tmp_path):
    pack_writer("1.0.0")
    pack_writer("1.1.0", extra_severity="block")
    root = str(tmp_path / "mini-credit")
    runner = CliRunner()
    result = runner.invoke(diff, [f"{root}@1.0.0", f"{root}@1.1.0"])
    assert result.exit_code == 1, result.output
    assert "major  rule ACC-CRD-002: added (blocking)" in result.output
    assert "change: major, version bump: minor -> version bump too small" in result.output
    pack_writer("2.0.0", extra_severity="block")
    ok = runner.invoke(diff, [f"{root}@1.0.0", f"{root}@2.0.0", "--format", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True


def test_version_in_force_is_chosen_by_date(pack_writer, tmp_path):
    pack_writer("1.0.0", effective_from="2026-01-01")
    pack_writer("1.1.0", effective_from="2026-07-01")
    root = str(tmp_path / "mini-credit")
    assert load_pack(root, at=date(2026, 6, 30)).version == "1.0.0"
    assert load_pack(root, at=date(2026, 7, 1)).version == "1.1.0"
    assert load_pack(root).version == "1.1.0"
    assert load_pack(f"{root}@1.0.0").version == "1.0.0"


def test_lock_records_versions_and_refuses_changed_content(pack_writer, tmp_path):
    folder = pack_writer("1.0.0")
    lock_file = tmp_path / "packs.lock"
    runner = CliRunner()
    first = runner.invoke(lock, [str(folder), "--lock-file", str(lock_file)])
    assert first.exit_code == 0, first.output
    assert "locked mini-credit 1.0.0" in first.output
    digest = load_pack(str(folder)).digest
    assert read_lock(lock_file) == {"mini-credit": {"1.0.0": digest}}
    assert (
        runner.invoke(lock, [str(folder), "--check", "--lock-file", str(lock_file)]).exit_code == 0
    )

    pack_writer("1.0.0", limit="9000.00")  # rules changed, version not bumped
    checked = runner.invoke(lock, [str(folder), "--check", "--lock-file", str(lock_file)])
    assert checked.exit_code == 1
    assert "mini-credit 1.0.0: content changed but the version was not bumped" in checked.output
    refused = runner.invoke(lock, [str(folder), "--lock-file", str(lock_file)])
    assert refused.exit_code == 1
    assert read_lock(lock_file) == {"mini-credit": {"1.0.0": digest}}  # never rewritten


def test_unlocked_version_fails_the_check(pack_writer, tmp_path):
    packs = versions_at(pack_writer("1.0.0"))
    problems = check_lock(packs, {})
    assert [str(p) for p in problems] == [
        "mini-credit 1.0.0: not in the lock file; run `handoff-rules pack lock` to record it"
    ]
    new_lock, refused, added = update_lock(packs, {})
    assert refused == []
    assert added == packs
    assert check_lock(packs, new_lock) == []


@pytest.mark.parametrize("depth", [50, 100_000])
def test_a_deeply_nested_lock_file_is_a_lock_error_at_any_stack_depth(tmp_path, depth, capsys):
    """A mutated lock (one line repeated) once crashed ``pack lock`` with a RecursionError
    only under a deep caller's stack; nested shallowly or deeply, it is one clear error."""
    from handoff_rules.cli import main

    lock_file = tmp_path / "packs.lock"
    lock_file.write_text("[" * depth + "]" * depth, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["pack", "lock", "--check", "--lock-file", str(lock_file)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert f"{lock_file}: " in err
    assert "Traceback" not in err
