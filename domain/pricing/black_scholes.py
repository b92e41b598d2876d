"""Black-Scholes-Merton prices and Greeks for European calls and puts, vectorised over numpy arrays.

Conventions (all inputs broadcast against each other):
- `spot`, `strike` in currency units; `t` is the time to expiry in years (the caller chooses the day
  count; the TLT overlay uses trading days / 252); `rate` and `div_yield` are continuously
  compounded annual decimals (0.05 = 5%); `vol` is an annual decimal volatility.
- `is_call` is a boolean array (True = call, False = put).
- Greeks are per unit of the underlying variable: vega per 1.00 of volatility (divide by 100 for
  "per vol point"), rho per 1.00 of rate. Theta is reported per year and per calendar day
  (theta_year / 365), both as the change in value as time passes (usually negative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

_INV_SQRT_2PI = 0.3989422804014327
DAYS_PER_YEAR_THETA = 365.0


def _pdf(x: np.ndarray) -> np.ndarray:
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def _d1_d2(spot, strike, t, rate, div_yield, vol):
    sqrt_t = np.sqrt(t)
    vol_sqrt_t = vol * sqrt_t
    d1 = (np.log(spot / strike) + (rate - div_yield + 0.5 * vol * vol) * t) / vol_sqrt_t
    return d1, d1 - vol_sqrt_t, sqrt_t


def price(spot, strike, t, rate, vol, is_call, div_yield=0.0) -> np.ndarray:
    """Black-Scholes-Merton price. At t <= 0 the option is worth its intrinsic value."""
    spot, strike, t, rate, vol, div_yield = (np.asarray(a, dtype=float) for a in
                                             (spot, strike, t, rate, vol, div_yield))
    sign = np.where(is_call, 1.0, -1.0)
    live = t > 0.0
    # A dead option would give 0/0 in d1; substitute a harmless t and overwrite with intrinsic below.
    t_safe = np.where(live, t, 1.0)
    d1, d2, _ = _d1_d2(spot, strike, t_safe, rate, div_yield, vol)
    value = sign * (spot * np.exp(-div_yield * t_safe) * ndtr(sign * d1)
                    - strike * np.exp(-rate * t_safe) * ndtr(sign * d2))
    if np.all(live):
        return value
    return np.where(live, value, np.maximum(sign * (spot - strike), 0.0))


def call_price(spot, strike, t, rate, vol, div_yield=0.0) -> np.ndarray:
    return price(spot, strike, t, rate, vol, True, div_yield)


def put_price(spot, strike, t, rate, vol, div_yield=0.0) -> np.ndarray:
    return price(spot, strike, t, rate, vol, False, div_yield)


@dataclass(frozen=True)
class Greeks:
    """Price and sensitivities, each an array shaped like the broadcast inputs (units: module docstring)."""

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta_year: np.ndarray
    theta_day: np.ndarray
    rho: np.ndarray


def greeks(spot, strike, t, rate, vol, is_call, div_yield=0.0) -> Greeks:
    """Price and all first-order Greeks plus gamma in one pass (t must be > 0, vol > 0)."""
    spot, strike, t, rate, vol, div_yield = (np.asarray(a, dtype=float) for a in
                                             (spot, strike, t, rate, vol, div_yield))
    sign = np.where(is_call, 1.0, -1.0)
    d1, d2, sqrt_t = _d1_d2(spot, strike, t, rate, div_yield, vol)
    disc_q = np.exp(-div_yield * t)
    disc_r = np.exp(-rate * t)
    n_d1 = ndtr(sign * d1)
    n_d2 = ndtr(sign * d2)
    pdf_d1 = _pdf(d1)
    spot_q = spot * disc_q
    strike_r = strike * disc_r
    value = sign * (spot_q * n_d1 - strike_r * n_d2)
    delta = sign * disc_q * n_d1
    gamma = disc_q * pdf_d1 / (spot * vol * sqrt_t)
    vega = spot_q * pdf_d1 * sqrt_t
    theta_year = (-spot_q * pdf_d1 * vol / (2.0 * sqrt_t)
                  + sign * (div_yield * spot_q * n_d1 - rate * strike_r * n_d2))
    rho = sign * strike_r * t * n_d2
    return Greeks(price=value, delta=delta, gamma=gamma, vega=vega, theta_year=theta_year,
                  theta_day=theta_year / DAYS_PER_YEAR_THETA, rho=rho)


def delta(spot, strike, t, rate, vol, is_call, div_yield=0.0) -> np.ndarray:
    spot, strike, t, rate, vol, div_yield = (np.asarray(a, dtype=float) for a in
                                             (spot, strike, t, rate, vol, div_yield))
    d1, _, _ = _d1_d2(spot, strike, t, rate, div_yield, vol)
    sign = np.where(is_call, 1.0, -1.0)
    return sign * np.exp(-div_yield * t) * ndtr(sign * d1)


def vega(spot, strike, t, rate, vol, div_yield=0.0) -> np.ndarray:
    spot, strike, t, rate, vol, div_yield = (np.asarray(a, dtype=float) for a in
                                             (spot, strike, t, rate, vol, div_yield))
    d1, _, sqrt_t = _d1_d2(spot, strike, t, rate, div_yield, vol)
    return spot * np.exp(-div_yield * t) * _pdf(d1) * sqrt_t
