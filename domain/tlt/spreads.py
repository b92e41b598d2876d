"""Vertical credit spreads on TLT: bull put (sell the higher put, buy a lower one) and bear call
(sell the lower call, buy a higher one).

Money is per share (one contract = `contract_multiplier` shares, 100). `value` is what it costs to
buy the spread back (short leg minus long leg, >= 0); the seller's P&L is credit - value. Time to
expiry is in years; the overlay counts trading days and uses t = days / 252. `div_yield` is the
underlying's continuous dividend yield (Merton; TLT distributes about 4% a year), 0 by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from domain.errors import InputError
from domain.pricing.black_scholes import delta as bs_delta
from domain.pricing.black_scholes import price as bs_price

BULL_PUT = "bull_put"
BEAR_CALL = "bear_call"
KIND_ALIASES = {"put": BULL_PUT, "p": BULL_PUT, BULL_PUT: BULL_PUT,
                "call": BEAR_CALL, "c": BEAR_CALL, BEAR_CALL: BEAR_CALL}


def spread_kind(name: str) -> str:
    try:
        return KIND_ALIASES[name.strip().lower()]
    except KeyError:
        raise InputError(f"spread type must be put or call, got {name!r}") from None


@dataclass(frozen=True)
class CreditSpread:
    kind: str
    short_strike: float
    long_strike: float
    expiration_days: int

    def __post_init__(self) -> None:
        if self.kind not in (BULL_PUT, BEAR_CALL):
            raise InputError(f"unknown spread kind {self.kind!r}")
        if self.short_strike <= 0 or self.long_strike <= 0 or self.expiration_days < 1:
            raise InputError("strikes must be positive and expiration_days >= 1")
        further_otm = self.long_strike < self.short_strike if self.is_put else self.long_strike > self.short_strike
        if not further_otm:
            raise InputError(f"{self.kind}: the long strike must be further out of the money than the short")

    @property
    def is_put(self) -> bool:
        return self.kind == BULL_PUT

    @property
    def width(self) -> float:
        return abs(self.short_strike - self.long_strike)

    @property
    def label(self) -> str:
        return f"{'Put' if self.is_put else 'Call'} {self.short_strike:g}/{self.long_strike:g}"

    def value(self, spot, t, rate, vol_short, vol_long=None, div_yield=0.0):
        """Buy-back value per share; arrays broadcast (vols: annual decimals, t: years)."""
        vol_long = vol_short if vol_long is None else vol_long
        call = not self.is_put
        return (bs_price(spot, self.short_strike, t, rate, vol_short, call, div_yield)
                - bs_price(spot, self.long_strike, t, rate, vol_long, call, div_yield))

    def max_profit(self, credit: float) -> float:
        return credit

    def max_loss(self, credit: float) -> float:
        return self.width - credit

    def breakeven(self, credit: float) -> float:
        return self.short_strike - credit if self.is_put else self.short_strike + credit


def select_spread(kind: str, spot: float, expiration_days: int, rate: float, vol: float, target_delta: float,
                  width: float, strike_step: float = 1.0, days_per_year: float = 252.0,
                  div_yield: float = 0.0) -> CreditSpread:
    """Short strike on the `strike_step` grid whose |delta| is nearest `target_delta` (flat `vol`),
    long strike `width` further out of the money."""
    kind = spread_kind(kind)
    if not 0 < target_delta < 0.5 or width <= 0 or strike_step <= 0:
        raise InputError("target delta must lie in (0, 0.5) and width, strike step be positive")
    t = expiration_days / days_per_year
    grid = np.arange(np.floor(spot * 0.3 / strike_step), np.ceil(spot * 2.0 / strike_step) + 1) * strike_step
    is_put = kind == BULL_PUT
    otm = grid < spot if is_put else grid > spot
    grid = grid[otm]
    if grid.size == 0:
        raise InputError("no out-of-the-money strikes on the grid")
    d = np.abs(bs_delta(spot, grid, t, rate, vol, not is_put, div_yield))
    short = float(grid[np.argmin(np.abs(d - target_delta))])
    long = short - width if is_put else short + width
    if long <= 0:
        raise InputError(f"width {width} leaves no positive long strike below {short}")
    return CreditSpread(kind, short, long, expiration_days)
