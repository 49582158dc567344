"""Mutations that do not know the format: bytes, lines and encodings.

Generators take a ``random.Random`` that hypothesis drives
(``st.randoms(use_true_random=False)``): one strategy per input instead of
one per choice keeps generation cheap, and hypothesis still records and
replays every choice. Each mutation returns a label naming what was done, so
a failure report says "bom-mid-file, truncate" and not only which bytes came
out. Every result is cut to ``MAX_BYTES`` so no input outgrows CI.
"""

from __future__ import annotations

from random import Random
from typing import Final

MAX_BYTES: Final = 880_000

#: Bytes that mean something to one of the formats or to a decoder.
INTERESTING_BYTES: Final[tuple[bytes, ...]] = (
    b"\x00",
    b"\xff",
    b"\xfe",
    b"\xc3",
    b"\xd0",
    b"\xe2\x80\xa8",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\r",
    b"\n",
    b"\r\n",
    b'"',
    b"'",
    b";",
    b",",
    b"\t",
    b"|",
    b"<",
    b">",
    b"&",
    b"&lol;",
    b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
    b"]]>",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"- ",
    b"#",
    b"!",
    b"*a",
    b"&a ",
    b"\\",
    b"%",
    b"E2EDK01005",
    b"EDI_DC40",
    b"-",
    b"9" * 40,
    b"1E+999999999",
    b"00000000",
)

BOMS: Final[tuple[bytes, ...]] = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00")
ENCODINGS: Final[tuple[str, ...]] = ("utf-16", "utf-16-be", "cp1251", "cp1252", "latin-1", "utf-32")
BYTE_MUTATIONS: Final[tuple[str, ...]] = (
    "flip",
    "insert",
    "delete",
    "truncate",
    "duplicate-range",
    "duplicate-line",
    "repeat-line",
    "delete-line",
    "swap-lines",
    "bom-start",
    "bom-mid-file",
    "reencode",
    "reencode-line",
    "long-run",
    "crlf",
    "cr-only",
    "strip-newlines",
)


def cap(data: bytes | bytearray) -> bytes:
    return bytes(data[:MAX_BYTES])


def _random_bytes(rnd: Random) -> bytes:
    return bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))


def _line_mutation(rnd: Random, data: bytes, kind: str) -> bytes:
    lines = data.splitlines(keepends=True) or [b""]
    i = rnd.randrange(len(lines))
    if kind == "duplicate-line":
        lines.insert(i, lines[i])
    elif kind == "repeat-line":
        lines[i:i] = [lines[i]] * min(rnd.randint(2, 5_000), MAX_BYTES // len(lines[i] or b"x"))
    elif kind == "delete-line":
        del lines[i]
    elif kind == "swap-lines":
        j = rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "bom-mid-file":
        lines[i] = rnd.choice(BOMS) + lines[i]
    elif kind == "reencode-line":
        lines[i] = lines[i].decode("utf-8", "replace").encode(rnd.choice(ENCODINGS), "replace")
    return b"".join(lines)


def mutate_once(rnd: Random, data: bytes) -> tuple[bytes, str]:
    """One edit anywhere in the file: (new bytes, label)."""
    buffer = bytearray(data)
    kind = rnd.choice(BYTE_MUTATIONS)
    at = rnd.randrange(len(buffer)) if buffer else 0
    if kind == "flip" and buffer:
        buffer[at] ^= 1 << rnd.randrange(8)
    elif kind == "insert":
        buffer[at:at] = rnd.choice(INTERESTING_BYTES) if rnd.random() < 0.8 else _random_bytes(rnd)
    elif kind == "delete":
        del buffer[at : at + rnd.randint(1, 64)]
    elif kind == "truncate":
        del buffer[at:]
    elif kind == "duplicate-range":
        buffer[at:at] = buffer[at : at + rnd.randint(1, 400)]
    elif kind == "bom-start":
        buffer[0:0] = rnd.choice(BOMS)
    elif kind == "reencode":
        text = bytes(buffer).decode("utf-8", "replace")
        buffer = bytearray(text.encode(rnd.choice(ENCODINGS), "replace"))
    elif kind == "long-run":
        unit = rnd.choice([b"9", b"A", b"\xd0\x96", b" ", b"0", b"\x00", b"\\"])
        buffer[at:at] = unit * rnd.randint(1_000, 200_000)
    elif kind == "crlf":
        buffer = bytearray(bytes(buffer).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    elif kind == "cr-only":
        buffer = bytearray(bytes(buffer).replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    elif kind == "strip-newlines":
        buffer = bytearray(bytes(buffer).replace(b"\n", b""))
    else:
        buffer = bytearray(_line_mutation(rnd, bytes(buffer), kind))
    return cap(buffer), kind


def mutate_bytes(rnd: Random, data: bytes, max_steps: int = 4) -> tuple[bytes, tuple[str, ...]]:
    """One to ``max_steps`` edits in a row."""
    labels = []
    for _ in range(rnd.randint(1, max_steps)):
        data, label = mutate_once(rnd, data)
        labels.append(label)
    return data, tuple(labels)
