"""A partition that fails on a worker ends the run with one error naming it.

The exit status is the worker's own error's: 3 for a plugin that raised, 2
for an input file that cannot be read. Options that exclude each other are
a usage error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from failing_plugin import FailsOnOrder
from generated_exports import AT, write_exports

from handoff_rules import pipeline
from handoff_rules.cli.exits import report_error
from handoff_rules.distribute import DaskExecutor, LocalPool
from handoff_rules.errors import EXIT_INTERNAL, EXIT_USAGE, WorkerError
from handoff_rules.plugins import make_plugin_manager

CliRun = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize("where", ["pool", "cluster"])
def test_a_plugin_failing_on_a_worker_is_one_error_naming_partition_and_plugin(
    where: str,
    pool: LocalPool,
    cluster_executor: DaskExecutor,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exports, register = write_exports(tmp_path, orders=6, per_file=3)
    pm = make_plugin_manager()
    pm.register(FailsOnOrder("5003"), name="fails-on-5003")
    executor = pool if where == "pool" else cluster_executor
    with pytest.raises(WorkerError) as caught:
        pipeline.check([exports], at=AT, exceptions=register, plugin_manager=pm, executor=executor)
    message = str(caught.value)
    assert message.startswith(
        "evaluation partition 4 of 6 (cases 4-4: 5003 to 5003) failed on worker "
    )
    assert message.endswith(
        "plugin 'fails-on-5003' (distribution unknown) failed in "
        "handoff_rules_derive_facts: ZeroDivisionError: division by zero"
    )
    assert caught.value.exit_code == EXIT_INTERNAL
    # the command line prints it as one line and ends in status 3
    assert report_error(caught.value, verbose=False) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: evaluation partition 4")


def test_an_unreadable_file_on_a_worker_names_the_file_and_exits_2(
    cli: CliRun, tmp_path: Path
) -> None:
    exports, _register = write_exports(tmp_path, orders=4, per_file=2)
    broken = exports / "orders-0002.yaml"
    broken.write_text("handoff-rules-facts: 1\nfacts: [\n", "utf-8")
    once = cli("check", str(exports), "--at", AT.isoformat())
    spread = cli("check", str(exports), "--at", AT.isoformat(), "--workers", "2")
    assert once[0] == spread[0] == EXIT_USAGE
    # the same error as in one process, after the partition it happened in
    assert spread[2] == (
        f"error: reading partition 4 of 4 (file {broken}) failed on worker "
        + spread[2].split("failed on worker ", 1)[1].split(": ", 1)[0]
        + ": "
        + once[2].removeprefix("error: ")
    )
    assert "of 2 local processes" in spread[2]


def test_the_command_line_gives_the_same_json_with_two_workers(cli: CliRun, tmp_path: Path) -> None:
    exports, register = write_exports(tmp_path, orders=4, per_file=2)
    args = ["check", str(exports), "--at", AT.isoformat(), "--exceptions", str(register)]
    once = cli(*args, "--format", "json")
    spread = cli(*args, "--format", "json", "--workers", "2")
    assert once[0] == spread[0] == 1  # the other orders' releases block
    assert spread[1] == once[1]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "exclude each other"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_workers_and_scheduler_are_usage_errors_when_wrong(
    cli: CliRun, tmp_path: Path, options: list[str], said: str
) -> None:
    exports, _register = write_exports(tmp_path, orders=1)
    code, out, err = cli("check", str(exports), "--at", AT.isoformat(), *options)
    assert code == EXIT_USAGE
    assert said in err
    assert out == ""


def test_workers_and_scheduler_exclude_each_other_in_the_library(tmp_path: Path) -> None:
    exports, _register = write_exports(tmp_path, orders=1)
    with pytest.raises(Exception, match="choose one of workers, scheduler and executor"):
        pipeline.check([exports], at=AT, workers=2, scheduler="tcp://127.0.0.1:8786")
