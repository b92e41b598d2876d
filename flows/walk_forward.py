"""Flow: walk-forward validation of a strategy over a date range; folds run in parallel as mapped tasks."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger, unmapped
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from domain.strategies.vol_regime import strategy as vol_regime
from flows.progress import report_progress
from flows.run_names import walk_forward_name
from tasks.research import (
    folds_for,
    load_strategy_inputs,
    prepare_features,
    publish_walk_forward,
    run_fold,
    store_walk_forward,
    strategy_params,
)

FOLD_WORKERS = 2  # the machine's cores; sklearn releases the GIL in tree building and BLAS


def run_folds(folds, data, params, seed: int) -> list:
    futures = run_fold.map(folds, data=unmapped(data), params=unmapped(params), seed=unmapped(seed))
    results = []
    for future in as_completed(futures):
        result = future.result()
        results.append(result)
        report_progress(result.fold.name, "done")
    return results


@flow(name="walk-forward", flow_run_name=walk_forward_name, task_runner=ThreadPoolTaskRunner(max_workers=FOLD_WORKERS), log_prints=True)
def walk_forward(strategy: str = "vol_regime", start: dt.date = dt.date(2012, 1, 1),
                 end: dt.date = dt.date(2024, 12, 31), seed: int = 42) -> dict:
    """Quarterly expanding walk-forward over [start, end]; stores the run, its folds and its daily series."""
    logger = get_run_logger()
    params = strategy_params(strategy)
    inputs = load_strategy_inputs(end)
    data = prepare_features(inputs, params)
    folds = folds_for(data, params, start, end)
    logger.info("%s: %d folds from %s to %s", strategy, len(folds), folds[0].name, folds[-1].name)
    result = vol_regime.assemble(run_folds(folds, data, params, seed), data, params)
    run_id = store_walk_forward(strategy, start, end, params, seed, inputs.fingerprint, result)
    publish_walk_forward(strategy, result, run_id)
    return {"run_id": run_id, "folds": len(folds), "summary": result.summary, "benchmark": result.benchmark,
            "notes": list(result.notes)}
