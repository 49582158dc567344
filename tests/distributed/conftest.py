"""Worker pools and a Dask cluster on 127.0.0.1, started once per test module.

Stopped when the module's tests end: a cluster's scheduler runs threads in
this process, and left running it would allocate during the tests that
follow (a memory test traces every thread).

This folder is on the import path (``pythonpath`` in pyproject.toml) before
any worker starts, and spawned workers inherit the path: so workers can
import the test plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handoff_rules.distribute import DaskExecutor, LocalPool


@pytest.fixture(scope="module")
def pool() -> Iterator[LocalPool]:
    """Two local processes, one case per evaluation partition."""
    with LocalPool(2, cases_per_partition=1) as made:
        yield made


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a Dask cluster of two worker processes, stopped after the tests."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield str(cluster.scheduler_address)


@pytest.fixture(scope="module")
def cluster_executor(scheduler: str) -> Iterator[DaskExecutor]:
    """A client of that cluster with one case per partition, closed before the cluster stops.

    A client left open after its scheduler stopped keeps trying to reconnect
    from a thread of this process, drawing on the global random state.
    """
    executor = DaskExecutor(scheduler, cases_per_partition=1)
    try:
        yield executor
    finally:
        executor.close()
