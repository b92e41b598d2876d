"""The Prefect task runner that parallel work (walk-forward folds, parameter grids) goes through.

Chosen by setting, so the same flow runs on a laptop, on every core of one server, or on a Dask cluster:

- ``QUANTOPS_TASK_RUNNER=threads`` (default): a thread pool, one worker per core (``os.cpu_count()``);
  scikit-learn and LightGBM release the GIL in their heavy loops.
- ``processes``: Prefect's ``ProcessPoolTaskRunner``, one process per core.
- ``dask``: prefect-dask's ``DaskTaskRunner``; with ``QUANTOPS_DASK_ADDRESS=tcp://host:8786`` it connects to
  an existing cluster, without it starts a local one.
``QUANTOPS_TASK_WORKERS`` overrides the worker count of threads/processes.
"""

from __future__ import annotations

import os

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from domain.errors import InputError
from infra.settings import get_settings


def default_workers() -> int:
    return os.cpu_count() or 1


def make_task_runner(kind: str | None = None, *, workers: int | None = None, address: str | None = None) -> TaskRunner:
    """A fresh task runner of ``kind`` (default: settings). Arguments override the settings."""
    settings = get_settings()
    kind = kind or settings.task_runner
    workers = workers or settings.task_workers or default_workers()
    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "processes":
        return ProcessPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner  # imported only when asked for: distributed is heavy

        address = address or settings.dask_address
        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1})
    raise InputError(f"task runner {kind!r}: choose threads, processes or dask")


def describe_task_runner() -> str:
    """One line for logs: which runner the flows of this process use."""
    s = get_settings()
    if s.task_runner == "dask":
        return f"dask ({s.dask_address or 'local cluster'})"
    return f"{s.task_runner} x {s.task_workers or default_workers()}"
