"""Performance metrics of a daily return series.

Conventions (the same as empyrical, so figures can be checked against it):

- ``returns`` are simple (not log) daily returns, one per trading day, as a pandas Series or anything
  ``numpy.asarray`` accepts. NaN means "no return that day": it counts as 0 in compounding and in the
  number of periods used for annualising (as empyrical does), and it is left out of moments
  (mean, standard deviation, skew, kurtosis, quantiles).
- A year has ``PERIODS_PER_YEAR = 252`` trading days.
- Drawdowns are fractions <= 0 (``-0.1`` is a 10% fall from the running peak). The equity curve starts
  at 1 before the first return, so a loss on day one is a drawdown.
- Ratios use a zero risk-free rate and zero required return unless ``risk_free`` (an annual rate) is
  given: then Sharpe and Sortino are computed on the excess returns r - risk_free / 252 (empyrical's
  ``risk_free`` / ``required_return``, quoted per year). Sharpe is mean / std (ddof=1) * sqrt(252);
  Sortino is mean * 252 / downside deviation, where the downside deviation is
  sqrt(mean(min(r, 0)^2)) * sqrt(252); Calmar is CAGR / |max drawdown|.
- A ratio whose denominator is zero is NaN, except Sortino with no losing day, which is +inf (empyrical).
- Empty input gives NaN for every metric.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

PERIODS_PER_YEAR = 252

ArrayLike = Any


def _arr(returns: ArrayLike) -> np.ndarray:
    return np.asarray(returns, dtype=float).ravel()


def _finite(returns: ArrayLike) -> np.ndarray:
    r = _arr(returns)
    return r[np.isfinite(r)]


def equity_curve(returns: ArrayLike, start: float = 1.0) -> np.ndarray:
    """Compounded value after each return (NaN counted as 0), starting from ``start``."""
    r = np.nan_to_num(_arr(returns), nan=0.0)
    return start * np.cumprod(1.0 + r)


def drawdown_series(returns: ArrayLike) -> np.ndarray:
    """Drawdown (<= 0) after each return, against the running peak including the starting value 1."""
    eq = equity_curve(returns)
    if eq.size == 0:
        return eq
    peak = np.maximum.accumulate(np.concatenate(([1.0], eq)))[1:]
    return eq / peak - 1.0


def total_return(returns: ArrayLike) -> float:
    r = _arr(returns)
    if r.size == 0:
        return float("nan")
    return float(equity_curve(r)[-1] - 1.0)


def cagr(returns: ArrayLike, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Compound annual growth rate: final value ** (periods_per_year / n) - 1 (empyrical's annual_return)."""
    r = _arr(returns)
    if r.size == 0:
        return float("nan")
    ending = equity_curve(r)[-1]
    if ending <= 0:
        return -1.0
    return float(ending ** (periods_per_year / r.size) - 1.0)


annual_return = cagr


def max_drawdown(returns: ArrayLike) -> float:
    r = _arr(returns)
    if r.size == 0:
        return float("nan")
    return float(min(drawdown_series(r).min(), 0.0))


