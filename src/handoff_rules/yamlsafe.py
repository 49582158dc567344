"""YAML read with bounds, for every YAML file the core reads: packs, registers, facts files.

A pack, a pack's scenario file, an exception register or a native facts file may
come from anyone, and reading it must not hurt the machine or hide what is in
it. PyYAML's safe loader runs no code, but on its own it still lets a file

* **expand**: ``&a [*b, *b, ...]`` nested nine deep is under 800 bytes and
  a billion nodes once converted ("billion laughs"), and ``&r [*r]`` is a list
  that contains itself. Aliases are refused; no file of ours needs them (a value
  is written out where it is used). An anchor alone is inert and allowed.
* **recurse**: the composer and the constructor call themselves once per
  nesting level, so ``[[[[...]]]]`` 100,000 deep ends in a RecursionError, and
  the scanner slows down steeply with a flow collection's depth (2,000 levels
  take seconds, 20,000 a minute).
  Composing stops at the first collection nested deeper than :data:`MAX_DEPTH`,
  before reading on, so time, memory and stack stay bounded.
* **type as it likes**: explicit tags (``!!python/object/apply:...``,
  ``!!binary``, ``!custom``) are refused; only the tags of plain YAML data are
  read (:data:`ALLOWED_TAGS`). The resolvers that give ``=`` and ``<<`` a
  meaning (value and merge keys) are dropped: there they are plain text.

Depth is the only limit that stops composing (reading on past a deep subtree
is what is slow). An alias or a refused tag becomes a *refused* node in place
of its value, so that a facts file can reject the one item that holds it and
keep its other items; :func:`first_refusal` finds it, and :func:`construct`
and :func:`load` refuse the whole tree for it. Every error names its line.

Reading is the larger part of a run's cost, so events come from libyaml's
parser when PyYAML is built with it (:data:`use_libyaml`): about five times
faster than the pure-Python scanner and parser. Composing, the refusals and
the construction of values stay the Python code above, so both parsers give
the same nodes at the same lines. Text that libyaml cannot parse is parsed
again by the pure-Python parser, whose error and line are the ones reported:
the messages do not depend on how PyYAML was built.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from typing import Any, Final, cast

import attrs
import yaml

from handoff_rules.errors import YamlError

__all__ = [
    "ALLOWED_TAGS",
    "MAX_DEPTH",
    "BoundedLoader",
    "Refusal",
    "YamlError",
    "compose",
    "construct",
    "decode_utf8",
    "first_refusal",
    "load",
    "use_libyaml",
]

#: Whether events come from libyaml's C parser: True when PyYAML is built with it.
#: False (set by tests and the ``check`` bench) reads with the pure-Python parser.
use_libyaml: bool = bool(getattr(yaml, "__with_libyaml__", False))

#: Collections nested deeper than this are refused. The bundled pack's rule and
#: scenario files nest at most eight levels.
MAX_DEPTH: Final = 32

_CORE: Final = "tag:yaml.org,2002:"
#: The tags of plain data; any other tag, implicit or explicit, is refused.
ALLOWED_TAGS: Final = frozenset(
    _CORE + name for name in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map")
)
#: The tag of a node composed in place of something refused; its value is the reason.
_REFUSED: Final = "tag:handoff-rules:refused"


class _TooDeep(yaml.composer.ComposerError):
    """Composing stopped at a collection nested deeper than :data:`MAX_DEPTH`."""

    def __init__(self, mark: yaml.Mark | None) -> None:
        super().__init__(None, None, f"nested too deeply (more than {MAX_DEPTH} levels)", mark)


@attrs.frozen(slots=True)
class Refusal:
    """Why a node was not read, and the 1-based line where it was written."""

    reason: str
    line: int


def _shown_tag(tag: str) -> str:
    """A tag as it is written: ``!!binary`` for the YAML core's, else in full."""
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _line(mark: yaml.Mark | None) -> int | None:
    return None if mark is None else mark.line + 1


