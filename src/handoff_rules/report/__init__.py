"""Reports of a run: one view (:mod:`.view`) rendered as table, JSON, JUnit or HTML.

Names are loaded on first use, so the command line does not import Jinja2
unless it writes HTML.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "FORMATS": "handoff_rules.report.writers",
    "RunView": "handoff_rules.report.view",
    "build_view": "handoff_rules.report.view",
    "render_html": "handoff_rules.report.html",
    "render_view": "handoff_rules.report.html",
    "run_view": "handoff_rules.report.view",
    "write_html": "handoff_rules.report.html",
    "write_report": "handoff_rules.report.writers",
    "write_view": "handoff_rules.report.writers",
}

__all__ = [
    "FORMATS",
    "RunView",
    "build_view",
    "render_html",
    "render_view",
    "run_view",
    "write_html",
    "write_report",
    "write_view",
]

if TYPE_CHECKING:
    from handoff_rules.report.html import render_html, render_view, write_html
    from handoff_rules.report.view import RunView, build_view, run_view
    from handoff_rules.report.writers import FORMATS, write_report, write_view


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
