"""Which text encoding an export is in, decided the same way every time, and its lines.

Exports arrive as UTF-8 with or without a BOM, as UTF-16 from Excel's
"Unicode text", and as the Windows code page of the machine that wrote them:
cp1251 in Russia and Ukraine, cp1252 in western Europe. A wrong guess does not
fail, it turns "Ромашка" into "Ðîìàøêà", so the rule is fixed and documented:

1. a byte-order mark decides (UTF-8, UTF-16 LE/BE);
2. otherwise, bytes where every other byte is zero, and the others are not, are
   UTF-16 without a byte-order mark (LE or BE by which half is zero);
3. otherwise, bytes that decode as strict UTF-8 are UTF-8;
4. otherwise, when at least as many of the lines with non-ASCII bytes are valid
   UTF-8 as are not, the file is UTF-8 with some lines that are not (a file
   someone appended to from another system): those lines are errors, or
   rejects in a table, never mojibake;
5. otherwise the bytes are read as cp1251 and split into words (runs of
   letters). Every byte from 0xC0 up is a Cyrillic letter in cp1251 and an
   accented Latin letter in cp1252, so the letters alone cannot tell; words
   can: Russian or Ukrainian text gives words made only of Cyrillic letters,
   while French or German text read as cp1251 gives words mixing Latin and
   Cyrillic ("Sociщtщ"). If at least :data:`CYRILLIC_SHARE` of the words that
   contain a non-ASCII letter are purely Cyrillic, it is cp1251; else cp1252,
   or latin-1 when the bytes use a code point cp1252 leaves undefined. A line
   of such a file that is valid UTF-8 with non-ASCII characters would read as
   mojibake ("Čechy" as "ДЊechy"), so it is an error, or a reject in a table.

A few cp1251 letters can happen to form valid UTF-8 ("Вё" is C2 B8, "¸" in
UTF-8); a real export is long enough for that not to happen by chance, and
where it does, an explicit encoding given by the user always wins over
detection (and is never second-guessed line by line).

Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (as in a file opened with
``newline=""``, which is what the ``csv`` module expects) and are handed out
with their endings. A line longer than :data:`MAX_LINE_CHARS` characters is
never held in memory whole.
"""

from __future__ import annotations

import codecs
import functools
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final, Protocol

import attrs

from handoff_rules.errors import EncodingError, LineTooLongError

__all__ = [
    "CYRILLIC_SHARE",
    "MAX_LINE_CHARS",
    "DetectedEncoding",
    "EncodingError",
    "LineFlag",
    "LineTooLongError",
    "LineWatcher",
    "TextStream",
    "decode",
    "detect_encoding",
    "open_text",
    "read_text",
]

#: Share of non-ASCII words that must read as pure Cyrillic for non-UTF-8 bytes to be cp1251.
CYRILLIC_SHARE: Final = 0.5

#: The longest line (in characters, without its ending) a :class:`TextStream` hands out.
MAX_LINE_CHARS: Final = 1024 * 1024

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE"),
)

#: Encodings detection may choose in which every byte is one character.
_SINGLE_BYTE: Final = frozenset({"cp1251", "cp1252", "iso8859-1"})

#: The error handler that keeps undecodable bytes visible: byte ``b`` becomes U+DC00 + b.
#: Valid text never decodes to a lone surrogate, so one in decoded text is a bad byte.
_ESCAPE: Final = "handoff-rules-escape"
_ESCAPED: Final = re.compile("[\udc00-\udcff]+")
#: How many runs of bad bytes have been escaped: a decoder that saw none needs no search.
_ESCAPES_MADE: Final = [0]


def _escape_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError):
        _ESCAPES_MADE[0] += 1
        return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end
    raise exc


codecs.register_error(_ESCAPE, _escape_bad_bytes)


@attrs.frozen(slots=True)
class DetectedEncoding:
    """The encoding chosen for a file and why, so a reader can report it."""

    encoding: str
    reason: str
    bom: bool = False


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


