"""Each case is judged by the pack version in force on its own order date.

Two versions of a small real pack: 1.0.0 from 2024-01-01 with a credit limit
of 5000 EUR, 1.1.0 from 2024-07-01 with 8000 EUR, so an order of 6000 EUR
blocks at H2 under the first and passes under the second. ``--at`` stays the
evaluation clock; ``--pack-version`` pins one version for every case.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handoff_rules
from handoff_rules.audit import AuditLog, replay_log
from handoff_rules.decision import Checkpoint, Decision, Limit, Outcome, Result
from handoff_rules.engine.cached import evaluate_case
from handoff_rules.engine.evaluate import durable_available
from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import Money, Order
from handoff_rules.policy.pack import load_pack
from handoff_rules.policy.pack_access import pack_finder

from ..conftest import CliRun
from .conftest import write_pack

ENGINES = [
    "reference",
    pytest.param(
        "durable",
        marks=pytest.mark.skipif(durable_available() is not None, reason=str(durable_available())),
    ),
]

FIRST, SECOND = date(2024, 1, 1), date(2024, 7, 1)
AT = date(2024, 9, 1)

ORDERS = """\
#handoff-rules: order
id;counterparty_id;order_date;net_value;customer_po_ref
O-OLD;C-1;2019-03-01;6000.00 EUR;PO-1
O-MAR;C-1;2024-03-01;6000.00 EUR;PO-2
O-AUG;C-1;2024-08-01;6000.00 EUR;PO-3
O-BIG;C-1;2024-08-01;9000.00 EUR;PO-4
O-NODATE;C-2;;6000.00 EUR;PO-5
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("packs") / "mini-credit"
    write_pack(folder, "1.0.0", effective_from=FIRST.isoformat(), limit="5000.00")
    write_pack(folder, "1.1.0", effective_from=SECOND.isoformat(), limit="8000.00", roles="cfo")
    return folder


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    return path


def by_case(decisions: tuple[Decision, ...], checkpoint: str = "H2") -> dict[str, Decision]:
    return {d.case: d for d in decisions if d.checkpoint == checkpoint}


@pytest.mark.parametrize("engine", ENGINES)
def test_each_case_gets_the_version_in_force_on_its_order_date(
    root: Path, export: Path, engine: str
) -> None:
    run = handoff_rules.check([export], at=AT, pack=root, engine=engine)
    h2 = by_case(run.decisions)
    versions = {case: d.pack.version for case, d in h2.items()}
    assert versions == {
        "O-OLD": "1.0.0",  # no version in force: named after the first, undecided
        "O-MAR": "1.0.0",
        "O-AUG": "1.1.0",
        "O-BIG": "1.1.0",
        "O-NODATE": "1.1.0",  # no order date: the version in force at --at
    }
    assert h2["O-MAR"].outcome is Outcome.BLOCK  # 6000 over 1.0.0's 5000
    assert h2["O-AUG"].outcome is Outcome.ALLOW  # 6000 within 1.1.0's 8000
    assert h2["O-BIG"].outcome is Outcome.BLOCK
    # every decision names the digest of the version that made it
    digests = {p.version: p.digest for p in (load_pack(root / v) for v in ("1.0.0", "1.1.0"))}
    assert all(d.pack.digest == digests[d.pack.version] for d in run.decisions)
    assert [p.version for p in run.packs] == ["1.0.0", "1.1.0"]
    assert run.pack.version == "1.1.0"
    assert run.undated_cases == ("O-NODATE",)
    assert run.pinned is None
    assert all(d.at == AT for d in run.decisions)  # --at stays the evaluation clock


