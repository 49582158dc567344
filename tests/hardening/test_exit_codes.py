"""One exit-status contract for every command, and no traceback without ``-v``.

0 done (for ``check``: nothing blocks), 1 a verdict (something blocks, a check
failed), 2 a usage or input error, 3 an internal error or a plugin's failure.
Failures come from a plugin installed the way pip installs one (an entry point
in a ``.dist-info``) that fails on demand in any of its hooks, and from the
core's own functions made to raise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import handoff_rules
from handoff_rules.engine import cached
from handoff_rules.hooks import hookimpl
from handoff_rules.plugins import PluginOrigin, default_plugin_manager, plugin_origin

REPO = Path(__file__).resolve().parents[2]
EXPORTS = REPO / "examples" / "exports"
EXPORT_FILES = [str(path) for path in sorted(EXPORTS.iterdir())]
REGISTER = REPO / "examples" / "exceptions.yaml"
AT = "2024-06-04"

PLUGIN_MODULE = "hr_exit_status_plugin"
PLUGIN = "plugin 'exitplug'"
DISTRIBUTION = "distribution hr-exit-status-plugin 0.1"
FAIL = "HR_EXIT_STATUS_FAIL"

PLUGIN_SOURCE = f'''
"""A plugin with every hook; the hook named in ${FAIL} raises."""

import os
from pathlib import Path

from handoff_rules.adapters.base import FormatInfo, SniffResult
from handoff_rules.facts import Fact, Provenance
from handoff_rules.hooks import hookimpl
from handoff_rules.model import Order


def failing(hook):
    return os.environ.get("{FAIL}") == hook


class BoomAdapter:
    name = "boom"
    version = "0.1"
    formats = (FormatInfo("boom", "files that start with BOOM"),)

    def sniff(self, sample):
        if failing("sniff"):
            raise ValueError("cannot sniff")
        return SniffResult("boom", 0.9) if sample.head.startswith(b"BOOM") else None

    def read(self, path):
        rows = {{}}
        for number, line in enumerate(Path(path).read_text().splitlines()[1:], start=2):
            if failing("read") and number > 2:
                rows["customer"]  # a bug: the adapter expects a column that is not there
            yield Fact(Order(id=line), Provenance(self.name, str(path), f"line {{number}}"))


@hookimpl
def handoff_rules_adapters():
    if failing("adapters"):
        raise RuntimeError("adapter table missing")
    return [BoomAdapter()]


@hookimpl
def handoff_rules_link_facts(facts):
    if failing("link"):
        raise KeyError("PO_Number__c")
    return []


@hookimpl
def handoff_rules_derive_facts(case, at):
    return [1 / 0] if failing("derive") else []


@hookimpl
def handoff_rules_decision(decision, case):
    if failing("sink"):
        raise ConnectionError("ERP unreachable")


@hookimpl
def handoff_rules_exception_store(location):
    if failing("store"):
        raise TimeoutError("ticket system down")
    return None


@hookimpl
def handoff_rules_packs():
    if failing("packs"):
        raise LookupError("pack index damaged")
    return []
'''

#: A pack whose one scenario expects the wrong result: ``pack test`` exits 1.
PACK = {
    "pack.yaml": "name: exit-status\nversion: 1.0.0\neffective_from: 2024-01-01\n",
    "rules/po.yaml": """\
        rules:
          - id: SUP-PO-001
            title: Order names the customer's PO
            owner: SUP
            checkpoints: [H1]
            severity: block
            waivable_by: [head_of_sales]
            subject: order
            message: "order {subject.id}: no customer PO reference"
            fail_when:
              where: [customer_po_ref missing]
        """,
    "tests/po.yaml": """\
        scenarios:
          - name: an order without a PO reference, expected (wrongly) to pass
            at: 2024-06-04
            facts:
              - type: order
                data: {id: "4711"}
            expect:
              - {rule: SUP-PO-001, result: pass, subject: "4711"}
            outcomes: {H1: allow}
        """,
}


def _write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def install_plugin(site: Path) -> Path:
    """Lay out the plugin module and its ``.dist-info`` as pip would."""
    info = site / f"{PLUGIN_MODULE}-0.1.dist-info"
    return _write_tree(
        site,
        {
            f"{PLUGIN_MODULE}.py": PLUGIN_SOURCE,
            f"{info.name}/METADATA": (
                "Metadata-Version: 2.1\nName: hr-exit-status-plugin\nVersion: 0.1\n"
            ),
            f"{info.name}/entry_points.txt": f"[handoff_rules]\nexitplug = {PLUGIN_MODULE}\n",
        },
    )


class Files(NamedTuple):
    """Inputs shared by the table: a real audit log, a broken copy, a failing pack."""

    root: Path
    log: Path
    tampered_log: Path
    valid_register: Path
    pack: Path
    changed_pack: Path
    boom: Path
    a_file: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    root = tmp_path_factory.mktemp("exit-status")
    log = root / "decisions.jsonl"
    handoff_rules.check([EXPORTS], at=date(2024, 6, 4), engine="reference", audit_log=log)
    lines = log.read_text(encoding="utf-8").splitlines()
    index, record = next(
        (i, json.loads(line))
        for i, line in enumerate(lines)
        if json.loads(line)["decision"]["outcome"] == "block"
    )
    record["decision"]["outcome"] = "allow"
    lines[index] = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    tampered = root / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n", encoding="utf-8")
    valid = root / "valid-exceptions.yaml"  # EX-2024-007 alone: valid in June 2024
    valid.write_text(REGISTER.read_text(encoding="utf-8").split("\n\n")[0] + "\n", "utf-8")
    pack = _write_tree(root / "pack", PACK)
    changed = _write_tree(root / "changed-pack", PACK)
    rules = changed / "rules" / "po.yaml"
    rules.write_text(rules.read_text().replace("names the", "gives the"), encoding="utf-8")
    boom = root / "orders.boom"
    boom.write_text("BOOM\n4711\n4712\n", encoding="utf-8")
    a_file = root / "a-file"
    a_file.write_text("not a folder\n", encoding="utf-8")
    return Files(root, log, tampered, valid, pack, changed, boom, a_file)


@pytest.fixture
def exit_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin installed, and a fresh plugin manager (and evaluators) that load it."""
    monkeypatch.syspath_prepend(str(install_plugin(tmp_path / "site")))
    monkeypatch.setattr(cached, "_EVALUATORS", {})
    default_plugin_manager.cache_clear()
    yield
    default_plugin_manager.cache_clear()
    sys.modules.pop(PLUGIN_MODULE, None)


