"""Handoff-quality figures computed from an audit log alone.

The log holds each decision with its case facts and the exception revisions it
used, which is enough for the waiver metrics and the order-placement KPIs of
the rule catalogue (rules.md section (c)). Two views of the log are used:

- the **latest** record per (case, checkpoint): the current state, used for
  exception rates, blocked counts and waivers;
- the **first** record per (case, checkpoint): what the back office saw when
  the order was first handed over, used for first-pass yield and errors in
  order placement.

KPIs that need timestamps the log does not hold (response times, order
processing speed) or external input (customer feedback) are not reported.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from handoff_rules.decision import canonical_json

_FAILING = ("fail", "indeterminate")


def _order_data(record: dict[str, Any]) -> dict[str, Any]:
    for fact in record.get("facts", ()):
        if fact.get("type") == "order" and fact.get("data", {}).get("id") == record["case"]:
            data: dict[str, Any] = fact["data"]
            return data
    return {}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _blocking_failures(record: dict[str, Any]) -> int:
    return sum(
        1
        for f in record["decision"]["findings"]
        if f["result"] in _FAILING and f["severity"] == "block"
    )


def _waived(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in record["decision"]["findings"] if f["result"] == "waived"]


def _group_rates(latest: Iterable[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for record in latest:
        name = str(_order_data(record).get(key) or "(unknown)")
        counts = groups[name]
        counts["decisions"] += 1
        waived = len(_waived(record))
        counts["waivers"] += waived
        counts["decisions_with_waiver"] += 1 if waived else 0
        counts["blocked"] += 1 if record["decision"]["outcome"] == "block" else 0
    return {
        name: {
            **dict(sorted(counts.items())),
            "exception_rate": _ratio(counts["decisions_with_waiver"], counts["decisions"]),
        }
        for name, counts in sorted(groups.items())
    }


def _watch(
    current: list[dict[str, Any]], per_salesperson_month: int, repeat_rule_customer: int
) -> dict[str, Any]:
    """GOV-WVR-001's watch thresholds: too many waivers per person, or for one rule and customer."""
    by_person_month: Counter[tuple[str, str]] = Counter()
    by_rule_customer: Counter[tuple[str, str]] = Counter()
    for record in current:
        order = _order_data(record)
        for finding in _waived(record):
            owner = str(order.get("owner") or "(unknown)")
            by_person_month[(owner, record["at"][:7])] += 1
            customer = str(order.get("counterparty_id") or "(unknown)")
            by_rule_customer[(finding["rule"], customer)] += 1
    return {
        "salesperson_month_over_limit": [
            {"salesperson": who, "month": month, "waivers": n}
            for (who, month), n in sorted(by_person_month.items())
            if n > per_salesperson_month
        ],
        "rule_customer_repeats": [
            {"rule": rule, "counterparty": who, "waivers": n}
            for (rule, who), n in sorted(by_rule_customer.items())
            if n > repeat_rule_customer
        ],
        "limits": {
            "max_waivers_per_salesperson_per_month": per_salesperson_month,
            "max_repeat_waivers_same_rule_customer": repeat_rule_customer,
        },
    }


