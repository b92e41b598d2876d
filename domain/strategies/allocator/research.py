"""The allocator's out-of-sample research result: nested walk-forward run, stitched policy backtest against
the baseline and each leg, fold log, calibration reliability, overfitting controls and acceptance gates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from domain.strategies.allocator.controls import (
    check_gates,
    deflated_sharpe_of,
    failed_gates,
    importance_stability,
)
from domain.strategies.allocator.dataset import AllocatorData
from domain.strategies.allocator.nested import (
    anchor_seed,
    outer_folds,
    run_fold,
    search_anchor,
    search_for,
)
from domain.strategies.allocator.params import AllocatorParams
from domain.strategies.allocator.envelope import apply_envelope
from domain.strategies.allocator.policy import allocation_returns, fold_metrics
from domain.walk_forward import Fold, FoldResult, stitch


@dataclass(frozen=True)
class AllocatorResult:
    """``daily``: stitched out-of-sample frame (w_raw, w = ``exposure`` to the QQQ leg, net_return of the
    model, baseline_return = ``benchmark_return``, qqq_leg_return, spy_leg_return, probabilities, fold).
    ``per_fold``: the fold log (``test_*`` model and ``bh_*`` baseline metrics per test quarter, chosen
    configuration, calibration, search diagnostics). ``series``: series name (allocator, baseline, qqq_leg,
    spy_leg) -> fold_metrics over the whole period; ``summary`` / ``benchmark``: the allocator's and the
    baseline's (the names the generic research flows read). ``gates``: gate -> {passed, value, threshold}."""

    folds: tuple[Fold, ...]
    per_fold: pd.DataFrame
    daily: pd.DataFrame
    series: dict[str, dict[str, float]]
    gates: dict[str, dict]
    importance: pd.DataFrame
    stability: dict[str, float]
    reliability: pd.DataFrame
    deflated_sharpe: dict[str, float]
    monotonic: pd.DataFrame
    leg_kind: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> dict[str, float]:
        return self.series["allocator"]

    @property
    def benchmark(self) -> dict[str, float]:
        return self.series["baseline"]

    @property
    def passed(self) -> bool:
        return not failed_gates(self.gates)

    @property
    def failed(self) -> list[str]:
        return failed_gates(self.gates)


