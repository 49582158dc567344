"""Every report format of ``check``, each rendering the same run view.

The view is built once per run (:func:`~handoff_rules.report.view.run_view`)
and handed to the writer of the format asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TextIO

from handoff_rules.report.view import RunView, run_view

if TYPE_CHECKING:
    from handoff_rules.pipeline import RunResult

__all__ = ["FORMATS", "write_report", "write_view"]

#: The ``--format`` choices of ``check``; the first is the default.
FORMATS: Final = ("table", "json", "junit", "html")


def write_view(view: RunView, fmt: str, out: TextIO, *, pretty: bool = False) -> None:
    """Write the view as ``table``, ``json``, ``junit`` or ``html``.

    JSON is compact (one line) unless ``pretty`` indents it; other formats ignore it.
    """
    if fmt == "table":
        from handoff_rules.report.table import write_table

        write_table(view, out)
    elif fmt == "json":
        from handoff_rules.report.document import write_json

        write_json(view, out, pretty=pretty)
    elif fmt == "junit":
        from handoff_rules.report.junit import junit_xml

        out.write(junit_xml(view))
    elif fmt == "html":
        # imported here: Jinja2 is loaded only when someone asks for HTML
        from handoff_rules.report.html import render_view

        out.write(render_view(view))
    else:
        raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")


def write_report(run: RunResult, fmt: str, out: TextIO, *, pretty: bool = False) -> None:
    """Write the report of a run of :func:`handoff_rules.check` as ``table``, ``json``,
    ``junit`` or ``html``: what ``check --format`` writes (``--pretty``: indented JSON)."""
    write_view(run_view(run), fmt, out, pretty=pretty)