def build_report(
    records: Iterable[dict[str, Any]],
    *,
    max_waivers_per_salesperson_per_month: int = 3,
    max_repeat_waivers_same_rule_customer: int = 3,
) -> dict[str, Any]:
    """The report as plain data (``--format json``); the text form renders this.

    The two limits are GOV-WVR-001's watch thresholds (defaults from the rule
    catalogue): above them a salesperson is escalated, and a rule waived again
    and again for one customer is a candidate for a parameter change.
    """
    first: dict[tuple[str, str], dict[str, Any]] = {}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    total = 0
    refused: set[tuple[str, str]] = set()
    for record in records:
        total += 1
        key = (record["case"], record["checkpoint"])
        first.setdefault(key, record)
        latest[key] = record
        refused.update((p["exception"], p["kind"]) for p in record.get("problems", ()))
    # one exception refused at two checkpoints is one refusal
    problem_kinds = Counter(kind for _exception, kind in refused)
    current = [latest[k] for k in sorted(latest)]

    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    per_approver: dict[str, Counter[str]] = defaultdict(Counter)
    approvers: dict[str, str] = {}
    for record in current:
        for exception in record.get("exceptions", ()):
            approved = exception["approved_by"]
            approvers[f"{exception['id']}@{exception['revision']}"] = (
                f"{approved['name']} ({approved['role']})"
            )
        for finding in record["decision"]["findings"]:
            counts = per_rule[finding["rule"]]
            counts["findings"] += 1
            counts[finding["result"]] += 1
            if finding["result"] == "waived":
                approver = approvers.get(finding["exception"], "(unknown)")
                per_approver[approver]["waivers"] += 1
                per_approver[approver][f"rule {finding['rule']}"] += 1
    rules = {
        rule: {
            "findings": c["findings"],
            "fail": c["fail"],
            "indeterminate": c["indeterminate"],
            "waived": c["waived"],
            # of the findings that would have failed, how many an exception covered
            "exception_rate": _ratio(c["waived"], c["fail"] + c["waived"]),
        }
        for rule, c in sorted(per_rule.items())
    }

    blocked = Counter(r["checkpoint"] for r in current if r["decision"]["outcome"] == "block")
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for record in current:
        outcomes[record["checkpoint"]][record["decision"]["outcome"]] += 1

    h1_first = [r for k, r in sorted(first.items()) if k[1] == "H1"]
    h1_passed = sum(1 for r in h1_first if r["decision"]["outcome"] != "block")
    placement_errors: Counter[str] = Counter()
    for key, record in sorted(first.items()):
        if key[1] in ("H1", "H3", "H4"):
            owner = str(_order_data(record).get("owner") or "(unknown)")
            placement_errors[owner] += _blocking_failures(record)
    cases_with_waiver = {r["case"] for r in current if _waived(r)}
    cases = {r["case"] for r in current}

    return {
        "records": total,
        "decisions": len(current),
        "cases": len(cases),
        "per_rule": rules,
        "per_salesperson": _group_rates(current, "owner"),
        "per_counterparty": _group_rates(current, "counterparty_id"),
        "per_approver": {name: dict(sorted(c.items())) for name, c in sorted(per_approver.items())},
        "kpis": {
            "first_pass_yield_h1": _ratio(h1_passed, len(h1_first)),
            "orders_evaluated_at_h1": len(h1_first),
            "errors_in_order_placement_per_salesperson": dict(sorted(placement_errors.items())),
            "blocked_per_checkpoint": dict(sorted(blocked.items())),
            "outcomes_per_checkpoint": {
                cp: dict(sorted(c.items())) for cp, c in sorted(outcomes.items())
            },
            "share_of_orders_with_waiver": _ratio(len(cases_with_waiver), len(cases)),
            "refused_exceptions_by_kind": dict(sorted(problem_kinds.items())),  # distinct
        },
        "watch": _watch(
            current, max_waivers_per_salesperson_per_month, max_repeat_waivers_same_rule_customer
        ),
    }


def _percent(value: object) -> str:
    return "-" if value is None else f"{float(str(value)) * 100:.1f} %"


def _table(title: str, rows: dict[str, dict[str, Any]], columns: list[str]) -> list[str]:
    if not rows:
        return [f"{title}: none", ""]
    width = max(len(name) for name in rows) + 2
    header = "".join(f"{c:>16}" for c in columns)
    lines = [title, f"{'':<{width}}{header}"]
    for name, values in rows.items():
        cells = []
        for column in columns:
            value = values.get(column, 0)
            cells.append(f"{_percent(value) if column.endswith('rate') else value:>16}")
        lines.append(f"{name:<{width}}{''.join(cells)}")
    return [*lines, ""]


def render_text(report: dict[str, Any]) -> str:
    kpis = report["kpis"]
    lines = [
        f"{report['records']} records, {report['decisions']} decisions "
        f"(latest per case and checkpoint), {report['cases']} cases",
        "",
    ]
    lines += _table(
        "Exception rate per rule (waived / would have failed)",
        report["per_rule"],
        ["findings", "fail", "indeterminate", "waived", "exception_rate"],
    )
    group_columns = ["decisions", "blocked", "waivers", "exception_rate"]
    lines += _table("Per salesperson (order owner)", report["per_salesperson"], group_columns)
    lines += _table("Per counterparty", report["per_counterparty"], group_columns)
    lines += _table("Per approver", report["per_approver"], ["waivers"])
    lines += [
        "KPIs",
        f"  first-pass yield at H1: {_percent(kpis['first_pass_yield_h1'])} "
        f"of {kpis['orders_evaluated_at_h1']} orders",
        f"  share of orders with a waiver: {_percent(kpis['share_of_orders_with_waiver'])}",
        f"  blocked per checkpoint: {canonical_json(kpis['blocked_per_checkpoint'])}",
        "  errors in order placement (blocking failures at H1/H3/H4 on first evaluation): "
        f"{canonical_json(kpis['errors_in_order_placement_per_salesperson'])}",
        f"  refused exceptions by kind: {canonical_json(kpis['refused_exceptions_by_kind'])}",
        "",
        "Watch (GOV-WVR-001)",
    ]
    watch = report["watch"]
    for item in watch["salesperson_month_over_limit"]:
        lines.append(
            f"  {item['salesperson']}: {item['waivers']} waivers in {item['month']} "
            f"(limit {watch['limits']['max_waivers_per_salesperson_per_month']}): escalate"
        )
    for item in watch["rule_customer_repeats"]:
        lines.append(
            f"  {item['rule']} waived {item['waivers']} times for {item['counterparty']} "
            f"(limit {watch['limits']['max_repeat_waivers_same_rule_customer']}): "
            "make it a versioned parameter or change the rule"
        )
    if not watch["salesperson_month_over_limit"] and not watch["rule_customer_repeats"]:
        lines.append("  nothing over the limits")
    return "\n".join(lines) + "\n"
