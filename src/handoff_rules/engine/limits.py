"""What one case may hold on every engine, checked before either backend runs.

The durable backend's C engine cannot take some cases that plain Python can:
more facts than its 32-bit id hashing keeps apart, an integer it would
saturate, text that is not valid Unicode. Its driver
(:mod:`handoff_rules.engine.durable_driver`) refuses such input rather than
crash or mislead, but it refuses a whole batch of cases, and the reference
backend would have decided the same case. Both are wrong for a person: one
oversized order would stop every decision of a run, or be decided on one
engine only.

So :class:`~handoff_rules.engine.evaluate.PackEvaluator` checks each case
against these limits, the driver's own bounds, before any backend sees it. A
case beyond one is decided by no rule: every finding is ``indeterminate`` and
names the case and the limit; every other case is decided as usual, and the
decisions are the same on both backends. The limits are bounds of the input,
not bugs: anything else a backend refuses still stops the run as an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

import attrs

from handoff_rules.decision import Limit
from handoff_rules.engine.durable_driver import INT64_MAX, INT64_MIN, MAX_FACTS
from handoff_rules.engine.flatten import FlatCase, FlatValue
from handoff_rules.facts import Provenance
from handoff_rules.model import Derived

__all__ = [
    "MAX_CASE_FACTS",
    "CaseBeyondLimit",
    "WhyUndecided",
    "facts_beyond_limit",
    "values_beyond_limit",
]

#: The most flat rows one case may have: its facts, the derived ones and the evaluation
#: date's row. The driver numbers a session's facts and triggers below ``MAX_FACTS``, and
#: a case needs one trigger.
MAX_CASE_FACTS: Final = MAX_FACTS - 1

_SHOWN: Final = 40  # characters of an offending text shown in a message
_SHOWN_BITS: Final = 128  # an integer wider than this is shown by its length (39 digits)
_DIGITS_PER_BIT: Final = 0.30103  # log10(2)


class WhyUndecided(Protocol):
    """Why no rule may decide a case: a limit here, or a reason found outside the engine.

    Such as no pack version in force on the case's date
    (:mod:`handoff_rules.policy.case_versions`), which the engine need not know
    to list every rule ``indeterminate`` for it.
    """

    @property
    def limit(self) -> Limit: ...

    @property
    def reason(self) -> str: ...

    @property
    def sources(self) -> tuple[Provenance, ...]: ...


@attrs.frozen(slots=True)
class CaseBeyondLimit:
    """Why no rule can decide a case: the limit it exceeds, said for a person."""

    limit: Limit
    #: "order 4712 has ...; one case can hold at most ...": names the case and the limit
    reason: str
    #: where the offending fact came from (none for a count of facts)
    sources: tuple[Provenance, ...] = ()


def facts_beyond_limit(case_id: str, gathered: int, derived: int) -> CaseBeyondLimit | None:
    """The case is beyond the facts limit with ``gathered`` facts and ``derived`` more.

    Counted before flattening, so that an oversized case costs no flat rows.
    """
    total = gathered + derived + 1  # the evaluation date's row
    if total <= MAX_CASE_FACTS:
        return None
    return CaseBeyondLimit(
        Limit.FACTS_PER_CASE,
        f"order {case_id} has {total:,} facts ({gathered:,} gathered for it, {derived:,} "
        f"derived from them and 1 for the evaluation date); one case can hold at most "
        f"{MAX_CASE_FACTS:,}",
    )


def values_beyond_limit(case_id: str, flat: FlatCase) -> CaseBeyondLimit | None:
    """A value of the flat case that no engine can hold, said for a person; None: none.

    Every value is checked, not only those some rule reads: a case holds or
    does not hold, whatever the pack. The first offender in the canonical row
    order is named, one of a fact the case was given before one derived from
    it (the person can correct the former), so every engine names the same.
    """
    if _all_held(flat.rows):
        return None
    derived: CaseBeyondLimit | None = None
    for index, row in enumerate(flat.rows):
        for key, value in row.items():
            if _held(value):
                continue
            fact = flat.facts[index]  # None: the evaluation date's row
            provenance = fact.provenance if fact is not None else None
            if isinstance(value, str):
                what = "text that is not valid Unicode"
                holds = "valid Unicode text only"
            else:
                what = "an integer beyond 64 bits"
                holds = f"integers from {INT64_MIN} to {INT64_MAX}"
            beyond = CaseBeyondLimit(
                Limit.VALUE,
                f"order {case_id} has {what}, {_path(key)} = {_shown(value)} of "
                f"{_described(row)}{f' ({provenance})' if provenance else ''}; "
                f"one case can hold {holds}",
                (provenance,) if provenance is not None else (),
            )
            if fact is None or not isinstance(fact.data, Derived):
                return beyond
            derived = derived or beyond
    return derived


def _held(value: FlatValue) -> bool:
    """Whether every engine holds the value: the durable driver's checks of a value it sends.

    Flat values are str or int (a bool is an int already).
    """
    if isinstance(value, str):
        return value.isascii() or _is_unicode(value)
    return INT64_MIN <= value <= INT64_MAX


def _all_held(
    rows: Sequence[Mapping[str, Any]],
    low: int = INT64_MIN,
    high: int = INT64_MAX,
    text: type[str] = str,
) -> bool:
    """Whether :func:`_held` holds for every value; False may also mean "look closer".

    Inlined, with local names: it runs over every value of every case, at
    about a tenth of a microsecond each.
    """
    try:
        for row in rows:
            for value in row.values():
                if type(value) is text:
                    if value.isascii() or _is_unicode(value):
                        continue
                elif low <= value <= high:
                    continue
                return False
    except TypeError:  # a str subclass compared with an int: _held decides
        return False
    return True


def _is_unicode(text: str) -> bool:
    """Whether the text can be written as UTF-8 (no lone surrogates), as the driver needs."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _path(key: str) -> str:
    """The field as a pack names it (``net_value.minor``, not ``net_value__minor``)."""
    return "id" if key == "id_" else key.replace("__", ".")


def _shown(value: FlatValue) -> str:
    if isinstance(value, int):
        if value.bit_length() > _SHOWN_BITS:  # str() of a huge int is slow, or refused
            return f"(a number of about {int(value.bit_length() * _DIGITS_PER_BIT) + 1:,} digits)"
        return str(value)
    # a lone surrogate shown as \udXXX, every other character as it is
    text = value.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > _SHOWN:
        text = text[: _SHOWN - 3] + "..."
    return f"'{text}'"


def _described(row: Mapping[str, FlatValue]) -> str:
    name = row.get("id_", row.get("subject"))
    return f"{row['t']} {name}" if name is not None else str(row["t"])
