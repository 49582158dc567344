"""Which text encoding an export is in, decided the same way every time.

Exports arrive as UTF-8 with or without a BOM, as UTF-16 from Excel's
"Unicode text", and as the Windows code page of the machine that wrote them:
cp1251 in Russia and Ukraine, cp1252 in western Europe. A wrong guess does not
fail, it turns "Ромашка" into "Ðîìàøêà", so the rule is fixed and documented:

1. a byte-order mark decides (UTF-8, UTF-16 LE/BE);
2. otherwise, bytes that decode as strict UTF-8 are UTF-8;
3. otherwise the bytes are read as cp1251 and split into words (runs of
   letters). Every byte from 0xC0 up is a Cyrillic letter in cp1251 and an
   accented Latin letter in cp1252, so the letters alone cannot tell; words
   can: Russian or Ukrainian text gives words made only of Cyrillic letters,
   while French or German text read as cp1251 gives words mixing Latin and
   Cyrillic ("Sociщtщ"). If at least :data:`CYRILLIC_SHARE` of the words that
   contain a non-ASCII letter are purely Cyrillic, it is cp1251; else cp1252,
   or latin-1 when the bytes use a code point cp1252 leaves undefined.

A few cp1251 letters can happen to form valid UTF-8 ("Вё" is C2 B8, "¸" in
UTF-8); a real export is long enough for that not to happen by chance, and
where it does, an explicit encoding given by the user always wins over
detection.
"""

from __future__ import annotations

import codecs
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

import attrs

from handoff_rules.errors import EncodingError

__all__ = [
    "CYRILLIC_SHARE",
    "DetectedEncoding",
    "EncodingError",
    "TextStream",
    "decode",
    "detect_encoding",
    "open_text",
    "read_text",
]

#: Share of non-ASCII words that must read as pure Cyrillic for non-UTF-8 bytes to be cp1251.
CYRILLIC_SHARE: Final = 0.5

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@attrs.frozen(slots=True)
class DetectedEncoding:
    """The encoding chosen for a file and why, so a reader can report it."""

    encoding: str
    reason: str
    bom: bool = False


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


_WORD: Final = re.compile(r"[^\W\d_]+")


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