_WORD: Final = re.compile(r"[^\W\d_]+")
_LINE_BREAK: Final = re.compile(rb"\r\n|\r|\n")


def _cyrillic_share(text: str) -> float:
    """Share of the words with a non-ASCII letter that are Cyrillic through and through."""
    words = [w for w in _WORD.findall(text) if not w.isascii()]
    if not words:
        return 0.0
    return sum(1 for w in words if all(_is_cyrillic(ch) for ch in w)) / len(words)


def _is_valid_utf8_prefix(head: bytes, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(head: bytes, complete: bool) -> str | None:
    """``utf-16-le``/``-be`` when every other byte of ``head`` is zero and the others are not.

    Mostly-ASCII text in UTF-16 is half zero bytes, all on one side; no
    8-bit encoding's text is.
    """
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, others, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) * 4 >= len(zeros) and others.count(0) == 0:
            data = head if complete else head[: len(head) // 2 * 2]
            try:
                codecs.getincrementaldecoder(name)("strict").decode(data, final=complete)
            except UnicodeDecodeError:
                return None
            return name
    return None


def _utf8_line_votes(head: bytes, complete: bool) -> tuple[int, int]:
    """(lines with non-ASCII bytes that are valid UTF-8, such lines that are not)."""
    lines = _LINE_BREAK.split(head)
    if not complete:
        lines = lines[:-1]  # may be cut off by the sample size
    utf8 = other = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other += 1
        else:
            utf8 += 1
    return utf8, other


def detect_encoding(head: bytes, *, complete: bool = True) -> DetectedEncoding:
    """Decide the encoding of ``head`` (the whole file, or its start with ``complete=False``).

    With ``complete=False`` a multi-byte UTF-8 sequence cut off at the end of
    ``head`` does not count against UTF-8.
    """
    for bom, name, label in _BOMS:
        if head.startswith(bom):
            return DetectedEncoding(name, f"{label} byte-order mark", bom=True)
    utf16 = _utf16_without_bom(head, complete)
    if utf16 is not None:
        label = "UTF-16 " + utf16[-2:].upper()
        return DetectedEncoding(utf16, f"{label} without byte-order mark (every other byte zero)")
    if _is_valid_utf8_prefix(head, complete):
        return DetectedEncoding("utf-8", "valid UTF-8")
    utf8_lines, other_lines = _utf8_line_votes(head, complete)
    if utf8_lines and utf8_lines >= other_lines:
        return DetectedEncoding(
            "utf-8",
            f"mixed: {utf8_lines} lines with non-ASCII bytes are UTF-8, "
            f"{other_lines} are not (and are errors)",
        )
    as_1251 = head.decode("cp1251", errors="replace")
    share = _cyrillic_share(as_1251)
    if share >= CYRILLIC_SHARE:
        return DetectedEncoding(
            "cp1251", f"not UTF-8; {share:.0%} of non-ASCII words Cyrillic in cp1251"
        )
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return DetectedEncoding("latin-1", "not UTF-8, not Cyrillic, bytes undefined in cp1252")
    return DetectedEncoding(
        "cp1252", f"not UTF-8; only {share:.0%} of non-ASCII words Cyrillic in cp1251"
    )


def _label(codec: str) -> str:
    """How a reason names an encoding: ``UTF-8`` for every UTF-8 codec name, else the name."""
    for family in ("utf-8", "utf-16", "utf-32"):
        if codec.startswith(family):
            return family.upper()
    return codec


def _to_bytes(text: str, codec: str) -> bytes:
    """The bytes ``text`` was decoded from by ``codec``, escaped bad bytes included."""
    parts: list[bytes] = []
    pos = 0
    for match in _ESCAPED.finditer(text):
        parts.append(text[pos : match.start()].encode(codec))
        parts.append(bytes(ord(ch) - 0xDC00 for ch in match.group()))
        pos = match.end()
    parts.append(text[pos:].encode(codec))
    return b"".join(parts)


def _breaks(text: str) -> int:
    """Line breaks in ``text``: ``\\n``, ``\\r\\n`` and lone ``\\r``."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _after_last_break(text: str, final: bool) -> int:
    """Index just after the last complete line break of ``text`` (0: none).

    A ``\\r`` at the very end is complete only at the end of the file: a ``\\n``
    may follow in the next chunk.
    """
    lf = text.rfind("\n")
    cr = text.rfind("\r", lf + 1)  # only a "\r" after the last "\n" can end a later line
    if cr == len(text) - 1 and not final:
        cr = text.rfind("\r", lf + 1, cr)
    return max(lf, cr) + 1


def _after_first_break(text: str, final: bool) -> int:
    """Index just after the first complete line break of ``text`` (0: none)."""
    lf, cr = text.find("\n"), text.find("\r")
    if cr < 0 or 0 <= lf < cr:
        return lf + 1
    if cr + 1 < len(text):
        return cr + 2 if text[cr + 1] == "\n" else cr + 1
    return cr + 1 if final else 0


def _line_span(text: str, pos: int) -> tuple[int, int]:
    """Where the line holding ``text[pos]`` (not a line break) starts and ends, ending included."""
    start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
    end = _after_first_break(text[pos:], True)
    return start, pos + end if end else len(text)


@functools.cache
def _is_single_byte(codec: str) -> bool:
    """True when every byte is one character in ``codec``, whatever byte follows it."""
    return all(
        len(bytes((lead, follower, 0, 0)).decode(codec, _ESCAPE)) == 4
        for lead in range(256)
        for follower in (0x00, 0x40, 0x80, 0xA0)
    )


def _utf8_seen_as(codec: str) -> re.Pattern[str] | None:
    """What UTF-8 multi-byte sequences look like read as the single-byte ``codec``."""

    def one_of(first: int, last: int) -> str:
        chars = bytes(range(first, last + 1)).decode(codec, _ESCAPE)
        return "[" + "".join(map(re.escape, chars)) + "]"

    if not _is_single_byte(codec):
        return None
    tail = one_of(0x80, 0xBF)
    two, three, four = one_of(0xC2, 0xDF), one_of(0xE0, 0xEF), one_of(0xF0, 0xF4)
    return re.compile(f"{two}{tail}|{three}{tail}{{2}}|{four}{tail}{{3}}")


def _is_utf8(text: str, codec: str) -> bool:
    """True when ``text``, read as ``codec``, was valid UTF-8 with non-ASCII characters."""
    data = _to_bytes(text, codec)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


def _utf8_lines(text: str, codec: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """Spans of the lines of ``text`` (read as ``codec``) that are UTF-8 with non-ASCII text."""
    end = 0
    for match in pattern.finditer(text):
        if match.start() < end:
            continue
        start, end = _line_span(text, match.start())
        if _is_utf8(text[start:end].rstrip("\r\n"), codec):
            yield start, end


def _bad_bytes_error(
    source: str, encoding: str, obj: bytes, start: int, offset: int, line: int
) -> EncodingError:
    """The error for undecodable bytes ``obj[start:]``, at file ``offset`` on ``line``."""
    bad = bytes(obj[start : start + 4])
    return EncodingError(
        source,
        f"not valid {encoding} at byte offset {offset} (bytes {bad!r}); "
        "give the right encoding explicitly",
        location=f"line {line}",
    )


def _mixed_error(source: str, codec: str, line: int) -> EncodingError:
    return EncodingError(
        source,
        f"UTF-8 text in a file otherwise read as {codec} (mixed encodings); "
        "give the right encoding explicitly",
        location=f"line {line}",
    )


def decode(
    data: bytes, *, source: str = "<bytes>", encoding: str | None = None
) -> tuple[str, DetectedEncoding]:
    """Decode a whole file's bytes; an explicit ``encoding`` overrides detection.

    :raises EncodingError: naming ``source``, the line and the byte offset of the first
        bad byte, or the first line that is UTF-8 in a file detected as a code page
    """
    detected = _explicit(encoding, source) if encoding is not None else detect_encoding(data)
    try:
        text = data.decode(detected.encoding)
    except UnicodeDecodeError as exc:
        # The codec may have been handed the bytes after a BOM: exc.object is a suffix of data.
        bad = len(data) - len(exc.object) + exc.start
        line = _breaks(data[:bad].decode(detected.encoding, errors="replace")) + 1
        raise _bad_bytes_error(
            source, detected.encoding, exc.object, exc.start, bad, line
        ) from None
    codec = codecs.lookup(detected.encoding).name
    pattern = _utf8_seen_as(codec) if encoding is None and codec in _SINGLE_BYTE else None
    if pattern is not None:
        for start, _end in _utf8_lines(text, codec, pattern):
            raise _mixed_error(source, codec, _breaks(text[:start]) + 1)
    return text, detected


def _explicit(encoding: str, source: str) -> DetectedEncoding:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise EncodingError(source, f"unknown encoding {encoding!r}") from None
    return DetectedEncoding(name, "given explicitly")


def read_text(path: Path, *, encoding: str | None = None) -> tuple[str, DetectedEncoding]:
    """The whole text of ``path`` and the encoding used."""
    return decode(path.read_bytes(), source=str(path), encoding=encoding)


class LineWatcher(Protocol):
    """Sees, piece by piece, the text of a line too long to keep (a CSV reader tracks quotes)."""

    def feed(self, text: str) -> None: ...


@attrs.frozen(slots=True)
class LineFlag:
    """A line a stream did not hand out, and why; the reader turns its record into a reject.

    ``text`` is the line with its ending where it was short enough to keep;
    a line longer than the limit is never kept, and ``watcher`` is what saw it.
    """

    line: int
    reason: str
    text: str | None = None
    watcher: LineWatcher | None = None


#: Codecs that consume a byte-order mark, and what decodes the bytes after it.
_BOM_CODECS: Final = {
    "utf-8-sig": ((codecs.BOM_UTF8, "utf-8"),),
    "utf-16": ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")),
    "utf-32": ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")),
}
_WITHOUT_BOM: Final = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}
_UNIT_BYTES: Final = {"utf-16-le": 2, "utf-16-be": 2, "utf-32-le": 4, "utf-32-be": 4}
_STRICT_SUSPECTS: Final = _ESCAPED
_LONE_CR: Final = re.compile("\r(?!\n)")
_LENIENT_SUSPECTS: Final = re.compile("[\x00\ufeff\udc00-\udcff]")


class TextStream:
    """Text decoded from a binary file a chunk at a time, with exact line accounting.

    Decoding a whole chunk at once and handing its lines out from C (iterating
    the stream) is what makes a CSV reader over it nearly as fast as ``csv``
    over a plain file; decoding line by line costs a Python call per line.
    Strictness is not traded for that. Undecodable bytes are kept visible
    while decoding and looked for a chunk at a time; a line holding them is
    not handed out. By default the stream then raises an
    :class:`EncodingError` naming the file, the line and the byte offset,
    after every line before it was handed out. Likewise a line that is UTF-8
    in a file detected as a code page (``mixed_check``), and a line longer than
    ``max_line`` characters (:class:`LineTooLongError`), which is never held
    in memory whole: the time and memory of reading are linear in the file
    and bounded by the limit, whatever the file holds.

    A reader that can reject one record and go on calls
    :meth:`report_bad_lines`: each such line, and each line holding a NUL
    character or a byte-order mark (U+FEFF, as where two files were joined),
    is then replaced by the reader's ``replacement`` line and described in
    :attr:`flags`, and reading goes on after it.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` and are handed out with
    their endings untranslated (the ``csv`` module needs that).
    """

    #: Bytes decoded at a time.
    CHUNK_BYTES: Final = 128 * 1024

    def __init__(
        self,
        raw: io.BufferedReader,
        encoding: str,
        source: str,
        *,
        chunk_bytes: int = 0,
        max_line: int = MAX_LINE_CHARS,
        mixed_check: bool = False,
    ) -> None:
        self._raw = raw
        self._encoding = encoding
        self._source = source
        self._codec, bom, self._head = self._after_bom(codecs.lookup(encoding).name)
        self._unit = _UNIT_BYTES.get(self._codec, 1)
        self._single_byte = _is_single_byte(self._codec)
        self._decoder = codecs.getincrementaldecoder(self._codec)(_ESCAPE)
        self._chunk_bytes = chunk_bytes or self.CHUNK_BYTES
        self._max_line = max_line
        self._offset = len(bom)  # the file offset of the first byte not handed out
        self._line = 0  # line breaks handed out: the next line is number _line + 1
        self._buffer = ""  # decoded text not handed out
        self._start = 0  # the index of the buffer's first character in all text decoded
        self._marks: list[tuple[int, int]] = []  # spans of decoded text that may hold bad lines
        self._tail = b""  # the last bytes read, where a UTF-8 sequence may begin
        self._eof = False  # every byte has been decoded
        self._suspects = _STRICT_SUSPECTS
        self._mojibake = _utf8_seen_as(self._codec) if mixed_check else None
        self._replacement: str | None = None
        self._watcher: Callable[[], LineWatcher] | None = None
        self._recent: tuple[int, str] = (1, "")  # the last clean block and its first line
        self._recent_lines: list[str] | None = None
        #: The lines replaced since :meth:`report_bad_lines`, by line number.
        self.flags: dict[int, LineFlag] = {}

    def _after_bom(self, name: str) -> tuple[str, bytes, bytes]:
        """The codec for the bytes after the BOM, the BOM, and bytes read past it."""
        if name not in _BOM_CODECS:
            return name, b"", b""
        head = self._raw.read(4)
        for bom, codec in _BOM_CODECS[name]:
            if head.startswith(bom):
                return codec, bom, head[len(bom) :]
        return _WITHOUT_BOM[name], b"", head

    def __enter__(self) -> TextStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def report_bad_lines(
        self, replacement: str, watcher: Callable[[], LineWatcher] | None = None
    ) -> None:
        """Hand out ``replacement`` for each bad line instead of raising; see :attr:`flags`.

        ``watcher`` makes the object that sees the text of each line too long to keep.
        """
        self._replacement = replacement
        self._watcher = watcher
        self._suspects = _LENIENT_SUSPECTS
        self._marks.append((self._start, self._start + len(self._buffer)))

    def recent_line(self, number: int) -> str | None:
        """Line ``number`` if it was in the last block of lines handed out by iteration."""
        first, block = self._recent
        if number < first:
            return None
        if self._recent_lines is None:
            self._recent_lines = io.StringIO(block, newline="").readlines()
        index = number - first
        return self._recent_lines[index] if index < len(self._recent_lines) else None

    def _fill(self) -> bool:
        """Decode the next chunk onto the buffer; False when there is no more text."""
        if self._eof:
            return False
        chunk = self._raw.read(self._chunk_bytes)
        if self._head:
            chunk, self._head = self._head + chunk, b""
        final = not chunk
        escapes = _ESCAPES_MADE[0]
        text = self._decoder.decode(chunk, final=final)
        if text and self._may_hold_bad_lines(chunk, text, escapes):
            at = self._start + len(self._buffer)
            self._marks.append((at - 3, at + len(text)))  # a sequence may start before
        self._buffer += text
        self._eof = final
        return True

    def _may_hold_bad_lines(self, chunk: bytes, text: str, escapes: int) -> bool:
        """A quick look at a decoded chunk: can a line in it be bad? (No false no's.)"""
        if _ESCAPES_MADE[0] != escapes:
            return True
        if self._replacement is not None:
            if b"\x00" in chunk if self._unit == 1 else "\x00" in text:
                return True
            if "\ufeff" in text:
                return True
        if self._mojibake is not None:  # a single-byte codec: bytes and characters align
            # Decoding as UTF-8 and dropping what is not leaves only the UTF-8 sequences.
            seam, self._tail = self._tail + chunk[:3], chunk[-3:]
            return any(not part.decode("utf-8", "ignore").isascii() for part in (chunk, seam))
        return False

    def _take(self, size: int) -> str:
        """The first ``size`` characters of the buffer, removed from it."""
        text, self._buffer = self._buffer[:size], self._buffer[size:]
        self._start += size
        return text

    def _byte_length(self, text: str) -> int:
        if self._single_byte or text.isascii():
            return len(text) * self._unit
        step = 64 * 1024  # encoded a piece at a time: a long line is not copied whole
        return sum(
            len(_to_bytes(text[pos : pos + step], self._codec)) for pos in range(0, len(text), step)
        )

    def _blocks(self) -> Iterator[Iterable[str]]:
        """The complete lines of each decoded chunk; the last line once the file ends."""
        while True:
            cut = _after_last_break(self._buffer, self._eof)
            if cut:
                yield from self._checked(self._take(cut))
            elif len(self._buffer) > self._max_line:
                yield self._skip_long_line()
            elif not self._fill():
                if self._buffer:
                    yield from self._checked(self._take(len(self._buffer)))
                return

    def _checked(self, block: str) -> Iterator[Iterable[str]]:
        """``block`` (just taken) as iterables of lines, its bad lines replaced or raising."""
        if len(block) <= self._max_line and not self._marked(self._start - len(block)):
            yield self._clean(block)
            return
        pos = 0
        for start, end, problem in self._bad_lines(block):
            if start > pos:
                yield self._clean(block[pos:start])
            yield self._flagged(block[start:end], problem)
            pos = end
        if pos < len(block):
            yield self._clean(block[pos:])

    def _marked(self, start: int) -> bool:
        """True when the text from ``start`` to the buffer's start may hold a bad line."""
        marks = self._marks
        while marks and marks[0][1] <= start:
            marks.pop(0)
        return any(begin < self._start for begin, _end in marks)

    def _clean(self, text: str) -> io.StringIO:
        self._recent, self._recent_lines = (self._line + 1, text), None
        self._offset += self._byte_length(text)
        if "\r" not in text or _LONE_CR.search(text) is None:
            # "\n" ends every line (splitting there is quicker than universal newlines)
            self._line += text.count("\n")
            return io.StringIO(text, newline="\n")
        self._line += _breaks(text)
        return io.StringIO(text, newline="")

    def _bad_lines(self, block: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, problem) of each bad line of ``block``, in order."""
        spans: set[tuple[int, int]] = set()
        if len(block) > self._max_line:
            pos = 0
            for line in io.StringIO(block, newline=""):
                if len(line) > self._max_line:
                    spans.add((pos, pos + len(line)))
                pos += len(line)
        for pattern in (self._suspects, self._mojibake):
            end = 0
            for match in pattern.finditer(block) if pattern is not None else ():
                if match.start() >= end:
                    start, end = _line_span(block, match.start())
                    spans.add((start, end))
        for start, end in sorted(spans):
            problem = self._problem(block[start:end].rstrip("\r\n"))
            if problem is not None:
                yield start, end, problem

    def _problem(self, body: str) -> str | None:
        """What is wrong with a line (without its ending), or None."""
        if len(body) > self._max_line:
            return "long"
        if _ESCAPED.search(body):
            return "bytes"
        mojibake = self._mojibake
        if mojibake is not None and mojibake.search(body) and _is_utf8(body, self._codec):
            return "mixed"
        if self._replacement is not None:
            if "\x00" in body:
                return "nul"
            if "\ufeff" in body:
                return "bom"
        return None

    def _flagged(self, text: str, problem: str) -> Iterable[str]:
        """Raise for the bad line ``text``, or record it and hand out the replacement."""
        line = self._line + 1
        if problem == "bytes":
            bad = _ESCAPED.search(text)
            assert bad is not None
            offset = self._offset + self._byte_length(text[: bad.start()])
            sample = _to_bytes(text[bad.start() : bad.start() + 4], self._codec)[:4]
            if self._replacement is None:
                raise _bad_bytes_error(self._source, self._encoding, sample, 0, offset, line)
            label = _label(self._codec)
            reason = f"not {label} although the file is (bytes {sample!r}, byte offset {offset})"
            if label.startswith("UTF") and self._eof and not self._buffer and text.endswith(bad[0]):
                reason = (
                    f"the file ends inside a {label} character (bytes {sample!r}, "
                    f"byte offset {offset}): cut off?"
                )
        elif problem == "mixed":
            if self._replacement is None:
                raise _mixed_error(self._source, self._codec, line)
            reason = f"UTF-8 text in a file otherwise read as {self._codec} (mixed encodings)"
        elif problem == "long":
            if self._replacement is None:
                raise self._too_long(line)
            reason = self._too_long(line).message
        elif problem == "nul":
            reason = "a NUL character (byte 0), which text never holds"
        else:
            reason = (
                "a stray byte-order mark (U+FEFF) inside the file, as where two files "
                "were joined; remove it"
            )
        self.flags[line] = LineFlag(line, reason, text=text)
        self._line += _breaks(text)
        self._offset += self._byte_length(text)
        assert self._replacement is not None
        return (self._replacement,)

    def _too_long(self, line: int) -> LineTooLongError:
        return LineTooLongError(
            self._source,
            f"line longer than {self._max_line:,} characters, the limit; not read",
            location=f"line {line}",
        )

    def _skip_long_line(self) -> Iterable[str]:
        """Pass over the line at the start of the buffer, too long to keep, a chunk at a time."""
        line = self._line + 1
        if self._replacement is None:
            raise self._too_long(line)
        watcher = self._watcher() if self._watcher is not None else None
        while True:
            buffer = self._buffer
            end = _after_first_break(buffer, self._eof)
            if end:
                body = buffer[:end].rstrip("\r\n")
                self._line += 1
            else:  # no complete line break yet; a trailing "\r" may be one with the next "\n"
                end = len(buffer) - 1 if buffer.endswith("\r") else len(buffer)
                body = buffer[:end]
            if watcher is not None:
                watcher.feed(body)
            self._offset += self._byte_length(body) + (end - len(body)) * self._unit
            self._take(end)
            if _after_first_break(buffer, self._eof) or not self._fill():
                break
        reason = self._too_long(line).message
        self.flags[line] = LineFlag(line, reason, watcher=watcher)
        assert self._replacement is not None
        return (self._replacement,)

    def _position_error(self, pos: int) -> EncodingError:
        """The error for the undecodable byte at ``self._buffer[pos]``."""
        before = self._buffer[:pos]
        offset = self._offset + self._byte_length(before)
        sample = _to_bytes(self._buffer[pos : pos + 4], self._codec)[:4]
        line = self._line + _breaks(before) + 1
        return _bad_bytes_error(self._source, self._encoding, sample, 0, offset, line)

    def read(self, size: int | None = -1) -> str:
        """Up to ``size`` characters (all that is left by default).

        :raises EncodingError: when undecodable bytes come before ``size`` characters
        """
        if size is None or size < 0:
            return "".join(itertools.chain.from_iterable(self._blocks()))
        while len(self._buffer) < size and self._fill():
            pass
        result = self._buffer[:size]
        bad = _ESCAPED.search(result)
        if bad is not None:
            raise self._position_error(bad.start())
        self._take(size)
        self._line += _breaks(result)
        self._offset += self._byte_length(result)
        return result

    def peek(self, size: int) -> str:
        """Up to ``size`` characters ahead, without consuming them (for sniffing).

        Stops short before undecodable bytes, so a reader can sniff the lines
        before them; raises the :class:`EncodingError` only when not one whole
        line comes first. After :meth:`report_bad_lines` undecodable bytes are
        shown as U+FFFD instead: the lines holding them will be replaced.
        """
        while len(self._buffer) < size and self._fill():
            pass
        sample = self._buffer[:size]
        bad = _ESCAPED.search(sample)
        if bad is None:
            return sample
        if self._replacement is not None:
            return _ESCAPED.sub(lambda m: "\ufffd" * len(m.group()), sample)
        if not _after_first_break(sample[: bad.start()], True):
            raise self._position_error(bad.start())
        return sample[: bad.start()]

    @property
    def fully_buffered(self) -> bool:
        """True when everything left in the file is in the peek buffer."""
        if self._replacement is not None:
            return self._eof
        return self._eof and _ESCAPED.search(self._buffer) is None

    def readline(self) -> str:
        """The next line with its ending ('' at the end of the file).

        :raises EncodingError: when the line holds undecodable bytes
        :raises LineTooLongError: when it is longer than the limit
        """
        while not (end := _after_first_break(self._buffer, self._eof)):
            if len(self._buffer) > self._max_line:
                return "".join(self._skip_long_line())
            if not self._fill():
                end = len(self._buffer)
                break
        return "".join(itertools.chain.from_iterable(self._checked(self._take(end))))

    def __iter__(self) -> Iterator[str]:
        """The lines left, with their endings; the fast way to read the stream.

        Lines come a decoded chunk at a time, handed out by C code; the stream
        should not be read otherwise while this iterator is in use.
        """
        return itertools.chain.from_iterable(self._blocks())

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        self._raw.close()


def _confirm_utf8(raw: io.BufferedReader, head: bytes, found: DetectedEncoding) -> DetectedEncoding:
    """Check the bytes after ``head`` are UTF-8 too; if not, decide on head and bad chunk.

    When ``head`` holds UTF-8 text beyond ASCII the file stays UTF-8: the lines
    that are not are errors (or rejects), not a reason to read the UTF-8 ones
    as mojibake.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        # Detection chose UTF-8 for a head with more UTF-8 lines than not: the file
        # is UTF-8 already, and its lines that are not are read as rejects.
        return found
    while chunk := raw.read(1024 * 1024):
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError:
            if not head.isascii():
                return attrs.evolve(
                    found,
                    reason=f"UTF-8 in the first {len(head)} bytes; later lines that are not "
                    "are errors",
                )
            redone = detect_encoding(head + chunk, complete=False)
            reason = f"{redone.reason} (the first {len(head)} bytes were UTF-8)"
            return attrs.evolve(redone, reason=reason)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return found  # a truncated last character: strict reading will report its offset
    return found


def open_text(
    path: Path, *, encoding: str | None = None, sniff_bytes: int = 64 * 1024
) -> tuple[TextStream, DetectedEncoding]:
    """Open ``path`` as text in its detected (or the given) encoding.

    Detection looks at the first ``sniff_bytes``. When they are UTF-8 the rest
    of the file is checked too (one fast pass): an export that is ASCII for its
    first thousand rows and cp1251 after them is then detected as a whole
    instead of failing half-way. Reading is strict (see :class:`TextStream`):
    bytes that are not text in the encoding, or a UTF-8 line in a file
    detected as a code page, raise an :class:`EncodingError` naming the line
    and byte offset, after the lines before them, instead of yielding mojibake.
    """
    raw = path.open("rb")
    try:
        if encoding is not None:
            detected = _explicit(encoding, str(path))
        else:
            head = raw.read(sniff_bytes)
            complete = len(head) < sniff_bytes
            detected = detect_encoding(head, complete=complete)
            if detected.encoding == "utf-8" and not complete:
                detected = _confirm_utf8(raw, head, detected)
            raw.seek(0)
    except BaseException:
        raw.close()
        raise
    mixed_check = encoding is None and codecs.lookup(detected.encoding).name in _SINGLE_BYTE
    return TextStream(raw, detected.encoding, str(path), mixed_check=mixed_check), detected
