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

# how each leg's implied vol moves along a path after entry (TltOverlayParams.mark_vol)
STICKY_STRIKE, MODEL = "sticky_strike", "model"
MARK_VOLS = (STICKY_STRIKE, MODEL)


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


def mark_vol_shift(model: VolatilityModel, mark_vol: str, price, entry_price):
    """Change of each leg's implied vol since entry at `price` (the marks' vol is entry IV + this).

    sticky_strike (the default): 0, each leg is marked at its entry IV all the way. The entry is a
    risk-neutral Black-Scholes-Merton price at one flat vol, and the paths are built to move at that vol
    (minus the stated premium, which is in the path vol already, so the marks take nothing off). A price
    at a flat vol is only consistent with marks at that same vol: on paths that move at that vol (each
    column's mean and spread matched, domain/tlt/monte_carlo.py) the BSM value at that vol is, up to the
    paths' shape, the discounted expectation of what is left, so no exit rule (profit target, loss
    multiple, DTE close) can expect to earn more than the premium put in. Marks whose vol moves with the price are the price of
    a different model (local vol) that the entry was not priced in; a rule stopped on them harvests the
    gap: at zero premium the screen took bull puts in every quarter whose fit had vol rising with the price
    (E[R] up to $0.04 at POP >= 70%), none with price_sensitivity 0 (tests/domain/tlt/test_mark_vol.py).
    model: price_sensitivity * (price - entry_price), the calibrated vol model's dynamics; kept for research,
    and printed as an assumption wherever it is chosen."""
    if mark_vol == STICKY_STRIKE:
        return np.zeros_like(np.asarray(price, dtype=float))
    if mark_vol == MODEL:
        return model.price_sensitivity * (np.asarray(price, dtype=float) - entry_price)
    raise ValueError(f"mark_vol must be one of {', '.join(MARK_VOLS)}, not {mark_vol!r}")
