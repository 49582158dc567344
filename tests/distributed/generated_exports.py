"""Native exports generated for distributed runs: many small files, one exception for all.

Every order is for counterparty C200 and its goods go to Ivan Petrov, who
holds no power of attorney, so ACC-POA-001 fails at the goods release of
each. The register holds one exception for that rule and counterparty with
``uses: 1``: every order could claim it, and only the first in case order
may. Orders are spread over several files, so reading has partitions too.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AT = date(2024, 6, 4)


def _order(number: int) -> str:
    order = f"{5000 + number}"
    day = f"2024-05-{1 + number % 27:02d}"
    return f"""\
  - type: order
    data: {{id: "{order}", counterparty_id: C200, order_date: {day}, \
net_value: {1000 + number}.00 RUB, ship_to: C200, incoterm: EXW, contact_person_id: P200, \
payer: C200, customer_po_ref: PO-{order}, payment_terms: NT14, owner: boris}}
  - type: delivery
    data: {{id: D-{order}, order_id: "{order}", release_date: {day}, receiver_name: Ivan Petrov}}
"""


def poa_digest() -> str:
    """The digest of ACC-POA-001 as the example's register names it."""
    text = (EXAMPLES / "exceptions.yaml").read_text("utf-8")
    found = re.search(r"rule: ACC-POA-001\n  pack: o2c-standard\n.*\n  rule_digest: (\w+)", text)
    assert found is not None
    return found.group(1)


def write_exports(folder: Path, orders: int, per_file: int = 2) -> tuple[Path, Path]:
    """``orders`` orders in files of ``per_file`` each, and the register: (folder, register)."""
    exports = folder / "exports"
    exports.mkdir(parents=True)
    shutil.copy(EXAMPLES / "exports" / "master-data.yaml", exports)
    shutil.copy(EXAMPLES / "exports" / "documents.csv", exports)
    for start in range(0, orders, per_file):
        body = "".join(_order(n) for n in range(start, min(start + per_file, orders)))
        (exports / f"orders-{start:04d}.yaml").write_text(
            f"handoff-rules-facts: 1\nfacts:\n{body}", "utf-8"
        )
    register = folder / "exceptions.yaml"
    register.write_text(
        f"""\
- id: EX-GEN-001
  revision: 1
  rule: ACC-POA-001
  pack: o2c-standard
  pack_versions: ">=1.0,<2"
  rule_digest: {poa_digest()}
  scope: {{counterparty: C200, checkpoint: H3}}
  reason: one release to Ivan Petrov while his power of attorney is re-issued
  ticket: OPS-9000
  requested_by: {{name: Boris Sokolov, role: sales_rep}}
  approved_by: {{name: Petr Dvorak, role: chief_accountant}}
  valid_from: 2024-06-04
  valid_until: 2024-06-04
  limits: {{uses: 1}}
""",
        "utf-8",
    )
    return exports, register
