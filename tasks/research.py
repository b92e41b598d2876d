"""Tasks of the research flows, for any registered strategy: load its inputs through infra, prepare, run
folds, fit with the strategy's own methods, store through infra. No strategy is named here."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, is_dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from domain.promotion import PromotionGates, decide_on_own_gates, decide_promotion
from domain.strategies.base import Inputs, Strategy
from domain.walk_forward import Fold, FoldResult
from infra.db.engine import app_engine
from infra.model_store import model_with_fingerprint, promoted_model, save_model_run
from infra.research_store import save_walk_forward
from infra.strategy_inputs import read_inputs
from infra.strategy_registry import build_strategy
from tasks.blas_threads import one_blas_thread
from tasks.retry import TRANSIENT

# Skill and overfitting figures a strategy's walk-forward summary may carry (vol_regime's do, issue 14).
SKILL_KEYS = ("ic_spearman", "ic_pearson", "forecast_hit_rate", "base_rate")
OVERFITTING_KEYS = ("deflated_sharpe", "pbo")
BETA_MATCHED_KEYS = ("beta_matched_cagr", "beta_matched_max_drawdown", "beta_matched_calmar", "beta_matched_sharpe")


def load_strategy(name: str) -> Strategy:
    """The registered strategy ``name`` with its configured parameters (unknown name: one InputError line)."""
    return build_strategy(name)


def params_dict(strategy: Strategy) -> dict:
    return asdict(strategy.params) if is_dataclass(strategy.params) else dict(vars(strategy.params))


@task(name="load-strategy-inputs", task_run_name="load-inputs-{strategy.name}", **TRANSIENT)
def load_strategy_inputs(strategy: Strategy, end: dt.date, start: dt.date | None = None) -> Inputs:
    return read_inputs(app_engine(), strategy.needs, end, start)


@task(name="prepare-dataset", task_run_name="prepare-{strategy.name}")
def prepare_dataset(strategy: Strategy, inputs: Inputs):
    return strategy.prepare(inputs)


@task(name="walk-forward-fold", task_run_name="fold-{fold.name}")
def run_fold(strategy: Strategy, fold: Fold, dataset, seed: int) -> FoldResult:
    # one BLAS/OpenMP thread per fold: the task runner already runs a fold per core
    with one_blas_thread():
        return strategy.run_fold(fold, dataset, seed)


@task(name="store-walk-forward", **TRANSIENT)
def store_walk_forward(name: str, start: dt.date, end: dt.date, params: dict, seed: int, fingerprint: str,
                       result) -> int:
    return save_walk_forward(app_engine(), strategy=name, start=start, end=end, params=params, seed=seed,
                             data_fingerprint=fingerprint, result=result)


def _pct(x: float) -> str:
    return f"{x:.2%}"


def publish_walk_forward(name: str, benchmark: str, result, run_id: int) -> str:
    """The walk-forward summary and per-fold table as Prefect artifacts (keys ``<name>-walk-forward``/``-folds``)."""
    s, b = result.summary, result.benchmark
    lines = [
        f"# {name} walk-forward (run {run_id})",
        "",
        f"Out of sample {result.daily.index.min():%Y-%m-%d} .. {result.daily.index.max():%Y-%m-%d}, "
        f"{len(result.folds)} folds.",
        "",
        "| | CAGR | max drawdown | Calmar | Sharpe |",
        "|---|---|---|---|---|",
        f"| {name} | {_pct(s['cagr'])} | {_pct(s['max_drawdown'])} | {s['calmar']:.2f} | {s['sharpe']:.2f} |",
        f"| {benchmark} | {_pct(b['cagr'])} | {_pct(b['max_drawdown'])} | {b['calmar']:.2f} | {b['sharpe']:.2f} |",
        *([f"| beta-matched (constant {s['mean_exposure']:.3f}) | {_pct(s['beta_matched_cagr'])} | "
           f"{_pct(s['beta_matched_max_drawdown'])} | {s['beta_matched_calmar']:.2f} | {s['beta_matched_sharpe']:.2f} |"]
          if all(k in s for k in BETA_MATCHED_KEYS) else []),
        "",
        *([skill_line(s)] if all(k in s for k in SKILL_KEYS + OVERFITTING_KEYS) else []),
        "",
        *[f"- {n}" for n in result.notes],
    ]
    markdown = "\n".join(lines)
    key = name.replace("_", "-")
    create_markdown_artifact(key=f"{key}-walk-forward", markdown=markdown, description="walk-forward summary")
    table = fold_table(result)
    create_table_artifact(key=f"{key}-folds", table=json.loads(table.to_json(orient="records")),
                          description="per-fold out-of-sample metrics")
    return markdown


def skill_line(s: dict) -> str:
    """Forecast skill and overfitting in one line (the keys of SKILL_KEYS and OVERFITTING_KEYS)."""
    return (f"Forecast IC {s['ic_spearman']:.3f} (Spearman), {s['ic_pearson']:.3f} (Pearson); sign hit rate "
            f"{s['forecast_hit_rate']:.1%} against a base rate of {s['base_rate']:.1%}; deflated Sharpe "
            f"{s['deflated_sharpe']:.3f}; probability of backtest overfitting {s['pbo']:.2f}.")


def fold_table(result) -> pd.DataFrame:
    columns = ["name", "train_start", "validation_start", "test_start", "test_end", "test_cagr",
               "test_max_drawdown", "test_calmar", "test_sharpe", "bh_cagr", "test_ic_spearman",
               "test_forecast_hit_rate", "test_base_rate", "test_bm_calmar", "validation_dsr", "validation_pbo"]
    return result.per_fold[[c for c in columns if c in result.per_fold]]


@task(name="fit-final-model", task_run_name="fit-{strategy.name}")
def fit_final_model(strategy: Strategy, dataset, as_of: dt.date, seed: int):
    return strategy.fit(dataset, pd.Timestamp(as_of), seed)


def store_fitted(name: str, strategy: Strategy, as_of: dt.date, fitted, fingerprint: str, seed: int, validation,
                 gates: PromotionGates | None) -> dict:
    """Store the fitted model with its provenance and promote it if it passes its gates (see ``gate_and_store``).

    ``validation`` None (a strategy without a walk-forward, ``Strategy.walk_forward`` False): the strategy's
    own gates decide alone, and a model fitted on the same data (fingerprint) with the same parameters is the
    same version: the stored one is returned, nothing is written. Plain function: the CLI calls it too."""
    engine = app_engine()
    fit = strategy.describe_fit(fitted)
    params = {"params": params_dict(strategy), "chosen": fit["chosen"]}
    failed = strategy.vet(fitted, validation)  # before storing: a strategy may record its gates on the model
    info = {f"tuning_{k}": v for k, v in fit["info"].items() if isinstance(v, (int, float, str))}
    if validation is None:
        same = model_with_fingerprint(engine, name, fingerprint, params)
        if same is not None:
            return {"model_id": same.id, "promoted": same.status in ("promoted", "retired"), "report": same.gate_report,
                    "metrics": same.metrics, "train_start": str(same.train_start), "train_end": str(same.train_end),
                    "fingerprint": same.data_fingerprint, "reused": True}
        decision = decide_on_own_gates(failed)
        metrics = info
    else:
        current = promoted_model(engine, name, as_of - dt.timedelta(days=1))
        current_calmar = current.metrics.get("validation_calmar") if current else None
        candidate_calmar = float(validation.summary["calmar"])
        dsr, pbo = validation.summary.get("deflated_sharpe"), validation.summary.get("pbo")
        decision = decide_promotion(candidate_calmar, current_calmar, gates, deflated_sharpe=dsr, pbo=pbo,
                                    failed_strategy_gates=failed)
        metrics = {
            **info,
            "validation_calmar": candidate_calmar,
            "validation_cagr": float(validation.summary["cagr"]),
            "validation_max_drawdown": float(validation.summary["max_drawdown"]),
            "validation_sharpe": float(validation.summary["sharpe"]),
            **{f"validation_{k}": float(validation.summary[k]) for k in OVERFITTING_KEYS if k in validation.summary},
            "validation_start": str(validation.daily.index.min().date()),
            "validation_end": str(validation.daily.index.max().date()),
        }
    model_id = save_model_run(
        engine, strategy=name, as_of=as_of, train_start=fit["train_start"].date(), train_end=fit["train_end"].date(),
        params=params, data_fingerprint=fingerprint, seed=seed, metrics=metrics,
        status="promoted" if decision.promote else "rejected", gate_report=decision.report, model=fitted,
    )
    return {"model_id": model_id, "promoted": decision.promote, "report": decision.report, "metrics": metrics,
            "train_start": str(fit["train_start"].date()), "train_end": str(fit["train_end"].date()),
            "fingerprint": fingerprint, "reused": False}


@task(name="gate-and-store-model", **TRANSIENT)
def gate_and_store(name: str, strategy: Strategy, as_of: dt.date, fitted, fingerprint: str, seed: int, validation,
                   gates: PromotionGates) -> dict:
    """Store the fitted model with its provenance; promote it only if its walk-forward validation passes the
    generic promotion gates and the strategy's own acceptance gates (``Strategy.vet``)."""
    outcome = store_fitted(name, strategy, as_of, fitted, fingerprint, seed, validation, gates)
    get_run_logger().info("%s model %d as of %s: %s%s", name, outcome["model_id"], as_of, outcome["report"],
                          " (same data and parameters as this stored version)" if outcome["reused"] else "")
    return outcome