class BoundedLoader(yaml.SafeLoader):
    """The safe loader with the limits of this module; every YAML loader here derives from it.

    A subclass may change how scalars resolve or construct (registers read
    dates as text, facts files read every scalar as text); composing stays
    bounded because it happens here.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        opens = isinstance(event, yaml.CollectionStartEvent)
        if opens and self._depth >= MAX_DEPTH:
            raise _TooDeep(_mark(event.start_mark))
        if isinstance(event, yaml.AliasEvent):
            self.get_event()  # type: ignore[no-untyped-call]
            return yaml.ScalarNode(
                _REFUSED,
                f"alias *{event.anchor}: aliases are not allowed (write the value out where it "
                "is used)",
                _mark(event.start_mark),
                _mark(event.end_mark),
            )
        if not opens:
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """As the safe loader's, with a scalar it cannot convert a ConstructorError at its line.

        SafeConstructor converts ``!!int x``, ``!!bool x``, ``2024-02-30`` or an
        integer of 5,000 digits by calling ``int()``, a dict look-up or
        ``date()``, and lets their ValueError, KeyError, IndexError or
        AttributeError out.
        """
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, LookupError, AttributeError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, _unreadable(node, exc), node.start_mark
            ) from None


#: What a scalar of each core tag must look like, for messages.
_EXPECTED: Final = {
    _CORE + "int": "a whole number",
    _CORE + "float": "a number",
    _CORE + "bool": "true or false",
    _CORE + "timestamp": "a date YYYY-MM-DD",
}


def _unreadable(node: yaml.Node, exc: Exception) -> str:
    value = str(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
    text = value if len(value) <= 40 else value[:39] + "…"
    expected = _EXPECTED.get(node.tag, _shown_tag(node.tag))
    digits = sys.get_int_max_str_digits()
    if node.tag == _CORE + "int" and sum(c.isdigit() for c in value) > digits:
        return f"{text!r} has more than {digits} digits"
    detail = f": {exc}" if node.tag == _CORE + "timestamp" and isinstance(exc, ValueError) else ""
    return f"{text!r} is not {expected}{detail}"


BoundedLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag not in (_CORE + "value", _CORE + "merge")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mark(mark: object) -> yaml.Mark | None:
    """A parser mark as the stubs type it; libyaml's marks are copied into one."""
    if isinstance(mark, yaml.Mark) or mark is None:
        return mark
    return yaml.Mark(
        str(getattr(mark, "name", "")),
        int(getattr(mark, "index", 0)),
        int(getattr(mark, "line", 0)),
        int(getattr(mark, "column", 0)),
        None,  # libyaml keeps no buffer
        None,  # type: ignore[arg-type]
    )


class _NotAlike(yaml.MarkedYAMLError):
    """Text where libyaml's events are known to differ from the pure-Python parser's.

    Raised while composing with libyaml so that the text is parsed again by the
    pure-Python parser, whose result is the one that counts.
    """

    def __init__(self, problem: str, mark: object) -> None:
        super().__init__(None, None, problem, _mark(mark))


