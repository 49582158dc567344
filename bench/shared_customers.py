"""Benchmark: cost per order when many orders share a customer.

Run::

    python bench/shared_customers.py                          # 20 customers x 25/50/100 orders
    python bench/shared_customers.py --customers 10 --orders 50 --doublings 3 --repeat 3
    python bench/shared_customers.py --customers 1000 --orders 100 --doublings 1  # the big one
    python bench/shared_customers.py --engines reference --profile 100  # cProfile, in-process

Real ERP data has hundreds of orders per customer, and a customer's history
grows with them: every goods release came with a power of attorney issued by
the customer (not tied to one order), every invoice left an open item (most
of them cleared since), and the customer signed a contract a year. All of
that belongs to the customer, so ``build_cases`` puts it into each of its
orders' cases. If the cost of one case grows with the customer's history,
the cost of a run grows with the square of the orders per customer.

For each size (``--orders`` N, then 2N, 4N ... per customer, ``--customers``
fixed) and each engine, a fresh subprocess generates the facts (seeded, in
memory; not timed), then times ``handoff_rules.pipeline.check(facts=...)``
with :func:`time.process_time` and reads the peak RSS of the run
(``ru_maxrss``, minus the RSS before ``check``). The customers' history spans
the same three years at every size, so doubling the orders doubles their
powers of attorney, open items and order documents, and not their
contracts. With ``--repeat``, each size runs in that many fresh processes
and the least CPU time and RSS count (a busy machine only ever adds).
Printed per engine: cases, CPU seconds, cases per CPU-second, peak RSS
added by the run, and the ratio of each to the previous size: linear cost
doubles (2.0x) per doubling; the target is at most 2.1x.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

from handoff_rules.facts import Fact, Provenance
from handoff_rules.model import (
    CompanyId,
    ContractStatus,
    ContractTemplate,
    Counterparty,
    Delivery,
    Document,
    DocumentForm,
    DocumentKind,
    Invoice,
    Money,
    OpenItem,
    Order,
    Payment,
    PoaTerms,
)

#: The first day of the customers' history, and its length.
START = date(2022, 1, 1)
SPAN_DAYS = 3 * 365
#: The evaluation date: the day after the history ends.
AT = START + timedelta(days=SPAN_DAYS + 1)
RECEIVERS = ("Ivan Petrov", "Anna Novakova", "Piotr Nowak", "Olga Smirnova")


class _Facts:
    """Facts with a numbered provenance each (one generated file per customer)."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def add(self, source: str, data: object) -> None:
        line = len(self.facts) + 1
        provenance = Provenance("bench", source, f"line {line}", None, line)
        self.facts.append(Fact(data=data, provenance=provenance))  # type: ignore[arg-type]


def generate(customers: int, orders: int, seed: int = 7) -> list[Fact]:
    """``customers`` customers with ``orders`` orders each over three years of history."""
    out = _Facts()
    out.add(
        "templates.jsonl", ContractTemplate("SUPPLY", "1", START, superseded_on=date(2023, 6, 1))
    )
    out.add("templates.jsonl", ContractTemplate("SUPPLY", "2", date(2023, 6, 1)))
    for number in range(customers):
        rng = random.Random(seed * 1_000_003 + number)
        _customer(out, rng, f"C{number:05}", orders)
    return out.facts


def _customer(out: _Facts, rng: random.Random, party: str, orders: int) -> None:
    source = f"customers/{party}.jsonl"
    out.add(
        source,
        Counterparty(
            id=party,
            name=f"Customer {party}",
            country="RU",
            identifiers=(CompanyId("RU-INN", "7707083893"),),
            credit_limit=Money.from_minor(rng.choice((10**7, 10**9)), "RUB"),
            customer_group=rng.choice((None, "KEY")),
        ),
    )
    for year in range(3):  # a contract a year, the last one open-ended
        begin = START + timedelta(days=365 * year)
        out.add(
            source,
            Document(
                id=f"K-{party}-{year}",
                kind=DocumentKind.CONTRACT,
                counterparty_id=party,
                form=DocumentForm.ORIGINAL,
                status=ContractStatus.SIGNED,
                signed_on=begin,
                valid_from=begin,
                valid_until=begin + timedelta(days=364) if year < 2 else None,
                template_id="SUPPLY",
                template_version="1" if year == 0 else "2",
            ),
        )
    for number in range(orders):
        _order(out, rng, party, f"SO-{party}-{number:05}", source)


