"""Overfitting controls and acceptance (document sections 5, 7 and 9): the selection score of the inner
search, the deflated Sharpe ratio over it, feature-importance rank stability across folds, monotonic
sanity checks of the fitted model, and the acceptance gates against the baseline."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

from domain.overfitting import deflated_sharpe, deflated_sharpe_of, expected_max_sharpe  # noqa: F401 (re-exported)
from domain.strategies.allocator.params import GateParams, SelectionParams


def selection_score(fold_stats: list[dict[str, float]], p: SelectionParams) -> float:
    """Median fold Calmar + avg monthly P&L, penalised for the worst fold drawdown, turnover and an unstable
    lower tail of fold Calmars (median - 25th percentile). NaN Calmars (no drawdown) count as 0."""
    calmars = np.array([s["calmar"] if np.isfinite(s["calmar"]) else 0.0 for s in fold_stats])
    calmars = np.clip(calmars, -10.0, 10.0)  # one calm half-year must not dominate the median
    med = float(np.median(calmars))
    p25 = float(np.percentile(calmars, 25))
    pnl = float(np.nanmean([s["avg_monthly_pnl"] for s in fold_stats]))
    worst_dd = float(np.nanmax([abs(s["max_drawdown"]) for s in fold_stats]))
    turnover = float(np.nanmean([s["turnover"] for s in fold_stats]))
    return (med + p.pnl_weight * pnl / 0.01 - p.drawdown_weight * worst_dd / 0.10
            - p.turnover_weight * turnover / 0.10 - p.tail_weight * (med - p25))


def importance_stability(importances: pd.DataFrame) -> dict[str, float]:
    """Spearman rank correlation of feature importances between consecutive folds (rows = folds)."""
    rows = importances.to_numpy(float)
    rhos = [stats.spearmanr(a, b).statistic for a, b in itertools.pairwise(rows)]
    rhos = [r for r in rhos if np.isfinite(r)]
    if not rhos:
        return {"mean_rank_corr": float("nan"), "min_rank_corr": float("nan"), "pairs": 0}
    return {"mean_rank_corr": float(np.mean(rhos)), "min_rank_corr": float(np.min(rhos)), "pairs": len(rhos)}


# Key risk features and the direction the expected QQQ weight should move as each rises (section 7's
# "monotonic sanity tests"): more QQQ downside risk -> less QQQ, more SPY downside risk -> more QQQ.
MONOTONIC_CHECKS = {"qqq_downvol_21": -1, "spy_downvol_21": +1, "qqq_maxdd_63": -1, "spy_maxdd_63": +1}


def monotonic_checks(predict_w, X: pd.DataFrame, n_points: int = 9, tolerance: float = 0.02) -> dict[str, bool]:
    """Partial dependence of the model's expected weight on each key risk feature (others at their
    medians, feature swept over its 5..95% quantiles): passes if it never moves against the expected
    direction by more than ``tolerance`` from start to end."""
    out: dict[str, bool] = {}
    base = X.median()
    for feature, sign in MONOTONIC_CHECKS.items():
        if feature not in X:
            continue
        grid = np.quantile(X[feature].dropna(), np.linspace(0.05, 0.95, n_points))
        rows = pd.DataFrame([base] * n_points)
        rows[feature] = grid
        w = np.asarray(predict_w(rows[X.columns].to_numpy(float)))
        out[feature] = bool(sign * (w[-1] - w[0]) >= -tolerance)
    return out


def check_gates(model: dict[str, float], baseline: dict[str, float], per_fold: pd.DataFrame,
                g: GateParams) -> dict[str, dict]:
    """Each gate -> {passed, value, threshold}. ``model``/``baseline``: fold_metrics of the stitched
    out-of-sample period; ``per_fold``: one row per outer fold with ``test_pnl`` and ``test_calmar``."""
    calmars = per_fold["test_calmar"].fillna(0.0).to_numpy()
    pnl_bar, calmar_bar = baseline["avg_monthly_pnl"] + g.min_pnl_edge, baseline["calmar"] + g.min_calmar_edge
    gates = {
        "avg_monthly_pnl_beats_baseline": (model["avg_monthly_pnl"], pnl_bar, model["avg_monthly_pnl"] > pnl_bar),
        "calmar_beats_baseline": (model["calmar"], calmar_bar, model["calmar"] > calmar_bar),
        "max_drawdown_within_tolerance": (model["max_drawdown"], baseline["max_drawdown"] - g.max_drawdown_tolerance,
                                          model["max_drawdown"] >= baseline["max_drawdown"] - g.max_drawdown_tolerance),
        "turnover_below_cap": (model["turnover"], g.max_turnover, model["turnover"] <= g.max_turnover),
        "negative_fold_rate": (float((per_fold["test_pnl"] < 0).mean()), g.max_negative_fold_rate,
                               float((per_fold["test_pnl"] < 0).mean()) <= g.max_negative_fold_rate),
        "p25_fold_calmar": (float(np.percentile(calmars, 25)), g.min_p25_fold_calmar,
                            float(np.percentile(calmars, 25)) > g.min_p25_fold_calmar),
    }
    return {k: {"passed": bool(ok), "value": float(v), "threshold": float(t)} for k, (v, t, ok) in gates.items()}


def failed_gates(gates: dict[str, dict]) -> list[str]:
    return [name for name, g in gates.items() if not g["passed"]]
