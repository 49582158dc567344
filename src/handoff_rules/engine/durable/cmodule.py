"""The C extension ``durable_rules_engine``: the one place that imports and calls it.

Why the C module and not ``durable.engine.Host``: ``Host`` starts two timer
threads per process that may run actions on a foreign thread, re-serialises the
session state after every fired rule, calls ``datetime.utcfromtimestamp``
(a DeprecationWarning on Python 3.12) and runs about half as fast. We need none
of its features: a rule's only effect here is to be reported.

The import is attempted once, on first use, never when this package is
imported: where durable_rules does not build (Python 3.13+), everything else
still imports, :func:`available` says ``False`` and using the engine raises
:class:`DurableUnavailable` pointing to the reference engine. The limits of
the engine's JSON parser, which both the rule and the fact checks enforce,
are kept here beside the calls.
"""

from __future__ import annotations

import functools
import importlib
import sys
from types import ModuleType
from typing import Final

from handoff_rules.errors import DurableUnavailable as DurableUnavailable

#: The engine's parser reads integers with ``atoll``, which saturates beyond int64.
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
# Result codes of assert_fact(s): RULES_OK, ERR_EVENT_NOT_HANDLED, ERR_EVENT_OBSERVED.
HANDLED: Final = 0
NOT_HANDLED: Final = 1


def is_exponent_float(value: float) -> bool:
    """Whether ``json.dumps`` writes ``value`` with an exponent, which the C parser cannot read.

    The parser crashes on it in a fact and fails on it in a rule; ``repr()``,
    which json.dumps uses, writes an exponent exactly when |x| < 1e-4 or >= 1e16.
    """
    return "e" in repr(value)


@functools.cache
def _import_engine() -> ModuleType | ImportError:
    try:
        return importlib.import_module("durable_rules_engine")
    except ImportError as error:
        return error


def available() -> bool:
    """Whether the durable_rules C engine can be imported in this interpreter."""
    return isinstance(_import_engine(), ModuleType)


def engine_module() -> ModuleType:
    """The imported C extension; :class:`DurableUnavailable` with the way out if it is not."""
    engine = _import_engine()
    if isinstance(engine, ImportError):
        version = ".".join(str(part) for part in sys.version_info[:3])
        raise DurableUnavailable(
            f"the durable_rules engine cannot be imported on Python {version} ({engine}); "
            "durable-rules==2.0.28 builds only for Python < 3.13 with gcc and Python headers; "
            "use --engine reference instead"
        )
    return engine


class CEngine:
    """Typed calls into ``durable_rules_engine`` for one ruleset handle."""

    def __init__(self, module: ModuleType, name: str, definition: str) -> None:
        self._module = module
        self.handle = int(module.create_ruleset(name, definition))

    def assert_facts(self, facts: str) -> tuple[int, int]:
        code, state = self._module.assert_facts(self.handle, facts)
        return int(code), int(state)

    def start_action(self, state: int) -> str | None:
        result = self._module.start_action_for_state(self.handle, state)
        return None if result is None else str(result[1])

    def complete_and_start_action(self, state: int) -> str | None:
        result = self._module.complete_and_start_action(self.handle, state)
        return None if result is None else str(result)

    def delete_state(self, sid: str) -> None:
        self._module.delete_state(self.handle, sid)
