"""Name the class of a failure, so the same bug found a thousand times counts once.

A class is a stable, human-chosen name for a known kind of defect, matched
on the exception and the place it comes from (or, for timeouts and memory,
on the mutation that made the input). Whatever no rule names is
``unclassified: <exception> at <file>:<function>`` and needs a look.
"""

from __future__ import annotations

import re
from typing import Final

from .harness import Failure
from .inputs import HostileInput

_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
_PROJECT = re.compile(r"(handoff_rules[a-z_]*/.*)$")


def innermost_project_frame(trace: str) -> str:
    """``package/module.py:function`` of the deepest frame in handoff-rules or a plugin."""
    found = ""
    for path, _line, function in _FRAME.findall(trace):
        match = _PROJECT.search(path.replace("\\", "/"))
        if match and "/tests/" not in path:
            found = f"{match.group(1)}:{function}"
    return found


_EXCEPTION = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Timeout|Warning|Interrupt)\b.*)$", re.M
)


def exception_line(trace: str) -> str:
    """The first line of the last exception in a traceback text."""
    found = _EXCEPTION.findall(trace.split("During handling of the above exception")[-1])
    return found[-1] if found else ""


_CRASH: Final = frozenset({"exception", "exit-code", "traceback"})
_ANY: Final = frozenset(
    {"exception", "exit-code", "traceback", "timeout", "memory", "lost-records", "jsonl-contract"}
)
_BOUNDS: Final = frozenset({"timeout", "memory"})

#: (class name, failure kinds, regular expression over :func:`signature`), first match wins.
RULES: Final[tuple[tuple[str, frozenset[str], str], ...]] = (
    # PyYAML errors, recursion and unhashable keys escaping the YAML loaders, and alias
    # bombs, deep nesting or tags that take time or memory
    (
        "yaml-alias-nesting-tags",
        _CRASH,
        r"yaml\.|yamlsrc\.py|unhashable|RecursionError[^|]*\| [^|]*(native|policy|yaml)",
    ),
    ("yaml-alias-nesting-tags", _BOUNDS, r"raw-node@[^,]*=(&|\*|!|\[&|\[\[|\{a: \{)"),
    # the hard timeout, raised into a command that printed it as a traceback
    (
        "yaml-alias-nesting-tags",
        frozenset({"traceback"}),
        r"HarnessTimeout.*raw-node@[^,]*=(&|\*|!|\[&|\[\[|\{a: \{)",
    ),
    # digits past int(), exponents past Decimal, int64 in the engine
    (
        "huge-numbers",
        _CRASH,
        r"4300|int too large|InvalidOperation|Overflow|DivisionImpossible|exponent|C int",
    ),
    ("huge-numbers", _BOUNDS, r"9{100}|[Ee]\+9{9}|=!!int"),
    ("csv-field-size", _ANY, r"field larger than field limit"),
    ("mixed-encodings-bom", _CRASH, r"UnicodeDecodeError|UnicodeError\b|BOM"),
    ("engine-limits", _CRASH, r"handoff_rules/engine/|durable"),
    (
        "cli-exit-output-plugin",
        _CRASH,
        r"(FileNotFoundError|NotADirectoryError|IsADirectoryError)[^|]*\| [^|]*cli/|exit status 3",
    ),
    # found by this harness in code it leaves alone (see the list in known_failures.py)
    ("lone-surrogates-in-output", _CRASH, r"surrogates not allowed"),
    ("read-table-slow", frozenset({"timeout"}), r"\| read \|(?!.*jsonl)"),
    ("rich-markup-in-read-table", _CRASH, r"MarkupError"),
    ("sniff-error-loses-summary", frozenset({"jsonl-contract"}), r"failed while sniffing"),
    ("model-from-dict-not-an-object", _CRASH, r"(AttributeError|TypeError)[^|]*\| [^|]*model/"),
)


def signature(failure: Failure, inp: HostileInput) -> str:
    """``kind | exception or detail | innermost project frame | command | argv | labels``."""
    detail = failure.detail if failure.kind == "exception" else exception_line(failure.trace)
    if failure.kind == "jsonl-contract":
        detail = f"{failure.detail}: {failure.trace}"
    return " | ".join(
        (
            failure.kind,
            " ".join((detail or failure.detail).split()),
            innermost_project_frame(failure.trace),
            inp.entry,
            " ".join(inp.argv[:2]) + (" jsonl" if "jsonl" in inp.argv else ""),
            ",".join(inp.labels),
        )
    )


def classify(failure: Failure, inp: HostileInput) -> str:
    text = signature(failure, inp)
    for name, kinds, pattern in RULES:
        if failure.kind in kinds and re.search(pattern, text, re.DOTALL):
            return name
    detail = failure.detail if failure.kind == "exception" else exception_line(failure.trace)
    error = detail.split(":")[0] or failure.detail[:60]
    return f"unclassified: {failure.kind}: {error} at {innermost_project_frame(failure.trace)}"
