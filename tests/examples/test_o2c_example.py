"""The real-format example ``examples/o2c``: SAP extracts, an IDoc, a Salesforce export
and a document register workbook, checked end to end on both engines.

Each case of the example was designed to show one kind of decision; the table
below is that design, and ``docs/exports-to-decisions.rst`` explains it. Every
record of every file must be a fact or a reject, counted independently of the
adapters, and the coverage must name exactly the rules that these formats
cannot decide.
"""

from __future__ import annotations

import csv
import functools
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("handoff_rules_sap", reason="the example reads SAP extracts and an IDoc")
pytest.importorskip("handoff_rules_crm", reason="the example reads a Salesforce export")
openpyxl = pytest.importorskip("openpyxl", reason="the example's register is a workbook")

from handoff_rules import check  # noqa: E402
from handoff_rules.coverage import Evaluability  # noqa: E402
from handoff_rules.engine.evaluate import durable_available  # noqa: E402
from handoff_rules.pipeline import RunResult, read_files  # noqa: E402

CliRun = Callable[..., tuple[int, str, str]]

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "o2c"
EXPORTS = EXAMPLE / "exports"
EXCEPTIONS = EXAMPLE / "exceptions.yaml"
ALLOCATIONS = EXAMPLE / "payment-allocations.csv"
AT = date(2024, 6, 14)

ENGINES = [
    "reference",
    pytest.param(
        "durable",
        marks=pytest.mark.skipif(durable_available() is not None, reason=str(durable_available())),
    ),
]

#: (case, checkpoint) -> (outcome, {rule: result}) for every finding that is not a
#: pass or not applicable: the design of the example.
DESIGNED: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    # 10481: the clean order; only SUP-DOC-001 (VBAK carries no ship-to, incoterm,
    # contact, payer or payment terms) and the goods release's missing receiver remain
    ("10481", "H1"): ("warn", {"SUP-DOC-001": "fail"}),
    ("10481", "H2"): ("allow", {}),
    ("10481", "H3"): ("block", {"ACC-POA-001": "indeterminate", "SUP-DOC-001": "fail"}),
    ("10481", "H4"): ("block", {"SUP-DOC-001": "fail"}),
    ("10481", "H5"): ("allow", {}),
    # 10482: over the credit limit, waived by EX-2024-031
    ("10482", "H1"): ("warn", {"SUP-DOC-001": "fail"}),
    ("10482", "H2"): ("allow", {"ACC-CRD-001": "waived"}),
    ("10482", "H3"): ("block", {"ACC-CRD-001": "waived", "SUP-DOC-001": "fail"}),
    ("10482", "H4"): ("block", {"SUP-DOC-001": "fail"}),
    ("10482", "H5"): ("block", {"ACC-CLS-001": "fail"}),
    # 10483: ERP value 3.7 % off the won opportunity
    ("10483", "H1"): ("block", {"SAL-CRM-004": "fail", "SUP-DOC-001": "fail"}),
    ("10483", "H2"): ("allow", {}),
    ("10483", "H3"): ("block", {"SUP-DOC-001": "fail"}),
    ("10483", "H4"): ("block", {"SUP-DOC-001": "fail"}),
    ("10483", "H5"): ("block", {"ACC-CLS-001": "fail"}),
    # 10484: NIP fails its checksum, credit limit exceeded, a register row rejected
    ("10484", "H1"): (
        "block",
        {
            "ACC-ID-001": "fail",
            "LEG-CTR-001": "indeterminate",
            "LEG-CTR-002": "indeterminate",
            "SUP-DOC-001": "fail",
        },
    ),
    ("10484", "H2"): ("block", {"ACC-CRD-001": "fail"}),
    ("10484", "H3"): (
        "block",
        {"ACC-CRD-001": "fail", "ACC-POA-001": "indeterminate", "SUP-DOC-001": "fail"},
    ),
    ("10484", "H4"): (
        "block",
        {
            "ACC-DOC-001": "indeterminate",
            "ACC-ID-001": "fail",
            "LEG-CTR-001": "indeterminate",
            "SUP-DOC-001": "fail",
        },
    ),
    ("10484", "H5"): ("block", {"ACC-CLS-001": "fail", "ACC-DOC-001": "indeterminate"}),
    # 10485: delivered, the delivery note only a scan, not invoiced
    ("10485", "H1"): ("warn", {"SUP-DOC-001": "fail"}),
    ("10485", "H2"): ("allow", {}),
    ("10485", "H3"): ("block", {"ACC-POA-001": "indeterminate", "SUP-DOC-001": "fail"}),
    ("10485", "H4"): ("block", {"ACC-DOC-001": "fail", "SUP-DOC-001": "fail"}),
    ("10485", "H5"): ("block", {"ACC-CLS-001": "fail", "ACC-DOC-001": "fail"}),
}