def reliability_table(proba: np.ndarray, labels: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Reliability diagram data over every (day, bucket) pair: mean predicted probability and observed
    frequency per probability bin."""
    known = np.isfinite(labels)
    p = proba[known]
    y = labels[known].astype(int)
    hit = np.zeros_like(p)
    hit[np.arange(len(y)), y] = 1.0
    pf, hf = p.ravel(), hit.ravel()
    which = np.minimum((pf * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        m = which == b
        if m.any():
            rows.append({"bin": b, "mean_predicted": float(pf[m].mean()), "observed": float(hf[m].mean()),
                         "count": int(m.sum())})
    return pd.DataFrame(rows)


def run_walk_forward(data: AllocatorData, params: AllocatorParams, start, end, seed: int = 0,
                     map_fn: Callable[[Callable, Iterable], Iterable] = map) -> AllocatorResult:
    """Nested walk-forward over [start, end]: one inner search per anchor (``search.retune_every`` folds),
    then every outer fold; ``map_fn`` runs each stage (builtin map, or an executor's / task runner's)."""
    folds = outer_folds(data, params, start, end)
    anchors = {f.index: search_anchor(f, data, params) for f in folds}
    unique = sorted({a.test_start: a for a in anchors.values()}.items())
    searched = dict(zip([d for d, _ in unique],
                        map_fn(partial(_search_anchor, data=data, params=params, seed=seed), [a for _, a in unique])))
    jobs = [(f, searched[anchors[f.index].test_start]) for f in folds]
    results = list(map_fn(partial(_run_job, data=data, params=params, seed=seed), jobs))
    return assemble(results, data, params)


def _search_anchor(anchor: Fold, data: AllocatorData, params: AllocatorParams, seed: int):
    if not params.tune:
        return search_for(anchor, data, params, seed)
    from domain.strategies.allocator.nested import inner_search

    cfg, info = inner_search(anchor, data, params, anchor_seed(seed, anchor))
    return cfg, {**info, "search_anchor": anchor.test_start}


def _run_job(job, data: AllocatorData, params: AllocatorParams, seed: int) -> FoldResult:
    fold, searched = job
    return run_fold(fold, data, params, seed, searched)


def assemble(results: list[FoldResult], data: AllocatorData, params: AllocatorParams) -> AllocatorResult:
    stitched = stitch(results)
    idx = stitched.index
    base = params.legs.baseline_w_qqq
    cap, cost = params.policy.max_daily_change, params.costs.rate
    # the model's weight through the risk envelope (section 6 step 3), so the gates measure what would trade
    drift = data.features["drift_psi"].reindex(idx).to_numpy(float) if "drift_psi" in data.features else \
        np.full(len(idx), np.nan)
    w_arr, k_arr = apply_envelope(stitched["w_raw"].to_numpy(), stitched["alpha"].to_numpy(), cap, base, drift,
                                  params.features.drift_flag, data.r_qqq.reindex(idx), data.r_spy.reindex(idx),
                                  cost, params.envelope)
    w, k = pd.Series(w_arr, index=idx), pd.Series(k_arr, index=idx)
    model = allocation_returns(w, data.r_qqq, data.r_spy, cost, w_before=base,
                               k=k if params.envelope.enabled else None)
    baseline = allocation_returns(pd.Series(base, index=idx), data.r_qqq, data.r_spy, cost, w_before=base)
    qqq = allocation_returns(pd.Series(1.0, index=idx), data.r_qqq, data.r_spy, cost)
    spy = allocation_returns(pd.Series(0.0, index=idx), data.r_qqq, data.r_spy, cost)
    daily = stitched.copy()
    daily["w"] = w
    daily["k"] = k  # share of capital in the mix after volatility scaling and guard rails
    daily["exposure"] = w
    daily["net_return"] = model["net_return"]
    daily["cost"] = model["cost"]
    daily["turnover"] = model["turnover"]
    daily["baseline_return"] = baseline["net_return"]
    daily["benchmark_return"] = baseline["net_return"]
    daily["qqq_leg_return"] = qqq["net_return"]
    daily["spy_leg_return"] = spy["net_return"]
    for col in ("net_return", "baseline_return", "qqq_leg_return", "spy_leg_return"):
        daily[col.replace("return", "equity")] = (1.0 + daily[col]).cumprod()

    rows, imps, monos, dsr_folds = [], [], [], []
    ordered = sorted(results, key=lambda r: r.fold.test_start)
    for r in ordered:
        f = r.fold
        sl = daily.loc[f.test_start:f.test_end]
        m = fold_metrics(sl["net_return"], sl["turnover"])
        b = fold_metrics(sl["baseline_return"], pd.Series(0.0, index=sl.index))
        info = {k: v for k, v in r.info.items()
                if k not in ("importance", "monotonic", "inner_splits") and not isinstance(v, pd.Timestamp)}
        rows.append({**f.as_dict(), **info, **{f"test_{k}": v for k, v in m.items()},
                     **{f"bh_{k}": v for k, v in b.items()}})
        imps.append(r.info.get("importance"))
        monos.append({"fold": f.name, **r.info.get("monotonic", {})})
        if "inner_dsr" in r.info:
            dsr_folds.append(r.info["inner_dsr"])
    per_fold = pd.DataFrame(rows)
    importance = pd.DataFrame(imps, index=[r.fold.name for r in ordered], columns=data.features.columns)
    series = {
        "allocator": fold_metrics(daily["net_return"], daily["turnover"]),
        "baseline": fold_metrics(daily["baseline_return"], pd.Series(0.0, index=idx)),
        "qqq_leg": fold_metrics(daily["qqq_leg_return"], pd.Series(0.0, index=idx)),
        "spy_leg": fold_metrics(daily["spy_leg_return"], pd.Series(0.0, index=idx)),
    }
    gates = check_gates(series["allocator"], series["baseline"], per_fold, params.gates)
    prob_cols = [c for c in stitched.columns if c.startswith("p_")]
    reliability = reliability_table(stitched[prob_cols].to_numpy(), stitched["label"].to_numpy(float))
    n_trials = params.search.size() if params.tune else 1
    sr_var = float(np.nanmean(per_fold["trial_sharpe_var"])) if "trial_sharpe_var" in per_fold else 0.0
    # Deflated Sharpe of the stitched out-of-sample returns against the search's N trials, with the trial
    # Sharpes' variance averaged over the anchors' inner searches.
    dsr = {
        "n_trials": float(n_trials),
        "trial_sharpe_var": sr_var,
        "oos_deflated_sharpe": deflated_sharpe_of(daily["net_return"].to_numpy(), sr_var, n_trials),
        "inner_deflated_sharpe_median": float(np.nanmedian(dsr_folds)) if dsr_folds else float("nan"),
    }
    return AllocatorResult(
        folds=tuple(r.fold for r in ordered), per_fold=per_fold, daily=daily, series=series, gates=gates,
        importance=importance, stability=importance_stability(importance), reliability=reliability,
        deflated_sharpe=dsr, monotonic=pd.DataFrame(monos), leg_kind=params.legs.kind,
    )


def result_brief(res: AllocatorResult) -> dict[str, Any]:
    """Plain figures for a README/report line: CAGR, max DD, Calmar, avg monthly P&L per series, gates."""
    out: dict[str, Any] = {}
    for name, m in res.series.items():
        out[name] = {k: m[k] for k in ("cagr", "max_drawdown", "calmar", "avg_monthly_pnl", "turnover", "sharpe")}
    out["gates_passed"] = res.passed
    out["failed_gates"] = res.failed
    return out
