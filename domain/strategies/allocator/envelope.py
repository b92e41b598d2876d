"""The risk envelope after the model (document 003, section 6, step 3): drawdown guard rails, volatility
scaling and the drift safety throttle, in the backtest and in ``decide`` alike.

- drift safety throttle: while the drift intensity (PSI of the legs' returns, ``drift_psi``) is above the
  drift flag, the daily move toward the model's weight is capped at ``drift_throttle`` x the usual cap
  (smaller moves when the recent market no longer looks like the training data);
- volatility scaling: the mix is held at ``k = clip(target_vol / (vol + eps), low, high)`` of capital, where
  vol is the annualised volatility over ``vol_days`` of the legs mixed at the weight just decided;
  ``high = 1`` (the legs are held fully at most, never levered); the rest is cash;
- drawdown guard rails: ``k`` is multiplied by the paired scale once the allocation's own drawdown (its
  equity after costs against its running peak) is beyond each threshold.

The document gives no numbers; the defaults reuse seed 000's for the same techniques (18% target
volatility, bounds 0.5..), with guard rails at 10% / 20% (0.75 / 0.5) and the throttle halving the cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.errors import InputError
from domain.strategies.allocator.policy import smooth


@dataclass(frozen=True)
class EnvelopeParams:
    enabled: bool = True
    drawdown_thresholds: tuple[float, ...] = (0.10, 0.20)
    drawdown_scales: tuple[float, ...] = (0.75, 0.5)
    target_vol: float = 0.18
    vol_days: int = 63
    vol_bounds: tuple[float, float] = (0.5, 1.0)
    vol_eps: float = 0.01
    drift_throttle: float = 0.5

    def __post_init__(self) -> None:
        th, sc = tuple(self.drawdown_thresholds), tuple(self.drawdown_scales)
        object.__setattr__(self, "drawdown_thresholds", th)
        object.__setattr__(self, "drawdown_scales", sc)
        object.__setattr__(self, "vol_bounds", tuple(self.vol_bounds))
        if len(th) != len(sc) or any(b <= a for a, b in zip(th, th[1:])) or any(not 0 < t < 1 for t in th):
            raise InputError("envelope: drawdown_thresholds must ascend in (0, 1), one scale each")
        if any(not 0 <= s <= 1 for s in sc) or not 0 < self.drift_throttle <= 1:
            raise InputError("envelope: drawdown_scales must be in [0, 1] and drift_throttle in (0, 1]")
        lo, hi = self.vol_bounds
        if not 0 < lo <= hi <= 1 or not self.target_vol > 0 or self.vol_days < 2:
            raise InputError("envelope: need 0 < vol_bounds low <= high <= 1, target_vol > 0, vol_days >= 2")


def guard_scale(drawdown: float, p: EnvelopeParams) -> float:
    """The guard rails' multiplier at ``drawdown`` (<= 0)."""
    scale = 1.0
    for t, s in zip(p.drawdown_thresholds, p.drawdown_scales):
        if drawdown < -t:
            scale = s
    return scale


def leg_moments(r_qqq: pd.Series, r_spy: pd.Series, days: int) -> pd.DataFrame:
    """Rolling variances and covariance of the legs' daily returns over ``days`` (known at each close)."""
    both = pd.DataFrame({"q": r_qqq, "s": r_spy}).fillna(0.0)
    roll = both.rolling(days, min_periods=days)
    return pd.DataFrame({"vq": roll.var()["q"], "vs": roll.var()["s"],
                         "c": roll.cov().xs("q", level=1)["s"]}, index=both.index)


def vol_scale(w: np.ndarray, moments: pd.DataFrame, p: EnvelopeParams) -> np.ndarray:
    """k from the volatility of the mix at weight ``w`` (1 where the window is not full yet)."""
    vq, vs, c = (moments[k].to_numpy(float) for k in ("vq", "vs", "c"))
    var = w * w * vq + (1 - w) * (1 - w) * vs + 2 * w * (1 - w) * c
    vol = np.sqrt(np.maximum(var, 0.0) * 252.0)
    k = np.clip(p.target_vol / (vol + p.vol_eps), *p.vol_bounds)
    return np.where(np.isfinite(k), k, 1.0)


def drift_caps(drift_psi: np.ndarray, flag: float, cap: float, p: EnvelopeParams) -> np.ndarray:
    return np.where(np.nan_to_num(drift_psi, nan=0.0) > flag, cap * p.drift_throttle, cap)


def apply_envelope(w_raw: np.ndarray, alpha, cap: float, w0: float, drift_psi: np.ndarray, drift_flag: float,
                   r_qqq: pd.Series, r_spy: pd.Series, cost_rate: float, p: EnvelopeParams):
    """(w_qqq, k) per session: the smoothed weight with the drift throttle, and the share of capital in the
    mix after volatility scaling and the guard rails. ``r_qqq``/``r_spy`` are indexed by the sessions."""
    if not p.enabled:
        return smooth(w_raw, alpha, cap, w0), np.ones(len(w_raw))
    w = smooth(w_raw, alpha, drift_caps(drift_psi, drift_flag, cap, p), w0)
    k_vol = vol_scale(w, leg_moments(r_qqq, r_spy, p.vol_days), p)
    rq, rs = r_qqq.fillna(0.0).to_numpy(float), r_spy.fillna(0.0).to_numpy(float)
    k = np.empty_like(w)
    equity = peak = 1.0
    held_w, held_k, pending = w0, 1.0, 0.0
    for t in range(len(w)):  # path-dependent: the guard rails read the allocation's own equity
        earned = held_k * (held_w * rq[t] + (1.0 - held_w) * rs[t]) if t else 0.0  # as allocation_returns
        equity *= 1.0 + earned - pending
        peak = max(peak, equity)
        k[t] = k_vol[t] * guard_scale(equity / peak - 1.0, p)
        pending = cost_rate * 0.5 * (abs(k[t] * w[t] - held_k * held_w) + abs(k[t] * (1 - w[t]) - held_k * (1 - held_w)))
        held_w, held_k = w[t], k[t]
    return w, k


def envelope_now(w: float, drawdown: float, r_qqq: pd.Series, r_spy: pd.Series, p: EnvelopeParams) -> float:
    """k for the next session in production: the same volatility scaling at ``w`` and guard rails at the
    book's ``drawdown``, from the legs' returns up to the decision's close."""
    if not p.enabled:
        return 1.0
    moments = leg_moments(r_qqq, r_spy, p.vol_days).iloc[[-1]]
    k = float(vol_scale(np.array([w]), moments, p)[0])
    dd = float(drawdown) if drawdown is not None and math.isfinite(drawdown) else 0.0
    return k * guard_scale(dd, p)