def annual_volatility(returns: ArrayLike, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    r = _finite(returns)
    if r.size < 2:
        return float("nan")
    return float(r.std(ddof=1) * np.sqrt(periods_per_year))


def sharpe(returns: ArrayLike, periods_per_year: int = PERIODS_PER_YEAR, risk_free: float = 0.0) -> float:
    r = _finite(returns) - risk_free / periods_per_year
    if r.size < 2:
        return float("nan")
    sd = r.std(ddof=1)
    if sd == 0:
        return float("nan")
    return float(r.mean() / sd * np.sqrt(periods_per_year))


def downside_risk(returns: ArrayLike, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    r = _finite(returns)
    if r.size == 0:
        return float("nan")
    return float(np.sqrt(np.mean(np.minimum(r, 0.0) ** 2)) * np.sqrt(periods_per_year))


def sortino(returns: ArrayLike, periods_per_year: int = PERIODS_PER_YEAR, risk_free: float = 0.0) -> float:
    r = _finite(returns) - risk_free / periods_per_year
    if r.size < 2:
        return float("nan")
    dd = downside_risk(r, periods_per_year)
    mean_ann = r.mean() * periods_per_year
    if dd == 0:
        return float("inf") if mean_ann > 0 else float("nan")
    return float(mean_ann / dd)


def calmar(returns: ArrayLike, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    mdd = max_drawdown(returns)
    if not np.isfinite(mdd) or mdd == 0:
        return float("nan")
    return float(cagr(returns, periods_per_year) / abs(mdd))


def hit_rate(returns: ArrayLike) -> float:
    """Share of active days (non-zero, non-NaN return) that made money; flat days are not counted."""
    r = _finite(returns)
    active = r[r != 0]
    if active.size == 0:
        return float("nan")
    return float(np.mean(active > 0))


def win_loss_ratio(returns: ArrayLike) -> float:
    """Mean winning day / |mean losing day|."""
    r = _finite(returns)
    wins, losses = r[r > 0], r[r < 0]
    if wins.size == 0 or losses.size == 0:
        return float("nan")
    return float(wins.mean() / abs(losses.mean()))


def turnover(exposure: ArrayLike) -> float:
    """Average daily one-way turnover, mean |exposure[t] - exposure[t-1]|, starting from flat (0)."""
    e = np.nan_to_num(_arr(exposure), nan=0.0)
    if e.size == 0:
        return float("nan")
    return float(np.mean(np.abs(np.diff(e, prepend=0.0))))


def skew(returns: ArrayLike) -> float:
    """Sample skewness, bias-corrected (the same as pandas ``Series.skew``)."""
    r = _finite(returns)
    if r.size < 3 or r.std() == 0:
        return float("nan")
    return float(stats.skew(r, bias=False))


def kurtosis(returns: ArrayLike) -> float:
    """Excess kurtosis (normal = 0), bias-corrected (the same as pandas ``Series.kurt``)."""
    r = _finite(returns)
    if r.size < 4 or r.std() == 0:
        return float("nan")
    return float(stats.kurtosis(r, fisher=True, bias=False))


def value_at_risk(returns: ArrayLike, level: float = 0.95) -> float:
    """Historical one-day VaR: the (1 - level) quantile of daily returns (negative = loss), linear
    interpolation, as empyrical's ``value_at_risk``."""
    r = _finite(returns)
    if r.size == 0:
        return float("nan")
    return float(np.percentile(r, 100.0 * (1.0 - level)))


def conditional_value_at_risk(returns: ArrayLike, level: float = 0.95) -> float:
    """Historical one-day CVaR (expected shortfall): mean of the worst ``floor((n - 1) * (1 - level)) + 1``
    daily returns, as empyrical's ``conditional_value_at_risk``."""
    r = _finite(returns)
    if r.size == 0:
        return float("nan")
    k = int((r.size - 1) * (1.0 - level))
    return float(np.mean(np.partition(r, k)[: k + 1]))


def drawdown_durations(returns: ArrayLike) -> tuple[float, float]:
    """(longest, average) drawdown duration in trading days.

    A drawdown spell runs from the first day below the running peak to the day equity gets back to it
    (that day included). The longest counts a spell still open at the end; the average is over
    recovered spells only (NaN when none has recovered), since "days to recover" is unknown otherwise.
    """
    dd = drawdown_series(returns)
    if dd.size == 0:
        return float("nan"), float("nan")
    under = dd < 0
    recovered: list[int] = []
    longest = 0
    run = 0
    for u in under:
        if u:
            run += 1
        elif run:
            recovered.append(run + 1)
            longest = max(longest, run + 1)
            run = 0
    longest = max(longest, run)
    avg = float(np.mean(recovered)) if recovered else float("nan")
    return float(longest), avg


def recovery_factor(returns: ArrayLike) -> float:
    """Total return / |max drawdown|."""
    mdd = max_drawdown(returns)
    if not np.isfinite(mdd) or mdd == 0:
        return float("nan")
    return float(total_return(returns) / abs(mdd))


def summarize(returns: ArrayLike, exposure: ArrayLike | None = None, risk_free: float = 0.0) -> dict[str, float]:
    """Every metric of this module as a flat dict of floats (turnover is NaN without ``exposure``);
    Sharpe and Sortino over the annual ``risk_free`` rate."""
    longest, average = drawdown_durations(returns)
    return {
        "total_return": total_return(returns),
        "cagr": cagr(returns),
        "volatility": annual_volatility(returns),
        "sharpe": sharpe(returns, risk_free=risk_free),
        "sortino": sortino(returns, risk_free=risk_free),
        "max_drawdown": max_drawdown(returns),
        "calmar": calmar(returns),
        "hit_rate": hit_rate(returns),
        "win_loss_ratio": win_loss_ratio(returns),
        "turnover": turnover(exposure) if exposure is not None else float("nan"),
        "skew": skew(returns),
        "kurtosis": kurtosis(returns),
        "var_95": value_at_risk(returns, 0.95),
        "cvar_95": conditional_value_at_risk(returns, 0.95),
        "drawdown_longest_days": longest,
        "drawdown_avg_recovery_days": average,
        "recovery_factor": recovery_factor(returns),
        "n_days": float(_arr(returns).size),
    }


def relative_to(returns: ArrayLike, benchmark: ArrayLike,
                periods_per_year: int = PERIODS_PER_YEAR) -> dict[str, float]:
    """Alpha, beta, tracking error and information ratio against a benchmark (same days, same length).

    empyrical's definitions: beta = cov(r, b) / var(b); alpha is the mean daily excess over beta * b,
    compounded to a year, (1 + mean(r - beta * b)) ** 252 - 1; tracking error is the annualised standard
    deviation (ddof=1) of the active return r - b; the information ratio is the annualised mean active
    return over the tracking error. Days where either is NaN are left out.
    """
    r, b = _arr(returns), _arr(benchmark)
    if r.size != b.size:
        raise ValueError(f"returns ({r.size}) and benchmark ({b.size}) differ in length")
    keep = np.isfinite(r) & np.isfinite(b)
    r, b = r[keep], b[keep]
    nan = float("nan")
    if r.size < 2:
        return {"alpha": nan, "beta": nan, "tracking_error": nan, "information_ratio": nan}
    var_b = float(np.var(b, ddof=1))
    beta = float(np.cov(r, b, ddof=1)[0, 1] / var_b) if var_b > 0 else nan
    alpha = float((1.0 + np.mean(r - beta * b)) ** periods_per_year - 1.0) if np.isfinite(beta) else nan
    active = r - b
    te = float(np.std(active, ddof=1) * np.sqrt(periods_per_year))
    ir = float(np.mean(active) * periods_per_year / te) if te > 0 else nan
    return {"alpha": alpha, "beta": beta, "tracking_error": te, "information_ratio": ir}


def summary_frame(results: dict[str, pd.Series]) -> pd.DataFrame:
    """One row of ``summarize`` per named return series (handy for strategy vs benchmark tables)."""
    return pd.DataFrame({name: summarize(r) for name, r in results.items()}).T
