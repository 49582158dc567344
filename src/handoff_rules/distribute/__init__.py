"""Running a check on every core, or on a Dask cluster, with the same bytes out.

:func:`handoff_rules.check` takes ``workers=N`` (local processes),
``scheduler=ADDRESS`` (a running Dask cluster) or an ``executor`` made here
and reused over several runs. Reading and evaluating run on the workers;
exceptions, the audit log, the sinks and the report stay in the calling
process, in the run's own order (:mod:`handoff_rules.distribute.run`).
"""

from __future__ import annotations

from handoff_rules.distribute.executors import DaskExecutor, Executor, LocalPool
from handoff_rules.distribute.plugin_set import PluginSet
from handoff_rules.distribute.run import evaluate_on, executor_for, read_on

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalPool",
    "PluginSet",
    "evaluate_on",
    "executor_for",
    "read_on",
]
