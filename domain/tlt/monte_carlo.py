"""Monte Carlo paths of yields, TLT and its implied volatility, and spread values along them.

Layout: every matrix is (n_paths, n_days + 1); column 0 is the entry day, column k is k trading days
later (dt = 1/252). TLT follows the calibrated regression, anchored at the entry price:
P_k = P_0 * exp(f(y_k) - f(y_0)), f(y) = alpha + beta*y + gamma*y^2, y the average of the two
yields, so the regression's residual on the entry day is carried unchanged along the path. The legs' vol
along the path is set by `mark_vol` (domain/tlt/volatility.py: mark_vol_shift; sticky_strike keeps the entry
IV, model moves it with the price through the volatility model's `price_sensitivity`).

One volatility and one drift (issue 13 item 2). Left alone, the paths realise the yields' volatility
times TLT's duration (about 15% on 2019-2024 data) and drift about 0, while the options on them are
priced at the model IV (17.6%) and discounted at the risk-free rate: an exit rule chosen on such paths
harvests that gap, not an edge. With `path_vol` the log price moves are scaled so that, on every column,
std(log(P_k / P_0)) = path_vol * sqrt(t_k), t_k the years since entry that the prices along the path use
(`elapsed`: calendar years for a dated schedule, else k / days_per_year); with `drift` each day's price
is shifted so its mean over the paths grows at that rate (r - q, the risk-neutral drift the
Black-Scholes-Merton prices along the path assume). The yields are left as simulated: they only drive
the price.

Why the horizon and every column, not the day-to-day volatility: the yields mean-revert (Vasicek), so
the price's daily moves are negatively autocorrelated and its spread over a holding period grows slower
than sqrt(t) (for an OU process var(t) = s^2 (1 - e^(-2 kappa t)) / (2 kappa)). Scaled to the entry IV
day by day, paths of a 5-year fit with kappa 1.87 a year (2015-03-02) move 14.7% a year daily but 13.3%
over 45 days, and a 20-delta 3-wide put spread priced at 14.7% and held to expiry kept $0.078 of its
$0.44 credit on them (seed 42, 10,000 paths): an edge only the model had. A Black-Scholes price at a
column depends on that column's distribution alone, so matching each column's mean and log-std to the
ones the prices assume leaves an option sold at entry and bought back on any exit day without a model
edge, up to the distribution's shape (the regression's curvature) and the volatility model's skew. It is
done on the paths' own sample std (moment matching, as the drift is, Glasserman 2003 section 4.5) rather
than with the OU closed form, because log P is the regression's quadratic in the average of two OU yields
with their own kappas, which no one-factor formula gives exactly. Each path keeps its shape (a column's
log move is multiplied by one factor for all paths, rising slowly along them); on a dated schedule a
weekend carries three days of variance, as the calendar-day prices charge three days of theta for it. The
day-to-day volatility of the scaled paths is not the figure to check (15.0% a year against 14.7% on
2015-03-02): `horizon_vol` is. Held to expiry at zero premium, that put spread now earns its credit
within Monte Carlo error (tests/domain/tlt/test_one_volatility.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from domain.rates.vasicek import simulate
from domain.tlt.calibration import CalibrationResult
from domain.tlt.spreads import CreditSpread
from domain.tlt.volatility import STICKY_STRIKE, mark_vol_shift

TRADING_DAYS = 252.0


@dataclass(frozen=True)
class MarketPaths:
    yield_20y: np.ndarray
    yield_30y: np.ndarray
    price: np.ndarray
    vol_shift: np.ndarray  # change of implied vol since entry (annual decimal), by mark_vol

    @property
    def n_days(self) -> int:
        return self.price.shape[1] - 1


def realized_vol(price: np.ndarray, days_per_year: float = TRADING_DAYS) -> float:
    """Annual volatility of the daily log returns of all paths together."""
    returns = np.diff(np.log(price), axis=1)
    return float(returns.std() * np.sqrt(days_per_year)) if returns.size > 1 else 0.0


def horizon_vol(price: np.ndarray, elapsed: float) -> float:
    """Annual volatility over a holding period: std of log(P_end / P_0) over the paths / sqrt(elapsed years)."""
    return float(np.log(price[:, -1] / price[:, 0]).std() / np.sqrt(elapsed))


def simulate_market(calibration: CalibrationResult, n_paths: int, n_days: int,
                    seed: int | np.random.Generator | None = None, spot: float | None = None,
                    days_per_year: float = TRADING_DAYS, path_vol: float | None = None,
                    drift: float | None = None, elapsed=None, mark_vol: str = STICKY_STRIKE) -> MarketPaths:
    """Paths from the calibration's current yields; `spot` overrides the entry TLT price (a quote's);
    `path_vol` and `drift` (annual decimals) as in the module docstring, None leaves the model's;
    `elapsed`: years since entry of each column (n_days + 1 of them, 0 first; default k / days_per_year);
    `mark_vol`: the legs' vol dynamics (volatility.mark_vol_shift; default sticky_strike, the overlay
    passes its config's)."""
    cur = calibration.current
    y20, y30 = simulate(calibration.vasicek, cur.yield_20y, cur.yield_30y, n_paths, n_days,
                        1.0 / days_per_year, seed)
    avg = 0.5 * (y20 + y30)
    reg = calibration.regression
    entry = float(cur.tlt_price if spot is None else spot)
    log_move = reg.log_price(avg)
    log_move -= log_move[:, :1]
    t = np.arange(n_days + 1) / days_per_year if elapsed is None else np.asarray(elapsed, dtype=float)
    if t.shape != (n_days + 1,) or t[0] != 0.0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"elapsed must rise from 0 over the {n_days + 1} columns")
    if path_vol is not None:
        # each column's log-std to path_vol * sqrt(t_k) (module docstring); column 0 is the entry, std 0
        std = log_move[:, 1:].std(axis=0)
        log_move[:, 1:] *= np.divide(path_vol * np.sqrt(t[1:]), std, out=np.ones_like(std), where=std > 0)
    if drift is not None:
        # per day, subtract the log of the paths' mean growth and add the wanted one: E[P_k] = P_0 e^(drift t_k)
        log_move += drift * t - np.log(np.exp(log_move).mean(axis=0))
    price = entry * np.exp(log_move)
    vol_shift = mark_vol_shift(calibration.volatility, mark_vol, price, entry)
    return MarketPaths(y20, y30, price, vol_shift)


