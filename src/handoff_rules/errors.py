"""Every error handoff-rules reports as one line, each with the exit status it ends in.

The command line prints these as ``error: <message>`` and exits with
``exit_code``, never with a traceback unless ``-v`` asks for one. The status
tells a CI job whose fault it is: 2 for the person running it (a wrong file,
a typo in a pack), 3 for the software (a bug, or a plugin that failed).

All of them are defined here, so one ``except HandoffError`` catches every
error a caller can cause, and the tree below is the whole list::

    HandoffError                       2
    ├── UsageError                     2  an option's value
    ├── InputError                     2  a file that cannot be read as a whole
    │   ├── AdapterError               2
    │   │   ├── EncodingError          2
    │   │   └── LineTooLongError       2
    │   ├── NoAdapterError             2
    │   ├── AmbiguousFormatError       2
    │   ├── YamlError                  2
    │   └── RegisterError              2
    ├── NoOrderError                   2  inputs read, but no order among their facts
    ├── AdapterNotFound                2
    ├── PackError                      2
    ├── LockError                      2
    ├── AuditError                     2
    ├── StoreNotAvailable              2
    ├── DecisionDataError              2  a decision read back that the engine could not make
    ├── EngineUnavailable              2
    ├── DurableUnavailable             2  (also RuntimeError)
    ├── DurableCompileError            2  (also ValueError)
    ├── RulesetShapeError              2  (also ValueError)
    ├── RulesetConflictError           2  (also ValueError)
    ├── FactValueError                 2  (also ValueError)
    ├── DurableEvaluationError         2  (also RuntimeError)
    ├── WorkerError                    2 or 3, as the worker's own error
    ├── InvalidValue                   3  (also ValueError)
    │   ├── NumberRangeError           3
    │   ├── MoneyError                 3
    │   ├── ModelDataError             3
    │   ├── ValueParseError            3
    │   ├── FlattenError               3
    │   └── RuleIRError                3
    └── InternalError                  3
        └── PluginError                3
            ├── PluginLoadError        3
            │   └── DuplicateAdapterError  3
            └── DecisionSinkError      3

Errors that existing code catches as ``ValueError`` or ``RuntimeError`` (attrs
validators, cattrs, an adapter's ``except ValueError`` that makes a reject) are
both, so giving them a common base changed no ``except`` clause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

#: Exit statuses of every ``handoff-rules`` command; ``docs/reference/exit-status.rst``.
EXIT_OK: Final = 0
EXIT_BLOCK: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERNAL: Final = 3
EXIT_INTERRUPTED: Final = 130
EXIT_OUTPUT_CLOSED: Final = 141

__all__ = [
    "EXIT_BLOCK",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT_CLOSED",
    "EXIT_USAGE",
    "AdapterError",
    "AdapterNotFound",
    "AmbiguousFormatError",
    "AuditError",
    "DecisionDataError",
    "DecisionSinkError",
    "DuplicateAdapterError",
    "DurableCompileError",
    "DurableEvaluationError",
    "DurableUnavailable",
    "EncodingError",
    "EngineUnavailable",
    "FactValueError",
    "FlattenError",
    "HandoffError",
    "InputError",
    "InternalError",
    "InvalidValue",
    "LineTooLongError",
    "LockError",
    "ModelDataError",
    "MoneyError",
    "NoAdapterError",
    "NoOrderError",
    "NumberRangeError",
    "PackError",
    "PluginError",
    "PluginLoadError",
    "RegisterError",
    "RuleIRError",
    "RulesetConflictError",
    "RulesetShapeError",
    "StoreNotAvailable",
    "UsageError",
    "ValueParseError",
    "WorkerError",
    "YamlError",
]


class HandoffError(Exception):
    """Base of every error meant for the person running handoff-rules.

    Raised only through its subclasses. A command prints it as ``error: <message>``
    and exits with ``exit_code``: exit 2 unless a subclass says otherwise.
    """

    exit_code: int = EXIT_USAGE


# --- the user's: exit 2 ------------------------------------------------------------


class UsageError(HandoffError):
    """A command-line value that is not what the option expects (``--within 3x``). Exit 2."""


class InputError(HandoffError):
    """An input file that cannot be read as a whole (not found, unknown format, malformed).

    ``location`` is the line or segment where reading stopped, when known. Exit 2.
    """

    def __init__(self, source: str, message: str, location: str | None = None) -> None:
        self.source = source
        self.location = location
        self.message = message
        where = f"{source}:{location}" if location else source
        super().__init__(f"{where}: {message}")


class AdapterError(InputError):
    """A file an adapter cannot read on: malformed, truncated, refused (DTD, entity bomb).

    Raised by adapters, the core's and plugins' alike: the file's fault, so exit 2.
    """


class EncodingError(AdapterError):
    """Bytes that are not text in the detected or requested encoding. Exit 2."""


class LineTooLongError(AdapterError):
    """A line longer than the text stream's limit, met by a reader that cannot skip it. Exit 2."""


