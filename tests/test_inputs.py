"""What ``check`` and ``read`` take as input: files named, folders, strays, options files.

A file named on the command line must be read; a folder stands for the
exports in it, so a stray file there (a README, an export of an object no
adapter reads) is skipped and said so, never a reason to drop the whole run.
Inputs that hold no order make no decision, which a CI gate must not read as
passed. Rejected records and facts that joined no case are listed, not only
counted.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from importlib.resources import files
from pathlib import Path

import attrs
import jsonschema
import pytest
from click.testing import CliRunner

import handoff_rules
from handoff_rules.adapters import Fact, FormatInfo, Reject, Sample, SniffResult
from handoff_rules.adapters.registry import InputFile, list_inputs, read_files
from handoff_rules.cli import cli as cli_group
from handoff_rules.errors import NoAdapterError, NoOrderError
from handoff_rules.plugins import installed_adapters
from handoff_rules.report.text import LISTED_REJECTS
from handoff_rules.report.writers import write_report

#: The ``cli`` fixture (tests/conftest.py): exit status, stdout, stderr.
CliRun = Callable[..., tuple[int, str, str]]

ROOT = Path(__file__).parents[1]
EXPORTS = ROOT / "examples" / "exports"
NATIVE = ROOT / "tests" / "data" / "native"
CRM_E2E = ROOT / "plugins" / "handoff-rules-crm" / "tests" / "data" / "e2e"
AT = ("--at", "2024-06-04", "--engine", "reference")
SCHEMA = json.loads((files("handoff_rules") / "schemas" / "decisions-1.json").read_text("utf-8"))
README = "# June exports\nPulled from the ERP on 2024-06-03.\n"
#: A Salesforce object no adapter reads: the CRM plugin reads accounts, opportunities …
SF_CASE = "Id,CaseNumber,Status,Subject,Priority\n5005g000001AbCdAAK,00001026,New,Pipe leaks,High\n"
NO_ADAPTER = "no adapter recognises this file"


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


@pytest.fixture
def strays(tmp_path: Path) -> Path:
    """The examples' exports with a README and a Salesforce Case export beside them."""
    folder = tmp_path / "exports"
    shutil.copytree(EXPORTS, folder)
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "Case.csv").write_text(SF_CASE, encoding="utf-8")
    return folder


# --- inputs that hold no order ------------------------------------------------------------


def test_inputs_without_an_order_exit_2_with_what_was_read(cli: CliRun, tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    code, out, err = cli("check", str(EXPORTS / "master-data.yaml"), *AT, "--audit-log", str(log))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "error: no order in these inputs: 10 facts read (types counterparty, person, "
        "template), none of them an order"
    ]
    assert not log.exists()  # raised before anything was evaluated or logged


def test_no_order_names_the_rejected_orders_and_the_skipped_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "orders.csv").write_text(
        "#handoff-rules: order\nid,counterparty_id,net_value,currency\n4799,C100,abc,EUR\n",
        encoding="utf-8",
    )
    with pytest.raises(NoOrderError) as info:
        handoff_rules.check([folder], at=date(2024, 6, 4), engine="reference")
    error = info.value
    assert error.facts == {}
    assert error.rejected == {"order": 1}
    assert [file for file, _ in error.skipped] == [str(folder / "README.md")]
    assert str(error) == (
        "no order in these inputs: 0 facts read; 1 record rejected (types order); "
        f"1 file skipped, no adapter recognises: {folder / 'README.md'}"
    )
    assert error.exit_code == 2
    assert isinstance(error, handoff_rules.HandoffError)


def test_facts_given_to_the_library_count_too() -> None:
    master = handoff_rules.read_files([EXPORTS / "master-data.yaml"]).facts
    with pytest.raises(NoOrderError, match="10 facts read"):
        handoff_rules.check(facts=master, at=date(2024, 6, 4), engine="reference")
    orders = handoff_rules.read_files([EXPORTS / "orders.yaml"]).facts
    run = handoff_rules.check(facts=(*master, *orders), at=date(2024, 6, 4), engine="reference")
    assert run.cases == 5


# --- folders: strays skipped, named files required ----------------------------------------


