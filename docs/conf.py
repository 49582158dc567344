"""Sphinx configuration for the handoff-rules documentation.

Built offline (no intersphinx): references to the standard library and to
third-party types cannot be resolved, so those, and only those, are listed in
``nitpick_ignore_regex``; every reference to handoff-rules itself must resolve.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The example plugin is documented line by line and its hooks are doctested;
# make it importable even where it is not installed.
sys.path.insert(0, str(ROOT / "plugins" / "handoff-rules-example" / "src"))

project = "handoff-rules"
author = "handoff-rules contributors"
copyright = "handoff-rules contributors"

try:
    from handoff_rules import __version__ as release
except ImportError:  # building from a checkout without the package installed
    sys.path.insert(0, str(ROOT / "src"))
    from handoff_rules import __version__ as release
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
]

html_theme = "furo"
html_title = f"handoff-rules {release}"
html_static_path: list[str] = []
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_default_options = {"show-inheritance": False}

# Doctests run from the repository root, so paths like examples/... work.
doctest_global_setup = f"""
import os
os.chdir({str(ROOT)!r})
"""

nitpicky = True
_EXTERNAL = (
    r"(_csv|csv|datetime|decimal|pathlib|collections|collections\.abc|typing|types|enum|io|os|"
    r"importlib|importlib\.resources|importlib\.resources\.abc|importlib\.metadata|"
    r"contextlib|pluggy|attrs|attr|jinja2|rich|click|packaging|yaml|hypothesis|lxml)"
)
nitpick_ignore_regex = [
    # Standard library and third-party types (no intersphinx offline).
    (r"py:.*", _EXTERNAL + r"\..*"),
    (
        r"py:.*",
        r"(date|Decimal|Path|Traversable|Iterable|Iterator|Mapping|Sequence|Callable|"
        r"Any|Final|TypeVar|TypeAlias|ClassVar|MappingProxyType|Protocol|StrEnum|Enum|"
        r"PluginManager|EntryPoint|Console|SpecifierSet|Version|T|T_co|Exception|"
        r"ValueError|LookupError|RuntimeError|AssertionError|KeyError|str|int|float|"
        r"bool|bytes|object|None|tuple|list|dict|set|frozenset|type)",
    ),
    # Type variables and private helpers that appear in signatures.
    (r"py:class", r"handoff_rules\..*\.(T|_[A-Za-z]\w*)"),
    # AuditLog is documented under handoff_rules.audit; its methods referenced
    # from handoff_rules.audit.log resolve to the same page but not by that name.
    (r"py:meth", r"AuditLog\.\w+"),
    # Imported only for type checking in hooks.py, so autodoc sees the bare name.
    (r"py:class", r"(ExceptionStore|Adapter|Case|Decision|Fact)"),
]