@functools.cache
def _run(engine: str, *extra: Path) -> RunResult:
    """One run per engine and inputs: a run is frozen data, the tests only read it."""
    return check([EXPORTS, *extra], at=AT, exceptions=EXCEPTIONS, engine=engine)


def _outcomes(run: RunResult) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    return {
        (d.case, d.checkpoint.value): (
            d.outcome.value,
            {
                f.rule: f.result.value
                for f in d.findings
                if f.result.value not in ("pass", "not_applicable")
            },
        )
        for d in run.decisions
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_every_case_and_checkpoint_decides_as_designed(engine: str) -> None:
    run = _run(engine)
    assert _outcomes(run) == DESIGNED
    assert run.exceptions_used == ("EX-2024-031@1",)
    assert run.exceptions_unused == ()
    assert run.exception_problems == ()
    assert not any(d.actions for d in run.decisions)  # no payment names its invoice
    assert run.blocked


@pytest.mark.parametrize("engine", ENGINES)
def test_the_payment_allocation_adds_the_write_off_and_nothing_else(engine: str) -> None:
    run = _run(engine, ALLOCATIONS)
    assert _outcomes(run) == DESIGNED
    actions = {(d.case, d.checkpoint.value): d.actions for d in run.decisions if d.actions}
    assert list(actions) == [("10481", "H5")]
    (write_off,) = actions["10481", "H5"]
    assert (write_off.kind, write_off.rule) == ("write_off", "ACC-PAY-001")
    assert dict(write_off.params) == {
        "direction": "loss",
        "account": "6890",
        "amount": "8.00",
        "currency": "PLN",
        "invoice": "90001481",
        "payment": "1000/1400000231/2024",
    }
    (h5,) = [d for d in run.decisions if (d.case, d.checkpoint.value) == ("10481", "H5")]
    assert {f.rule: f.result.value for f in h5.findings}["ACC-PAY-001"] == "pass"


def test_the_indeterminate_findings_name_their_reason() -> None:
    run = _run("reference")
    reasons = {
        (d.case, d.checkpoint.value, f.rule): f.message
        for d in run.decisions
        for f in d.findings
        if f.result.value == "indeterminate"
    }
    assert "missing the delivery's receiver" in reasons["10481", "H3", "ACC-POA-001"]
    assert "missing the delivery's receiver" in reasons["10485", "H3", "ACC-POA-001"]
    rejected = reasons["10484", "H1", "LEG-CTR-001"]
    assert "evidence rejected: " in rejected
    assert "document-register.xlsx" in rejected
    assert "'do odwołania'" in rejected


def test_the_waived_finding_keeps_its_exception() -> None:
    run = _run("reference")
    (h2,) = [d for d in run.decisions if (d.case, d.checkpoint.value) == ("10482", "H2")]
    (waived,) = [f for f in h2.findings if f.rule == "ACC-CRD-001"]
    assert waived.exception == "EX-2024-031@1"
    assert "exposure 63852.00 PLN" in waived.message
    assert "credit limit 60000.00 PLN" in waived.message


def test_the_link_joins_each_won_opportunity_to_its_order() -> None:
    run = _run("reference")
    linked = {
        case.id: sorted(f.data.opportunity_id for f in case.facts if f.type == "link")
        for case in run.case_list
    }
    assert linked == {
        "10481": ["0063X00001dHk7QQAS"],
        "10482": ["0063X00001dHm2LQAS"],
        "10483": ["0063X00001dHn9XQAS"],
        "10484": ["0063X00001dHp4TQAS"],
        "10485": ["0063X00001dHj1AQAS"],
    }


# -- every record is a fact or a reject -------------------------------------------------


def _records(path: Path) -> set[str]:
    """Where each record of a file is, counted without the adapters."""
    if path.suffix == ".txt":  # SE16N text export: a header, then one record a line
        lines = path.read_text("utf-8-sig").splitlines()
        return {f"line {n}" for n, text in enumerate(lines[1:], start=2) if text.strip()}
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        header = 2 if rows[0][0].startswith("#handoff-rules:") else 1  # native type marker
        return {f"line {n}" for n in range(header + 1, len(rows) + 1)}
    if path.suffix == ".xml":
        return {f"IDoc {n}" for n in re.findall(r"<DOCNUM>(\d+)</DOCNUM>", path.read_text())}
    assert path.suffix == ".xlsx", path
    workbook = openpyxl.load_workbook(path, read_only=True)
    found = set()
    for sheet in workbook.worksheets:
        rows = [n for n, row in enumerate(sheet.values, start=1) if any(v for v in row)]
        header = next(
            n for n in rows if "Customer" in next(sheet.iter_rows(n, n, values_only=True))
        )
        found |= {f"sheet {sheet.title} row {n}" for n in rows if n > header}
    workbook.close()
    return found


def _where(location: str) -> set[str]:
    """The records a fact or reject names: one, or the rows a VBPA order was made of."""
    idoc = re.match(r"IDoc (\d+)", location)
    if idoc:
        return {f"IDoc {idoc.group(1)}"}
    rows = re.search(r"with its rows on lines ([\d, ]+)$", location)
    if rows:
        return {f"line {n.strip()}" for n in rows.group(1).split(",")}
    return {re.match(r"(sheet .+? row \d+|line \d+)", location).group(1)}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "path", [*sorted(EXPORTS.iterdir()), ALLOCATIONS], ids=lambda path: path.name
)
def test_every_record_is_a_fact_or_a_reject(path: Path) -> None:
    read = read_files([path])
    assert not read.errors
    seen = {where for item in (*read.facts, *read.rejects) for where in _where(item.provenance.location)}
    assert seen == _records(path)