def test_a_folder_with_strays_is_evaluated_with_one_warning_each(cli: CliRun, strays: Path) -> None:
    code, out, err = cli("check", str(strays), *AT)
    clean_code, clean_out, clean_err = cli("check", str(EXPORTS), *AT)
    assert code == clean_code == 1  # the verdict of the exports: something blocks
    warnings = _warnings(err)
    assert [w.split(": ", 2)[1] for w in warnings] == [
        str(strays / "Case.csv"),
        str(strays / "README.md"),
    ]
    assert all(w.endswith("; skipped") and NO_ADAPTER in w for w in warnings)
    assert _warnings(clean_err) == []
    assert f"skipped {strays / 'README.md'}: {NO_ADAPTER}" in out
    # the decisions are those of the exports alone
    code, out, _ = cli("check", str(strays), *AT, "--format", "json")
    _, clean_out, _ = cli("check", str(EXPORTS), *AT, "--format", "json")
    decisions = json.loads(out)["decisions"]
    assert decisions == json.loads(clean_out.replace(str(EXPORTS), str(strays)))["decisions"]


def test_a_folder_with_a_stray_exits_per_verdict_when_nothing_blocks(
    cli: CliRun, tmp_path: Path
) -> None:
    folder = tmp_path / "good"
    folder.mkdir()
    shutil.copy(EXPORTS / "master-data.yaml", folder)
    text = (EXPORTS / "orders.yaml").read_text("utf-8").split("  # 4712")[0]
    (folder / "orders.yaml").write_text(text, encoding="utf-8")
    (folder / "README.md").write_text(README, encoding="utf-8")
    code, out, err = cli("check", str(folder), "--checkpoint", "H2", *AT)
    assert code == 0
    assert "1 cases, 1 decisions: 0 block, 0 warn, 1 allow" in out
    assert len(_warnings(err)) == 1


def test_strict_refuses_a_stray(cli: CliRun, strays: Path) -> None:
    code, out, err = cli("check", str(strays), *AT, "--strict")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"error: {strays / 'Case.csv'}: {NO_ADAPTER} (adapters tried: "
        + err.split("(adapters tried: ", 1)[1].split(")")[0]
        + ")"
    ]
    with pytest.raises(NoAdapterError):
        handoff_rules.check([strays], at=date(2024, 6, 4), engine="reference", strict=True)


def test_a_file_named_on_its_own_must_be_read(cli: CliRun, strays: Path) -> None:
    code, _out, err = cli("check", str(EXPORTS), str(strays / "README.md"), *AT)
    assert code == 2
    assert err.startswith(f"error: {strays / 'README.md'}: {NO_ADAPTER}")
    assert _warnings(err) == []


def test_the_run_lists_what_it_skipped_and_why(strays: Path) -> None:
    run = handoff_rules.check([strays], at=date(2024, 6, 4), engine="reference")
    assert [(Path(s.source).name, s.reason.split(" (")[0]) for s in run.skipped] == [
        ("Case.csv", NO_ADAPTER),
        ("README.md", NO_ADAPTER),
    ]
    assert run.cases == 5


def test_read_treats_a_folder_as_check_does(strays: Path) -> None:
    result = CliRunner().invoke(cli_group, ["read", "--format", "jsonl", str(strays)])
    assert result.exit_code == 0, result.stderr
    assert [w.split(": ", 2)[1] for w in _warnings(result.stderr)] == [
        str(strays / "Case.csv"),
        str(strays / "README.md"),
    ]
    summary = json.loads(result.stdout.splitlines()[-1])
    assert [Path(s["file"]).name for s in summary["skipped"]] == ["Case.csv", "README.md"]
    assert summary["errors"] == []
    assert sum(summary["facts"].values()) == 39
    named = CliRunner().invoke(cli_group, ["read", str(strays / "README.md")])
    assert named.exit_code == 2
    assert named.stderr.startswith(f"error: {strays / 'README.md'}: {NO_ADAPTER}")


def test_the_shared_reader_skips_a_folders_strays_for_every_caller(strays: Path) -> None:
    adapters = installed_adapters()
    read = read_files([strays], adapters)
    assert [Path(s.source).name for s in read.skipped] == ["Case.csv", "README.md"]
    assert len(read.facts) == 39