class _LibyamlEvents:
    """The parser half of a loader taken from libyaml, and a composer written for it.

    Mixed in before a :class:`BoundedLoader` class (see :func:`_with_libyaml`),
    it replaces the pure-Python reader, scanner and parser; resolving and
    constructing stay the loader's. Its composer builds the nodes the Python
    composer builds, in one loop over the events instead of a dozen method calls
    per node (composing was most of reading a facts file). It composes plain
    data only: at anything else (an alias, a written tag, an anchor given twice,
    nesting beyond :data:`MAX_DEPTH`, more than one document, and what libyaml
    marks apart from the pure-Python parser) it raises :class:`_NotAlike`, and
    the text is composed again by the Python composer, which refuses or marks
    it as it always has.
    """

    def __init__(self, stream: str) -> None:
        # The C parser must be initialised as itself; the other bases as the
        # pure-Python loader initialises them, without its Reader/Scanner/Parser.
        _CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)  # type: ignore[arg-type]
        yaml.constructor.SafeConstructor.__init__(self)  # type: ignore[arg-type]
        yaml.resolver.Resolver.__init__(self)  # type: ignore[arg-type]
        self._end = len(stream)

    def get_single_node(self) -> yaml.Node | None:
        get = self.get_event  # type: ignore[attr-defined]
        get()  # the stream's start
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        if getattr(self, "yaml_path_resolvers", None):
            raise _NotAlike("path resolvers", event.start_mark)
        root = self._compose_document()
        get()  # the document's end
        event = get()
        if not isinstance(event, yaml.StreamEndEvent):
            raise _NotAlike("more than one document", event.start_mark)
        return root

    def _compose_document(self) -> yaml.Node:
        """The nodes of one document, from its first event to its last."""
        get = self.get_event  # type: ignore[attr-defined]
        resolve = self.resolve  # type: ignore[attr-defined]
        scalar_event, scalar_node = yaml.ScalarEvent, yaml.ScalarNode
        end_events = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
        anchors: set[str] = set()
        # Open collections: [node, children, key waiting for its value, is flow]
        open_: list[list[Any]] = []
        flow = 0
        while True:
            event = get()
            kind = type(event)
            if kind in end_events:
                node, _, _, was_flow = open_.pop()
                node.end_mark = event.end_mark
                flow -= was_flow
                if not open_:
                    return cast("yaml.Node", node)
                _add(open_[-1], node)
                continue
            if kind is yaml.AliasEvent or event.tag is not None:
                raise _NotAlike("an alias or a written tag", event.start_mark)
            if event.anchor is not None:
                if event.anchor in anchors:
                    raise _NotAlike("an anchor given twice", event.start_mark)
                anchors.add(event.anchor)
            start = event.start_mark
            if kind is scalar_event:
                value = event.value
                if (
                    not value
                    and start.index == event.end_mark.index
                    and (flow or start.index == self._end)
                ):
                    # An empty value in a flow collection (``{a: }``) or at the end of
                    # the text: libyaml places it at the next token, the pure-Python
                    # parser right after the ``:`` (or on a line after the last).
                    raise _NotAlike("an empty value placed otherwise", start)
                tag = resolve(scalar_node, value, event.implicit)
                node = scalar_node(tag, value, start, event.end_mark, style=event.style)
                if not open_:
                    return cast("yaml.Node", node)
                _add(open_[-1], node)
                continue
            if len(open_) >= MAX_DEPTH:
                raise _NotAlike("nested too deeply", start)
            node_class = yaml.SequenceNode if kind is yaml.SequenceStartEvent else yaml.MappingNode
            children: list[Any] = []
            node = node_class(
                resolve(node_class, None, event.implicit),
                children,
                start,
                None,
                flow_style=event.flow_style,
            )
            is_flow = bool(event.flow_style)
            flow += is_flow
            open_.append([node, children, None, is_flow])


def _add(parent: list[Any], node: yaml.Node) -> None:
    """``node`` as the next child of an open collection (a mapping's key, then its value)."""
    if isinstance(parent[0], yaml.SequenceNode):
        parent[1].append(node)
    elif parent[2] is None:
        parent[2] = node
    else:
        parent[1].append((parent[2], node))
        parent[2] = None


_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)


_LIBYAML_LOADERS: Final[dict[type[BoundedLoader], type[BoundedLoader]]] = {}


def _with_libyaml(loader: type[BoundedLoader]) -> type[BoundedLoader]:
    """``loader`` with libyaml's parser in place of the pure-Python one (its own resolvers,
    constructors and refusals unchanged), made once per loader class."""
    made = _LIBYAML_LOADERS.get(loader)
    if made is None:
        events = type("_LibyamlEvents", (_LibyamlEvents, _CParser), {})
        made = cast("type[BoundedLoader]", type(f"Libyaml{loader.__name__}", (events, loader), {}))
        _LIBYAML_LOADERS[loader] = made
    return made


