"""The only door to the durable_rules C engine, built so that it cannot crash or mislead us.

durable_rules 2.0.28 is fast, but unmaintained, and its C core kills the process
or returns wrong results for inputs that look harmless (see
``engine/durable_rules.md`` in the design notes for what was measured). This
package drives the C extension ``durable_rules_engine`` directly and refuses,
before anything reaches C, every input known to trigger one of those defects.
Nothing else in the library imports durable_rules.

One module per job, each importing only those listed before it:

* :mod:`~handoff_rules.engine.durable.cmodule`: the C extension itself, imported
  on first use, and the limits of its JSON parser;
* :mod:`~handoff_rules.engine.durable.protocol`: the names and ids the rules
  and the sessions agree on (trigger, case key, ``__done__``);
* :mod:`~handoff_rules.engine.durable.rules`: ruleset shape checks, and the
  rules rebuilt as the session protocol needs them;
* :mod:`~handoff_rules.engine.durable.facts`: fact checks and encoding;
* :mod:`~handoff_rules.engine.durable.session`: the session protocol: which
  cases share a session, and running, closing or quarantining one;
* :mod:`~handoff_rules.engine.durable.registry`: ruleset names, each loaded
  once per process and never replaced;
* :mod:`~handoff_rules.engine.durable.firings`: firings read back from the
  engine's messages;
* :mod:`~handoff_rules.engine.durable.compiled_ruleset`:
  :class:`CompiledRuleset`, the entry point that puts them together.

``evaluate(facts)`` is a session of one case; ``evaluate_many(cases)`` gives, case
by case, the same firings (``tests/engine/test_durable_batches.py``).

Defects and the guard that avoids each, found in the module of its job above
(each has a test in ``tests/engine/test_durable_*.py``; the crashing inputs
run raw in a subprocess there, to show the defect, and then through this
driver):

=============================================  ===============================================
defect of durable_rules 2.0.28                 guard here
=============================================  ===============================================
SIGSEGV: ``delete_state`` of a session         ``__done__`` always fires; a session is deleted
without any action                             only after it ran, otherwise it is left alone
                                               and its id retired ("quarantined")
SIGSEGV: float written with an exponent        :class:`FactValueError` for floats whose JSON
(``1e-05``) in a fact; error 204 in a rule     has an exponent; :class:`RulesetShapeError` for
                                               such rule constants
SIGSEGV (heap-layout dependent): last          an always-true join to the trigger,
non-equality join of an ``$and`` is false      ``{"$neq": {"t": {"$eval": "t"}}}``, closes
                                               every pattern (each is a join: to its
                                               case's trigger at least), wrapped in
                                               ``$and`` if needed
SIGFPE: integer ``$div`` by zero               ``$div`` is refused
wrong result: conditions after a nested        patterns must be a flat ``$and`` of
``$and``/``$or`` in a join pattern ignored     comparisons
wrong result: negation depends on arrival      the trigger-first session protocol
order
wrong result: several keys in one expression   one key per expression object; use ``$and``
object - all but the first ignored
wrong result: ints beyond int64 saturate       :class:`FactValueError` / RulesetShapeError
identity by 32-bit FNV-1a hash (content hash   ids 0..n-1 assigned here to facts and
for facts without ``id``)                      triggers, at most 40 000 per session (decimal
                                               ids up to 40 188 are collision-free); session
                                               ids "1", "2", ...
``MessageNotHandledException`` for a batch     the result code is read, not raised; facts of
when one fact matches nothing                  a type no pattern names are not sent at all
negative ``pri`` wraps; ``count`` drops the    refused
last batch; top-level ``any`` fires per
alternative combination
wrong result, depending on heap history: a     no join reads ``id`` or ``sid``: rules may not
stored fact's ``id`` and ``sid`` point into    name them, and the sentinel join above compares
the JSON text passed to ``assert_facts``,      the fact type ``t``, which the engine copies
freed when that call returns, so a later join  with the fact
on them reads stale memory
``Could not create ruleset`` after 255 rules   at most 254 rules per ruleset
on one alpha node
error 303 at run time when one fact reaches    at most 64 patterns per fact type in a
more than 64 joins (or sibling alpha tests;    ruleset (:data:`MAX_PATTERNS_PER_FACT_TYPE`):
identical patterns of different rules count)   every pattern is a join here
a ruleset name cannot be registered twice;     one engine ruleset per name per process; the
``$state``/``$flow`` names are reserved        same name with the same rules is reused, with
                                               other rules refused; ``$`` refused in names
1 024 live sessions per ruleset, ~700 KB each  one session at a time per ruleset, under a lock
exceptions in actions are swallowed            any exception is re-raised after the session
                                               is cleaned up, as DurableEvaluationError
=============================================  ===============================================

Not guarded because it depends on data the rules cannot see, and documented
here instead:

* a join or arithmetic that reads a field the other fact (or, for ``$m``, the
  fact itself) lacks makes the engine fail with error 311 instead of not
  matching (an equality join to a missing field simply does not match); also a
  :class:`DurableEvaluationError`. Test such fields with ``$ex`` in the pattern
  of the fact that carries them, so facts without them never take part;
* comparisons of mixed types compare text: ``10 == "10"`` and
  ``true == "true"`` are true; strings compare bytewise, and a string that is a
  prefix of another may compare wrongly (``"ab" < "ab!"`` is false). Give facts
  consistent types; compare dates as ``date.toordinal()`` integers and money as
  integer minor units.

What facts may hold is in :mod:`~handoff_rules.engine.durable.facts`.
"""

from __future__ import annotations

from handoff_rules.engine.durable.cmodule import (
    INT64_MAX,
    INT64_MIN,
    DurableUnavailable,
    available,
)
from handoff_rules.engine.durable.compiled_ruleset import CompiledRuleset
from handoff_rules.engine.durable.facts import MAX_FACT_PROPERTIES, FactValueError
from handoff_rules.engine.durable.firings import Firing
from handoff_rules.engine.durable.protocol import (
    CASE_KEY,
    DONE_RULE,
    MAX_FACTS,
    TRIGGER_ALIAS,
    TRIGGER_TYPE,
    fnv1a_32,
)
from handoff_rules.engine.durable.registry import RulesetConflictError
from handoff_rules.engine.durable.rules import (
    MAX_COMPARISONS_PER_PATTERN,
    MAX_CONDITIONS_PER_RULE,
    MAX_PATTERNS_PER_FACT_TYPE,
    MAX_RULES,
    RulesetShapeError,
)
from handoff_rules.engine.durable.session import DurableEvaluationError

__all__ = [
    "CASE_KEY",
    "DONE_RULE",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_COMPARISONS_PER_PATTERN",
    "MAX_CONDITIONS_PER_RULE",
    "MAX_FACTS",
    "MAX_FACT_PROPERTIES",
    "MAX_PATTERNS_PER_FACT_TYPE",
    "MAX_RULES",
    "TRIGGER_ALIAS",
    "TRIGGER_TYPE",
    "CompiledRuleset",
    "DurableEvaluationError",
    "DurableUnavailable",
    "FactValueError",
    "Firing",
    "RulesetConflictError",
    "RulesetShapeError",
    "available",
    "fnv1a_32",
]
