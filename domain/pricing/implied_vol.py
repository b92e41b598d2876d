"""Black-Scholes implied volatility for whole option chains at once.

The solver works on the out-of-the-money side of each quote (an in-the-money price is turned into the
OTM one by put-call parity, because the time value of a deep ITM option drowns in its intrinsic
value) and in undiscounted Black terms, with total volatility s = vol * sqrt(t) as the unknown.
It starts every quote at the inflection point s_c = sqrt(2 |ln(F/K)|), where the Black price has its
largest vega; from there Newton's method is monotone on either side (Manaster & Koehler, 1982).
Quotes whose target lies below the inflection price are solved on log(price), which is nearly
linear for small premia. A bracket [lo, hi] is kept for every quote and any step leaving it is
replaced by bisection, so each iteration is safe even where vega vanishes.

Conventions as in `black_scholes`: t in years, rate/div_yield continuously compounded decimals,
prices in currency units. Result volatilities are annual decimals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

OK = 0
BELOW_INTRINSIC = 1  # price <= the no-arbitrage lower bound (discounted intrinsic value)
ABOVE_MAXIMUM = 2  # price >= the no-arbitrage upper bound (S e^{-qt} for calls, K e^{-rt} for puts)
INVALID_INPUT = 3  # non-finite input, or spot/strike/t not positive, or a negative price
NOT_CONVERGED = 4
STATUS_NAMES = {OK: "ok", BELOW_INTRINSIC: "below_intrinsic", ABOVE_MAXIMUM: "above_maximum",
                INVALID_INPUT: "invalid_input", NOT_CONVERGED: "not_converged"}

_VOL_TOL = 1e-12
_MAX_ITER = 100
_ACCEPT_STEP = 1e-5
_TRACE = False
_INV_SQRT_2PI = 0.3989422804014327


@dataclass(frozen=True)
class ImpliedVolResult:
    """`vol` is NaN wherever `status` is not OK; `iterations` is the largest count any quote needed."""

    vol: np.ndarray
    status: np.ndarray
    iterations: int

    @property
    def ok(self) -> np.ndarray:
        return self.status == OK


def _otm_black(log_moneyness, forward, strike, s, sign):
    """Undiscounted Black price of the OTM option (sign +1 call, -1 put) and its derivative in s."""
    d1 = log_moneyness / s + 0.5 * s
    d2 = d1 - s
    value = sign * (forward * ndtr(sign * d1) - strike * ndtr(sign * d2))
    dvalue = forward * _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
    return value, dvalue


def _initial_guess(x, forward, strike, otm_price, sign):
    """Total volatility s close to the root: Corrado-Miller near the money, the small-s asymptote
    ln(p / sqrt(FK)) ~ -x^2 / (2 s^2) far from it; the solver's bracket makes either one safe."""
    call = np.where(sign > 0, otm_price, otm_price + forward - strike)
    half_gap = 0.5 * (forward - strike)
    centred = call - half_gap
    radicand = centred * centred - (forward - strike) ** 2 / np.pi
    with np.errstate(all="ignore"):
        corrado = np.sqrt(2.0 * np.pi) / (forward + strike) * (centred + np.sqrt(np.maximum(radicand, 0.0)))
        log_ratio = np.log(otm_price / np.sqrt(forward * strike))
        asymptote = np.abs(x) / np.sqrt(np.maximum(-2.0 * log_ratio, 1e-12))
    guess = np.where((radicand > 0.0) & (corrado > 0.0), corrado, asymptote)
    return np.where(np.isfinite(guess) & (guess > 0.0), np.clip(guess, 1e-4, 20.0), 0.5)


def _halley(g, g1, g2):
    newton = g / g1
    denominator = 1.0 - 0.5 * newton * g2 / g1
    # far from the root the Halley correction can flip the step; fall back to Newton there
    return np.where(denominator > 0.5, newton / denominator, newton)