# --- adapters' options files --------------------------------------------------------------


@attrs.frozen
class _OptionedAdapter:
    """An adapter reading ``*.opt`` exports, configured by ``opt-options.toml`` beside them."""

    name: str = "opt"
    version: str = "1"
    formats: Sequence[FormatInfo] = (
        FormatInfo("opt", "test format", (".opt",), options_files=("opt-options.toml",)),
    )

    def sniff(self, sample: Sample) -> SniffResult | None:
        return SniffResult("opt", 1.0) if sample.path.suffix == ".opt" else None

    def read(self, path: Path) -> Iterator[Fact | Reject]:
        return iter(())


def test_an_options_file_is_no_input_named_or_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.opt").write_text("x", encoding="utf-8")
    options = tmp_path / "opt-options.toml"
    options.write_text("[opt]\n", encoding="utf-8")
    adapters = [_OptionedAdapter()]
    assert list_inputs([tmp_path], adapters) == [InputFile(tmp_path / "a.opt", in_folder=True)]
    assert list_inputs([options], adapters) == []
    read = read_files([tmp_path, options], adapters)
    assert read.skipped == read.errors == ()
    # without the declaration it is a stray like any other
    assert [Path(s.source).name for s in read_files([tmp_path], []).skipped] == [
        "a.opt",
        "opt-options.toml",
    ]


def test_a_folder_of_options_files_only_says_so(tmp_path: Path) -> None:
    (tmp_path / "opt-options.toml").write_text("[opt]\n", encoding="utf-8")
    with pytest.raises(handoff_rules.InputError, match=r"only options files: opt-options\.toml"):
        list_inputs([tmp_path], [_OptionedAdapter()])


def test_an_options_file_name_must_be_a_name() -> None:
    with pytest.raises(ValueError, match="must be a file name"):
        FormatInfo("x", "x", options_files=("conf/opt.toml",))


def test_the_crm_options_file_beside_its_exports_is_not_warned_about(
    cli: CliRun, tmp_path: Path
) -> None:
    pytest.importorskip("handoff_rules_crm", reason="the CRM plugin declares the options file")
    folder = tmp_path / "crm"
    folder.mkdir()
    for name in ("Account.csv", "Opportunity.csv", "erp-orders.yaml"):
        shutil.copy(CRM_E2E / name, folder)
    (folder / "handoff-rules-crm.toml").write_text(
        '[crm]\ndate_formats = ["iso"]\n', encoding="utf-8"
    )
    code, out, err = cli("check", str(folder), "--checkpoint", "H1", *AT)
    assert code == 1, err  # the plugin's end-to-end data: an order differs from its opportunity
    assert _warnings(err) == []
    assert "skipped" not in out
    code, _, err = cli(
        "check", *(str(p) for p in sorted(folder.iterdir())), "--checkpoint", "H1", *AT
    )
    assert code == 1, err  # named one by one (a shell's *), it is still no input


# --- rejects and facts in no case, listed -------------------------------------------------


@pytest.fixture
def with_rejects(tmp_path: Path) -> Path:
    """The examples' exports, one more file with a bad row, and a document of no order's party."""
    folder = tmp_path / "exports"
    shutil.copytree(EXPORTS, folder)
    shutil.copy(NATIVE / "documents.csv", folder / "extra-documents.csv")
    (folder / "stray-party.csv").write_text(
        "#handoff-rules: document\nid,kind,form,counterparty_id,number,issued_on\n"
        "CTR-77,contract,original,C999,D-77,2024-01-10\n",
        encoding="utf-8",
    )
    return folder


def test_fail_on_rejects_exits_2_after_the_report(cli: CliRun, with_rejects: Path) -> None:
    code, out, err = cli("check", str(with_rejects), *AT)
    assert code == 1
    assert f"rejected {with_rejects / 'extra-documents.csv'}: line 6 (document): invalid" in out
    code, out, err = cli("check", str(with_rejects), *AT, "--fail-on-rejects")
    assert code == 2
    assert "5 cases, 25 decisions" in out  # the report was written in full
    assert err.splitlines() == [
        "error: 1 input record was rejected (--fail-on-rejects); the report lists them"
    ]
    code, _, err = cli("check", str(EXPORTS), *AT, "--fail-on-rejects")
    assert code == 1  # no reject: the verdict decides
    assert err == ""


