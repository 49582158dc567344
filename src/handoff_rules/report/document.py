"""``check --format json``: the run view as the versioned decision document.

The document is a contract (schema ``handoff_rules/schemas/decisions-1.json``,
described in ``docs/decisions.rst``): other systems set delivery blocks and
post write-offs from it. Decisions are written whole, passing findings too,
exactly as the audit log records them. ``inputs`` lists, whole, what the
run read but could not decide on: the files of input folders no adapter
recognises, every rejected record and every fact that joined no case (the
table for people caps its list; this document is for tools and caps nothing).
"""

from __future__ import annotations

from typing import Any, TextIO

from handoff_rules.decision import decisions_document
from handoff_rules.facts import Fact, Reject
from handoff_rules.report.jsontext import json_text
from handoff_rules.report.view import RunView

__all__ = ["document", "write_json"]


def document(view: RunView) -> dict[str, Any]:
    """The JSON document of a run (schema ``handoff-rules/decisions/1``)."""
    if view.run is None:
        raise ValueError("the decision document needs a run: build the view with run_view()")
    run, counts, exceptions = view.run, view.counts, view.exceptions
    doc = decisions_document(d.decision for d in view.decisions)
    doc["run"] = {
        "at": run.at.isoformat(),
        "at_source": "given" if run.at_given else "today",
        "engine": run.engine,
        "pack": run.pack.to_dict(),
        "packs": [pack.to_dict() for pack in run.versions],
        "pinned_version": run.pinned,
        "undated_cases": list(run.undated_cases),
        "cases": counts.cases,
        "facts": counts.facts,
        "rejects": counts.rejects,
        "unassigned_facts": counts.unassigned,
        "outcomes": counts.outcomes,
    }
    if view.coverage is not None:
        doc["coverage"] = view.coverage.to_dict()
    doc["inputs"] = {
        "skipped": [item.to_dict() for item in view.skipped],
        "rejects": [reject_item(reject) for reject in view.rejects or ()],
        "unassigned_facts": [unassigned_item(fact) for fact in view.unassigned or ()],
    }
    doc["exceptions"] = {
        "register": exceptions.register,
        "used": list(exceptions.used_keys),
        "unused": list(exceptions.unused_keys),
        "invalid": [dict(refusal.record) for refusal in exceptions.refused],
    }
    return doc


def reject_item(reject: Reject) -> dict[str, Any]:
    """A rejected record as the document lists it: where, what it would have been, why."""
    where = reject.provenance
    return {
        "file": where.source,
        "line": where.line,
        "location": where.location,
        "adapter": where.adapter,
        "type": reject.type,
        "reason": reject.reason,
        "keys": dict(reject.keys),
    }


def unassigned_item(fact: Fact) -> dict[str, Any]:
    """A fact that joined no case: its type, its id if it has one, where it was read."""
    fact_id = getattr(fact.data, "id", None)
    return {
        "type": fact.type,
        "id": fact_id if isinstance(fact_id, str) else None,
        "provenance": fact.provenance.to_dict(),
    }


def write_json(view: RunView, out: TextIO, *, pretty: bool = False) -> None:
    """The document on one line (keys sorted); ``pretty`` indents it by two spaces."""
    out.write(json_text(document(view), pretty=pretty))
    out.write("\n")
