"""Output policy and the allocation backtest (document sections 4 and 6).

``w_t = alpha w_{t-1} + (1 - alpha) w_raw_t``, then the step from w_{t-1} is capped at ``max_daily_change``.
The weight decided at t's close earns t+1's leg returns; moving it costs ``cost_rate * |w_t - w_{t-1}|``,
charged on t+1's return (the trade is done at t's close at the price of t+1's execution).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain import metrics


def smooth(w_raw: np.ndarray, alpha: float | np.ndarray, cap: float | np.ndarray, w0: float) -> np.ndarray:
    """Smoothed and capped weights; ``alpha`` may vary per day (folds choose their own), and so may ``cap``
    (the envelope's drift throttle lowers it)."""
    w_raw = np.asarray(w_raw, float)
    a = np.broadcast_to(np.asarray(alpha, float), w_raw.shape)
    c = np.broadcast_to(np.asarray(cap, float), w_raw.shape)
    out = np.empty_like(w_raw)
    prev = float(w0)
    for t in range(w_raw.size):  # a scalar recursion over days; the weights depend on their own past
        step = (1.0 - a[t]) * (w_raw[t] - prev)
        prev = min(max(prev + min(max(step, -c[t]), c[t]), 0.0), 1.0)
        out[t] = prev
    return out


def allocation_returns(w: pd.Series, r_qqq: pd.Series, r_spy: pd.Series, cost_rate: float,
                       w_before: float | None = None, k: pd.Series | None = None) -> pd.DataFrame:
    """Daily frame: ``w`` (held from the close), ``gross``, ``cost``, ``net_return`` of the mix; the first
    day earns nothing (the weight is set at its close). ``w_before``: weight held before the first day
    (its change is charged; None = no charge). ``k``: share of capital in the mix (the risk envelope's;
    None = all of it); the turnover is then half the legs' traded weights, |change of w| when k = 1."""
    w = w.astype(float)
    held = w.shift(1)
    rq, rs = r_qqq.reindex(w.index).fillna(0.0), r_spy.reindex(w.index).fillna(0.0)
    gross = (held * rq + (1.0 - held) * rs).fillna(0.0)
    prev = w.shift(1)
    if w_before is not None:
        prev.iloc[0] = w_before
    change = (w - prev).abs().fillna(0.0)
    if k is not None:
        k = k.astype(float).reindex(w.index)
        prev_k = k.shift(1).fillna(1.0)
        gross = (prev_k * gross).where(held.notna(), 0.0)
        change = (0.5 * ((k * w - prev_k * prev).abs() + (k * (1 - w) - prev_k * (1 - prev)).abs())).fillna(0.0)
    cost = (change.shift(1) * cost_rate).fillna(0.0)
    return pd.DataFrame({"w": w, "gross": gross, "cost": cost, "net_return": gross - cost, "turnover": change})


def monthly_pnl(returns: pd.Series) -> pd.Series:
    """Compounded return per calendar month."""
    return (1.0 + returns.fillna(0.0)).groupby(returns.index.to_period("M")).prod() - 1.0


def fold_metrics(returns: pd.Series, turnover: pd.Series) -> dict[str, float]:
    """Section 5's fold log: P&L, CAGR, max DD, Calmar, allocation turnover, monthly hit rate, tail loss."""
    months = monthly_pnl(returns)
    return {
        "pnl": metrics.total_return(returns),
        "cagr": metrics.cagr(returns),
        "max_drawdown": metrics.max_drawdown(returns),
        "calmar": metrics.calmar(returns),
        "sharpe": metrics.sharpe(returns),
        "turnover": float(turnover.mean()) if len(turnover) else float("nan"),
        "avg_monthly_pnl": float(months.mean()) if len(months) else float("nan"),
        "monthly_hit_rate": float((months > 0).mean()) if len(months) else float("nan"),
        "tail_loss": metrics.conditional_value_at_risk(returns, 0.95),
    }