def first_refusal(node: yaml.Node, skip: Collection[yaml.Node] = ()) -> Refusal | None:
    """The first refused node under ``node`` in document order, not looking under ``skip``.

    Refused are what the composer refused (aliases) and every tag
    outside :data:`ALLOWED_TAGS`. The walk keeps its own stack: a tree of
    :data:`MAX_DEPTH` levels needs no recursion to be checked.
    """
    pending: list[yaml.Node] = [node]
    while pending:
        current = pending.pop()
        if current.tag == _REFUSED:
            return Refusal(str(current.value), current.start_mark.line + 1)
        if current.tag not in ALLOWED_TAGS:
            return Refusal(
                f"tag {_shown_tag(current.tag)} is not allowed (only plain YAML data: "
                "mappings, lists, text, numbers, true/false, dates, null)",
                current.start_mark.line + 1,
            )
        if current in skip:
            continue
        if isinstance(current, yaml.MappingNode):
            children = [part for pair in current.value for part in pair]
        elif isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        else:
            continue
        pending.extend(reversed(children))
    return None


def decode_utf8(data: bytes, source: str) -> str:
    """The text of a YAML file, which is UTF-8; bytes that are not name their line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlError(
            source, f"not UTF-8 text: byte 0x{data[exc.start]:02x} ({exc.reason})", line
        ) from None


def compose(
    text: str, source: str, loader: type[BoundedLoader] = BoundedLoader
) -> yaml.Node | None:
    """The single document of ``text`` as nodes (None when empty); refused parts marked.

    Raises :class:`YamlError` for text that is not one YAML document or nests
    too deeply.
    """
    if use_libyaml and _CParser is not None and _libyaml_reads_alike(text):
        fast = _with_libyaml(loader)(text)
        try:
            return fast.get_single_node()
        except yaml.YAMLError:
            pass  # the pure-Python parser below names the error as it always has
        finally:
            fast.dispose()
    try:
        reader = loader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, source) from None
    try:
        return reader.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, source) from None
    except _TooDeep as exc:
        raise YamlError(source, str(exc.problem), _line(exc.problem_mark)) from None
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, source) from None
    except yaml.YAMLError as exc:
        raise YamlError(source, f"not valid YAML: {exc}") from None
    finally:
        reader.dispose()


#: Characters YAML text may not hold; the pure-Python reader refuses them with its own
#: message, so text holding one is left to it.
_NON_PRINTABLE: Final = yaml.reader.Reader.NON_PRINTABLE


def _libyaml_reads_alike(text: str) -> bool:
    """Whether libyaml may parse ``text``: what it reads differently is left to Python.

    The pure-Python reader refuses non-printable characters with its own message,
    its scanner refuses a tab where libyaml takes it as a space (``a:\tb``), and
    and its marks count a byte-order mark where libyaml's do not.
    """
    return "\t" not in text and "\ufeff" not in text and _NON_PRINTABLE.search(text) is None


def construct(node: yaml.Node, source: str, loader: BoundedLoader) -> Any:
    """The Python value of a node tree; :class:`YamlError` at the line of its first refusal."""
    refusal = first_refusal(node)
    if refusal is not None:
        raise YamlError(source, refusal.reason, refusal.line)
    try:
        return loader.construct_object(node, deep=True)
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, source) from None
    finally:
        # A failed construction leaves the loader's bookkeeping half done.
        loader.constructed_objects.clear()
        loader.recursive_objects.clear()
        loader.state_generators.clear()
        loader.deep_construct = False


def load(text: str, source: str, loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """The value of the single YAML document in ``text``: None, a scalar, a list or a dict.

    Raises :class:`YamlError`, naming the line, for anything this module refuses.
    """
    node = compose(text, source, loader)
    return None if node is None else construct(node, source, loader(""))


def _marked_error(exc: yaml.MarkedYAMLError, source: str) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    what = ", ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
    return YamlError(source, f"not valid YAML: {what}", _line(mark))


def _reader_error(exc: yaml.reader.ReaderError, text: str, source: str) -> YamlError:
    line = text.count("\n", 0, exc.position) + 1
    return YamlError(
        source,
        f"not valid YAML: character U+{exc.character:04X} is not allowed in YAML text",
        line,
    )