def test_the_json_document_lists_rejects_unassigned_facts_and_skipped_files(
    cli: CliRun, with_rejects: Path
) -> None:
    (with_rejects / "README.md").write_text(README, encoding="utf-8")
    code, out, _ = cli("check", str(with_rejects), *AT, "--format", "json")
    assert code == 1
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    inputs = document["inputs"]
    assert inputs["skipped"] == [
        {"file": str(with_rejects / "README.md"), "reason": inputs["skipped"][0]["reason"]}
    ]
    assert inputs["skipped"][0]["reason"].startswith(NO_ADAPTER)
    (reject,) = inputs["rejects"]
    assert reject == {
        "file": str(with_rejects / "extra-documents.csv"),
        "line": 6,
        "location": "line 6",
        "adapter": "native-csv",
        "type": "document",
        "reason": reject["reason"],
        "keys": {"counterparty": "C100"},
    }
    assert "issued_on" in reject["reason"]
    (unassigned,) = inputs["unassigned_facts"]
    assert unassigned["type"] == "document"
    assert unassigned["id"] == "CTR-77"
    assert unassigned["provenance"]["source"] == str(with_rejects / "stray-party.csv")
    assert unassigned["provenance"]["line"] == 3
    run = document["run"]
    assert (run["rejects"], run["unassigned_facts"]) == (1, 1)


def test_the_json_document_gives_a_rejects_business_keys(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    shutil.copytree(EXPORTS, folder)
    reject = Reject(
        "bad release row",
        handoff_rules.Provenance("native-csv", "releases.csv", "line 3", line=3),
        type="delivery",
        keys={"order": "4712", "delivery": "80001"},
    )
    run = handoff_rules.check([folder], at=date(2024, 6, 4), engine="reference")
    run = attrs.evolve(run, rejects=1, reject_list=(reject,))
    document = run.document()
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["inputs"]["rejects"][0]["keys"] == {"order": "4712", "delivery": "80001"}


def test_every_format_names_the_skipped_files(strays: Path) -> None:
    from io import StringIO

    run = handoff_rules.check([strays], at=date(2024, 6, 4), engine="reference")
    written = {}
    for fmt in ("table", "json", "junit", "html"):
        out = StringIO()
        write_report(run, fmt, out)
        written[fmt] = out.getvalue()
    for fmt, text in written.items():
        assert "Case.csv" in text, fmt
        assert "README.md" in text, fmt
    assert 'name="input.skipped"' in written["junit"]
    assert '<section id="skipped">' in written["html"]


def test_the_table_lists_the_first_rejects_and_the_json_all(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    shutil.copytree(EXPORTS, folder)
    rows = "".join(f"BAD-{n},power_of_attorney,pigeon,C100,{n},2024-13-01\n" for n in range(502))
    (folder / "bad.csv").write_text(
        "#handoff-rules: document\nid,kind,form,counterparty_id,number,issued_on\n" + rows,
        encoding="utf-8",
    )
    run = handoff_rules.check([folder], at=date(2024, 6, 4), engine="reference")
    assert run.rejects == 502
    from io import StringIO

    table = StringIO()
    write_report(run, "table", table)
    listed = [line for line in table.getvalue().splitlines() if line.startswith("rejected ")]
    assert len(listed) == LISTED_REJECTS
    assert "2 more rejected records: --format json lists every one" in table.getvalue()
    assert len(run.document()["inputs"]["rejects"]) == 502


def test_check_help_says_what_inputs_are() -> None:
    result = CliRunner().invoke(cli_group, ["check", "--help"])
    text = " ".join(result.output.split())
    for words in (
        "--strict",
        "--fail-on-rejects",
        "one that no adapter recognises (a README) is skipped with a warning",
        "Inputs that hold no order are an error (exit 2)",
        "inputs that hold no order; with --strict",
        "with --fail-on-rejects",
    ):
        assert words in text, words
