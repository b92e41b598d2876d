"""Implied-volatility model for simulated TLT paths, estimated from realized volatility.

    iv(P) = base_iv + price_sensitivity * (P - P_ref),  clipped to [floor, cap]

Volatility is an annual decimal; `price_sensitivity` is volatility per dollar of TLT (negative: vol
rises as bonds sell off); P_ref is the TLT price on the calibration's last date (`current_values`).
Estimation: rolling realized volatility of daily log returns (window days, annualised with 252) is
regressed on the TLT price at the window's end; base_iv is that line evaluated at P_ref. Without an
option history for TLT, realized vol stands in for implied vol (no variance premium is added).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from domain.errors import InputError

TRADING_DAYS = 252.0


@dataclass(frozen=True)
class VolatilityModel:
    base_iv: float
    price_sensitivity: float

    def iv(self, price, reference_price: float, floor: float = 0.03, cap: float = 2.0):
        p = np.asarray(price, dtype=float)
        return np.clip(self.base_iv + self.price_sensitivity * (p - reference_price), floor, cap)

    def as_dict(self) -> dict[str, float]:
        return {"base_iv": self.base_iv, "price_sensitivity": self.price_sensitivity}


def rolling_realized_vol(prices, window: int = 21, segment=None) -> tuple[np.ndarray, np.ndarray]:
    """(realized vol, index of the window's last price) for every full window inside one segment."""
    p = np.asarray(prices, dtype=float)
    r = np.diff(np.log(p))
    ok = np.ones_like(r, dtype=bool)
    if segment is not None:
        seg = np.asarray(segment)
        ok = seg[1:] == seg[:-1]
    r = np.where(ok, r, 0.0)
    if r.size < window:
        return np.empty(0), np.empty(0, dtype=int)
    c1 = np.concatenate([[0.0], np.cumsum(r)])
    c2 = np.concatenate([[0.0], np.cumsum(r * r)])
    bad = np.concatenate([[0], np.cumsum(~ok)])
    s1 = c1[window:] - c1[:-window]
    s2 = c2[window:] - c2[:-window]
    clean = (bad[window:] - bad[:-window]) == 0
    var = (s2 - s1 * s1 / window) / (window - 1)
    vol = np.sqrt(np.maximum(var, 0.0) * TRADING_DAYS)
    end_index = np.arange(window, r.size + 1)  # price index of each window's last return
    return vol[clean], end_index[clean]


def fit_volatility_model(prices, reference_price: float, window: int = 21, segment=None) -> VolatilityModel:
    vol, end = rolling_realized_vol(prices, window, segment)
    if vol.size < 10:
        raise InputError(f"volatility model: need at least {window + 10} consecutive prices")
    p = np.asarray(prices, dtype=float)[end]
    slope, intercept = np.polyfit(p, vol, 1)
    base = float(intercept + slope * reference_price)
    if not base > 0:
        base = float(np.mean(vol))
    return VolatilityModel(base_iv=base, price_sensitivity=float(slope))
