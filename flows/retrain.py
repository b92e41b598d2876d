"""Flow: the quarterly retrain of one registered strategy. Fit on everything <= as_of, validate walk-forward
over the last quarters, store the model with its provenance, and promote it only if it passes its gates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from domain.calendar import first_session_after_quarter_end, is_session, previous_session
from domain.promotion import PromotionGates
from infra.strategy_config import load_strategy_config
from flows.daily import resolve_as_of
from flows.hooks import FAILURE_HOOKS
from flows.run_names import retrain_name
from flows.walk_forward import run_folds
from tasks.research import (
    fit_final_model,
    gate_and_store,
    load_strategy,
    load_strategy_inputs,
    params_dict,
    prepare_dataset,
    store_walk_forward,
)
from tasks.runners import make_task_runner


def validation_window(as_of: dt.date, quarters: int) -> tuple[dt.date, dt.date]:
    """The last `quarters` complete calendar quarters before the one containing `as_of`."""
    current = pd.Period(as_of, freq="Q")
    return (current - quarters).start_time.date(), (current - 1).end_time.date()


def outcome_line(outcome: dict) -> str:
    """The validation figures of a retrain outcome in one line (or the fit's figures and data fingerprint, for
    a strategy without a walk-forward: its version is the data it was fitted on)."""
    m = outcome["metrics"]
    if "validation_calmar" in m:
        return (f"walk-forward validation {m['validation_start']} .. {m['validation_end']}: Calmar "
                f"{m['validation_calmar']:.2f}, CAGR {m['validation_cagr']:.2%}, max drawdown "
                f"{m['validation_max_drawdown']:.2%}, Sharpe {m['validation_sharpe']:.2f}.")
    figures = ", ".join(f"{k.removeprefix('tuning_')} {v:.4g}" if isinstance(v, float) else f"{k.removeprefix('tuning_')} {v}"
                        for k, v in m.items())
    same = " (same data and parameters as the stored version: nothing new written)" if outcome.get("reused") else ""
    return f"no walk-forward; fit: {figures}; data fingerprint {outcome.get('fingerprint', '')[:12]}{same}."


@flow(name="retrain", flow_run_name=retrain_name, task_runner=make_task_runner(), log_prints=True, **FAILURE_HOOKS)
def retrain(strategy: str, as_of: dt.date | None = None, seed: int = 42, only_on_quarter_start: bool = False) -> dict:
    """`only_on_quarter_start` (set by the quarterly schedule) skips every day but a quarter's first session."""
    logger = get_run_logger()
    day = resolve_as_of(as_of)
    if not is_session(day):
        day = previous_session(day)
    if only_on_quarter_start and not first_session_after_quarter_end(day):
        logger.info("%s is not the first session of a quarter: skipped", day)
        return {"as_of": str(day), "status": "skipped"}
    model = load_strategy(strategy)
    gates = load_strategy_config("promotion", PromotionGates)
    inputs = load_strategy_inputs(model, day)
    dataset = prepare_dataset(model, inputs)
    validation = None
    if model.walk_forward:
        start, end = validation_window(day, gates.validation_quarters)
        folds = model.folds(dataset, start, end)
        validation = model.assemble(run_folds(model, folds, dataset, seed), dataset)
        store_walk_forward(strategy, start, end, params_dict(model), seed, inputs.fingerprint, validation)
    fitted = fit_final_model(model, dataset, day, seed)
    outcome = gate_and_store(strategy, model, day, fitted, inputs.fingerprint, seed, validation, gates)
    outcome["summary"] = outcome_line(outcome)
    create_markdown_artifact(
        key=f"{strategy.replace('_', '-')}-retrain",
        markdown=(f"# {strategy} retrain {day}\n\nModel {outcome['model_id']}: **{outcome['report']}**\n\n"
                  f"Trained {outcome['train_start']} .. {outcome['train_end']}; {outcome['summary']}\n"),
        description="retrain outcome",
    )
    return {"as_of": str(day), "strategy": strategy, "status": "promoted" if outcome["promoted"] else "rejected",
            **outcome}
