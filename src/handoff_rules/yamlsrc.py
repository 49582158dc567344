"""YAML read safely, with the line of every value, for ``file:line`` error messages.

Packs are data: documents are composed by :mod:`handoff_rules.yamlsafe` (no
Python tags, no code, no aliases, bounded nesting) and turned into
:class:`Y` nodes that remember where they were written, so every validation
error can say ``rules/h3.yaml:14: ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

import attrs
import yaml

from handoff_rules.errors import PackError
from handoff_rules.yamlsafe import (
    BoundedLoader,
    YamlError,
    compose,
    decode_utf8,
    first_refusal,
)

__all__ = ["INT_MAX", "INT_MIN", "PackError", "Y", "parse_yaml", "read_source"]

#: Whole numbers in a pack reach the rule engine as 64-bit integers.
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1


@attrs.frozen(slots=True)
class Y:
    """One YAML value with its source file and 1-based line."""

    value: Any  # dict[str, Y] | list[Y] | scalar
    file: str
    line: int
    #: For a mapping: the line of each key, which is where a person looks for a
    #: misspelt key (a block value starts on the line after its key).
    key_lines: dict[str, int] = attrs.field(factory=dict, eq=False, repr=False)

    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def error(self, message: str) -> PackError:
        return PackError(f"{self.where()}: {message}")

    def mapping(self, what: str) -> dict[str, Y]:
        if not isinstance(self.value, dict):
            raise self.error(f"{what} must be a mapping, not {_kind(self.value)}")
        return self.value

    def sequence(self, what: str) -> list[Y]:
        if not isinstance(self.value, list):
            raise self.error(f"{what} must be a list, not {_kind(self.value)}")
        return self.value

    def text(self, what: str) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.error(f"{what} must be a non-empty text, not {_kind(self.value)}")
        return self.value

    def integer(self, what: str, minimum: int | None = None) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"{what} must be a whole number, not {_kind(self.value)}")
        if minimum is not None and self.value < minimum:
            raise self.error(f"{what} must be at least {minimum}, not {self.value}")
        if not INT_MIN <= self.value <= INT_MAX:
            raise self.error(
                f"{what} must be a whole number from {INT_MIN} to {INT_MAX} "
                f"(64-bit, as the rule engine compares), not {self.value}"
            )
        return self.value

    def day(self, what: str) -> date:
        if not isinstance(self.value, date):
            raise self.error(f"{what} must be a date (YYYY-MM-DD), not {_kind(self.value)}")
        return self.value

    def plain(self) -> Any:
        """The value without line information (for digests and fact data)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def keys(
        self, what: str, allowed: set[str], required: frozenset[str] | set[str] = frozenset()
    ) -> dict[str, Y]:
        """The mapping, after checking for unknown and missing keys."""
        items = self.mapping(what)
        for key, node in items.items():
            if key not in allowed:
                line = self.key_lines.get(key, node.line)
                raise PackError(
                    f"{self.file}:{line}: unknown key {key!r} in {what} "
                    f"(expected one of: {', '.join(sorted(allowed))})"
                )
        missing = sorted(required - set(items))
        if missing:
            raise self.error(f"{what} lacks {', '.join(missing)}")
        return items

    def walk(self) -> Iterator[Y]:
        yield self
        if isinstance(self.value, dict):
            for child in self.value.values():
                yield from child.walk()
        elif isinstance(self.value, list):
            for child in self.value:
                yield from child.walk()


def _kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _convert(loader: BoundedLoader, node: yaml.Node, file: str, text_only: bool) -> Y:
    # Recursion is bounded: yamlsafe refuses documents nested deeper than MAX_DEPTH.
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Y] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise PackError(f"{file}:{key_node.start_mark.line + 1}: keys must be text")
            if key in result:
                raise PackError(f"{file}:{key_node.start_mark.line + 1}: {key!r} is given twice")
            result[key] = _convert(loader, value_node, file, text_only)
            key_lines[key] = key_node.start_mark.line + 1
        return Y(result, file, line, key_lines)
    if isinstance(node, yaml.SequenceNode):
        return Y([_convert(loader, n, file, text_only) for n in node.value], file, line)
    assert isinstance(node, yaml.ScalarNode)
    if text_only and node.tag != "tag:yaml.org,2002:null":
        return Y(str(node.value), file, line)
    return Y(loader.construct_object(node), file, line)


def _error(exc: YamlError, file: str) -> PackError:
    where = file if exc.line is None else f"{file}:{exc.line}"
    return PackError(f"{where}: {exc.message}")


def read_source(entry: Path | Traversable, shown: str) -> str:
    """The text of a pack or scenario file; bytes that are not UTF-8 name their line."""
    try:
        data = entry.read_bytes()
    except OSError as exc:
        raise PackError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        return decode_utf8(data, shown)
    except YamlError as exc:
        raise _error(exc, shown) from None


def parse_yaml(text: str, file: str, *, text_scalars: bool = False) -> Y:
    """Parse one YAML document safely. ``text_scalars`` keeps every scalar as text.

    Fact data in pack tests is read with ``text_scalars`` so that ``0000012345``
    stays a string and ``10.50`` never becomes a float: the model's field types
    decide, as for the native facts format. Aliases, tags other than
    plain data's and nesting deeper than :data:`~handoff_rules.yamlsafe.MAX_DEPTH`
    are errors at their line.
    """
    try:
        node = compose(text, file)
    except YamlError as exc:
        raise _error(exc, file) from None
    if node is None:
        return Y(None, file, 1)
    refusal = first_refusal(node)
    if refusal is not None:
        raise PackError(f"{file}:{refusal.line}: {refusal.reason}")
    loader = BoundedLoader("")
    try:
        return _convert(loader, node, file, text_scalars)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise PackError(f"{file}:{line}: {exc.problem or exc}") from None
