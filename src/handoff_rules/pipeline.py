"""The whole run in one call: read → cases → evaluate → exceptions → audit log → sinks.

Every consumer goes through :func:`check`: the command line, the tests, the
benchmarks and any integration. Chaining the steps by hand is how a step gets
forgotten (most easily the exception register, which turns a ``fail`` into a
``waived`` one), so the chain lives here, once, and takes every choice as a
parameter: the plugin manager, the pack, the clock, the engine, the register
and the audit log. Nothing in this module prints or reads the clock.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from types import CodeType, TracebackType
from typing import Any, TypeVar

import attrs
import pluggy

from handoff_rules.adapters.base import NO_SETTINGS, FormatInfo, ReadSettings
from handoff_rules.adapters.registry import ReadResult, SkippedFile, list_inputs
from handoff_rules.adapters.registry import read_files as read_with
from handoff_rules.cases import Case, build_cases
from handoff_rules.collector import freeze_long_lived, tuned_for_a_run
from handoff_rules.coverage import Coverage, SupplyIndex, coverage
from handoff_rules.decision import Checkpoint, Decision, Outcome
from handoff_rules.distribute import Executor, evaluate_on, executor_for, read_on
from handoff_rules.errors import (
    DecisionSinkError,
    HandoffError,
    NoOrderError,
    PluginError,
)
from handoff_rules.facts import Fact, Reject
from handoff_rules.plugins import default_plugin_manager, installed_adapters, plugin_distribution
from handoff_rules.policy.case_versions import DatedBy, resolve_versions, versions_named
from handoff_rules.policy.exceptions import ExceptionProblem, ExceptionRegister
from handoff_rules.policy.pack import Pack
from handoff_rules.versioned_evaluation import Evaluators, evaluate_by_version

__all__ = [
    "DecisionSinkError",
    "Progress",
    "RunResult",
    "check",
    "expand_inputs",
    "read_files",
]

T = TypeVar("T")

#: Wraps an iterable to show progress (the command line passes a rich bar);
#: it must yield the items unchanged.
Progress = Callable[[Iterable[T], str], Iterable[T]]


def _no_progress(items: Iterable[T], _description: str) -> Iterable[T]:
    return items


def expand_inputs(
    inputs: Iterable[Path | str], *, plugin_manager: pluggy.PluginManager | None = None
) -> list[Path]:
    """Files as given; a directory stands for its files (not hidden ones), sorted by name.

    Adapters' options files (``handoff-rules-crm.toml``) are left out: they are not inputs.
    """
    adapters = installed_adapters(plugin_manager or default_plugin_manager())
    return [item.path for item in list_inputs(inputs, adapters)]


@attrs.frozen
class RunResult:
    """Everything one run produced: the decisions and what a report of them needs."""

    #: the newest pack version that judged a case (with no case: the one in force at ``at``)
    pack: Pack
    at: date
    engine: str
    decisions: tuple[Decision, ...]
    cases: int
    facts: int
    rejects: int
    unassigned: int
    #: False when the caller took ``at`` from the clock (the command line's default).
    at_given: bool = True
    exceptions_file: str | None = None
    exceptions_used: tuple[str, ...] = ()
    exceptions_unused: tuple[str, ...] = ()
    exception_problems: tuple[dict[str, Any], ...] = ()
    notice: str | None = None
    #: which rules these inputs' formats can decide, and what each rule did
    coverage: Coverage | None = attrs.field(default=None, repr=False, eq=False)
    #: Files of input folders that no adapter recognises, left unread (``strict`` refuses them).
    skipped: tuple[SkippedFile, ...] = ()
    #: every pack version that judged a case, oldest first (``(pack,)`` with no case)
    packs: tuple[Pack, ...] = ()
    #: cases whose order has no date, judged under the version in force at ``at``
    undated_cases: tuple[str, ...] = ()
    #: the version given with ``pack_version`` or ``NAME@VERSION``, judging every case
    pinned: str | None = None
    case_list: tuple[Case, ...] = attrs.field(default=(), repr=False, eq=False)
    reject_list: tuple[Reject, ...] = attrs.field(default=(), repr=False, eq=False)
    #: The facts that joined no case.
    unassigned_list: tuple[Fact, ...] = attrs.field(default=(), repr=False, eq=False)
    register: ExceptionRegister | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def blocked(self) -> bool:
        """Whether any decision blocks: the command line's exit status 1."""
        return any(d.outcome is Outcome.BLOCK for d in self.decisions)

    def document(self) -> dict[str, Any]:
        """The JSON document of ``check --format json`` (schema ``decisions-1.json``).

        Written from the same run view as every other report format.
        """
        from handoff_rules.report.document import document
        from handoff_rules.report.view import run_view

        return document(run_view(self))


