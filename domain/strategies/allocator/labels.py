"""Utility labels (document section 3), vectorised over days x candidate weights x horizon.

For day t and candidate w_qqq on the grid {0, step, ..., 1}, the mix is rebalanced daily to w over the
next H sessions (t+1 .. t+H; the allocation decided at t's close earns t+1's return):

    R_H(w)  = prod(1 + w r_qqq + (1 - w) r_spy) - 1
    DD_H(w) = max drawdown of that path, from the value 1 at t's close (>= 0)
    U(w)    = R_H(w) - lambda_dd DD_H(w) - lambda_tc cost_rate |w - w_ref(t)|

w_ref(t) is the previous session's cost-free best weight (the baseline weight on the first day), so the
cost term penalises label turnover. The label is the best weight rounded to the nearest of the buckets
0, 0.1, ..., 1. A day whose next H returns are not all known has no label (NaN): the label of D uses
returns up to D + H only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view


def weight_grid(step: float) -> np.ndarray:
    n = round(1.0 / step)
    return np.round(np.linspace(0.0, 1.0, n + 1), 10)


def bucket_weights(n_buckets: int) -> np.ndarray:
    return np.round(np.linspace(0.0, 1.0, n_buckets), 10)


@dataclass(frozen=True)
class Labels:
    """``bucket``: label per day (float, NaN where unknown); ``utility``: U per day x grid weight (NaN rows
    where unknown); ``bucket_utility``: U at each bucket's weight; ``weights``: the grid."""

    bucket: pd.Series
    utility: pd.DataFrame
    bucket_utility: pd.DataFrame
    weights: np.ndarray


def _future_windows(r: np.ndarray, horizon: int) -> np.ndarray:
    """(n, H) array whose row t holds r[t+1 .. t+H]; rows without H future values are NaN."""
    n = r.size
    out = np.full((n, horizon), np.nan)
    if n > horizon:
        out[: n - horizon] = sliding_window_view(r[1:], horizon)[: n - horizon]
    return out


def utility_matrix(r_qqq: np.ndarray, r_spy: np.ndarray, weights: np.ndarray, horizon: int,
                   lambda_dd: float) -> np.ndarray:
    """Cost-free utility R_H(w) - lambda_dd DD_H(w), shape (n days, n weights); NaN rows where unknown."""
    fq = _future_windows(np.asarray(r_qqq, float), horizon)[:, :, None]
    fs = _future_windows(np.asarray(r_spy, float), horizon)[:, :, None]
    path = fs + (fq - fs) * weights[None, None, :]  # (n, H, W): daily returns of each mix
    equity = np.cumprod(1.0 + path, axis=1)
    peak = np.maximum(np.maximum.accumulate(equity, axis=1), 1.0)
    drawdown = (1.0 - equity / peak).max(axis=1)
    return equity[:, -1, :] - 1.0 - lambda_dd * drawdown


def build_labels(r_qqq: pd.Series, r_spy: pd.Series, horizon: int, lambda_dd: float, lambda_tc: float,
                 cost_rate: float, weight_step: float = 0.05, n_buckets: int = 11,
                 baseline: float = 0.5) -> Labels:
    """Labels for every day of ``r_qqq``'s index (``r_spy`` is aligned to it)."""
    index = r_qqq.index
    rq = r_qqq.to_numpy(float)
    rs = r_spy.reindex(index).to_numpy(float)
    w = weight_grid(weight_step)
    u0 = utility_matrix(rq, rs, w, horizon, lambda_dd)
    known = np.isfinite(u0).all(axis=1)
    best0 = w[np.argmax(np.where(known[:, None], u0, -np.inf), axis=1)]
    prev_known = np.concatenate(([False], known[:-1]))
    ref = np.where(prev_known, np.concatenate(([baseline], best0[:-1])), baseline)
    u = u0 - lambda_tc * cost_rate * np.abs(w[None, :] - ref[:, None])
    u[~known] = np.nan
    best = w[np.argmax(np.where(known[:, None], u, -np.inf), axis=1)]
    bucket = np.rint(best * (n_buckets - 1))
    bucket = np.where(known, bucket, np.nan)
    bw = bucket_weights(n_buckets)
    cols = np.searchsorted(w, bw - 1e-9)
    utility = pd.DataFrame(u, index=index, columns=w)
    return Labels(
        bucket=pd.Series(bucket, index=index, name="bucket"),
        utility=utility,
        bucket_utility=pd.DataFrame(u[:, cols], index=index, columns=bw),
        weights=w,
    )


def build_labels_loop(r_qqq: pd.Series, r_spy: pd.Series, horizon: int, lambda_dd: float, lambda_tc: float,
                      cost_rate: float, weight_step: float = 0.05, n_buckets: int = 11,
                      baseline: float = 0.5) -> pd.Series:
    """Reference implementation, one Python loop per day and weight (for tests and the benchmark)."""
    rq = r_qqq.to_numpy(float)
    rs = r_spy.reindex(r_qqq.index).to_numpy(float)
    w = weight_grid(weight_step)
    n = rq.size
    out = np.full(n, np.nan)
    prev_best0 = None
    for t in range(n):
        if t + horizon >= n or not (np.isfinite(rq[t + 1: t + 1 + horizon]).all()
                                    and np.isfinite(rs[t + 1: t + 1 + horizon]).all()):
            prev_best0 = None
            continue
        ref = baseline if prev_best0 is None else prev_best0
        best_u0, best_w0, best_u, best_w = -np.inf, 0.0, -np.inf, 0.0
        for wk in w:
            value, peak, dd = 1.0, 1.0, 0.0
            for h in range(1, horizon + 1):
                value *= 1.0 + wk * rq[t + h] + (1.0 - wk) * rs[t + h]
                peak = max(peak, value)
                dd = max(dd, 1.0 - value / peak)
            u0 = value - 1.0 - lambda_dd * dd
            u = u0 - lambda_tc * cost_rate * abs(wk - ref)
            if u0 > best_u0:
                best_u0, best_w0 = u0, wk
            if u > best_u:
                best_u, best_w = u, wk
        prev_best0 = best_w0
        out[t] = round(best_w * (n_buckets - 1))
    return pd.Series(out, index=r_qqq.index, name="bucket")