def test_an_order_without_a_date_takes_the_version_in_force_at_at(root: Path, export: Path) -> None:
    run = handoff_rules.check([export], at=date(2024, 3, 15), pack=root, engine="reference")
    h2 = by_case(run.decisions)
    assert h2["O-NODATE"].pack.version == "1.0.0"
    assert h2["O-NODATE"].outcome is Outcome.BLOCK
    assert h2["O-AUG"].pack.version == "1.1.0"  # its own date, even after --at


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("how", ["pack_version", "at_sign"])
def test_a_pinned_version_judges_every_case(
    root: Path, export: Path, engine: str, how: str
) -> None:
    if how == "pack_version":
        run = handoff_rules.check([export], at=AT, pack=root, pack_version="1.0.0", engine=engine)
    else:
        run = handoff_rules.check([export], at=AT, pack=f"{root}@1.0.0", engine=engine)
    assert {d.pack.version for d in run.decisions} == {"1.0.0"}
    h2 = by_case(run.decisions)
    assert h2["O-AUG"].outcome is Outcome.BLOCK  # 6000 over 1.0.0's limit, whatever its date
    assert h2["O-OLD"].outcome is Outcome.BLOCK  # decided, not undecided: back-testing
    assert not any(f.limit for d in run.decisions for f in d.findings)
    assert run.pinned == "1.0.0"
    assert run.undated_cases == ()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_case_before_the_first_version_is_visible_and_the_others_are_decided(
    root: Path, export: Path, engine: str
) -> None:
    run = handoff_rules.check([export], at=AT, pack=root, engine=engine)
    old = [d for d in run.decisions if d.case == "O-OLD"]
    assert {d.checkpoint for d in old} == {Checkpoint.H1, Checkpoint.H2}
    for decision in old:
        assert decision.findings
        for finding in decision.findings:
            assert finding.result is Result.INDETERMINATE
            assert finding.limit is Limit.PACK_VERSION
            assert "no version of mini-credit is in force on 2019-03-01" in finding.message
            assert "pin a version (--pack-version)" in finding.message
            assert [s.source for s in finding.sources] == [str(export)]
    assert by_case(run.decisions)["O-OLD"].outcome is Outcome.BLOCK  # never a silent allow
    others = [d for d in run.decisions if d.case != "O-OLD"]
    assert len(others) == 8
    assert not any(f.limit for d in others for f in d.findings)


@pytest.mark.parametrize("engine", ENGINES)
def test_at_before_the_first_version_is_no_error(
    root: Path, export: Path, engine: str, cli: CliRun
) -> None:
    early = date(2023, 6, 1)
    run = handoff_rules.check([export], at=early, pack=root, engine=engine)
    h2 = by_case(run.decisions)
    assert h2["O-MAR"].pack.version == "1.0.0"
    assert h2["O-MAR"].outcome is Outcome.BLOCK
    assert h2["O-AUG"].outcome is Outcome.ALLOW
    undated = h2["O-NODATE"].findings[0]
    assert undated.limit is Limit.PACK_VERSION
    assert "2023-06-01, the evaluation date (order O-NODATE has no order date)" in undated.message

    code, out, err = cli(
        "check", str(export), "--pack", str(root), "--at", "2023-06-01", "--engine", engine,
        "--format", "json",
    )  # fmt: skip
    assert code == 1, err  # something blocks; not a usage error
    messages = [f["message"] for d in json.loads(out)["decisions"] for f in d["findings"]]
    assert sum("no version of mini-credit is in force on 2019-03-01" in m for m in messages) == 2


def test_the_same_decisions_on_both_engines(root: Path, export: Path) -> None:
    if durable_available() is not None:
        pytest.skip(str(durable_available()))
    reference = handoff_rules.check([export], at=AT, pack=root, engine="reference")
    durable = handoff_rules.check([export], at=AT, pack=root, engine="durable")
    assert [d.to_json() for d in reference.decisions] == [d.to_json() for d in durable.decisions]


