"""Flow: the quarterly retrain. Fit on everything <= as_of, validate walk-forward over the last quarters,
store the model with its provenance, and promote it only if it passes its gates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from domain.calendar import first_session_after_quarter_end, is_session, previous_session
from domain.promotion import PromotionGates
from domain.strategies.vol_regime import strategy as vol_regime
from infra.strategy_config import load_strategy_config
from flows.daily import resolve_as_of
from flows.run_names import retrain_name
from flows.walk_forward import FOLD_WORKERS, run_folds
from tasks.research import (
    fit_final_model,
    folds_for,
    gate_and_store,
    load_strategy_inputs,
    prepare_features,
    store_walk_forward,
    strategy_params,
)


def validation_window(as_of: dt.date, quarters: int) -> tuple[dt.date, dt.date]:
    """The last `quarters` complete calendar quarters before the one containing `as_of`."""
    current = pd.Period(as_of, freq="Q")
    return (current - quarters).start_time.date(), (current - 1).end_time.date()


@flow(name="retrain", flow_run_name=retrain_name, task_runner=ThreadPoolTaskRunner(max_workers=FOLD_WORKERS), log_prints=True)
def retrain(strategy: str = "vol_regime", as_of: dt.date | None = None, seed: int = 42,
            only_on_quarter_start: bool = False) -> dict:
    """`only_on_quarter_start` (set by the quarterly schedule) skips every day but a quarter's first session."""
    logger = get_run_logger()
    day = resolve_as_of(as_of)
    if not is_session(day):
        day = previous_session(day)
    if only_on_quarter_start and not first_session_after_quarter_end(day):
        logger.info("%s is not the first session of a quarter: skipped", day)
        return {"as_of": str(day), "status": "skipped"}
    params = strategy_params(strategy)
    gates = load_strategy_config("promotion", PromotionGates)
    inputs = load_strategy_inputs(day)
    data = prepare_features(inputs, params)
    start, end = validation_window(day, gates.validation_quarters)
    folds = folds_for(data, params, start, end)
    validation = vol_regime.assemble(run_folds(folds, data, params, seed), data, params)
    store_walk_forward(strategy, start, end, params, seed, inputs.fingerprint, validation)
    fitted = fit_final_model(inputs, params, day, seed)
    outcome = gate_and_store(strategy, day, fitted, params, inputs, seed, validation, gates)
    m = outcome["metrics"]
    create_markdown_artifact(
        key=f"{strategy.replace('_', '-')}-retrain",
        markdown=(f"# {strategy} retrain {day}\n\nModel {outcome['model_id']}: **{outcome['report']}**\n\n"
                  f"Trained {fitted.train_start:%Y-%m-%d} .. {fitted.train_end:%Y-%m-%d}; walk-forward validation "
                  f"{m['validation_start']} .. {m['validation_end']}: Calmar {m['validation_calmar']:.2f}, "
                  f"CAGR {m['validation_cagr']:.2%}, max drawdown {m['validation_max_drawdown']:.2%}, "
                  f"Sharpe {m['validation_sharpe']:.2f}.\n"),
        description="retrain outcome",
    )
    return {"as_of": str(day), "status": "promoted" if outcome["promoted"] else "rejected", **outcome}
