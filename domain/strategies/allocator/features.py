"""Allocator features (document section 2), each dated D from data dated <= D only (trailing windows).

Per leg (prefix ``qqq_`` / ``spy_``): compounded returns over 1/5/21/63 sessions, realized and downside
volatility over 5/21/63, rolling max drawdown and recovery speed, rolling hit rate and payoff ratio,
the leg model's confidence where the leg supplies one, drift intensity (population stability index of the
leg's recent returns against the window before) and its flag. Spreads QQQ - SPY of the return and
volatility features. Price regime proxies from the adjusted closes: trend (close / 200-day mean - 1),
slope of the 50-day mean over 21 sessions, QQQ-SPY correlation (63 days) and its spread against 252 days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.strategies.allocator.params import FeatureParams

SQRT_YEAR = np.sqrt(252.0)


def _compound(r: pd.Series, days: int) -> pd.Series:
    return np.exp(np.log1p(r).rolling(days, min_periods=days).sum()) - 1.0


def _rolling_max_drawdown(r: pd.Series, days: int) -> tuple[pd.Series, pd.Series]:
    """(max drawdown within the trailing window, recovery speed): drawdown measured against the window's
    own running peak (>= 0); recovery = share of the window's deepest drawdown already recovered."""
    eq = pd.Series(np.exp(np.log1p(r.fillna(0.0)).cumsum().to_numpy()), index=r.index)
    vals = eq.to_numpy()
    n = vals.size
    mdd = np.full(n, np.nan)
    rec = np.full(n, np.nan)
    if n >= days:
        win = np.lib.stride_tricks.sliding_window_view(vals, days)
        peak = np.maximum.accumulate(win, axis=1)
        dd = 1.0 - win / peak
        deepest = dd.max(axis=1)
        current = dd[:, -1]
        mdd[days - 1:] = deepest
        with np.errstate(invalid="ignore", divide="ignore"):
            rec[days - 1:] = np.where(deepest > 0, 1.0 - current / deepest, 1.0)
    valid = r.notna().rolling(days, min_periods=days).sum().to_numpy() == days
    mdd[~valid] = np.nan
    rec[~valid] = np.nan
    return pd.Series(mdd, index=r.index), pd.Series(rec, index=r.index)


def psi(recent: np.ndarray, reference: np.ndarray, bins: int) -> float:
    """Population stability index of ``recent`` against ``reference`` on the reference's quantile bins."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if edges.size < 3:
        return 0.0
    edges[0], edges[-1] = -np.inf, np.inf
    p = np.histogram(reference, edges)[0] / reference.size
    q = np.histogram(recent, edges)[0] / recent.size
    p, q = np.clip(p, 1e-4, None), np.clip(q, 1e-4, None)
    return float(np.sum((q - p) * np.log(q / p)))


def rolling_psi(r: pd.Series, recent: int, reference: int, bins: int) -> pd.Series:
    """PSI at each day of the last ``recent`` values against the ``reference`` values before them. Weekly
    (every 5th session) and held in between: the drift signal moves slowly and this is the costly one."""
    x = r.to_numpy(float)
    out = np.full(x.size, np.nan)
    span = recent + reference
    last = np.nan
    for t in range(span - 1, x.size):
        if (t - span + 1) % 5 == 0 or not np.isfinite(last):
            window = x[t - span + 1: t + 1]
            if np.isfinite(window).all():
                last = psi(window[reference:], window[:reference], bins)
            else:
                last = np.nan
        out[t] = last
    return pd.Series(out, index=r.index)


def leg_features(r: pd.Series, prefix: str, p: FeatureParams, confidence: pd.Series | None = None) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    for d in p.return_days:
        cols[f"ret_{d}"] = _compound(r, d)
    down = r.clip(upper=0.0)
    for d in p.vol_days:
        cols[f"vol_{d}"] = r.rolling(d, min_periods=d).std() * SQRT_YEAR
        cols[f"downvol_{d}"] = np.sqrt((down**2).rolling(d, min_periods=d).mean()) * SQRT_YEAR
    mdd, rec = _rolling_max_drawdown(r, p.drawdown_days)
    cols[f"maxdd_{p.drawdown_days}"] = mdd
    cols[f"recovery_{p.drawdown_days}"] = rec
    for d in p.hit_days:
        active = (r != 0) & r.notna()
        wins = ((r > 0) & active).astype(float).rolling(d, min_periods=d).sum()
        n_active = active.astype(float).rolling(d, min_periods=d).sum()
        cols[f"hit_{d}"] = (wins / n_active.replace(0.0, np.nan)).fillna(0.5)
    d = p.payoff_days
    mean_win = r.where(r > 0).rolling(d, min_periods=1).mean()
    mean_loss = (-r.where(r < 0)).rolling(d, min_periods=1).mean()
    payoff = np.log((mean_win / mean_loss).clip(0.05, 20.0)).fillna(0.0)  # no win or no loss yet: neutral
    cols[f"payoff_{d}"] = payoff.where(r.notna().rolling(d, min_periods=d).sum() == d)
    if confidence is not None:
        c = confidence.reindex(r.index)
        cols["confidence"] = c
        cols[f"confidence_{p.confidence_days}"] = c.rolling(p.confidence_days, min_periods=1).mean()
    drift = rolling_psi(r, p.drift_recent_days, p.drift_reference_days, p.drift_bins)
    cols["drift_psi"] = drift
    cols["drift_flag"] = (drift > p.drift_flag).astype(float).where(drift.notna())
    return pd.DataFrame(cols, index=r.index).add_prefix(prefix)


def regime_features(close_qqq: pd.Series, close_spy: pd.Series, p: FeatureParams) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    for name, c in (("qqq", close_qqq), ("spy", close_spy)):
        ma = c.rolling(p.trend_days, min_periods=p.trend_days).mean()
        cols[f"{name}_trend"] = c / ma - 1.0
        ma_s = c.rolling(p.slope_days, min_periods=p.slope_days).mean()
        cols[f"{name}_slope"] = ma_s / ma_s.shift(p.slope_lag) - 1.0
    rq, rs = close_qqq.pct_change(), close_spy.pct_change()
    short, long = p.corr_days
    corr_s = rq.rolling(short, min_periods=short).corr(rs)
    corr_l = rq.rolling(long, min_periods=long).corr(rs)
    cols[f"corr_{short}"] = corr_s
    cols["corr_spread"] = corr_s - corr_l
    cols["rel_strength_63"] = _compound(rq, 63) - _compound(rs, 63)
    return pd.DataFrame(cols)


def build_features(r_qqq: pd.Series, r_spy: pd.Series, close_qqq: pd.Series, close_spy: pd.Series,
                   p: FeatureParams, conf_qqq: pd.Series | None = None,
                   conf_spy: pd.Series | None = None) -> pd.DataFrame:
    """All features on ``r_qqq``'s index. Rows before every window is full are NaN (dropped by callers)."""
    index = r_qqq.index
    fq = leg_features(r_qqq, "qqq_", p, conf_qqq)
    fs = leg_features(r_spy.reindex(index), "spy_", p, conf_spy)
    spread = {}
    for d in p.return_days:
        spread[f"spread_ret_{d}"] = fq[f"qqq_ret_{d}"] - fs[f"spy_ret_{d}"]
    for d in p.vol_days:
        spread[f"spread_vol_{d}"] = fq[f"qqq_vol_{d}"] - fs[f"spy_vol_{d}"]
    regime = regime_features(close_qqq.astype(float), close_spy.astype(float), p).reindex(index)
    return pd.concat([fq, fs, pd.DataFrame(spread, index=index), regime], axis=1)