def _broken(exc: BaseException) -> Callable[..., Any]:
    def fail(*_args: object, **_kwargs: object) -> Any:
        raise exc

    return fail


#: (where, what) of a core function made to raise, for "internal error" rows.
INTERNAL: dict[str, tuple[str, str]] = {
    "verify": ("handoff_rules.audit.log.AuditLog.verify", "RecursionError"),
    "report": ("handoff_rules.cli.report_cmd.build_report", "MemoryError"),
}
RAISED = {
    "RecursionError": RecursionError("maximum recursion depth exceeded"),
    "MemoryError": MemoryError(),
}

Args = Callable[[Files, Path], list[str]]


class Row(NamedTuple):
    name: str
    status: int
    args: Args
    fail: str | None = None  # the plugin hook that raises
    internal: str | None = None  # the core function that raises (INTERNAL)


def _check(*extra: str) -> Args:
    return lambda f, t: ["check", str(EXPORTS), "--at", AT, "--engine", "reference", *extra]


def _allowed(tmp: Path) -> Path:
    """Order 4711 of the examples alone, with its master data: allowed at H2."""
    folder = tmp / "allowed"
    folder.mkdir(exist_ok=True)
    shutil.copy(EXPORTS / "master-data.yaml", folder)
    orders = (EXPORTS / "orders.yaml").read_text("utf-8").split("  # 4712")[0]
    (folder / "orders.yaml").write_text(orders, encoding="utf-8")
    return folder


def _validate(register: Callable[[Files, Path], Path]) -> Args:
    def args(f: Files, tmp: Path) -> list[str]:
        return [
            "exceptions", "validate", str(register(f, tmp)),
            "--pack", "o2c-standard", "--at", "2024-06-10",
        ]  # fmt: skip

    return args


