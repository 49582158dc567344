"""The names and numbers that the compiled rules and the running sessions must agree on.

A rule compiled in :mod:`~handoff_rules.engine.durable.rules` names the
trigger fact, joins it on the case key and leaves the ``__done__`` rule to the
driver; a session (:mod:`~handoff_rules.engine.durable.session`) sends that
trigger, sets that key and waits for that rule; the checks on facts
(:mod:`~handoff_rules.engine.durable.facts`) keep callers away from the keys
the driver assigns. Each of them imports these from here, so the two halves of
one protocol cannot drift apart.

The engine tells facts and sessions apart only by a 32-bit FNV-1a hash of
their ids (:func:`fnv1a_32`), so the ids the driver assigns stay in a range
measured to be free of collisions (:data:`MAX_FACTS`).
"""

from __future__ import annotations

import re
from typing import Final

#: Type and alias of the trigger fact; ``$`` keeps them apart from anything a pack names.
TRIGGER_TYPE: Final = "$eval"
TRIGGER_ALIAS: Final = "$eval"
#: The key, assigned here, that tells the cases of one session apart (0, 1, ...).
CASE_KEY: Final = "_case"
#: The always-firing rule whose action proves a session may be deleted.
DONE_RULE: Final = "__done__"
#: Decimal ids 0..40188 have distinct 32-bit FNV-1a hashes: facts and triggers of a session.
MAX_FACTS: Final = 40_000

#: What a fact key or a field a rule tests must look like: flat identifiers, no ``$`` or ``.``.
NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Keys the driver assigns to every fact it sends: neither facts nor rules may use them.
RESERVED_KEYS: Final = frozenset({"id", "sid", CASE_KEY})


def fnv1a_32(text: str) -> int:
    """The engine's identity hash of fact and session ids: 32-bit FNV-1a (ASCII ids)."""
    result = 0x811C9DC5
    for byte in text.encode("utf-8"):
        result = ((result ^ byte) * 0x01000193) & 0xFFFFFFFF
    return result
