"""Flow: walk-forward validation of any registered strategy over a date range; folds run in parallel as
mapped tasks on the configured task runner (tasks/runners.py: threads, processes or a Dask cluster)."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger, unmapped
from prefect.futures import as_completed

from flows.hooks import FAILURE_HOOKS
from flows.progress import report_progress
from flows.run_names import walk_forward_name
from tasks.blas_threads import one_blas_thread
from tasks.research import (
    load_strategy,
    load_strategy_inputs,
    params_dict,
    prepare_dataset,
    publish_walk_forward,
    run_fold,
    store_walk_forward,
)
from tasks.runners import describe_task_runner, make_task_runner


def run_folds(strategy, folds, dataset, seed: int) -> list:
    """Every fold as one task on the flow's task runner; results in completion order.

    The BLAS limit is taken here, in the flow's thread, for the whole fold stage: OpenBLAS ignores a worker
    thread's limit once the main thread has set one, and two folds then share its pool and sum in an order
    that depends on the race (tasks/blas_threads.py)."""
    with one_blas_thread():
        futures = run_fold.map(unmapped(strategy), folds, unmapped(dataset), unmapped(seed))
        results = []
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            report_progress(result.fold.name, "done")
    return results


@flow(name="walk-forward", flow_run_name=walk_forward_name, task_runner=make_task_runner(), log_prints=True,
      **FAILURE_HOOKS)
def walk_forward(strategy: str, start: dt.date = dt.date(2012, 1, 1), end: dt.date = dt.date(2024, 12, 31),
                 seed: int = 42) -> dict:
    """Quarterly expanding walk-forward over [start, end]; stores the run, its folds and its daily series."""
    logger = get_run_logger()
    model = load_strategy(strategy)
    inputs = load_strategy_inputs(model, end)
    dataset = prepare_dataset(model, inputs)
    folds = model.folds(dataset, start, end)
    logger.info("%s: %d folds from %s to %s on %s", strategy, len(folds), folds[0].name, folds[-1].name,
                describe_task_runner())
    result = model.assemble(run_folds(model, folds, dataset, seed), dataset)
    run_id = store_walk_forward(strategy, start, end, params_dict(model), seed, inputs.fingerprint, result)
    publish_walk_forward(strategy, model.benchmark, result, run_id)
    return {"run_id": run_id, "folds": len(folds), "summary": result.summary, "benchmark": result.benchmark,
            "notes": list(result.notes)}
