"""Skill of a forecast before any sizing: does it rank and sign next-day returns better than chance, and
does the strategy beat the same average exposure held constant (the beta-matched benchmark)?

- ``ic``: information coefficients, Spearman (rank) and Pearson, of forecast against realised return;
- ``hit_rate`` / ``base_rate``: share of days the forecast has the sign of the realised return, against the
  hit rate of the better constant sign (always long in a rising market): a forecast is useful only above it;
- ``beta_matched_returns``: a constant exposure equal to the strategy's mean exposure through the same
  overlay and costs. A strategy whose Calmar does not beat it has shown timing, not just drift, to be absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from domain.backtest import CostModel, OverlayParams, run_backtest


def _pairs(forecast, realized) -> tuple[np.ndarray, np.ndarray]:
    f, r = np.asarray(forecast, dtype=float), np.asarray(realized, dtype=float)
    ok = np.isfinite(f) & np.isfinite(r)
    return f[ok], r[ok]


def ic(forecast, realized) -> dict[str, float]:
    """Spearman and Pearson correlation of forecast and realised return (NaN if either is constant)."""
    f, r = _pairs(forecast, realized)
    if f.size < 3 or np.ptp(f) == 0 or np.ptp(r) == 0:
        return {"ic_spearman": float("nan"), "ic_pearson": float("nan")}
    return {"ic_spearman": float(stats.spearmanr(f, r).statistic), "ic_pearson": float(np.corrcoef(f, r)[0, 1])}


def hit_rate(forecast, realized) -> float:
    """Share of days with a non-zero forecast and return on which their signs agree."""
    f, r = _pairs(forecast, realized)
    ok = (f != 0) & (r != 0)
    return float(np.mean(np.sign(f[ok]) == np.sign(r[ok]))) if ok.any() else float("nan")


def base_rate(realized) -> float:
    """Hit rate of the better constant sign: max(share of up days, share of down days), zero days left out."""
    r = np.asarray(realized, dtype=float)
    r = r[np.isfinite(r) & (r != 0)]
    return float(max(np.mean(r > 0), np.mean(r < 0))) if r.size else float("nan")


def skill(forecast, realized) -> dict[str, float]:
    """IC (Spearman, Pearson), sign hit rate, base rate and their difference, and the number of days."""
    f, r = _pairs(forecast, realized)
    hit, base = hit_rate(f, r), base_rate(r)
    return {**ic(f, r), "forecast_hit_rate": hit, "base_rate": base, "hit_edge": hit - base, "n_forecasts": float(f.size)}


def beta_matched_returns(asset_returns: pd.Series, exposure: pd.Series, overlay: OverlayParams | None,
                         costs: CostModel) -> pd.Series:
    """Daily net returns of holding the mean of ``exposure`` constantly over its dates, through ``overlay``
    and ``costs`` like the strategy (the same first day without a position: the target is set at the close)."""
    target = pd.Series(float(np.nanmean(exposure.to_numpy(dtype=float))), index=exposure.index)
    r = asset_returns.reindex(exposure.index).fillna(0.0)
    return run_backtest(r, target, overlay, costs).frame["net_return"]