def _order(out: _Facts, rng: random.Random, party: str, order_id: str, source: str) -> None:
    day = START + timedelta(days=rng.randrange(SPAN_DAYS))
    net = rng.randint(1, 500) * 10_000
    receiver = rng.choice(RECEIVERS)
    out.add(
        source,
        Order(
            id=order_id,
            counterparty_id=party,
            order_date=day,
            net_value=Money.from_minor(net, "RUB"),
            currency="RUB",
            customer_po_ref=f"PO-{order_id}",
            ship_to=party,
            payer=party,
            incoterm="DAP",
            payment_terms="NT30",
            payment_days=30,
            discount_pct=Decimal(0),
            contact_person_id="P1",
            owner="novak",
        ),
    )
    release = day + timedelta(days=rng.randint(0, 10))
    out.add(
        source,
        Delivery(
            id=f"DL-{order_id}",
            order_id=order_id,
            counterparty_id=party,
            release_date=release,
            receiver_name=receiver,
        ),
    )
    # the customer's power of attorney for this release: the customer's, no order named
    issued = release - timedelta(days=rng.choice((0, 1, 5, 14, 20)))
    out.add(
        source,
        Document(
            id=f"POA-{order_id}",
            kind=DocumentKind.POWER_OF_ATTORNEY,
            counterparty_id=party,
            form=DocumentForm.ORIGINAL,
            issued_on=issued,
            valid_until=issued + timedelta(days=rng.choice((14, 15, 30))),
            poa=PoaTerms(holder_name=receiver, consumed=rng.random() < 0.05),
        ),
    )
    out.add(
        source,
        Document(
            id=f"DN-{order_id}",
            kind=DocumentKind.DELIVERY_NOTE,
            counterparty_id=party,
            order_id=order_id,
            form=rng.choice((DocumentForm.ORIGINAL, DocumentForm.SCAN)),
            issued_on=release,
            final_received_on=release + timedelta(days=5) if rng.random() < 0.8 else None,
        ),
    )
    invoice_id = f"INV-{order_id}"
    out.add(
        source,
        Invoice(
            id=invoice_id,
            order_id=order_id,
            counterparty_id=party,
            issued_on=release,
            total=Money.from_minor(net, "RUB"),
        ),
    )
    cleared = release + timedelta(days=30)
    out.add(
        source,
        OpenItem(
            id=f"OI-{order_id}",
            counterparty_id=party,
            amount=Money.from_minor(net, "RUB"),
            document_ref=invoice_id,
            posted_on=release,
            due_on=release + timedelta(days=30),
            cleared_on=cleared if cleared < AT else None,
        ),
    )
    if cleared < AT:
        out.add(
            source,
            Payment(
                id=f"PAY-{order_id}",
                amount=Money.from_minor(net - rng.choice((0, 0, 100, 5000)), "RUB"),
                counterparty_id=party,
                invoice_id=invoice_id,
                received_on=cleared,
            ),
        )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(customers: int, orders: int, engine: str) -> dict[str, float]:
    """Time one ``check`` over generated facts (in this process)."""
    import gc

    from handoff_rules.pipeline import check
    from handoff_rules.policy.pack import load_pack

    pack = load_pack(files("handoff_rules.packs") / "o2c-standard" / "1.1.0")
    facts = generate(customers, orders)
    gc.collect()
    before = _rss_mb()
    start = time.process_time()
    result = check(facts=facts, at=AT, pack=pack, engine=engine)
    cpu = time.process_time() - start
    findings = sum(len(d.findings) for d in result.decisions)
    return {
        "cases": result.cases,
        "facts": len(facts),
        "cpu": cpu,
        "rss": _rss_mb() - before,
        "findings": findings,
    }


def _child(customers: int, orders: int, engine: str, repeat: int) -> dict[str, float]:
    """The figures of the best of ``repeat`` fresh processes (least CPU, least RSS)."""
    runs = []
    for _ in range(repeat):
        command = [sys.executable, __file__, "--child", f"{customers},{orders},{engine}"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"size {customers}x{orders} on {engine} failed:\n{done.stderr}")
        runs.append(json.loads(done.stdout.splitlines()[-1]))
    best: dict[str, float] = dict(runs[0])
    best["cpu"] = min(run["cpu"] for run in runs)
    best["rss"] = min(run["rss"] for run in runs)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--orders", type=int, default=25, help="orders per customer at first")
    parser.add_argument("--doublings", type=int, default=2)
    parser.add_argument("--engines", default="durable,reference")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs per size")
    parser.add_argument("--profile", type=int, metavar="ORDERS", help="profile one size instead")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        customers, orders, engine = args.child.split(",")
        print(json.dumps(measure(int(customers), int(orders), engine)))
        return 0
    engines = args.engines.split(",")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        measure(args.customers, args.profile, engines[0])
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(35)
        print(text.getvalue())
        return 0
    loadavg = Path("/proc/loadavg").read_text(encoding="ascii").split()[0]
    print(f"load average at start: {loadavg}")
    sizes = [args.orders * 2**step for step in range(args.doublings + 1)]
    for engine in engines:
        print(f"\nengine {engine}, {args.customers} customers")
        print(
            f"{'orders/cust':>11} {'cases':>7} {'facts':>8} {'findings':>9} {'CPU s':>7} "
            f"{'cases/s':>8} {'RSS MB':>7} {'CPU x':>6} {'RSS x':>6}"
        )
        previous: dict[str, float] | None = None
        for orders in sizes:
            now = _child(args.customers, orders, engine, args.repeat)
            cpu_x = f"{now['cpu'] / previous['cpu']:.2f}" if previous else ""
            rss_x = f"{now['rss'] / previous['rss']:.2f}" if previous else ""
            print(
                f"{orders:>11} {now['cases']:>7.0f} {now['facts']:>8.0f} {now['findings']:>9.0f} "
                f"{now['cpu']:>7.2f} {now['cases'] / now['cpu']:>8.0f} {now['rss']:>7.1f} "
                f"{cpu_x:>6} {rss_x:>6}"
            )
            previous = now
    return 0


if __name__ == "__main__":
    sys.exit(main())
