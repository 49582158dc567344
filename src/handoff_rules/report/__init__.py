"""Reports for people: one self-contained HTML file per run of ``handoff-rules check``."""

from __future__ import annotations

from handoff_rules.report.html import render_html, write_html

__all__ = ["render_html", "write_html"]
