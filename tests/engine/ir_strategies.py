"""Hypothesis strategies for rule IR and flat cases, shared by the engine property tests.

The generated rules use every IR construct (applicability, subject conditions,
positive and negated joins, joins to the evaluation row, references to the
subject, to earlier joins and to the fact itself, integer offsets, presence
tests) over a few fact types whose keys have one kind each, as flattening
guarantees. Values come from small pools, so that equalities, boundaries and
absent fields are frequent; strings include the ones durable_rules is known to
compare badly when ordered (prefixes, quotes, backslashes, non-ASCII).

Test modules load it by path: test directories are not packages.
"""

from __future__ import annotations

import functools
import hashlib
import random

from hypothesis import strategies as st

from handoff_rules.engine.ir import (
    SUBJECT,
    Clause,
    Compare,
    Const,
    Join,
    NeedField,
    Op,
    Present,
    Ref,
    RuleIR,
)

#: Fact types and their keys: name -> (int keys, text keys).
FACT_KEYS = {
    "order": (("a", "b", "c"), ("s", "u")),
    "doc": (("a", "b", "d"), ("s", "w")),
    "pay": (("a", "c", "d"), ("u", "w")),
}
TYPES = tuple(FACT_KEYS)
EVALUATION = "evaluation"
TEXTS = ("", "a", "ab", "ab!", 'a"', "a\\", "é", "☃", "10", "AB")
INTS = st.one_of(st.integers(-3, 3), st.integers(-(10**12), 10**12), st.sampled_from([0, 1, 2**40]))
OFFSETS = st.one_of(st.just(0), st.integers(-3, 3), st.sampled_from([30, -30]))


@functools.cache
def _one_of(options: tuple[object, ...]) -> st.SearchStrategy[object]:
    """A cached ``sampled_from``: building strategies anew for every draw is slow."""
    return st.sampled_from(options)


BOOLEANS = st.booleans()


def _keys(fact_type: str, text: bool) -> tuple[str, ...]:
    if fact_type == EVALUATION:
        return () if text else ("date",)
    return FACT_KEYS[fact_type][1 if text else 0]


# --------------------------------------------------------------------------------------
# rows


def random_case(rng: random.Random, max_rows: int = 7) -> list[dict[str, int | str]]:
    """Flat rows of one case, ending with the evaluation row as a flattened case does.

    Drawn from a seeded generator rather than composed strategies: fast enough
    for thousands of cases per run (hypothesis still controls the seed).
    """
    rows: list[dict[str, int | str]] = []
    for _ in range(rng.randint(0, max_rows)):
        fact_type = rng.choice(TYPES)
        row: dict[str, int | str] = {"t": fact_type}
        ints, texts = FACT_KEYS[fact_type]
        for key in ints:
            if rng.random() < 0.6:
                row[key] = _random_int(rng)
        for key in texts:
            if rng.random() < 0.6:
                row[key] = rng.choice(TEXTS)
        rows.append(row)
    rows.append({"t": EVALUATION, "date": rng.randint(-3, 3)})
    return rows


def _random_int(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.8:
        return rng.randint(-3, 3)
    if roll < 0.9:
        return rng.choice([0, 1, 2**40, -(2**40)])
    return rng.randint(-(10**12), 10**12)


# --------------------------------------------------------------------------------------
# rules


@st.composite
def conditions(
    draw: st.DrawFn,
    own_alias: str,
    own_type: str,
    bound: dict[str, str],
    max_size: int = 3,
) -> tuple[Compare | Present, ...]:
    """Conditions on ``own_type`` that may read ``bound`` aliases (alias -> fact type)."""
    found: list[Compare | Present] = []
    readable = {**bound, own_alias: own_type}
    for _ in range(draw(st.integers(0, max_size))):
        text = draw(BOOLEANS) and bool(_keys(own_type, text=True))
        key = draw(_one_of(_keys(own_type, text)))
        kind = draw(_one_of(("const", "ref", "present")))
        if kind == "present":
            found.append(Present(key, draw(BOOLEANS)))
            continue
        op = draw(_one_of((Op.EQ, Op.NE) if text else tuple(Op)))
        sources = [(a, t) for a, t in readable.items() if _keys(t, text)]
        if kind == "ref" and sources:
            alias, fact_type = draw(_one_of(tuple(sorted(sources))))
            ref_key = draw(_one_of(_keys(fact_type, text)))
            offset = 0 if text else draw(OFFSETS)
            found.append(Compare(key, op, Ref(alias, ref_key, offset), is_text=text))
        else:
            value = draw(_one_of(TEXTS)) if text else draw(INTS)
            found.append(Compare(key, op, Const(value), is_text=text))
    return tuple(found)


@st.composite
def clauses(draw: st.DrawFn, subject_type: str) -> Clause:
    subject = draw(conditions(SUBJECT, subject_type, {}, max_size=2))
    bound = {SUBJECT: subject_type}
    joins: list[Join] = []
    if draw(BOOLEANS):
        at_conditions = draw(conditions("at", EVALUATION, bound, max_size=1))
        joins.append(Join("at", EVALUATION, at_conditions))
        bound["at"] = EVALUATION
    for number in range(draw(st.integers(0, 3))):
        alias = f"j{number}"
        negated = draw(BOOLEANS)
        taken = set(bound.values())
        choices = [t for t in TYPES if not (negated and t in taken)]
        if not choices:
            continue
        fact_type = draw(_one_of(tuple(choices)))
        join_conditions = draw(conditions(alias, fact_type, bound))
        joins.append(Join(alias, fact_type, join_conditions, negated=negated))
        if not negated:
            bound[alias] = fact_type
    # A negated join may not range over the type of any positive join of the clause,
    # later ones included; nothing refers to a negated join, so dropping it is safe.
    positive = set(bound.values())
    joins = [j for j in joins if not (j.negated and j.fact_type in positive)]
    return Clause(subject=subject, joins=tuple(joins))


@st.composite
def rules(draw: st.DrawFn, number: int) -> RuleIR:
    subject_type = draw(_one_of(TYPES))
    applies = draw(conditions(SUBJECT, subject_type, {}, max_size=1))
    violations = tuple(draw(st.lists(clauses(subject_type), min_size=1, max_size=3)))
    needs = draw(st.lists(st.sampled_from(_keys(subject_type, False)), max_size=1, unique=True))
    return RuleIR(
        id=f"GEN-{number:03d}",
        subject=subject_type,
        applies=applies,
        requires=tuple(NeedField(key) for key in needs),
        violations=violations,
    )


@st.composite
def packs(draw: st.DrawFn, max_rules: int = 6) -> tuple[RuleIR, ...]:
    count = draw(st.integers(1, max_rules))
    return tuple(draw(rules(number)) for number in range(count))


def ruleset_name(rules_: tuple[RuleIR, ...]) -> str:
    """A name that stands for exactly these rules, as a versioned pack name does."""
    digest = hashlib.sha256(repr(rules_).encode()).hexdigest()[:16]
    return f"generated@1.0.0#{digest}"