def implied_vol(price, spot, strike, t, rate, is_call, div_yield=0.0) -> ImpliedVolResult:
    """Implied volatility of each quote; quotes outside the no-arbitrage bounds get a status, not a vol."""
    price, spot, strike, t, rate, div_yield, is_call = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (price, spot, strike, t, rate, div_yield)),
        np.asarray(is_call, dtype=bool))
    shape = price.shape
    price, spot, strike, t, rate, div_yield, is_call = (a.ravel() for a in
                                                        (price, spot, strike, t, rate, div_yield, is_call))
    n = price.size
    vol = np.full(n, np.nan)
    status = np.full(n, INVALID_INPUT, dtype=np.int8)

    with np.errstate(all="ignore"):
        valid = (np.isfinite(price) & np.isfinite(spot) & np.isfinite(strike) & np.isfinite(t)
                 & np.isfinite(rate) & np.isfinite(div_yield) & (spot > 0) & (strike > 0) & (t > 0)
                 & (price >= 0))
        discount = np.exp(-rate * t)
        forward = spot * np.exp((rate - div_yield) * t)
        undiscounted = price / discount
        call_otm = strike >= forward
        # parity: C - P = F - K (undiscounted), so an ITM quote becomes the OTM quote of the other kind
        otm_target = np.where(is_call == call_otm, undiscounted,
                              undiscounted - np.where(is_call, forward - strike, strike - forward))
        upper = np.minimum(forward, strike)
        # bounds tested on the quote as given too: the parity conversion can round across them
        spot_q, strike_r = spot * np.exp(-div_yield * t), strike * discount
        lower_bound = np.maximum(np.where(is_call, spot_q - strike_r, strike_r - spot_q), 0.0)
        upper_bound = np.where(is_call, spot_q, strike_r)
    below = valid & ((otm_target <= 0.0) | (price <= lower_bound))
    above = valid & ((otm_target >= upper) | (price >= upper_bound))
    status[below] = BELOW_INTRINSIC
    status[above] = ABOVE_MAXIMUM
    solve = valid & ~below & ~above
    idx = np.flatnonzero(solve)
    if idx.size == 0:
        return ImpliedVolResult(vol.reshape(shape), status.reshape(shape), 0)

    F, K, target = forward[idx], strike[idx], otm_target[idx]
    sign = np.where(call_otm[idx], 1.0, -1.0)
    x = np.log(F / K)
    tol = _VOL_TOL * np.sqrt(t[idx])
    s = _initial_guess(x, F, K, target, sign)
    lo = np.zeros_like(s)
    hi = np.full_like(s, np.inf)
    log_target = np.log(target)
    pos = np.arange(idx.size)
    result_s = np.full(idx.size, np.nan)

    iterations = 0
    for iterations in range(1, _MAX_ITER + 1):
        value, dvalue = _otm_black(x, F, K, s, sign)
        above_target = value > target
        hi = np.where(above_target, s, hi)
        lo = np.where(above_target, lo, s)
        # Halley's method (third order): the Black price's second derivative in s is cheap,
        # vega * d1 * d2 / s, and for log(price) it follows by the chain rule.
        xs = x / s
        curvature = (xs * xs - 0.25 * s * s) / s
        with np.errstate(all="ignore"):
            g1 = dvalue / value
            step = _halley(np.log(value) - log_target, g1, g1 * curvature - g1 * g1)
        proposal = s - step
        inside = (proposal >= lo) & (proposal <= hi) & np.isfinite(proposal)
        new_s = np.where(inside, proposal, np.where(np.isfinite(hi), 0.5 * (lo + hi), 2.0 * lo))
        # Halley converges cubically: after a step of size e the error is of order e^3 / s^2, so a
        # step below _ACCEPT_STEP * s leaves well under 1e-12 in s (the tests check the 1e-10 in vol)
        done = (inside & (np.abs(step) <= np.maximum(tol, _ACCEPT_STEP * s))) | (value == target) | ((hi - lo) <= tol)
        result_s[pos[done]] = np.where(value[done] == target[done], s[done], new_s[done])
        keep = ~done
        if not keep.any():
            break
        x, F, K, target, log_target, sign, lo, hi, tol, pos = (
            a[keep] for a in (x, F, K, target, log_target, sign, lo, hi, tol, pos))
        s = new_s[keep]
        if _TRACE: print(iterations, s.size)

    sqrt_t = np.sqrt(t[idx])
    converged = np.isfinite(result_s)
    vol_solved = result_s / sqrt_t
    vol[idx[converged]] = vol_solved[converged]
    status[idx] = np.where(converged, OK, NOT_CONVERGED)
    return ImpliedVolResult(vol.reshape(shape), status.reshape(shape), iterations)
