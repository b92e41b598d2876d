"""What the walk-forward says about skill and overfitting, beside its returns (issue 14).

Per fold and over the whole out-of-sample period: the forecasts' IC and sign hit rate against the base
rate (``domain.forecast_skill``), the beta-matched benchmark (the strategy's mean exposure held
constantly through the same overlay and costs), and from the folds' validation grid searches the
deflated Sharpe ratio and the probability of backtest overfitting (``domain.overfitting``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain import metrics
from domain.forecast_skill import beta_matched_returns, skill
from domain.overfitting import deflated_sharpe_of
from domain.strategies.vol_regime.params import VolRegimeParams

HEADLINE = ("cagr", "max_drawdown", "calmar", "sharpe")


def _mean(per_fold: pd.DataFrame, column: str) -> float:
    return float(per_fold[column].astype(float).mean()) if column in per_fold else float("nan")


def skill_and_overfitting(daily: pd.DataFrame, per_fold: pd.DataFrame, realized: pd.Series,
                          asset_returns: pd.Series, params: VolRegimeParams) -> tuple[pd.DataFrame, dict, pd.Series]:
    """(per_fold with ``test_`` skill and beta-matched columns added, whole-period figures, the beta-matched
    daily net returns). ``daily`` has ``fold``, ``forecast``, ``exposure`` and ``net_return``; ``per_fold``
    one row per fold with ``name`` and the tuning report (``grid_points``, ``validation_*``)."""
    real = realized.reindex(daily.index)
    bm = beta_matched_returns(asset_returns, daily["exposure"], params.overlay, params.costs)
    rows = []
    for name, days in daily.groupby("fold", sort=False):
        s = skill(days["forecast"], real.loc[days.index])
        b = metrics.summarize(bm.loc[days.index])
        rows.append({"name": name, **{f"test_{k}": v for k, v in s.items()},
                     **{f"test_bm_{k}": b[k] for k in HEADLINE}})
    per_fold = per_fold.merge(pd.DataFrame(rows), on="name", how="left")
    whole = metrics.summarize(bm)
    n_trials = int(round(_mean(per_fold, "grid_points"))) if "grid_points" in per_fold else 1
    edge = per_fold["scale_at_edge"].astype(float) if "scale_at_edge" in per_fold else pd.Series(dtype=float)
    top = per_fold["scale_at_top"].eq(True) if "scale_at_top" in per_fold else pd.Series(dtype=bool)
    summary = {
        **skill(daily["forecast"], real),
        "mean_exposure": float(daily["exposure"].mean()),
        "mean_abs_exposure": float(daily["exposure"].abs().mean()),
        **{f"beta_matched_{k}": whole[k] for k in HEADLINE},
        # the chosen configuration's out-of-sample Sharpe, deflated for the grid each fold searched
        "deflated_sharpe": deflated_sharpe_of(daily["net_return"].to_numpy(),
                                              _mean(per_fold, "validation_trial_sharpe_var"), n_trials),
        "dsr_trials": float(n_trials),
        "pbo": _mean(per_fold, "validation_pbo"),
        "scale_at_edge_share": float(edge.mean()) if len(edge) else float("nan"),
    }
    # the exposure-scale diagnostics of ``tuning``; left out, not NaN, where undefined (NaN != NaN would
    # make two equal runs' summaries differ)
    if "scale_at_top" in per_fold:
        summary["scale_at_bottom_share"] = _mean(per_fold, "scale_at_bottom")
        summary["scale_at_top_share"] = _mean(per_fold, "scale_at_top")
        span = per_fold["scale_score_range_se"].astype(float)
        summary["scale_score_range_se_median"] = float(span.median())
    if top.any():  # how saturated the folds that chose the top were: near 1, a wider grid changes nothing
        summary["top_clipped_share_at_top"] = _mean(per_fold.loc[top], "top_clipped_share")
    return per_fold, summary, bm