def test_the_reports_name_every_version_and_the_undated_cases(
    root: Path, export: Path, cli: CliRun, tmp_path: Path
) -> None:
    code, out, _ = cli("check", str(export), "--pack", str(root), "--at", AT.isoformat())
    assert code == 1
    first_line = out.splitlines()[0]
    assert first_line.startswith("packs mini-credit 1.0.0 (digest ")
    assert ", 1.1.0 (digest " in first_line
    assert "each case under the version in force on its order date" in first_line
    undated = "1 case has no order date, so its pack version is the one in force at --at"
    assert f"{undated} 2024-09-01: O-NODATE" in out
    # the waiver rules shown are those of the case's own version
    assert "may be waived by credit_controller" in out  # O-MAR under 1.0.0
    assert "may be waived by cfo" in out  # O-BIG under 1.1.0

    code, out, _ = cli(
        "check", str(export), "--pack", str(root), "--at", AT.isoformat(), "--format", "json"
    )
    document = json.loads(out)
    schema = json.loads(
        (Path(handoff_rules.__file__).parent / "schemas" / "decisions-1.json").read_text("utf-8")
    )
    jsonschema.validate(document, schema)
    assert [p["version"] for p in document["run"]["packs"]] == ["1.0.0", "1.1.0"]
    assert document["run"]["pack"]["version"] == "1.1.0"
    assert document["run"]["undated_cases"] == ["O-NODATE"]
    assert document["run"]["pinned_version"] is None

    code, out, _ = cli(
        "check", str(export), "--pack", str(root), "--pack-version", "1.1.0", "--at", "2024-09-01"
    )
    assert out.splitlines()[0].startswith("pack mini-credit 1.1.0 (digest ")
    assert "pinned for every case" in out.splitlines()[0]

    html = tmp_path / "report.html"
    cli("check", str(export), "--pack", str(root), "--at", "2024-09-01", "--format", "html",
        "--output", str(html))  # fmt: skip
    text = html.read_text("utf-8")
    assert "handoff-rules: mini-credit 1.0.0, 1.1.0 at 2024-09-01" in text
    assert "without an order date" in text


def test_exceptions_are_judged_under_the_case_version(
    root: Path, export: Path, tmp_path: Path
) -> None:
    """An exception for 1.0.0's rule waives the case judged by 1.0.0, not one judged by 1.1.0."""
    digest = load_pack(root / "1.0.0").rule_map["ACC-CRD-001"].digest
    register = tmp_path / "exceptions.yaml"
    register.write_text(
        f"""\
- id: EX-1
  revision: 1
  rule: ACC-CRD-001
  pack: mini-credit
  pack_versions: ">=1.0,<1.1"
  rule_digest: {digest}
  scope: {{counterparty: C-1, checkpoint: H2}}
  reason: seasonal orders
  ticket: FIN-1
  requested_by: {{name: Alice, role: sales_rep}}
  approved_by: {{name: Carl, role: credit_controller}}
  valid_from: 2024-08-28
  valid_until: 2024-09-03
""",
        encoding="utf-8",
    )
    run = handoff_rules.check([export], at=AT, pack=root, exceptions=register, engine="reference")
    h2 = by_case(run.decisions)
    assert h2["O-MAR"].outcome is Outcome.ALLOW
    assert [f.exception for f in h2["O-MAR"].findings if f.rule == "ACC-CRD-001"] == ["EX-1@1"]
    assert h2["O-BIG"].outcome is Outcome.BLOCK  # 1.1.0's rule: the exception does not cover it
    refused = [p for p in run.exception_problems if p.get("case") == "O-BIG"]
    assert refused
    assert "1.1.0" in refused[0]["message"]
    assert run.exceptions_used == ("EX-1@1",)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_audit_log_records_each_case_version_and_replays(
    root: Path, export: Path, engine: str, tmp_path: Path, cli: CliRun
) -> None:
    log = tmp_path / "audit.jsonl"
    run = handoff_rules.check([export], at=AT, pack=root, engine=engine, audit_log=log)
    records = [record for _, record in AuditLog(log).records()]
    assert len(records) == len(run.decisions)
    for record, decision in zip(records, run.decisions, strict=True):
        assert record["pack"] == decision.pack.to_dict() == record["decision"]["pack"]
    assert {r["case"]: r["pack"]["version"] for r in records} == {
        "O-OLD": "1.0.0",
        "O-MAR": "1.0.0",
        "O-AUG": "1.1.0",
        "O-BIG": "1.1.0",
        "O-NODATE": "1.1.0",
    }
    result = replay_log(log, pack_finder([root]), evaluate_case)
    assert result.ok, result.differences
    assert result.records == 10
    code, out, _ = cli("audit", "replay", str(log), "--pack", str(root))
    assert code == 0, out
    assert "10 of 10 decision(s) reproduced byte for byte" in out