def _revoke(exception_id: str) -> Args:
    def args(f: Files, tmp: Path) -> list[str]:
        register = tmp / "exceptions.yaml"
        register.write_text(REGISTER.read_text(encoding="utf-8"), encoding="utf-8")
        return [
            "exceptions", "revoke", exception_id, str(register),
            "--by", "Petr Dvorak", "--role", "chief_accountant", "--reason", "paid", "--on", AT,
        ]  # fmt: skip

    return args


ROWS = [
    # adapters: never 1
    Row("adapters", 0, lambda f, t: ["adapters"]),
    Row("adapters, unknown option", 2, lambda f, t: ["adapters", "--nope"]),
    Row("adapters, hook raises", 3, lambda f, t: ["adapters"], fail="adapters"),
    # read: never 1 (rejects are reported, not fatal)
    Row("read", 0, lambda f, t: ["read", str(EXPORTS / "orders.yaml")]),
    Row("read, missing file", 2, lambda f, t: ["read", str(t / "missing.csv")]),
    Row("read, adapter raises", 3, lambda f, t: ["read", str(f.boom)], fail="read"),
    Row("read, sniff raises", 3, lambda f, t: ["read", str(EXPORTS / "orders.yaml")], fail="sniff"),
    # check: 1 when something blocks
    Row(
        "check, nothing blocks",
        0,
        lambda f, t: ["check", str(_allowed(t)), "--checkpoint", "H2", "--at", AT],
    ),
    Row(
        "check, no order in the inputs",
        2,
        lambda f, t: ["check", str(EXPORTS / "master-data.yaml"), "--at", AT],
    ),
    Row("check, something blocks", 1, _check()),
    Row("check, missing input", 2, lambda f, t: ["check", str(t / "missing")]),
    Row("check, bad date", 2, lambda f, t: ["check", str(EXPORTS), "--at", "June"]),
    Row(
        "check, --output in no folder",
        2,
        lambda f, t: _check("--output", str(t / "no/out.json"))(f, t),
    ),
    Row("check, --output a folder", 2, lambda f, t: _check("--output", str(t))(f, t)),
    Row(
        "check, --audit-log under a file",
        2,
        lambda f, t: _check("--audit-log", str(f.a_file / "log.jsonl"))(f, t),
    ),
    Row(
        "check, adapter raises",
        3,
        lambda f, t: ["check", str(f.boom), str(EXPORTS), "--at", AT],
        fail="read",
    ),
    Row("check, fact linker raises", 3, _check(), fail="link"),
    Row("check, derived facts raise", 3, _check(), fail="derive"),
    Row("check, decision sink raises", 3, _check(), fail="sink"),
    Row("check, exception store raises", 3, _check("--exceptions", str(REGISTER)), fail="store"),
    # pack test: 1 when a scenario fails or a rule lacks coverage
    Row("pack test", 0, lambda f, t: ["pack", "test", "o2c-standard", "--at", "2024-06-10"]),
    Row("pack test, scenario fails", 1, lambda f, t: ["pack", "test", str(f.pack)]),
    Row("pack test, unknown pack", 2, lambda f, t: ["pack", "test", "no-such-pack"]),
    Row(
        "pack test, packs hook raises",
        3,
        lambda f, t: ["pack", "test", "o2c-standard"],
        fail="packs",
    ),
    # pack show: never 1
    Row("pack show", 0, lambda f, t: ["pack", "show", "o2c-standard"]),
    Row("pack show, unknown pack", 2, lambda f, t: ["pack", "show", "no-such-pack"]),
    Row("pack show, packs hook raises", 3, lambda f, t: ["pack", "show"], fail="packs"),
    # pack diff: 1 when the version bump is too small
    Row("pack diff, no change", 0, lambda f, t: ["pack", "diff", str(f.pack), str(f.pack)]),
    Row("pack diff, no bump", 1, lambda f, t: ["pack", "diff", str(f.pack), str(f.changed_pack)]),
    Row("pack diff, unknown pack", 2, lambda f, t: ["pack", "diff", "no-such-pack", str(f.pack)]),
    Row(
        "pack diff, packs hook raises",
        3,
        lambda f, t: ["pack", "diff", "o2c-standard", "o2c-standard"],
        fail="packs",
    ),
    # pack impact: never 1
    Row(
        "pack impact",
        0,
        lambda f, t: ["pack", "impact", str(f.pack), str(f.pack), *EXPORT_FILES, "--at", AT],
    ),
    Row(
        "pack impact, missing export",
        2,
        lambda f, t: ["pack", "impact", str(f.pack), str(f.pack), str(t / "missing.csv")],
    ),
    Row(
        "pack impact, derived facts raise",
        3,
        lambda f, t: ["pack", "impact", str(f.pack), str(f.pack), *EXPORT_FILES, "--at", AT],
        fail="derive",
    ),
    # pack lock: 1 when a version changed without a new number, or (--check) is not locked
    Row(
        "pack lock", 0, lambda f, t: ["pack", "lock", str(f.pack), "--lock-file", str(t / "p.lock")]
    ),
    Row(
        "pack lock --check, not locked",
        1,
        lambda f, t: ["pack", "lock", str(f.pack), "--check", "--lock-file", str(t / "p.lock")],
    ),
    Row(
        "pack lock, lock file in no folder",
        2,
        lambda f, t: ["pack", "lock", str(f.pack), "--lock-file", str(t / "no" / "p.lock")],
    ),
    Row("pack lock, lock file a folder", 2, lambda f, t: ["pack", "lock", "--lock-file", str(t)]),
    Row(
        "pack lock, packs hook raises",
        3,
        lambda f, t: ["pack", "lock", "--check", "--lock-file", str(REPO / "packs.lock")],
        fail="packs",
    ),
    # exceptions: only validate exits 1
    Row(
        "exceptions expiring", 0, lambda f, t: ["exceptions", "expiring", str(REGISTER), "--at", AT]
    ),
    Row(
        "exceptions expiring, bad period",
        2,
        lambda f, t: ["exceptions", "expiring", str(REGISTER), "--within", "soon"],
    ),
    Row(
        "exceptions expiring, store raises",
        3,
        lambda f, t: ["exceptions", "expiring", str(REGISTER)],
        fail="store",
    ),
    Row("exceptions show", 0, lambda f, t: ["exceptions", "show", "EX-2024-007", str(REGISTER)]),
    Row(
        "exceptions show, unknown id",
        2,
        lambda f, t: ["exceptions", "show", "EX-NOPE", str(REGISTER)],
    ),
    Row(
        "exceptions show, store raises",
        3,
        lambda f, t: ["exceptions", "show", "EX-2024-007", str(REGISTER)],
        fail="store",
    ),
    Row("exceptions validate", 0, _validate(lambda f, t: f.valid_register)),
    Row("exceptions validate, invalid ones", 1, _validate(lambda f, t: REGISTER)),
    Row("exceptions validate, missing register", 2, _validate(lambda f, t: t / "none.yaml")),
    Row("exceptions validate, store raises", 3, _validate(lambda f, t: REGISTER), fail="store"),
    Row("exceptions revoke", 0, _revoke("EX-2024-007")),
    Row("exceptions revoke, unknown id", 2, _revoke("EX-NOPE")),
    Row("exceptions revoke, store raises", 3, _revoke("EX-2024-007"), fail="store"),
    # audit verify: 1 when the chain is broken
    Row("audit verify", 0, lambda f, t: ["audit", "verify", str(f.log)]),
    Row("audit verify, edited line", 1, lambda f, t: ["audit", "verify", str(f.tampered_log)]),
    Row("audit verify, missing log", 2, lambda f, t: ["audit", "verify", str(t / "none.jsonl")]),
    Row("audit verify, log is a folder", 2, lambda f, t: ["audit", "verify", str(t)]),
    Row(
        "audit verify, internal error",
        3,
        lambda f, t: ["audit", "verify", str(f.log)],
        internal="verify",
    ),
    # audit replay: 1 when a decision comes out differently
    Row("audit replay", 0, lambda f, t: ["audit", "replay", str(f.log)]),
    Row("audit replay, edited decision", 1, lambda f, t: ["audit", "replay", str(f.tampered_log)]),
    Row("audit replay, missing log", 2, lambda f, t: ["audit", "replay", str(t / "none.jsonl")]),
    Row(
        "audit replay, derived facts raise",
        3,
        lambda f, t: ["audit", "replay", str(f.log)],
        fail="derive",
    ),
    # report: never 1
    Row("report", 0, lambda f, t: ["report", str(f.log)]),
    Row("report, missing log", 2, lambda f, t: ["report", str(t / "none.jsonl")]),
    Row("report, log is a folder", 2, lambda f, t: ["report", str(t)]),
    Row("report, internal error", 3, lambda f, t: ["report", str(f.log)], internal="report"),
]


