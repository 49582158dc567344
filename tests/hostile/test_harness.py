"""The harness itself: it must see each kind of failure, and pass what is sound.

A harness that cannot fail proves nothing, so each check in
:func:`.harness.judge` is shown catching a made-up failure, and the record
count is shown to hold on every unmutated seed whose count the generators know.
"""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

import pytest

from . import seeds
from .classify import classify
from .formats import FORMATS, _table
from .harness import Failure, check_jsonl, judge, run_example
from .inputs import GENERATORS, HostileInput
from .known_failures import KNOWN_FAILURES

READ = HostileInput("read", (), ("read", "--format", "jsonl", "x"), records=2)


def _jsonl(*records: dict[str, object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


FACT = {"record": "fact", "type": "order", "provenance": {"location": "line 2"}}
REJECT = {"record": "reject", "type": "order", "provenance": {"location": "line 3"}}


def test_a_sound_read_passes() -> None:
    out = _jsonl(FACT, REJECT, {"record": "summary", "facts": {"order": 1}, "rejects": 1})
    assert check_jsonl(READ, 0, out.replace('"rejects": 1}', '"rejects": 1, "errors": []}')) == []


def test_a_lost_record_is_seen() -> None:
    out = _jsonl(FACT, {"record": "summary", "facts": {"order": 1}, "rejects": 0, "errors": []})
    assert [f.kind for f in check_jsonl(READ, 0, out)] == ["lost-records"]


def test_a_summary_that_miscounts_is_seen() -> None:
    out = _jsonl(FACT, REJECT, {"record": "summary", "facts": {"order": 2}, "rejects": 1})
    assert [f.kind for f in check_jsonl(READ, 0, out)] == ["jsonl-contract"]


def test_a_line_split_inside_json_is_seen() -> None:
    out = '{"record": "fact", "data": "a\nb"}\n' + _jsonl({"record": "summary"})
    assert [f.kind for f in check_jsonl(READ, 0, out)] == ["jsonl-contract"]


@pytest.mark.parametrize(
    ("code", "out", "escaped", "seconds", "growth", "kind"),
    [
        (None, "", KeyError("x"), 0.1, 0.0, "exception"),
        (3, "", None, 0.1, 0.0, "exit-code"),
        (130, "", None, 0.1, 0.0, "exit-code"),
        (2, "Traceback (most recent call last):\n", None, 0.1, 0.0, "traceback"),
        (0, "", None, 99.0, 0.0, "timeout"),
        (0, "", None, 0.1, 4096.0, "memory"),
    ],
)
def test_each_breach_of_the_contract_is_seen(
    code: int | None,
    out: str,
    escaped: BaseException | None,
    seconds: float,
    growth: float,
    kind: str,
) -> None:
    inp = HostileInput("audit verify", (), ("audit", "verify", "x"))
    failures = judge(inp, code, out, "", escaped, "", seconds, growth)
    assert [f.kind for f in failures] == [kind]


def test_a_refused_file_is_a_sound_outcome() -> None:
    inp = HostileInput(
        "exceptions show", (("r.yaml", b"- id: [\n"),), ("exceptions", "show", "X", "{dir}/r.yaml")
    )
    outcome = run_example(inp)
    assert outcome.exit_code == 2
    assert outcome.ok


def test_an_exception_escaping_main_is_caught_and_classified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import handoff_rules.cli.read_cmd as read_cmd

    def broken() -> None:
        raise RuntimeError("adapter registry broke")

    monkeypatch.setattr(read_cmd, "installed_adapters", broken)
    inp = HostileInput("read", (("a.csv", b"x"),), ("read", "{dir}/a.csv"))
    # through main, the failure is exit status 3 (an internal error): a failure too
    assert [f.kind for f in run_example(inp).failures] == ["exit-code"]
    # without main's handling, the exception escapes and is classified where it arose
    import handoff_rules.cli as cli_module

    def unhandled(argv: list[str]) -> object:
        return cli_module.cli.main(args=argv, prog_name="handoff-rules", standalone_mode=False)

    monkeypatch.setattr(cli_module, "main", unhandled)
    outcome = run_example(inp)
    assert [f.kind for f in outcome.failures] == ["exception"]
    assert classify(outcome.failures[0], inp) == (
        "unclassified: exception: builtins.RuntimeError at handoff_rules/cli/read_cmd.py:read"
    )


def test_an_unknown_failure_is_unclassified() -> None:
    failure = Failure(
        "exception",
        "builtins.KeyError: 'x'",
        "File \"/h/handoff_rules/x.py\", line 1, in f\nKeyError: 'x'",
    )
    name = classify(failure, READ)
    assert name.startswith("unclassified:")
    assert name not in KNOWN_FAILURES


KNOWN_COUNTS = [
    *((p, "items", True) for p in seeds.NATIVE_CSV),
    *((seeds.SAP_DATA / n, "locations", False) for n in seeds.SAP_TABLES),
    *((seeds.CRM_DATA / n, "locations", True) for n in seeds.CRM_CSV if "odoo" not in n),
]


@pytest.mark.parametrize(("path", "count_by", "quoted"), KNOWN_COUNTS, ids=lambda v: str(v)[-30:])
def test_the_record_count_holds_on_every_unmutated_seed(
    path: Path, count_by: str, quoted: bool
) -> None:
    records = len(_table(path, quoted).rows)
    inp = HostileInput(
        "read",
        ((f"input/{path.name}", path.read_bytes()),),
        ("read", "--format", "jsonl", f"{{dir}}/input/{path.name}"),
        records=records,
        count_by=count_by,  # type: ignore[arg-type]
    )
    outcome = run_example(inp)
    assert outcome.failures == ()


def test_every_generator_draws_inputs_below_one_megabyte() -> None:
    rnd = Random(0)
    for _ in range(20):
        for generate in (*GENERATORS.values(),):
            inp = generate(rnd)
            assert sum(len(data) for _name, data in inp.files) < 2**20
        for make in FORMATS.values():
            assert len(make(rnd).data) < 2**20


def test_the_peak_memory_of_one_input_is_measured_from_its_start() -> None:
    from .harness import peak_growth, start_peak

    start = start_peak()
    block = bytearray(64 * 2**20)
    block[:: 2**12] = b"x" * len(block[:: 2**12])  # touch every page
    del block
    assert peak_growth(start) >= 60
    assert peak_growth(start_peak()) < 60


def test_the_time_budget_grows_with_the_input_not_faster() -> None:
    from .harness import MAX_SECONDS, SECONDS_PER_MB, time_budget

    def budget(size: int) -> float:
        return time_budget(HostileInput("read", (("a.csv", b"x" * size),), ("read", "a.csv")))

    assert budget(0) == MAX_SECONDS
    assert budget(2**20) == pytest.approx(MAX_SECONDS + SECONDS_PER_MB)
    assert budget(2**21) - budget(2**20) == pytest.approx(budget(2**20) - budget(0))
    slow = judge(
        HostileInput("read", (("a.csv", b""),), ("read", "a.csv")),
        0,
        "",
        "",
        None,
        "",
        MAX_SECONDS + 0.1,
        0.0,
    )
    assert [f.kind for f in slow] == ["timeout"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("cell", ["carriage\rreturn", "new\nline", "both\r\n", "plain"])
def test_a_written_table_holds_as_many_records_as_it_has_rows(newline: str, cell: str) -> None:
    """The record count the generator claims is what a CSV reader reads back."""
    import csv
    import io

    from .formats import Table, write_table

    table = Table("", ["a", "b"], [["1", cell], ["2", "x"]], ",", "utf-8")
    data = write_table(table, quoted=True, encoding="utf-8", newline=newline)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows == [["a", "b"], ["1", cell], ["2", "x"]]
    assert data.decode("utf-8").endswith(newline)