class NoAdapterError(InputError):
    """No installed adapter recognises a file. Exit 2."""


class AmbiguousFormatError(InputError):
    """Two adapters claim a file with the same confidence. Exit 2."""


class YamlError(InputError):
    """A YAML file that cannot be read safely, with its line when known. Exit 2."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(source, message, None if line is None else f"line {line}")


class RegisterError(InputError):
    """An exception register that cannot be read: names file, line and what was expected.

    Exit 2.
    """


class NoOrderError(HandoffError):
    """Inputs that hold no order, so there is no case to decide. Exit 2.

    Decisions are made per order: without one a run makes no decision, and
    "no decision blocks" is what a CI gate reads as passed. An export of the
    wrong object, a folder of the wrong system, or an orders file whose every
    row was rejected must fail the gate, so the message says what was read
    instead: the fact types, the rejected records and the skipped files.
    """

    def __init__(
        self,
        facts: Mapping[str, int],
        rejected: Mapping[str, int],
        skipped: Sequence[tuple[str, str]] = (),
    ) -> None:
        #: Facts read, per fact type.
        self.facts = dict(sorted(facts.items()))
        #: Records rejected, per fact type they would have become (``unknown``: not said).
        self.rejected = dict(sorted(rejected.items()))
        #: Files of input folders that no adapter recognises: (file, reason).
        self.skipped = tuple(skipped)
        total = sum(self.facts.values())
        text = f"no order in these inputs: {total} {_plural(total, 'fact')} read"
        if total:
            text += f" (types {', '.join(sorted(self.facts))}), none of them an order"
        parts = [text]
        rejects = sum(self.rejected.values())
        if rejects:
            types = ", ".join(sorted(self.rejected))
            parts.append(f"{rejects} {_plural(rejects, 'record')} rejected (types {types})")
        if self.skipped:
            files = ", ".join(file for file, _reason in self.skipped)
            count = len(self.skipped)
            parts.append(
                f"{count} {_plural(count, 'file')} skipped, no adapter recognises: {files}"
            )
        super().__init__("; ".join(parts))


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


class AdapterNotFound(HandoffError):
    """``--adapter NAME`` names no installed adapter. Exit 2."""


class PackError(HandoffError):
    """A pack (or pack test) that is not valid: ``file:line: what was wrong, what was expected``.

    Exit 2.
    """


class LockError(HandoffError):
    """A lock file that cannot be read or written. Exit 2."""


class AuditError(HandoffError):
    """An audit log that cannot be read or written. Exit 2."""


class StoreNotAvailable(HandoffError):
    """A plugin-provided store that returned something else than an ExceptionStore. Exit 2."""


class DecisionDataError(HandoffError):
    """A decision read back from JSON that is not one the engine could have made.

    A decision is replayed and acted on, so one that is malformed (a missing
    field, an unknown outcome) or inconsistent (``allow`` next to a failing
    blocking finding, a waiver without its exception) is refused with the
    path of the first problem rather than taken at its word. Exit 2.
    """


class EngineUnavailable(HandoffError):
    """The durable backend was asked for where it cannot run. Exit 2."""


class DurableUnavailable(HandoffError, RuntimeError):
    """durable_rules cannot be imported here, typically on Python 3.13+ or without a build.

    Exit 2: ``--engine reference`` runs anywhere.
    """


class DurableCompileError(HandoffError, ValueError):
    """A pack rule that cannot be evaluated safely by durable_rules.

    The message names the rule. Such a rule can still be evaluated with
    ``--engine reference``, or rewritten to read a derived fact. Exit 2.
    """

    def __init__(self, ruleset: str, rule: str | None, reason: str) -> None:
        self.ruleset = ruleset
        self.rule = rule
        self.reason = reason
        where = f"pack {ruleset!r}" + (f", rule {rule!r}" if rule is not None else "")
        super().__init__(f"{where}: cannot run on the durable engine: {reason}")


class RulesetShapeError(HandoffError, ValueError):
    """A rule the driver refuses because durable_rules would crash on it or evaluate it wrongly.

    Exit 2.
    """

    def __init__(self, ruleset: str, rule: str | None, reason: str) -> None:
        self.ruleset = ruleset
        self.rule = rule
        self.reason = reason
        where = f"ruleset {ruleset!r}" + (f", rule {rule!r}" if rule is not None else "")
        super().__init__(f"{where}: {reason}")


class RulesetConflictError(HandoffError, ValueError):
    """A ruleset name already registered in this process with different rules.

    The C engine cannot replace or re-register a ruleset, and a versioned name
    must mean one set of rules: publish changed rules under a new version. Exit 2.
    """


class FactValueError(HandoffError, ValueError):
    """A fact, or a value in it, that must not reach the C engine. Exit 2."""

    def __init__(
        self,
        index: int | None,
        key: str | None,
        value: object,
        reason: str,
        case: int | None = None,
    ) -> None:
        self.index = index
        self.key = key
        self.value = value
        self.reason = reason
        self.case = case
        where = "facts" if index is None else f"fact {index}"
        if case is not None:
            where = f"case {case}, {where}"
        if key is not None:
            where += f", key {key!r}"
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{where}: {reason} (value {shown})")


class DurableEvaluationError(HandoffError, RuntimeError):
    """The engine failed during one evaluation; raised after its session was cleaned up.

    Exit 2.
    """


class WorkerError(HandoffError):
    """A partition of a run on several processes or a Dask cluster failed on its worker.

    The message names the partition (the file, or the range of cases) and the
    worker, then the worker's own one-line error; the exit status is that
    error's: 2 when the input is at fault, 3 for a plugin or handoff-rules
    itself (a worker that died included). One error for the whole run: the
    failing partition first in the run's order, so the same inputs fail with
    the same message however the partitions were scheduled. Exit 2 (an input
    file), or exit 3 (a plugin, handoff-rules itself, a worker that died).
    """

    def __init__(self, message: str, exit_code: int = 3) -> None:
        super().__init__(message, exit_code)
        self.exit_code = exit_code

    def __str__(self) -> str:
        return str(self.args[0])


# --- a value refused: the caller's to handle, else exit 3 --------------------------


class InvalidValue(HandoffError, ValueError):
    """A value the model or a parser refuses; the message says which bound or form it breaks.

    Whoever passes the value is meant to handle it: an adapter makes the record
    a counted reject, the pack loader a :class:`~handoff_rules.errors.PackError`
    with its line. One that reaches a command was not handled, so it is a bug of whoever passed
    the value: exit 3, blamed on the plugin whose code is in the traceback
    (``error: plugin 'NAME' (distribution D V) failed in HOOK: ...``), else
    ``internal error: ...``. It is a ``ValueError`` too, which attrs validators,
    cattrs and every ``except ValueError`` that makes a reject rely on.
    """

    exit_code = EXIT_INTERNAL


class NumberRangeError(InvalidValue):
    """A number the rule engines cannot compare exactly; the message says which bound it breaks.

    Exit 3 when unhandled (see :class:`~handoff_rules.errors.InvalidValue`).
    """


class MoneyError(InvalidValue):
    """An amount or currency that cannot be money (float, unknown code, too many decimals).

    Exit 3 when unhandled (see :class:`~handoff_rules.errors.InvalidValue`).
    """


class ModelDataError(InvalidValue):
    """A dict that does not describe a valid model object; the message lists every problem.

    Also a derived value key no rule could name (``"Bad-Key"``), refused when
    the :class:`~handoff_rules.model.Derived` fact is made. Exit 3 when
    unhandled (see :class:`~handoff_rules.errors.InvalidValue`).
    """


class ValueParseError(InvalidValue):
    """A cell that does not hold a value of the expected kind; the message says what was.

    An adapter makes it a reject; exit 3 when unhandled (see
    :class:`~handoff_rules.errors.InvalidValue`).
    """


class FlattenError(InvalidValue):
    """A value that has no flat form (a derived value of an unsupported type, a bad key).

    Exit 3 when unhandled (see :class:`~handoff_rules.errors.InvalidValue`).
    """


class RuleIRError(InvalidValue):
    """An IR object that breaks the rule IR's contract: a compiler bug, not a user mistake.

    The pack loader turns one met while compiling a pack into a
    :class:`~handoff_rules.errors.PackError` with the rule's line; anywhere else,
    exit 3 (see :class:`~handoff_rules.errors.InvalidValue`).
    """


# --- the software's: exit 3 --------------------------------------------------------


class InternalError(HandoffError):
    """A failure that is not the user's doing: a bug, not a wrong input.

    Exit 3, so a CI job can tell "the software broke" from "something
    blocks" (1) and "the input is wrong" (2).
    """

    exit_code = EXIT_INTERNAL


class PluginError(InternalError):
    """An installed plugin failed; the message names the plugin and its distribution.

    Whoever reads the message can report the failure to the right people: the
    plugin's authors, not handoff-rules' nor the author of the input file. Exit 3.
    """


class PluginLoadError(PluginError):
    """An installed plugin that fails to import or to register; names the plugin. Exit 3."""


class DuplicateAdapterError(PluginLoadError):
    """Two plugins provide adapters with the same name. Exit 3."""


class DecisionSinkError(PluginError):
    """A plugin's decision sink failed: the run stops rather than lose decisions. Exit 3."""
