"""The session protocol: which cases share an engine session, and running one safely.

One session follows a fixed protocol, chosen because it is the only one found
to be independent of the order in which facts arrive. A session evaluates
several cases at once (up to :data:`MAX_SESSION_FACTS` facts), because setting
one up costs about as much as matching a case:

1. every fact gets ``id`` = its position in the session (0..n-1), ``_case`` = its
   case's number in the session (0..k-1) and the ruleset's current session id
   ``sid``; all facts go in with one ``assert_facts`` call;
2. then one trigger fact per case, ``{"t": "$eval", "_case": c, "id": n + c}``, all
   in one further call. The trigger is the FIRST condition of every rule, so no
   rule can (partially) match before all facts are in - the engine never
   withdraws a partial match that passed a negation when the negated fact
   arrives later - and every other pattern of a rule joins its trigger on
   ``_case`` (an equality, matched through a hash index), so a case never sees
   the facts of another;
3. every pending action is started and completed in turn; the actions only
   report which facts matched, and the trigger's id tells the case;
4. an extra rule ``__done__``, whose only condition is the first case's trigger,
   must have fired; only then is the session deleted (deleting a session in
   which no action ever ran frees uninitialised pointers).

A session that cannot be brought to run ``__done__`` is left alone and its id
retired ("quarantined"); one ruleset runs one session at a time, under a lock;
any failure is raised as :class:`DurableEvaluationError` after the session was
cleaned up. The rules' side of the protocol is built in
:mod:`~handoff_rules.engine.durable.rules`; the names both sides use are in
:mod:`~handoff_rules.engine.durable.protocol`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from handoff_rules.engine.durable.cmodule import (
    HANDLED,
    NOT_HANDLED,
    CEngine,
    DurableUnavailable,
    engine_module,
)
from handoff_rules.engine.durable.facts import FactValueError, engine_fact
from handoff_rules.engine.durable.protocol import (
    CASE_KEY,
    DONE_RULE,
    MAX_FACTS,
    TRIGGER_TYPE,
    fnv1a_32,
)
from handoff_rules.engine.durable.rules import RulesetShapeError
from handoff_rules.errors import DurableEvaluationError as DurableEvaluationError

#: Cases share a session (and its set-up cost) up to this many facts and triggers in all.
#: Measured on the default pack: asserting facts gets cheaper per case up to a few cases
#: per session, while each trigger's joins get dearer as the session grows (64 cases cost
#: more than 8); every stored fact also holds about 10 KB of engine memory.
MAX_SESSION_FACTS: Final = 128
#: Sessions left open because they could not be closed safely; past this the ruleset stops.
MAX_QUARANTINED_SESSIONS: Final = 32


@attrs.define
class Session:
    """The engine facts of the cases that share one session, and where each came from.

    Fact ids run over the whole session (0, 1, ...), so ``owner[id]`` and
    ``local[id]`` give back the case and the fact's index within it.
    """

    first_case: int
    cases: int = 0
    facts: list[dict[str, Any]] = attrs.field(factory=list)
    owner: list[int] = attrs.field(factory=list)
    local: list[int] = attrs.field(factory=list)

    @property
    def size(self) -> int:
        """Facts and triggers, including facts of types no pattern names (not sent)."""
        return len(self.owner) + self.cases

    def triggers(self, sid: str) -> list[dict[str, Any]]:
        # Ids after every fact's: one id space, all below MAX_FACTS, so no hash collides.
        return [
            {"id": len(self.owner) + n, "t": TRIGGER_TYPE, CASE_KEY: n, "sid": sid}
            for n in range(self.cases)
        ]


def group_into_sessions(
    cases: Sequence[Sequence[object]], keys: Mapping[str, tuple[str, ...]]
) -> list[Session]:
    """Every case's facts checked and grouped into sessions of at most MAX_SESSION_FACTS.

    A case is never split; a case larger than that limit gets a session of its
    own, up to MAX_FACTS. Every fact's shape and keys are checked, sent or not.
    """
    many = len(cases) > 1
    sessions: list[Session] = []
    session = Session(first_case=0)
    for number, facts in enumerate(cases):
        if len(facts) + 1 > MAX_FACTS:
            raise FactValueError(
                None,
                None,
                len(facts),
                f"at most {MAX_FACTS - 1} facts per case (id hashing)",
                number if many else None,
            )
        if session.cases and session.size + len(facts) + 1 > MAX_SESSION_FACTS:
            sessions.append(session)
            session = Session(first_case=number)
        case = session.cases
        for index, fact in enumerate(facts):
            try:
                entry = engine_fact(len(session.owner), fact, keys)
            except FactValueError as error:
                raise FactValueError(
                    index, error.key, error.value, error.reason, number if many else None
                ) from None
            if entry is not None:
                entry[CASE_KEY] = case
                session.facts.append(entry)
            session.owner.append(case)
            session.local.append(index)
        session.cases += 1
    if session.cases:
        sessions.append(session)
    return sessions


@attrs.define
class _SessionProgress:
    """How far one session got, so that cleanup never does something that crashes."""

    first_trigger: dict[str, Any]  # the one that fires __done__
    state: int | None = None  # state handle, known once the triggers are in
    action_open: bool = False  # an action was started and not completed yet
    done_ran: bool = False


class EngineRuleset:
    """One ruleset in the C engine: its handle, its lock and its session ids.

    Evaluations run one at a time (the C engine never releases the GIL, so
    parallel calls would not be faster) and reuse one session id, deleted after
    each evaluation, so at most a few sessions are ever alive.
    """

    def __init__(self, name: str, definition: str) -> None:
        self.name = name
        self.definition = definition
        try:
            self._engine = CEngine(engine_module(), name, definition)
        except DurableUnavailable:
            raise
        except Exception as error:
            raise RulesetShapeError(
                name, None, f"the engine refused the ruleset: {error}"
            ) from error
        self._lock = threading.Lock()
        self._sid_number = 1
        self._quarantined: list[str] = []

    @property
    def sid(self) -> str:
        return str(self._sid_number)

    @property
    def quarantined_sessions(self) -> int:
        return len(self._quarantined)

    def run(self, session: Session) -> list[str]:
        """Evaluate one session's cases in a fresh engine session; the fired actions' messages."""
        with self._lock:
            if len(self._quarantined) >= MAX_QUARANTINED_SESSIONS:
                raise DurableEvaluationError(
                    f"ruleset {self.name!r}: {len(self._quarantined)} sessions could not be "
                    "closed safely; restart the process"
                )
            return self._run_session(self.sid, session)

    def _run_session(self, sid: str, session: Session) -> list[str]:
        triggers = session.triggers(sid)
        progress = _SessionProgress(first_trigger=triggers[0])
        messages: list[str] = []
        try:
            if session.facts:
                self._assert_facts(sid, session.facts)
            self._assert_triggers(triggers, progress)
            self._drain(progress, messages)
        except Exception as error:
            self._close(sid, progress)
            raise DurableEvaluationError(
                f"ruleset {self.name!r}: evaluation failed: {error}{_hint(error)}"
            ) from error
        except BaseException:
            self._close(sid, progress)
            raise
        self._close(sid, progress)
        if not progress.done_ran:
            raise DurableEvaluationError(f"ruleset {self.name!r}: {DONE_RULE} did not fire")
        return messages

    def _assert_facts(self, sid: str, facts: list[dict[str, Any]]) -> None:
        for fact in facts:
            fact["sid"] = sid
        code, _state = self._engine.assert_facts(_to_json(facts))
        # NOT_HANDLED: some fact passed no pattern; the others are stored all the same.
        if code not in (HANDLED, NOT_HANDLED):
            raise DurableEvaluationError(f"facts were refused with result code {code}")

    def _assert_triggers(self, triggers: list[dict[str, Any]], progress: _SessionProgress) -> None:
        # All in one call: the engine takes a batch fact by fact, in list order.
        code, state = self._engine.assert_facts(_to_json(triggers))
        if code != HANDLED:
            raise DurableEvaluationError(f"a trigger was refused with result code {code}")
        progress.state = state

    def _drain(self, progress: _SessionProgress, messages: list[str] | None) -> None:
        assert progress.state is not None
        if progress.action_open:
            message = self._engine.complete_and_start_action(progress.state)
        else:
            message = self._engine.start_action(progress.state)
        while message is not None:
            progress.action_open = True
            if message.startswith('{"' + DONE_RULE + '":'):
                progress.done_ran = True
            elif messages is not None:
                messages.append(message)
            message = self._engine.complete_and_start_action(progress.state)
            progress.action_open = message is not None

    def _close(self, sid: str, progress: _SessionProgress) -> None:
        """Delete the session if that is safe, else retire its id; never raises."""
        try:
            closed = self._delete_after_done(sid, progress)
        except Exception:
            closed = False
        if not closed:
            self._quarantine(sid)

    def _delete_after_done(self, sid: str, progress: _SessionProgress) -> bool:
        if not progress.done_ran:
            # Cleanup after a failure: bring the session to run __done__ first.
            if progress.state is None:
                self._assert_triggers([progress.first_trigger], progress)
            self._drain(progress, None)
        if not progress.done_ran:
            return False
        self._engine.delete_state(sid)
        return True

    def _quarantine(self, sid: str) -> None:
        # A session that may never have run an action must not be deleted. Its id
        # stays taken; the engine tells sessions apart by a 32-bit hash of the id
        # only, so the next id must hash differently from every id still alive.
        self._quarantined.append(sid)
        taken = {fnv1a_32(alive) for alive in self._quarantined}
        self._sid_number += 1
        while fnv1a_32(self.sid) in taken:
            self._sid_number += 1


def _to_json(value: object) -> str:
    # Compact: the engine parses, and keeps, every byte of every fact.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_ERROR_HINTS: Final = {
    "error code: 303": "one fact passed more than 64 sibling tests; split the ruleset",
    "error code: 311": (
        "a fact lacks a field that a join or arithmetic reads; test such fields with "
        "'$ex' in the pattern of the fact that carries them"
    ),
}


def _hint(error: Exception) -> str:
    text = str(error)
    return "".join(f" ({hint})" for code, hint in _ERROR_HINTS.items() if code in text)