def read_files(
    inputs: Iterable[Path | str],
    *,
    plugin_manager: pluggy.PluginManager | None = None,
    adapter: str | None = None,
    keep_going: bool = False,
    strict: bool = False,
    progress: Progress[Any] = _no_progress,
    settings: ReadSettings = NO_SETTINGS,
) -> ReadResult:
    """Read files and directories with the installed adapters into facts and rejects.

    A file named on its own that no adapter recognises is an error; one in a
    directory is listed in ``skipped`` and left unread.

    :param adapter: read every file with this adapter instead of the one that claims it.
    :param keep_going: record a file that fails as a whole in ``errors`` and read on.
    :param strict: a file of a directory that no adapter recognises is an error too.
    :param settings: what the files do not say, for every adapter that takes it (such as
        ``ReadSettings(default_currency="USD")`` for amounts that state no currency).
    """
    pm = plugin_manager or default_plugin_manager()
    adapters = installed_adapters(pm)
    return read_with(
        progress(list_inputs(inputs, adapters), "Reading"),
        adapters,
        adapter_name=adapter,
        keep_going=keep_going,
        strict=strict,
        settings=settings,
    )


@tuned_for_a_run
def check(
    inputs: Iterable[Path | str] = (),
    *,
    at: date,
    facts: Iterable[Fact] = (),
    pack: str | Path | Pack | None = None,
    pack_version: str | None = None,
    checkpoints: Sequence[Checkpoint | str] | None = None,
    exceptions: Path | str | ExceptionRegister | None = None,
    engine: str | None = None,
    audit_log: Path | str | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
    progress: Progress[Any] = _no_progress,
    at_given: bool = True,
    strict: bool = False,
    settings: ReadSettings = NO_SETTINGS,
    workers: int = 1,
    scheduler: str | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Evaluate a pack over export files (and/or facts already read) and return the run.

    :param inputs: files or directories (a directory stands for its files).
    :param at: the evaluation date: what rules compare "today" with and exceptions
        expire against. Each case is judged by the pack version in force on its
        order date (on ``at`` when its order has none); a case dated before the
        first version is decided by no rule (every finding ``indeterminate``).
    :param facts: facts read elsewhere, evaluated together with those of ``inputs``.
    :param pack: ``NAME[@VERSION]``, a pack folder, or a loaded
        :class:`~handoff_rules.engine.compiled.Pack`; by default the bundled ``o2c-standard``.
        A version after ``@``, or a loaded pack, judges every case.
    :param pack_version: judge every case under this version of the pack, whatever
        its date (the same as ``NAME@VERSION``).
    :param checkpoints: only these checkpoints (default: every one the pack guards).
    :param exceptions: an exception register (a path its store reads, or a loaded one).
    :param engine: ``"durable"`` or ``"reference"`` (default: durable where it runs).
    :param audit_log: append every final decision to this hash-chained log; use bounds
        of exceptions then count the uses the log already records.
    :param plugin_manager: where adapters, packs, derivers and sinks come from
        (default: the built-in plugin and every installed one).
    :param progress: wraps the long loops to show progress.
    :param strict: a file of an input directory that no adapter recognises is an error
        (by default it is skipped and listed in ``RunResult.skipped``).
    :param settings: what the input files do not say, handed to every adapter that takes
        it: ``ReadSettings(default_currency="USD")`` (``--currency USD``) is the currency
        of amounts whose record states none.
    :param workers: read and evaluate on this many local worker processes.
    :param scheduler: read and evaluate on the workers of the Dask cluster whose
        scheduler is at this address (``tcp://HOST:8786``); needs ``handoff-rules[dask]``
        here and the same plugins on every worker.
    :param executor: read and evaluate with this executor
        (``handoff_rules.distribute``), which the caller may reuse over runs.
        With any of the three, exceptions, the audit log, the sinks and the result
        stay in this process, in case order: the result and the log are the same,
        byte for byte, as in one process.
    :raises NoOrderError: the inputs hold no order, so there is nothing to decide; raised
        before anything is evaluated or logged (a run of no decision must not pass a gate).
    :raises HandoffError: for every problem a user can cause (unreadable input, a bad
        pack or register, a failing plugin); :class:`~handoff_rules.errors.WorkerError`
        for a partition that failed on a worker, naming it.
    """
    pm = plugin_manager or default_plugin_manager()
    versions = resolve_versions(pack, pm, pack_version)
    evaluator_for = Evaluators(engine, pm)
    evaluator = evaluator_for(versions.at(at))  # an engine that cannot run fails before reading
    with ExitStack() as stack:
        pool = stack.enter_context(executor_for(workers, scheduler, executor))
        read = (
            read_files(
                inputs, plugin_manager=pm, strict=strict, progress=progress, settings=settings
            )
            if pool is None
            else read_on(
                pool,
                list_inputs(inputs, installed_adapters(pm)),  # one task per file
                pm,
                strict=strict,
                progress=progress,
                settings=settings,
            )
        )
        given = tuple(facts)
        all_facts = (*read.facts, *given)
        caseset = build_cases((*all_facts, *link_facts(pm, all_facts)), read.rejects)
        freeze_long_lived()  # the facts and cases live to the end of the run
        if not caseset.cases:
            raise NoOrderError(
                Counter(f.type for f in all_facts),
                Counter(r.type or "unknown" for r in read.rejects),
                [(s.source, s.reason) for s in read.skipped],
            )
        chosen = [versions.for_case(case, at) for case in caseset.cases]
        register = _register(exceptions)
        wanted = tuple(Checkpoint(c) for c in checkpoints) if checkpoints else None
        decisions: list[Decision] = []
        used: set[str] = set()
        problems: list[dict[str, Any]] = []
        writer = None
        if audit_log is not None:
            from handoff_rules.audit import AuditLog

            log = AuditLog(Path(audit_log))
            register = (register or ExceptionRegister()).with_ledger(log.use_ledger())
            writer = stack.enter_context(log.session())
        from handoff_rules.policy.waivers import apply_exceptions, unused_exceptions

        evaluated = (
            evaluate_by_version(caseset.cases, chosen, at, evaluator_for, wanted, progress)
            if pool is None
            else evaluate_on(
                pool,
                caseset.cases,
                chosen,
                at,
                engine=evaluator.backend,
                pm=pm,
                checkpoints=wanted,
                progress=progress,
            )
        )
        for case, version, case_decisions in zip(caseset.cases, chosen, evaluated, strict=True):
            loaded = version.pack
            for decision in case_decisions:
                final: Decision = decision
                case_problems: tuple[ExceptionProblem, ...] = ()
                if register is not None:
                    outcome = apply_exceptions(decision, case, loaded, register, at)
                    final, case_problems = outcome.decision, outcome.problems
                    used.update(outcome.used)
                    problems.extend(_problem(p) for p in outcome.problems)
                if writer is not None:
                    assert register is not None  # set together with the writer above
                    writer.append(
                        final,
                        case,
                        loaded,
                        register,
                        engine=evaluator.backend,
                        problems=case_problems,
                    )
                call_sinks(pm, final, case)
                decisions.append(final)
    unused: list[str] = []
    if register is not None and exceptions is not None:
        unused = sorted(r.key for r in unused_exceptions(register, used, at))
    packs = versions_named(chosen) or (versions.at(at),)
    covered = coverage(
        packs[-1],
        SupplyIndex([*read.formats, *_formats_of(given, pm)]),
        decisions,
        plugin_derivers=bool(pm.hook.handoff_rules_derive_facts.get_hookimpls()),
    )
    return RunResult(
        pack=packs[-1],
        packs=packs,
        undated_cases=tuple(
            c.id for c, v in zip(caseset.cases, chosen, strict=True) if v.dated_by is DatedBy.AT
        ),
        pinned=None if versions.pinned is None else versions.pinned.version,
        at=at,
        at_given=at_given,
        engine=evaluator.backend,
        decisions=tuple(decisions),
        cases=len(caseset.cases),
        facts=len(all_facts),
        rejects=len(read.rejects),
        unassigned=len(caseset.unassigned),
        skipped=read.skipped,
        exceptions_file=_register_name(exceptions),
        exceptions_used=tuple(sorted(used)),
        exceptions_unused=tuple(unused),
        exception_problems=tuple(_unique(problems)),
        notice=evaluator.notice,
        coverage=covered,
        case_list=caseset.cases,
        reject_list=read.rejects,
        unassigned_list=caseset.unassigned,
        register=register,
    )


def _formats_of(facts: Iterable[Fact], pm: pluggy.PluginManager) -> list[tuple[str, FormatInfo]]:
    """The formats of the installed adapters that read facts handed in already read."""
    names = {fact.provenance.adapter for fact in facts}
    return [
        (adapter.name, info)
        for adapter in installed_adapters(pm)
        if adapter.name in names
        for info in adapter.formats
    ]


def _spec(pack: str | Path | None) -> str | None:
    return str(pack) if isinstance(pack, Path) else pack


def _register(exceptions: Path | str | ExceptionRegister | None) -> ExceptionRegister | None:
    if exceptions is None or isinstance(exceptions, ExceptionRegister):
        return exceptions
    from handoff_rules.policy.waivers import load_register

    return load_register(exceptions)


def _register_name(exceptions: Path | str | ExceptionRegister | None) -> str | None:
    if exceptions is None:
        return None
    if isinstance(exceptions, ExceptionRegister):
        return "(in memory)"
    return str(exceptions)


def call_sinks(pm: pluggy.PluginManager, decision: Decision, case: Case) -> None:
    """Hand one decision to every sink through the hook, so hook wrappers run too.

    A sink that raises stops the run (a lost decision would be worse) with an
    error naming the plugin whose code raised it.
    """
    try:
        pm.hook.handoff_rules_decision(decision=decision, case=case)
    except Exception as exc:
        plugin = _raising_plugin(pm, exc.__traceback__)
        dist = plugin_distribution(plugin, pm)
        raise DecisionSinkError(
            f"decision sink of plugin {plugin!r} failed on case {decision.case} "
            f"at {decision.checkpoint.value}: {type(exc).__name__}: {exc}"
            + (f" (distribution {dist})" if dist else "")
        ) from exc


def link_facts(pm: pluggy.PluginManager, facts: Sequence[Fact]) -> tuple[Fact, ...]:
    """The facts the ``handoff_rules_link_facts`` plugins add to a run's facts.

    Called through the hook, so hook wrappers run too. A plugin that raises
    stops the run with an error naming the plugin and its distribution; an
    error it reports for the user (a bad options file) stays what it is.
    """
    hook = pm.hook.handoff_rules_link_facts
    try:
        added = [fact for result in hook(facts=facts) for fact in result or ()]
    except HandoffError:
        raise
    except Exception as exc:
        plugin = _raising_plugin(pm, exc.__traceback__, hook)
        dist = plugin_distribution(plugin, pm)
        raise PluginError(
            f"fact linker of plugin {plugin!r} failed: {type(exc).__name__}: {exc}"
            + (f" (distribution {dist})" if dist else "")
        ) from exc
    for fact in added:
        if not isinstance(fact, Fact):
            raise PluginError(f"a handoff_rules_link_facts plugin returned {fact!r}, not a Fact")
    return tuple(added)


def _raising_plugin(
    pm: pluggy.PluginManager, tb: TracebackType | None, hook: pluggy.HookCaller | None = None
) -> str:
    """The plugin whose implementation of ``hook`` (default: the sink) is innermost in ``tb``."""
    caller = hook if hook is not None else pm.hook.handoff_rules_decision
    codes = {
        impl.function.__code__: impl.plugin_name
        for impl in caller.get_hookimpls()
        if hasattr(impl.function, "__code__")
    }
    found = "unknown"
    for frame_code in _frames(tb):
        if frame_code in codes:
            found = codes[frame_code]
    return found


def _frames(tb: TracebackType | None) -> Iterator[CodeType]:
    while tb is not None:
        yield tb.tb_frame.f_code
        tb = tb.tb_next


def _problem(problem: object) -> dict[str, Any]:
    to_dict = getattr(problem, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, dict):
            return result
    return {"message": str(getattr(problem, "message", problem))}


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(json.dumps(item, sort_keys=True), item)
    return [seen[k] for k in sorted(seen)]