def test_the_example_rejects_one_record_only() -> None:
    read = read_files([EXPORTS])
    (reject,) = read.rejects
    assert reject.provenance.source.endswith("document-register.xlsx")
    assert reject.provenance.location == "sheet Documents row 8"
    assert dict(reject.keys) == {"order": "10484", "counterparty": "100030"}


# -- coverage ---------------------------------------------------------------------------

#: What these formats can decide: the rules named here need facts that no
#: real-format export supplies (see docs/exports-to-decisions.rst).
COVERAGE = {
    "ACC-CLS-001": Evaluability.PARTIAL,  # correction tasks
    "ACC-CRD-001": Evaluability.EVALUABLE,  # KNKK and the register's credit limits
    "ACC-DOC-001": Evaluability.EVALUABLE,
    "ACC-ID-001": Evaluability.EVALUABLE,
    "ACC-POA-001": Evaluability.NOT_EVALUABLE,  # the delivery's receiver
    "LEG-CTR-001": Evaluability.EVALUABLE,
    "LEG-CTR-002": Evaluability.NOT_EVALUABLE,  # contract templates
    "SAL-ERR-001": Evaluability.NOT_EVALUABLE,  # correction tasks
    "SAL-QUO-002": Evaluability.EVALUABLE,
    "SUP-DOC-001": Evaluability.PARTIAL,  # the order's contact and incoterm
    # BSID/BSAD payments name no invoice: no payment difference can be made
    "ACC-PAY-001": Evaluability.NOT_EVALUABLE,
    # the CRM plugin's link hook makes the links and the comparison from the opportunities
    "SAL-CRM-001": Evaluability.EVALUABLE,
    "SAL-CRM-002": Evaluability.EVALUABLE,
    "SAL-CRM-003": Evaluability.PARTIAL,  # the order's discount and payment days
    "SAL-CRM-004": Evaluability.EVALUABLE,
}


