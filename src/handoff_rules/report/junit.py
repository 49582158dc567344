"""``check --format junit``: the run view as JUnit XML, for CI servers.

One test suite per checkpoint, one test case per order; a blocked decision
is a failure, so a CI job is red exactly when ``check`` exits 1. The text
of a failure (or the ``system-out`` of a case that passed with findings or
actions) is what the table shows for that decision. For tools, each suite
carries the run's exceptions as ``<properties>`` (used, unused, expired,
and every refusal as a JSON object) and the files of input folders that
no adapter recognises (``input.skipped``), and each case its actions, the
exceptions that waived a finding and those refused for it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from handoff_rules.decision import Outcome, Result, canonical_json
from handoff_rules.report.text import decision_lines
from handoff_rules.report.view import DecisionView, RunView

__all__ = ["junit_xml"]


def _properties(parent: ET.Element, items: list[tuple[str, str]]) -> None:
    if not items:
        return
    properties = ET.SubElement(parent, "properties")
    for name, value in items:
        ET.SubElement(properties, "property", name=name, value=value)


def _run_properties(view: RunView) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    if view.run is not None:
        items += [
            ("pack", str(view.run.pack)),
            ("pack.digest", view.run.pack.digest),
            ("at", view.run.at.isoformat()),
            ("engine", view.run.engine),
        ]
    items += [("input.skipped", _json(item.to_dict())) for item in view.skipped]
    exceptions = view.exceptions
    if not exceptions.given:
        return items
    if exceptions.register is not None:
        items.append(("exceptions.register", exceptions.register))
    items += [("exception.used", key) for key in exceptions.used_keys]
    items += [("exception.unused", key) for key in exceptions.unused_keys]
    items += [("exception.expired", key) for key in exceptions.expired_keys]
    items += [("exception.refused", _json(r.record)) for r in exceptions.refused]
    return items


def _json(value: Any) -> str:
    return canonical_json(dict(value))


def _case_properties(decision: DecisionView) -> list[tuple[str, str]]:
    items = [("exception.waived", key) for key in decision.waivers]
    items += [("exception.refused", _json(r.record)) for r in decision.refused]
    items += [("action", _json(action.to_dict())) for action in decision.actions]
    return items


def _failure_message(decision: DecisionView) -> str:
    """``block: ACC-CRD-001, ACC-ID-001``: what a CI server shows in its list of failures."""
    rules = sorted(
        {f.rule for f in decision.findings if f.result in (Result.FAIL, Result.INDETERMINATE)}
    )
    return f"{decision.outcome.value}: {', '.join(rules)}"


def junit_xml(view: RunView) -> str:
    """The JUnit XML document of a run, with its XML declaration."""
    suites = ET.Element("testsuites", name="handoff-rules")
    suite_name = str(view.run.pack) if view.run is not None else ", ".join(view.packs)
    run_items = _run_properties(view)
    for row in view.checkpoints:
        checkpoint = row.checkpoint.value
        attributes = {
            "name": f"{suite_name} {checkpoint}",
            "tests": str(row.total),
            "failures": str(row.block),
            "errors": "0",
        }
        if view.at is not None:
            attributes["timestamp"] = view.at.isoformat()
        suite = ET.SubElement(suites, "testsuite", attributes)
        _properties(suite, run_items)
        for decision in view.of_checkpoint(row.checkpoint):
            case = ET.SubElement(
                suite, "testcase", classname=f"case.{decision.case}", name=checkpoint
            )
            _properties(case, _case_properties(decision))
            text = "\n".join(decision_lines(decision))
            if decision.outcome is Outcome.BLOCK:
                failure = ET.SubElement(case, "failure", message=_failure_message(decision))
                failure.text = text
            elif text:
                ET.SubElement(case, "system-out").text = text
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
