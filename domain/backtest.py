"""Daily backtest of a target-exposure series on one asset, with a path-dependent risk overlay.

Timing and cost conventions (the same in every strategy and in production):

- ``asset_returns[t]`` is the asset's simple return from the close of t-1 to the close of t.
- ``target[t]`` is the exposure the strategy wants, decided at the close of t from data dated <= t.
  After the overlay it becomes ``exposure[t]``, held from the close of t to the close of t+1, so it
  earns ``asset_returns[t+1]``. The exposure before the first day is 0.
- A trade made at the close of t costs ``(commission_bps + slippage_bps) / 1e4 * |exposure[t] -
  exposure[t-1]|`` and is booked with day t+1's return. Booking it the next day means the equity (and so
  the drawdown) the overlay sees at the close of t is final before the trade at t is chosen; the cost of
  the very last trade falls outside the sample.
- ``net_return[t] = exposure[t-1] * asset_returns[t] - cost of the trade at t-1``; equity starts at 1.

The overlay, applied at each close in this order (see ``overlay_step``):

1. drawdown throttle on the strategy's own equity: with ``dd = equity / peak - 1``, scale by 0.75 / 0.5 /
   0.2 / 0 once ``dd < -3% / -5% / -8% / -12%`` (design document, section 3.2). Past the last threshold
   the position is flat (the stop). While flat, equity cannot move, so the stop would never lift; after
   ``rearm_days`` consecutive stopped days the peak is reset to the current equity (``rearm_days = 0``
   keeps the stop for good).
2. drawdown soft cap: |exposure| <= 0.6 while ``dd`` is beyond the first threshold (section 6.5).
3. hard caps: ``min_exposure <= exposure <= max_exposure`` (-1.0 .. 1.5).
4. turnover cap: |exposure[t] - exposure[t-1]| <= ``max_turnover`` (0.8), except when the stop is active,
   which goes flat at once.

``run_backtest`` does this in one O(n) pass over plain Python floats; ``run_backtest_reference`` is the
plain, slow and obviously-correct loop (peak recomputed from the whole history at each step) that tests and
the benchmark compare it with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from domain.book.kernel import FLAG_NAMES as _ALL_FLAGS
from domain.book.kernel import HARD_CAPPED, HISTORY_FLAGS, SOFT_CAPPED, STOPPED, THROTTLED, TURNOVER_CAPPED
from domain.book.rules import Rules
from domain.errors import InputError

# Bit flags reported per day by the overlay (the book kernel's, which also has per-position ones).
FLAG_NAMES = {bit: _ALL_FLAGS[bit] for bit in (THROTTLED, STOPPED, SOFT_CAPPED, HARD_CAPPED, TURNOVER_CAPPED,
                                               *HISTORY_FLAGS)}


@dataclass(frozen=True)
class CostModel:
    """Transaction costs in basis points of the traded exposure (design document, section 7.2)."""

    commission_bps: float = 2.0
    slippage_bps: float = 1.0

    @property
    def rate(self) -> float:
        return (self.commission_bps + self.slippage_bps) / 1e4


@dataclass(frozen=True)
class OverlayParams:
    """Path-dependent overlay. Thresholds are positive drawdown depths, ascending; scales pair with them."""

    drawdown_thresholds: tuple[float, ...] = (0.03, 0.05, 0.08, 0.12)
    drawdown_scales: tuple[float, ...] = (0.75, 0.5, 0.2, 0.0)
    drawdown_soft_cap: float = 0.6
    min_exposure: float = -1.0
    max_exposure: float = 1.5
    max_turnover: float = 0.8
    rearm_days: int = 21
    # seed 000's history rules (sections 6.1, 6.3, 6.6), off unless the config sets them; see domain.book.Rules
    trailing_stop: float | None = None
    trailing_window: int = 20
    correlation_scale: float | None = None
    correlation_stop: float | None = None
    correlation_window: int = 20
    autocorr_threshold: float | None = None
    autocorr_lags: tuple[int, ...] = (1, 5, 10, 20)
    autocorr_window: int = 63
    autocorr_tighten: float = 0.75

    def __post_init__(self) -> None:
        th, sc = tuple(self.drawdown_thresholds), tuple(self.drawdown_scales)
        object.__setattr__(self, "drawdown_thresholds", th)
        object.__setattr__(self, "drawdown_scales", sc)
        object.__setattr__(self, "autocorr_lags", tuple(self.autocorr_lags))
        if len(th) != len(sc) or not th:
            raise InputError("drawdown_thresholds and drawdown_scales must be non-empty and of equal length")
        if any(b <= a for a, b in zip(th, th[1:])) or th[0] <= 0:
            raise InputError("drawdown_thresholds must be positive and strictly ascending")
        if any(s < 0 for s in sc):
            raise InputError("drawdown_scales must be >= 0")
        if not self.min_exposure <= 0 <= self.max_exposure:
            raise InputError("need min_exposure <= 0 <= max_exposure")
        if self.max_turnover <= 0 or self.drawdown_soft_cap < 0 or self.rearm_days < 0:
            raise InputError("max_turnover must be > 0, drawdown_soft_cap and rearm_days >= 0")
        Rules.from_overlay(self, CostModel())  # the history rules' checks live with the rules


def throttle_scale(drawdown: float, params: OverlayParams) -> float:
    """Multiplier of the drawdown throttle for a drawdown ``drawdown`` (<= 0)."""
    for threshold, scale in zip(reversed(params.drawdown_thresholds), reversed(params.drawdown_scales)):
        if drawdown < -threshold:
            return scale
    return 1.0


def overlay_step(target: float, drawdown: float, prev_exposure: float, params: OverlayParams) -> tuple[float, int]:
    """One day of the overlay: (exposure, flags) from the wanted exposure, the current drawdown of the
    strategy's equity (<= 0) and yesterday's exposure. Used as is by the daily decision."""
    flags = 0
    x = 0.0 if not np.isfinite(target) else float(target)
    scale = throttle_scale(drawdown, params)
    stopped = drawdown < -params.drawdown_thresholds[-1] and scale == 0.0
    if scale != 1.0:
        flags |= THROTTLED
        x *= scale
    if stopped:
        flags |= STOPPED
    if drawdown < -params.drawdown_thresholds[0] and abs(x) > params.drawdown_soft_cap:
        flags |= SOFT_CAPPED
        x = params.drawdown_soft_cap if x > 0 else -params.drawdown_soft_cap
    if x > params.max_exposure:
        flags |= HARD_CAPPED
        x = params.max_exposure
    elif x < params.min_exposure:
        flags |= HARD_CAPPED
        x = params.min_exposure
    if not stopped:
        change = x - prev_exposure
        if change > params.max_turnover:
            flags |= TURNOVER_CAPPED
            x = prev_exposure + params.max_turnover
        elif change < -params.max_turnover:
            flags |= TURNOVER_CAPPED
            x = prev_exposure - params.max_turnover
    return x, flags


@dataclass(frozen=True)
class BacktestResult:
    """Daily frame indexed by date with columns target, exposure, asset_return, gross_return, cost,
    net_return, equity, drawdown (vs the all-time peak), throttle_drawdown (vs the peak the overlay
    uses, which the stop's re-arm resets) and flags (bit mask, see ``FLAG_NAMES``)."""

    frame: pd.DataFrame
    costs: CostModel = field(default_factory=CostModel)

    @property
    def returns(self) -> pd.Series:
        return self.frame["net_return"]

    @property
    def exposure(self) -> pd.Series:
        return self.frame["exposure"]

    @property
    def equity(self) -> pd.Series:
        return self.frame["equity"]

    def filter_days(self) -> pd.DataFrame:
        """One boolean column per overlay filter: was it active that day."""
        f = self.frame["flags"].to_numpy()
        return pd.DataFrame({name: (f & bit) != 0 for bit, name in FLAG_NAMES.items()}, index=self.frame.index)


def _inputs(asset_returns: pd.Series, target: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(asset_returns, pd.Series) or not isinstance(target, pd.Series):
        raise InputError("asset_returns and target must be pandas Series indexed by date")
    if not asset_returns.index.equals(target.index):
        raise InputError("asset_returns and target must share the same index")
    if not asset_returns.index.is_monotonic_increasing or asset_returns.index.has_duplicates:
        raise InputError("the index must be increasing without duplicates")
    r = np.nan_to_num(asset_returns.to_numpy(dtype=float), nan=0.0)
    x = np.nan_to_num(target.to_numpy(dtype=float), nan=0.0)
    return r, x


def _frame(index, x, e, r, cost_rate, flags, tdd, costs) -> BacktestResult:
    prev = np.concatenate(([0.0], e[:-1]))
    prev2 = np.concatenate(([0.0, 0.0], e[:-2]))[: len(e)]
    gross = prev * r
    cost = cost_rate * np.abs(prev - prev2)
    net = gross - cost
    equity = np.cumprod(1.0 + net)
    peak = np.maximum.accumulate(np.concatenate(([1.0], equity)))[1:]
    frame = pd.DataFrame(
        {
            "target": x,
            "exposure": e,
            "asset_return": r,
            "gross_return": gross,
            "cost": cost,
            "net_return": net,
            "equity": equity,
            "drawdown": equity / peak - 1.0,
            "throttle_drawdown": tdd,
            "flags": flags,
        },
        index=index,
    )
    return BacktestResult(frame=frame, costs=costs)


def _overlay_loop(r: np.ndarray, x: np.ndarray, overlay: OverlayParams, costs: CostModel):
    """The one-pass overlay: (exposure, flags, throttle drawdown) arrays. It is the book's session function
    for one instrument (``domain.book.kernel.scalar_overlay_loop``), with these parameters as its rules,
    compiled (``domain.book.scalar_jit``, bit-for-bit the same; imported here so numba loads on first use)."""
    from domain.book.scalar_jit import overlay_loop

    return overlay_loop(r, x, Rules.from_overlay(overlay, costs))


def run_backtest(
    asset_returns: pd.Series,
    target: pd.Series,
    overlay: OverlayParams | None = None,
    costs: CostModel = CostModel(),
) -> BacktestResult:
    """Backtest ``target`` (wanted exposure at each close) on ``asset_returns``; O(n), one pass.

    With ``overlay=None`` the exposure is the target itself and everything is vectorised."""
    r, x = _inputs(asset_returns, target)
    n = len(r)
    rate = costs.rate
    if overlay is None:
        return _frame(asset_returns.index, x, x.copy(), r, rate, np.zeros(n, dtype=np.int64), np.zeros(n), costs)

    e, fl, tdd = _overlay_loop(r, x, overlay, costs)
    return _frame(asset_returns.index, x, e, r, rate, fl, tdd, costs)


def backtest_net_returns(
    asset_returns: np.ndarray, target: np.ndarray, overlay: OverlayParams | None, costs: CostModel = CostModel()
) -> np.ndarray:
    """Daily net returns only, from aligned arrays: the same numbers as ``run_backtest(...).returns``
    without building a frame (for grid searches that score thousands of candidates)."""
    r = np.nan_to_num(np.asarray(asset_returns, dtype=float), nan=0.0)
    x = np.nan_to_num(np.asarray(target, dtype=float), nan=0.0)
    e = x if overlay is None else _overlay_loop(r, x, overlay, costs)[0]
    prev = np.concatenate(([0.0], e[:-1]))
    prev2 = np.concatenate(([0.0, 0.0], e[:-2]))[: len(e)]
    return prev * r - costs.rate * np.abs(prev - prev2)


def backtest_net_returns_many(
    asset_returns: np.ndarray, targets: np.ndarray, overlay: OverlayParams | None, costs: CostModel = CostModel()
) -> np.ndarray:
    """``backtest_net_returns`` for every column of ``targets`` (T x P candidate series) at once: the compiled
    overlay loop over each column in one call (``scalar_jit.overlay_loop_many``; 2-20x faster than the
    lockstep numpy paths of ``domain.book.paths``), equal column by column to the one-path loop."""
    from domain.book.scalar_jit import overlay_loop_many

    r = np.nan_to_num(np.asarray(asset_returns, dtype=float), nan=0.0)
    x = np.nan_to_num(np.asarray(targets, dtype=float), nan=0.0)
    e = x if overlay is None else overlay_loop_many(r, x, Rules.from_overlay(overlay, costs))
    prev = np.vstack((np.zeros((1, e.shape[1])), e[:-1]))
    prev2 = np.vstack((np.zeros((2, e.shape[1])), e[:-2]))[: len(e)]
    return prev * r[:, None] - costs.rate * np.abs(prev - prev2)


def run_backtest_reference(
    asset_returns: pd.Series,
    target: pd.Series,
    overlay: OverlayParams | None = None,
    costs: CostModel = CostModel(),
) -> BacktestResult:
    """Naive reference of ``run_backtest``: an explicit loop that recomputes the peak from the whole
    equity history each day (O(n^2)) and calls ``overlay_step``. For tests and the benchmark only."""
    r, x = _inputs(asset_returns, target)
    n = len(r)
    exposures: list[float] = []
    flags: list[int] = []
    tdds: list[float] = []
    equity_hist: list[float] = [1.0]
    armed_from = 0
    flat = 0
    for t in range(n):
        prev = exposures[t - 1] if t >= 1 else 0.0
        prev2 = exposures[t - 2] if t >= 2 else 0.0
        day_ret = prev * r[t] - costs.rate * abs(prev - prev2)
        equity_hist.append(equity_hist[-1] * (1.0 + day_ret))
        peak = max(equity_hist[armed_from:])
        dd = equity_hist[-1] / peak - 1.0
        tdds.append(dd)
        if overlay is None:
            exposure, f = x[t], 0
        else:
            exposure, f = overlay_step(x[t], dd, prev, overlay)
            if f & STOPPED:
                flat += 1
                if overlay.rearm_days and flat >= overlay.rearm_days:
                    armed_from = len(equity_hist) - 1
                    flat = 0
            else:
                flat = 0
        exposures.append(exposure)
        flags.append(f)
    return _frame(
        asset_returns.index, x, np.array(exposures, dtype=float), r, costs.rate,
        np.array(flags, dtype=np.int64), np.array(tdds), costs,
    )