def test_coverage_names_the_rules_these_formats_cannot_decide() -> None:
    coverage = _run("reference").coverage
    assert coverage is not None
    assert set(COVERAGE) == {r.rule for r in coverage.rules}
    assert {rule: coverage.of(rule).evaluability for rule in COVERAGE} == COVERAGE
    assert [n.need.words for n in coverage.of("ACC-POA-001").missing] == ["the delivery's receiver"]


# -- the command line and the register's generator -------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_the_command_exits_1_and_prints_the_coverage(cli: CliRun, engine: str) -> None:
    code, out, err = cli(
        "check",
        str(EXPORTS),
        "--at",
        AT.isoformat(),
        "--exceptions",
        str(EXCEPTIONS),
        "--engine",
        engine,
    )
    assert (code, err) == (1, "")
    assert f"engine {engine}" in out
    assert "5 cases, 25 decisions: 17 block, 3 warn, 5 allow; 2 with waived findings" in out
    assert "\ncoverage: " in out
    assert "used EX-2024-031@1" in out


def test_the_workbook_is_what_its_script_writes(tmp_path: Path) -> None:
    import runpy

    script = runpy.run_path(str(EXAMPLE / "make_register.py"))
    script["build"](tmp_path / "register.xlsx")
    assert (tmp_path / "register.xlsx").read_bytes() == (
        EXPORTS / "document-register.xlsx"
    ).read_bytes()


def _after_table(lines: list[str]) -> list[str]:
    """The lines a run prints below its decision table."""
    end = next(n for n, line in enumerate(lines) if line.startswith("└"))
    return [line.rstrip() for line in lines[end + 1 :]]


def test_the_guide_shows_what_the_command_prints(cli: CliRun) -> None:
    guide = (ROOT / "docs" / "exports-to-decisions.rst").read_text("utf-8")
    block = guide.split("Run on 2026-12-07", 1)[1].split("How to read it", 1)[0]
    shown = [line[3:] for line in block.splitlines() if line.startswith("   ")]
    code, out, _ = cli("check", str(EXPORTS), "--at", "2024-06-14", "--exceptions", str(EXCEPTIONS))
    assert code == 1
    printed = [line.replace(str(ROOT) + "/", "") for line in out.splitlines()]
    assert _after_table(shown) == _after_table(printed)
    assert [line.split("│")[1:4] for line in shown if line.startswith("│ 1")] == [
        line.split("│")[1:4] for line in printed if line.startswith("│ 1")
    ]


def test_a_rejected_open_item_leaves_the_credit_check_undecided(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    shutil.copytree(EXPORTS, exports)
    bsid = exports / "BSID.txt"
    text = bsid.read_text("utf-8-sig")
    blanked = text.replace("22.05.2024\tPLN\t0090001399", "22.05.2024\t \t0090001399")
    assert blanked != text
    bsid.write_text(blanked, "utf-8-sig")
    run = check([exports], at=AT, engine="reference", checkpoints=["H2"])
    (h2,) = [d for d in run.decisions if d.case == "10484"]
    # the open item of 9,471.00 PLN would take 10484 over its limit: without it the
    # credit check cannot be decided, never passed
    assert {f.rule: f.result.value for f in h2.findings} == {"ACC-CRD-001": "indeterminate"}