def spread_value_matrix(spread: CreditSpread, paths: MarketPaths, rate: float, entry_vol_short: float,
                        entry_vol_long: float | None = None, iv_floor: float = 0.03,
                        days_per_year: float = TRADING_DAYS, div_yield: float = 0.0, years=None) -> np.ndarray:
    """Buy-back value of the spread on every path and day (per share); the last column is at expiry.

    The paths' n_days must equal the spread's expiration_days (or len(years) - 1). Each leg keeps its
    entry implied vol plus the path's vol shift (floored at `iv_floor`)."""
    n = spread.expiration_days if years is None else len(years) - 1
    if paths.n_days != n:
        raise ValueError(f"paths cover {paths.n_days} days, the spread expires in {n}")
    entry_vol_long = entry_vol_short if entry_vol_long is None else entry_vol_long
    # `years`: time to expiry of each column (a daycount.Schedule's, calendar); else columns count as days
    t = (n - np.arange(n + 1)) / days_per_year if years is None else np.asarray(years, dtype=float)
    vol_short = np.maximum(entry_vol_short + paths.vol_shift, iv_floor)
    vol_long = vol_short if entry_vol_long == entry_vol_short else np.maximum(entry_vol_long + paths.vol_shift,
                                                                              iv_floor)
    return spread.value(paths.price, t, rate, vol_short, vol_long, div_yield)
