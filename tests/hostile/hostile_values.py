"""The values an attacker or a broken export writes where a reader expects a field.

Kept as plain data so every generator draws from the same list and a new
idea is one line here. Sizes are chosen so one generated file stays well
below 1 MB: the longest value is 200,000 characters (past the csv module's
default field limit of 131,072) and the deepest nesting 20,000 levels (past
Python's default recursion limit of 1,000).
"""

from __future__ import annotations

from typing import Final

LONG_FIELD: Final = 200_000
DEEP: Final = 20_000

#: Numbers out of every range: digits past int() limits, exponents past Decimal's,
#: int64 and uint64 edges, spellings of infinity and not-a-number, local digits.
HOSTILE_NUMBERS: Final[tuple[str, ...]] = (
    "9" * 5_000,
    "-" + "9" * 5_000,
    "9" * 30,
    "0." + "0" * 600 + "1",
    "9" * 40 + ".99",
    str(2**63),
    str(2**63 - 1),
    str(-(2**63)),
    str(-(2**63) - 1),
    str(2**64),
    "1E+999999999",
    "-1E+999999999",
    "1e-999999999",
    "1E+99999999999999999999",
    "1e400",
    "1.0983E11",
    "NaN",
    "sNaN",
    "-Infinity",
    "inf",
    ".inf",
    "-0",
    "-0.00",
    "1_000",
    "0x1F",
    "0o777",
    "1.234,56-",
    "--1",
    "1..2",
    "١٢٣٫٤٥",
    "１２３",
    "²",
    "1 234 567,89",
    "1\u00a0234,56",
    "+",
    ".",
    ",",
)

#: Dates and times at and past the edges of what ``date`` holds, in SAP and ISO spellings.
HOSTILE_DATES: Final[tuple[str, ...]] = (
    "00000000",
    "99999999",
    "20240230",
    "2024-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2024-01-01",
    "2024-13-45",
    "2024-01-01T25:61:61Z",
    "2024-W01-1",
    "2024-1-1",
    "24.05.2024",
    "2024-01-01\x00",
)

#: Money in one cell: amounts past the ranges above, unknown and lower-case currencies.
HOSTILE_MONEY: Final[tuple[str, ...]] = (
    "1E+999999999 EUR",
    "-1E+999999999 RUB",
    "9" * 5_000 + " EUR",
    str(2**63) + " USD",
    "0.001 JPY",
    "1.005 EUR",
    "NaN EUR",
    "inf PLN",
    "100 XXX",
    "100 eur",
    "100 EURO",
    "EUR",
    "100 EUR EUR",
)

#: Text that breaks printers, terminals, markup, spreadsheets and naive parsers.
HOSTILE_TEXT: Final[tuple[str, ...]] = (
    "",
    " ",
    "\t",
    "A" * LONG_FIELD,
    "Ж" * 50_000,
    "\u202eRTL override",
    "\ufeffBOM inside",
    "nul\x00byte",
    "line\u2028separator",
    "para\u2029graph",
    "carriage\rreturn",
    "new\nline",
    "\x1b[31mred\x1b[0m",
    "\x07\x08\x0b\x0c",
    "😀" * 16,
    "e\u0301" * 64,
    "\u0000",
    "null",
    "None",
    "~",
    "true",
    "X",
    "[/]",
    "[bold red]markup[/bold red]",
    "[link=file:///etc/passwd]x[/link]",
    "{0}{1}{__class__}",
    "{{7*7}}",
    "%s%n%x",
    "${jndi:ldap://127.0.0.1/x}",
    "<script>alert(1)</script>",
    "]]><!--",
    "&amp;&lt;&#0;",
    "=cmd|' /C calc'!A0",
    "../../../../etc/passwd",
    "C:\\Windows\\system32",
    "'; DROP TABLE orders; --",
    '"',
    '""',
    "'",
    ",;\t|",
    "#handoff-rules: order",
    "handoff-rules-facts: 1",
    '{"record": "fact"}',
)

#: One-line YAML nodes that a safe loader must refuse or bound: tags that build
#: objects, binary and timestamp tags, recursive and exponential aliases, merge
#: keys, deep flow nesting, complex keys and odd scalars.
HOSTILE_YAML_NODES: Final[tuple[str, ...]] = (
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!binary AAECAwQ=",
    "!!timestamp 2024-01-01T00:00:00Z",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!float .nan",
    "!!int 0x7fffffffffffffffff",
    "!!int " + "9" * 5_000,
    "!!str",
    "!custom value",
    "!<tag:yaml.org,2002:python/tuple> [1, 2]",
    "&loop [*loop]",
    "&m {a: *m}",
    "[&a [x, x, x, x, x, x, x, x, x], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a],"
    " &c [*b, *b, *b, *b, *b, *b, *b, *b, *b], &d [*c, *c, *c, *c, *c, *c, *c, *c, *c],"
    " &e [*d, *d, *d, *d, *d, *d, *d, *d, *d], &f [*e, *e, *e, *e, *e, *e, *e, *e, *e],"
    " &g [*f, *f, *f, *f, *f, *f, *f, *f, *f], &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]]",
    "{<<: {a: 1}, b: 2}",
    "{<<: [], b: 2}",
    "{[a, b]: c}",
    "{{a: b}: c}",
    "{a: 1, a: 2}",
    "[" * DEEP + "]" * DEEP,
    "{a: " * 2_000 + "x" + "}" * 2_000,
    "*undefined",
    "&anchor_only",
    "? a",
    "|-",
    ".nan",
    "-.inf",
    "0b1010",
    "0o17",
    "1_0",
    "2024-13-45",
    "2001-12-14t21:59:43.10-05:00",
    "=",
    "<<",
    "'" + "x" * 1_000 + "'",
)

#: JSON values that the json module turns into something unexpected or refuses.
HOSTILE_JSON_VALUES: Final[tuple[str, ...]] = (
    "null",
    "true",
    "0",
    "-0",
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "9" * 5_000,
    str(2**63),
    str(-(2**63) - 1),
    "1.5",
    "[]",
    "{}",
    "[" * DEEP + "]" * DEEP,
    '{"a":' * 5_000 + "1" + "}" * 5_000,
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\\u0000"',
    '"' + "A" * LONG_FIELD + '"',
    '{"decimal": "' + "9" * 5_000 + '"}',
    '{"decimal": "NaN"}',
    '{"date": "9999-12-31"}',
    '{"date": "0000-00-00"}',
    '{"amount": "1E+999999999", "currency": "EUR"}',
    '{"amount": 1.5, "currency": "EUR"}',
    '{"amount": "1", "currency": null}',
    '{"a": 1, "a": 2}',
    '["x", {"y": [null, true]}]',
)


#: Every hostile cell or scalar: what replaces one field of a record.
TEXT_VALUES: Final = HOSTILE_NUMBERS + HOSTILE_DATES + HOSTILE_MONEY + HOSTILE_TEXT