def test_replay_refuses_an_undecided_decision_whose_case_a_version_covers(
    root: Path, export: Path, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    handoff_rules.check([export], at=AT, pack=root, engine="reference", audit_log=log)
    lines = log.read_text("utf-8").splitlines()
    edited = []
    for line in lines:
        record = json.loads(line)
        if record["case"] == "O-OLD":
            for fact in record["facts"]:
                if fact["type"] == "order":
                    fact["data"]["order_date"] = "2024-02-01"
        edited.append(json.dumps(record))
    log.write_text("\n".join(edited) + "\n", encoding="utf-8")
    result = replay_log(log, pack_finder([root]), evaluate_case)
    assert len(result.differences) == 2
    assert all(d.case == "O-OLD" for d in result.differences)
    assert "1.0.0 is in force on its date" in result.differences[0].message


# --- order independence ----------------------------------------------------------------

_DATES = st.one_of(
    st.none(),
    st.dates(min_value=date(2018, 1, 1), max_value=date(2025, 12, 31)),
    st.sampled_from([FIRST, SECOND, FIRST - timedelta(days=1), SECOND - timedelta(days=1)]),
)


@st.composite
def _orders(draw: st.DrawFn) -> list[Fact]:
    rows = draw(
        st.lists(
            st.tuples(_DATES, st.sampled_from(["4000.00", "6000.00", "9000.00"])),
            min_size=1,
            max_size=12,
        )
    )
    return [
        Fact(
            Order(
                id=f"O-{n}",
                counterparty_id="C-1",
                order_date=day,
                net_value=Money(amount, "EUR"),
                customer_po_ref=f"PO-{n}",
            ),
            Provenance("test", "orders.csv", f"line {n + 2}", line=n + 2),
        )
        for n, (day, amount) in enumerate(rows)
    ]


def _expected_version(day: date | None, at: date) -> str | None:
    on = day or at
    return None if on < FIRST else "1.0.0" if on < SECOND else "1.1.0"


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    facts=_orders(),
    shuffle=st.randoms(use_true_random=False),
    at=st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 1, 1)),
)
def test_shuffled_inputs_give_the_same_decisions_each_under_its_version(
    root: Path, engine: str, facts: list[Fact], shuffle: object, at: date
) -> None:
    shuffled = list(facts)
    shuffle.shuffle(shuffled)  # type: ignore[attr-defined]
    run = handoff_rules.check(facts=facts, at=at, pack=root, engine=engine)
    again = handoff_rules.check(facts=shuffled, at=at, pack=root, engine=engine)
    assert [d.to_json() for d in run.decisions] == [d.to_json() for d in again.decisions]
    dates = {f.data.id: f.data.order_date for f in facts if isinstance(f.data, Order)}
    limits = {"1.0.0": 5000, "1.1.0": 8000}
    values = {f.data.id: f.data.net_value for f in facts if isinstance(f.data, Order)}
    for decision in by_case(run.decisions).values():
        version = _expected_version(dates[decision.case], at)
        if version is None:
            assert decision.pack.version == "1.0.0"
            assert {f.limit for f in decision.findings} == {Limit.PACK_VERSION}
            continue
        assert decision.pack.version == version
        value = values[decision.case]
        assert value is not None
        over = value.amount > limits[version]
        assert (decision.outcome is Outcome.BLOCK) is over
