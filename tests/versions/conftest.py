"""Writing small real packs (pack.yaml + rules/) into temporary folders."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

HEADER = """\
name: mini-credit
version: {version}
effective_from: {effective_from}
max_exception_days: 30
parameters:
  max_order_value: {{type: money, value: "{limit} EUR"}}
"""

CREDIT = """\
  - id: ACC-CRD-001
    title: {title}
    owner: ACC
    checkpoints: [H2]
    severity: {severity}
    waivable_by: [{roles}]
    max_waiver_days: 7
    subject: order
    requires: [net_value]
    fail_when:
      where: net_value > params.max_order_value
    message: "order {{subject.id}} is over {{params.max_order_value}}"
"""

PO_REF = """\
  - id: SUP-DOC-001
    title: Customer PO reference given
    owner: SUP
    checkpoints: [H1]
    severity: {po_severity}
    subject: order
    fail_when:
      where: customer_po_ref missing
    message: "order {{subject.id}} has no customer PO reference"
"""

EXTRA = """\
  - id: ACC-CRD-002
    title: Order value known
    owner: ACC
    checkpoints: [H2]
    severity: {extra_severity}
    subject: order
    fail_when:
      where: net_value missing
    message: "order {{subject.id}} has no value"
"""


def write_pack(
    root: Path,
    version: str = "1.0.0",
    *,
    effective_from: str = "2026-01-01",
    limit: str = "5000.00",
    title: str = "Order value within the credit limit",
    severity: str = "block",
    roles: str = "credit_controller",
    po_severity: str = "warn",
    extra_severity: str | None = None,
    condition: str | None = None,
) -> Path:
    folder = root / version
    (folder / "rules").mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(
        HEADER.format(version=version, effective_from=effective_from, limit=limit)
    )
    rules = CREDIT.format(title=title, severity=severity, roles=roles)
    if condition is not None:
        rules = rules.replace("net_value > params.max_order_value", condition)
    rules += PO_REF.format(po_severity=po_severity)
    if extra_severity is not None:
        rules += EXTRA.format(extra_severity=extra_severity)
    (folder / "rules" / "rules.yaml").write_text("rules:\n" + rules)
    return folder


@pytest.fixture
def pack_writer(tmp_path: Path) -> Callable[..., Path]:
    def write(version: str = "1.0.0", **changes: str) -> Path:
        return write_pack(tmp_path / "mini-credit", version, **changes)

    return write


def dedent(text: str) -> str:
    return textwrap.dedent(text)
