"""YAML read safely, with the line of every value, for ``file:line`` error messages.

Packs are data: documents are composed with :class:`yaml.SafeLoader` (no
Python tags, no code) and turned into :class:`Y` nodes that remember where they
were written, so every validation error can say ``rules/h3.yaml:14: ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs
import yaml

from handoff_rules.errors import HandoffError

__all__ = ["PackError", "Y", "parse_yaml"]


class PackError(HandoffError):
    """A pack (or pack test) that is not valid: ``file:line: what was wrong, what was expected``."""


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


class _Loader(yaml.SafeLoader):
    pass


def _convert(loader: _Loader, node: yaml.Node, file: str, text_only: bool) -> Y:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
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


def parse_yaml(text: str, file: str, *, text_scalars: bool = False) -> Y:
    """Parse one YAML document safely. ``text_scalars`` keeps every scalar as text.

    Fact data in pack tests is read with ``text_scalars`` so that ``0000012345``
    stays a string and ``10.50`` never becomes a float: the model's field types
    decide, as for the native facts format.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Y(None, file, 1)
        return _convert(loader, node, file, text_scalars)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise PackError(f"{file}:{line}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise PackError(f"{file}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()
