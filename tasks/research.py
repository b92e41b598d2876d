"""Tasks of the research flows: load inputs through infra, fit/validate with domain, store through infra."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from domain.errors import InputError
from domain.fingerprint import frame_fingerprint
from domain.promotion import PromotionGates, decide_promotion
from domain.strategies.vol_regime.params import VolRegimeParams
from domain.strategies.vol_regime import strategy as vol_regime
from domain.walk_forward import Fold, FoldResult, make_folds
from infra.db.engine import app_engine
from infra.market_store import load_adjusted_bars, load_option_quotes
from infra.model_store import promoted_model, save_model_run
from infra.research_store import save_walk_forward
from infra.strategy_config import load_strategy_config
from tasks.retry import TRANSIENT

STRATEGIES = ("vol_regime",)
BENCHMARK = "QQQ"


@dataclass(frozen=True)
class StrategyInputs:
    qqq: pd.DataFrame
    spy: pd.DataFrame
    vix: pd.DataFrame
    options: pd.DataFrame | None
    fingerprint: str


def check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")


def strategy_params(strategy: str) -> VolRegimeParams:
    check_strategy(strategy)
    return load_strategy_config("vol_regime", VolRegimeParams)


@task(name="load-strategy-inputs", **TRANSIENT)
def load_strategy_inputs(end: dt.date) -> StrategyInputs:
    return read_strategy_inputs(end)


def read_strategy_inputs(end: dt.date) -> StrategyInputs:
    """QQQ/SPY adjusted bars, ^VIX and QQQ option quotes dated <= end."""
    engine = app_engine()
    qqq, spy, vix = (load_adjusted_bars(engine, s, end) for s in ("QQQ", "SPY", "^VIX"))
    for name, frame in (("QQQ", qqq), ("SPY", spy), ("^VIX", vix)):
        if frame.empty:
            raise InputError(f"no {name} bars in the database up to {end}: load them first (quantops demo / ingest)")
    options = load_option_quotes(engine, "QQQ", end=end)
    options = options if not options.empty else None
    return StrategyInputs(qqq, spy, vix, options, frame_fingerprint(qqq, spy, vix, options))


@task(name="prepare-features")
def prepare_features(inputs: StrategyInputs, params: VolRegimeParams) -> vol_regime.VolRegimeData:
    return vol_regime.prepare_data(inputs.qqq, inputs.spy, inputs.vix, inputs.options, params)


def folds_for(data: vol_regime.VolRegimeData, params: VolRegimeParams, start, end) -> tuple[Fold, ...]:
    wf = params.walk_forward
    return make_folds(data.usable, start, end, min_train_days=wf.min_train_days, validation_days=wf.validation_days,
                      label_horizon=wf.label_horizon, embargo_days=wf.embargo_days, frequency=wf.frequency)


@task(name="walk-forward-fold", task_run_name="fold-{fold.name}")
def run_fold(fold: Fold, data: vol_regime.VolRegimeData, params: VolRegimeParams, seed: int) -> FoldResult:
    return vol_regime.run_fold(fold, data, params, seed)


@task(name="store-walk-forward", **TRANSIENT)
def store_walk_forward(strategy: str, start: dt.date, end: dt.date, params: VolRegimeParams, seed: int,
                       fingerprint: str, result: vol_regime.WalkForwardResult) -> int:
    return save_walk_forward(app_engine(), strategy=strategy, start=start, end=end, params=asdict(params), seed=seed,
                             data_fingerprint=fingerprint, result=result)


def _pct(x: float) -> str:
    return f"{x:.2%}"


def publish_walk_forward(strategy: str, result: vol_regime.WalkForwardResult, run_id: int) -> str:
    s, b = result.summary, result.benchmark
    lines = [
        f"# {strategy} walk-forward (run {run_id})",
        "",
        f"Out of sample {result.daily.index.min():%Y-%m-%d} .. {result.daily.index.max():%Y-%m-%d}, "
        f"{len(result.folds)} folds.",
        "",
        "| | CAGR | max drawdown | Calmar | Sharpe |",
        "|---|---|---|---|---|",
        f"| {strategy} | {_pct(s['cagr'])} | {_pct(s['max_drawdown'])} | {s['calmar']:.2f} | {s['sharpe']:.2f} |",
        f"| buy-and-hold {BENCHMARK} | {_pct(b['cagr'])} | {_pct(b['max_drawdown'])} | {b['calmar']:.2f} | {b['sharpe']:.2f} |",
        "",
        *[f"- {n}" for n in result.notes],
    ]
    markdown = "\n".join(lines)
    create_markdown_artifact(key=f"{strategy.replace('_', '-')}-walk-forward", markdown=markdown,
                             description="walk-forward summary")
    table = fold_table(result)
    create_table_artifact(key=f"{strategy.replace('_', '-')}-folds", table=json.loads(table.to_json(orient="records")),
                          description="per-fold out-of-sample metrics")
    return markdown


def fold_table(result: vol_regime.WalkForwardResult) -> pd.DataFrame:
    columns = ["name", "train_start", "validation_start", "test_start", "test_end", "test_cagr",
               "test_max_drawdown", "test_calmar", "test_sharpe", "bh_cagr"]
    return result.per_fold[[c for c in columns if c in result.per_fold]]


@task(name="fit-final-model")
def fit_final_model(inputs: StrategyInputs, params: VolRegimeParams, as_of: dt.date, seed: int):
    return vol_regime.fit_final(inputs.qqq, inputs.spy, inputs.vix, inputs.options, params, pd.Timestamp(as_of), seed)


@task(name="gate-and-store-model", **TRANSIENT)
def gate_and_store(strategy: str, as_of: dt.date, fitted, params: VolRegimeParams, inputs: StrategyInputs, seed: int,
                   validation: vol_regime.WalkForwardResult, gates: PromotionGates) -> dict:
    engine = app_engine()
    current = promoted_model(engine, strategy, as_of - dt.timedelta(days=1))
    current_calmar = current.metrics.get("validation_calmar") if current else None
    candidate_calmar = float(validation.summary["calmar"])
    decision = decide_promotion(candidate_calmar, current_calmar, gates)
    metrics = {
        **{f"tuning_{k}": v for k, v in fitted.info.items() if isinstance(v, (int, float, str))},
        "validation_calmar": candidate_calmar,
        "validation_cagr": float(validation.summary["cagr"]),
        "validation_max_drawdown": float(validation.summary["max_drawdown"]),
        "validation_sharpe": float(validation.summary["sharpe"]),
        "validation_start": str(validation.daily.index.min().date()),
        "validation_end": str(validation.daily.index.max().date()),
        "forecast_std": float(fitted.forecast_std),
    }
    model_id = save_model_run(
        engine, strategy=strategy, as_of=as_of, train_start=fitted.train_start.date(), train_end=fitted.train_end.date(),
        params={"params": asdict(params), "chosen": fitted.chosen()}, data_fingerprint=inputs.fingerprint, seed=seed,
        metrics=metrics, status="promoted" if decision.promote else "rejected", gate_report=decision.report,
        model=fitted,
    )
    get_run_logger().info("%s model %d as of %s: %s", strategy, model_id, as_of, decision.report)
    return {"model_id": model_id, "promoted": decision.promote, "report": decision.report, "metrics": metrics}