def _arrange(row: Row, monkeypatch: pytest.MonkeyPatch) -> None:
    if row.fail is not None:
        monkeypatch.setenv(FAIL, row.fail)
    if row.internal is not None:
        where, raised = INTERNAL[row.internal]
        monkeypatch.setattr(where, _broken(RAISED[raised]))


@pytest.mark.usefixtures("exit_plugin")
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_exit_status_of_every_command(
    row: Row, files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    _arrange(row, monkeypatch)
    status, out, err = cli(*row.args(files, tmp_path))
    assert status == row.status, f"{row.args(files, tmp_path)}\n{out}\n{err}"
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    if row.status == 3:
        assert len(lines) == 1, err  # one line, whatever failed
        assert lines[0].endswith("(run with -v for the traceback)")
    if row.fail is not None:
        assert PLUGIN in lines[0]
        assert DISTRIBUTION in lines[0]
    if row.fail in {"read", "sniff"}:
        assert "adapter 'boom'" in lines[0]
    if row.internal is not None:
        assert lines[0].startswith(f"internal error: {INTERNAL[row.internal][1]}")
    if row.status == 2 and lines and lines[-1].startswith("error:"):
        assert len(lines) == 1, err


@pytest.mark.usefixtures("exit_plugin")
@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("row", [row for row in ROWS if row.status == 3], ids=lambda row: row.name)
def test_verbose_before_or_after_the_command_adds_the_traceback(
    row: Row,
    where: str,
    files: Files,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
) -> None:
    _arrange(row, monkeypatch)
    args = row.args(files, tmp_path)
    status, _out, err = cli(*(["-v", *args] if where == "before" else [*args, "-v"]))
    assert status == 3
    assert "Traceback (most recent call last)" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(("error:", "internal error:"))
    assert "run with -v" not in last


def test_an_option_value_spelt_like_v_is_not_the_flag(cli: Any) -> None:
    status, _out, err = cli(
        "exceptions", "revoke", "EX-NOPE", str(REGISTER),
        "--by", "a", "--role", "b", "--reason", "-v",
    )  # fmt: skip
    assert status == 2
    assert "Traceback" not in err
    assert err.startswith("error: ")


def _recurse(*_args: object, **_kwargs: object) -> Any:
    return _recurse()


@pytest.mark.parametrize(
    ("failure", "line"),
    [
        (_broken(KeyError("per_rule")), "internal error: KeyError: 'per_rule'"),
        (_broken(MemoryError()), "internal error: MemoryError"),
        (_recurse, "internal error: RecursionError: maximum recursion depth exceeded"),
        (_broken(ValueError("first\nsecond")), "internal error: ValueError: first / second"),
    ],
    ids=["KeyError", "MemoryError", "real RecursionError", "two-line message"],
)
def test_any_unexpected_exception_is_an_internal_error(
    failure: Callable[..., Any],
    line: str,
    files: Files,
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
) -> None:
    monkeypatch.setattr("handoff_rules.cli.report_cmd.build_report", failure)
    status, out, err = cli("report", str(files.log))
    assert status == 3
    assert out == ""
    assert err == f"{line} (run with -v for the traceback)\n"


def test_ctrl_c_exits_130_quietly(files: Files, monkeypatch: pytest.MonkeyPatch, cli: Any) -> None:
    monkeypatch.setattr("handoff_rules.cli.report_cmd.build_report", _broken(KeyboardInterrupt()))
    status, out, err = cli("report", str(files.log))
    assert status == 130
    assert out == ""
    assert err.strip() == ""


def test_a_reader_that_stops_early_is_not_a_block(tmp_path: Path) -> None:
    """``read ... | head -1``: the pipe closes under the writer; no message, not status 1."""
    big = tmp_path / "documents.csv"
    rows = (f"K-{n},contract,original,C100,2023-12-20\n" for n in range(5000))
    big.write_text(
        "#handoff-rules: document\nid,kind,form,counterparty_id,issued_on\n" + "".join(rows)
    )
    code = "from handoff_rules.cli import main; main()"
    with subprocess.Popen(
        [sys.executable, "-c", code, "read", "--format", "jsonl", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # the next writes (well beyond a pipe buffer) find no reader
        err = process.stderr.read().decode()
        status = process.wait(timeout=120)
    assert status == 141
    assert first.startswith(b'{"record": "fact"')
    assert err == ""


def test_help_states_the_contract(cli: Any) -> None:
    _status, group_help, _err = cli("--help")
    _status, check_help, _err = cli("check", "--help")
    for text in (group_help, check_help):
        for status in ("0 ", "1 ", "2 ", "3 "):
            assert f"\n    {status}" in text
    assert "before or after the command" in group_help
    assert "at least one decision blocks" in check_help


@pytest.mark.usefixtures("exit_plugin")
def test_read_keeps_its_summary_when_an_adapter_fails(
    files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    """The JSON Lines contract: the last line is the summary, even after a crash."""
    monkeypatch.setenv(FAIL, "read")
    orders, missing = str(EXPORTS / "orders.yaml"), str(tmp_path / "missing.csv")
    status, out, err = cli("read", "--format", "jsonl", str(files.boom), missing, orders)
    assert status == 3  # the worse of an adapter's failure (3) and a missing file (2)
    records = [json.loads(line) for line in out.splitlines()]
    summary = records[-1]
    assert summary["record"] == "summary"
    assert summary["facts"]["order"] > 1  # the boom file's first order, and the other file's
    crash, not_found = summary["errors"]
    assert crash.startswith(f"adapter 'boom' of {PLUGIN} ({DISTRIBUTION}) failed reading")
    assert "(after line 2): KeyError: 'customer'" in crash
    assert not_found == f"{missing}: no such file"
    assert err.splitlines() == [
        f"error: {not_found}",
        f"error: {crash} (run with -v for the traceback)",
    ]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--output", "cannot write the report: {folder} is not an existing folder"),
        ("--audit-log", "cannot write the audit log: {folder} is not a folder"),
    ],
)
def test_a_file_that_cannot_be_written_is_refused_before_any_work(
    option: str, message: str, files: Files, tmp_path: Path, cli: Any
) -> None:
    """No decision is logged for a run whose report cannot be written, and the reverse."""
    log, report = tmp_path / "decisions.jsonl", tmp_path / "report.json"
    refused = str(files.a_file / "out")  # under a file, not a folder
    given = {"--output": str(report), "--audit-log": str(log), option: refused}
    args = [arg for pair in given.items() for arg in pair]
    status, out, err = cli("check", str(EXPORTS), "--at", AT, "--engine", "reference", *args)
    assert status == 2
    assert out == ""
    assert err == f"error: {refused}: {message.format(folder=files.a_file)}\n"
    assert not log.exists()
    assert not report.exists()


class _Probe:
    @hookimpl
    def handoff_rules_packs(self) -> list[Path]:
        return []


def test_a_plugin_is_found_by_the_package_of_its_code() -> None:
    pm = handoff_rules.make_plugin_manager()
    pm.register(_Probe(), name="probe")
    assert plugin_origin(__name__, pm) == PluginOrigin("probe")  # registered, not installed
    assert str(PluginOrigin("probe")) == "plugin 'probe' (distribution unknown)"
    assert plugin_origin("handoff_rules.engine.evaluate", pm) is None  # the core is never blamed
    sap = plugin_origin("handoff_rules_sap.idoc_xml", pm)
    assert sap is not None
    assert sap.name == "sap"
    assert sap.distribution is not None
    assert sap.distribution.startswith("handoff-rules-sap ")