def detect_encoding(head: bytes, *, complete: bool = True) -> DetectedEncoding:
    """Decide the encoding of ``head`` (the whole file, or its start with ``complete=False``).

    With ``complete=False`` a multi-byte UTF-8 sequence cut off at the end of
    ``head`` does not count against UTF-8.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            label = {
                codecs.BOM_UTF8: "UTF-8",
                codecs.BOM_UTF16_LE: "UTF-16 LE",
                codecs.BOM_UTF16_BE: "UTF-16 BE",
            }[bom]
            return DetectedEncoding(name, f"{label} byte-order mark", bom=True)
    if _is_valid_utf8_prefix(head, complete):
        return DetectedEncoding("utf-8", "valid UTF-8")
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


def decode(
    data: bytes, *, source: str = "<bytes>", encoding: str | None = None
) -> tuple[str, DetectedEncoding]:
    """Decode a whole file's bytes; an explicit ``encoding`` overrides detection.

    :raises EncodingError: naming ``source``, the line and the byte offset of the first
        bad byte
    """
    detected = _explicit(encoding, source) if encoding is not None else detect_encoding(data)
    try:
        return data.decode(detected.encoding), detected
    except UnicodeDecodeError as exc:
        # The codec may have been handed the bytes after a BOM: exc.object is a suffix of data.
        bad = len(data) - len(exc.object) + exc.start
        line = data[:bad].decode(detected.encoding, errors="replace").count("\n") + 1
        raise _bad_bytes_error(
            source, detected.encoding, exc.object, exc.start, bad, line
        ) from None


def _explicit(encoding: str, source: str) -> DetectedEncoding:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise EncodingError(source, f"unknown encoding {encoding!r}") from None
    return DetectedEncoding(name, "given explicitly")


def read_text(path: Path, *, encoding: str | None = None) -> tuple[str, DetectedEncoding]:
    """The whole text of ``path`` and the encoding used."""
    return decode(path.read_bytes(), source=str(path), encoding=encoding)


class TextStream:
    """Text decoded from a binary file a chunk at a time, with exact line accounting.

    Decoding a whole chunk at once and handing its lines out from C (iterating
    the stream) is what makes a CSV reader over it nearly as fast as ``csv``
    over a plain file; decoding line by line costs a Python call per line.
    Strictness is not traded for that: when a chunk holds bytes that are not
    text in the encoding, the text before them is still handed out, line by
    line, and only then is an :class:`EncodingError` raised, naming the file,
    the physical line of the bad bytes and their byte offset. So a reader
    yields every record before the bad line and reports exactly where it
    stopped. Newlines are passed through untranslated (the ``csv`` module
    needs that) and only ``\\n`` ends a line, as in a file opened with
    ``newline=""``.
    """

    #: Bytes decoded at a time.
    CHUNK_BYTES: Final = 128 * 1024

    def __init__(
        self, raw: io.BufferedReader, encoding: str, source: str, *, chunk_bytes: int = 0
    ) -> None:
        self._raw = raw
        self._encoding = encoding
        self._source = source
        self._chunk_bytes = chunk_bytes or self.CHUNK_BYTES
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._consumed = 0  # bytes handed to the decoder
        self._newlines = 0  # "\n" in all text decoded so far: the line of what comes next
        self._buffer = ""  # decoded text not yet handed out
        self._eof = False  # no more text: end of file, or the bad bytes of ``_error``
        self._error: EncodingError | None = None  # raised once the text before it is read

    def __enter__(self) -> TextStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _fill(self) -> bool:
        """Decode the next chunk into the buffer; False when there is no more text."""
        if self._eof:
            return False
        chunk = self._raw.read(self._chunk_bytes)
        final = not chunk
        decoder = self._decoder
        state = decoder.getstate()
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            text = self._before_error(exc, chunk, state)
        else:
            self._consumed += len(chunk)
            self._eof = final
        self._newlines += text.count("\n")
        self._buffer += text
        return True

    def _before_error(self, exc: UnicodeDecodeError, chunk: bytes, state: tuple[bytes, int]) -> str:
        """The text of ``chunk`` before its bad bytes; the error is kept for when it is reached.

        The decoder saw its pending bytes (an incomplete character from the last
        chunk) followed by ``chunk``, or a suffix of that (after a BOM), so the
        bad bytes' offset in the file is exact.
        """
        pending = len(state[0])
        bad = pending + len(chunk) - len(exc.object) + exc.start  # in pending + chunk
        offset = self._consumed - pending + bad
        self._decoder.setstate(state)  # a failed decode may have changed it (utf-8-sig)
        try:
            text = self._decoder.decode(chunk[: max(0, bad - pending)], final=False)
        except UnicodeDecodeError:  # pragma: no cover - the codec decoded these bytes
            text = ""
        line = self._newlines + text.count("\n") + 1
        self._error = _bad_bytes_error(
            self._source, self._encoding, exc.object, exc.start, offset, line
        )
        self._eof = True
        return text

    def read(self, size: int | None = -1) -> str:
        """Up to ``size`` characters (all that is left by default).

        :raises EncodingError: when undecodable bytes come before ``size`` characters
        """
        if size is None or size < 0:
            while self._fill():
                pass
            if self._error is not None:
                raise self._error
            result, self._buffer = self._buffer, ""
            return result
        while len(self._buffer) < size and self._fill():
            pass
        if len(self._buffer) < size and self._error is not None:
            raise self._error
        result, self._buffer = self._buffer[:size], self._buffer[size:]
        return result

    def peek(self, size: int) -> str:
        """Up to ``size`` characters ahead, without consuming them (for sniffing).

        Stops short before undecodable bytes, so a reader can sniff the lines
        before them; raises the :class:`EncodingError` only when not one whole
        line comes first.
        """
        while len(self._buffer) < size and self._fill():
            pass
        sample = self._buffer[:size]
        if self._error is not None and len(sample) < size and "\n" not in sample:
            raise self._error
        return sample

    @property
    def fully_buffered(self) -> bool:
        """True when everything left in the file is in the peek buffer."""
        return self._eof and self._error is None

    def readline(self, size: int | None = -1) -> str:
        """The next line with its ending ('' at the end of the file).

        :raises EncodingError: when the line holds undecodable bytes
        """
        searched = 0
        while (end := self._buffer.find("\n", searched)) < 0:
            searched = len(self._buffer)
            if not self._fill():
                break
        if end < 0:
            if self._error is not None:
                raise self._error
            end = len(self._buffer)
        else:
            end += 1
        if size is not None and size >= 0:
            end = min(end, size)
        line, self._buffer = self._buffer[:end], self._buffer[end:]
        return line

    def __iter__(self) -> Iterator[str]:
        """The lines left, with their endings; the fast way to read the stream.

        Lines come a decoded chunk at a time, handed out by C code; the stream
        should not be read otherwise while this iterator is in use.
        """
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[Iterable[str]]:
        """The complete lines of each decoded chunk; the last line once the file ends."""
        searched = 0  # the buffer before this holds no newline: a line longer than a chunk
        while True:
            cut = self._buffer.rfind("\n", searched) + 1
            if cut:
                block, self._buffer = self._buffer[:cut], self._buffer[cut:]
                searched = 0
                yield io.StringIO(block, newline="\n")
                continue
            searched = len(self._buffer)
            if not self._fill():
                if self._error is not None:
                    raise self._error  # what was before it has been handed out
                if self._buffer:
                    last, self._buffer = self._buffer, ""
                    yield (last,)
                return

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        self._raw.close()


def _confirm_utf8(raw: io.BufferedReader, head: bytes, found: DetectedEncoding) -> DetectedEncoding:
    """Check the bytes after ``head`` are UTF-8 too; if not, decide on head and bad chunk."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    decoder.decode(head, final=False)  # valid, as detection just found
    while chunk := raw.read(1024 * 1024):
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError:
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
    instead of failing half-way. Reading is strict, so a file that is not in
    the given encoding raises an :class:`EncodingError` naming the line and
    byte offset, after the lines before them, instead of yielding mojibake.
    Newlines are passed through untranslated (the ``csv`` module needs that).
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
    # utf-8-sig and utf-16 consume their BOM themselves.
    reader = TextStream(raw, detected.encoding, str(path))
    return reader, detected
