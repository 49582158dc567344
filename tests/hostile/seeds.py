"""Valid files the generators start from: the project's own fixtures and examples.

Mutating files that are accepted today reaches deep into each reader; random
bytes would mostly be refused at the first line. Seeds that do not exist as
files (an audit log, a one-file pack) are made once per process from the
examples, through the same command line a user runs.
"""

from __future__ import annotations

import contextlib
import functools
import io
import tempfile
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
PACK_DIR: Final = ROOT / "src" / "handoff_rules" / "packs" / "o2c-standard"
PACK_VERSION_DIR: Final = PACK_DIR / "1.0.0"
EXAMPLES: Final = ROOT / "examples"
SAP_DATA: Final = ROOT / "plugins" / "handoff-rules-sap" / "tests" / "data"
CRM_DATA: Final = ROOT / "plugins" / "handoff-rules-crm" / "tests" / "data"
NATIVE_DATA: Final = ROOT / "tests" / "data" / "native"
#: The evaluation date of the examples: their exceptions are in force then.
AT: Final = "2024-06-04"

SAP_IDOC_XML: Final = ("orders05_two.xml", "delvry07.xml", "invoic02_zext.xml", "debmas06.xml")
SAP_IDOC_FLAT: Final = ("invoic02_flat.txt",)
SAP_TABLES: Final = (
    "VBAK.csv",
    "VBAP.tsv",
    "LIKP.csv",
    "LIPS.txt",
    "KNA1.csv",
    "BSID.csv",
    "BSAD.csv",
    "VBRK.csv",
    "VBRP.csv",
    "VBFA.csv",
    "KNKK.txt",
    "UKMBP_CMS_SGM.csv",
)
CRM_CSV: Final = (
    "salesforce-demo-org/Account.csv",
    "salesforce-demo-org/Opportunity.csv",
    "salesforce-demo-org/Contact.csv",
    "prodly-style/Account.csv",
    "prodly-style/Opportunity.csv",
    "prodly-style/OpportunityLineItem.csv",
    "prodly-style/SBQQ__Quote__c.csv",
    "e2e/Opportunity.csv",
    "hubspot/hubspot-crm-exports-all-deals-2024-08-27.csv",
    "hubspot/hubspot-crm-exports-all-companies-2024-08-27.csv",
    "hubspot/hubspot-crm-exports-all-contacts-2024-08-27.csv",
    "odoo/sale.order.csv",
)
CRM_TREE_JSON: Final = ("salesforce-apex-recipes/Opportunities.json",)
NATIVE_CSV: Final = (
    EXAMPLES / "exports" / "documents.csv",
    NATIVE_DATA / "documents.csv",
    NATIVE_DATA / "orders_no_marker.csv",
)
NATIVE_YAML: Final = (
    EXAMPLES / "exports" / "orders.yaml",
    EXAMPLES / "exports" / "master-data.yaml",
    NATIVE_DATA / "facts.yaml",
    NATIVE_DATA / "poa.yaml",
)
NATIVE_JSON: Final = (NATIVE_DATA / "register.json",)
#: Document registers as back offices keep them: CSV in two languages, and a workbook.
REGISTERS: Final = (
    ROOT / "tests" / "data" / "register" / "register-en.csv",
    ROOT / "tests" / "data" / "register" / "register-ru-cp1251.csv",
    EXAMPLES / "o2c" / "exports" / "document-register.xlsx",
)
#: The rule file (and its scenarios) kept in the one-file pack: the smallest of the four.
MINI_PACK_PART: Final = "h2-h3-release.yaml"


def read_seed(path: Path) -> bytes:
    return path.read_bytes()


@functools.cache
def mini_pack() -> dict[str, bytes]:
    """The default pack with one rule file and its scenarios: ``pack test`` in 0.2 s, not 0.6."""
    return {
        "pack.yaml": (PACK_VERSION_DIR / "pack.yaml").read_bytes(),
        f"rules/{MINI_PACK_PART}": (PACK_VERSION_DIR / "rules" / MINI_PACK_PART).read_bytes(),
        f"tests/{MINI_PACK_PART}": (PACK_VERSION_DIR / "tests" / MINI_PACK_PART).read_bytes(),
    }


def _run_cli(argv: list[str]) -> None:
    from handoff_rules.cli import main

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            main(argv)
        except SystemExit as exit_:
            if exit_.code not in (0, 1, None):
                raise RuntimeError(f"seed command {argv} failed: {sink.getvalue()}") from None


@functools.cache
def audit_log() -> tuple[bytes, bytes]:
    """(log, head file) of ``check`` over two example orders, one of them with a waiver."""
    import yaml

    with tempfile.TemporaryDirectory(prefix="hostile-seed-") as folder:
        exports = Path(folder) / "exports"
        exports.mkdir()
        orders = yaml.safe_load((EXAMPLES / "exports" / "orders.yaml").read_text("utf-8"))
        orders["facts"] = [
            f
            for f in orders["facts"]
            if str(f["data"].get("order_id", f["data"].get("id"))) in {"4712", "4715"}
        ]
        (exports / "orders.yaml").write_text(yaml.safe_dump(orders), "utf-8")
        for name in ("master-data.yaml", "documents.csv"):
            (exports / name).write_bytes((EXAMPLES / "exports" / name).read_bytes())
        log = Path(folder) / "audit.jsonl"
        _run_cli(
            [
                "check",
                str(exports),
                "--pack",
                str(PACK_DIR),
                "--at",
                AT,
                "--engine",
                "reference",
                "--exceptions",
                str(EXAMPLES / "exceptions.yaml"),
                "--audit-log",
                str(log),
            ]
        )
        head = log.with_name(log.name + ".head")
        return log.read_bytes(), head.read_bytes()


@functools.cache
def jsonl_seed() -> bytes:
    """``read --format jsonl`` of the example exports: the native-jsonl format as written."""
    sink = io.StringIO()
    from handoff_rules.cli import main

    quiet = contextlib.redirect_stderr(io.StringIO())
    with contextlib.redirect_stdout(sink), quiet, contextlib.suppress(SystemExit):
        main(["read", "--format", "jsonl", *(str(p) for p in NATIVE_CSV + NATIVE_YAML[:2])])
    return sink.getvalue().encode("utf-8")
