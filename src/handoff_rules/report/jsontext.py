"""JSON text of the large documents (``check --format json``), written by a C encoder.

Writing the decision document with ``json.dumps(indent=2)`` took a sixth of a
``check`` run: the standard library's C encoder is bypassed whenever an indent
is asked for. orjson writes the same text (keys sorted, non-ASCII as itself,
the same escapes) about six times faster than even the compact standard
encoder. The document is compact unless ``pretty`` asks for two-space indents,
which orjson writes too. A value orjson refuses (an integer beyond 64 bits, a
lone surrogate read from a hostile input) is written by the standard library
as before, so the text never depends on which encoder wrote it; without orjson
installed the standard library writes every document.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; kept working without it
    orjson = None  # type: ignore[assignment]

__all__ = ["json_text"]


def json_text(value: Any, *, pretty: bool = False) -> str:
    """``value`` as JSON: keys sorted, non-ASCII unescaped; compact, or indented by two."""
    if orjson is not None:
        option = orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
        try:
            return orjson.dumps(value, option=option).decode("utf-8")
        except orjson.JSONEncodeError:
            pass  # written below exactly as the standard library always wrote it
    if pretty:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
