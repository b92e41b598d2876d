"""NAV carry-forward, running peak, drawdown and realized volatility.

NAV(D) = NAV_ext(E) + P(D) - P(E), where E is the date of the last externally set NAV on or before D
and P(t) is the book's cumulative P&L at t: realized P&L of positions closed on or before t plus the
unrealized P&L at t of positions open at t. The external NAV already contains the book as it stood
at E, so only the change since is added.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import InputError

TRADING_DAYS_PER_YEAR = 252


@dataclass(frozen=True)
class NavPoint:
    as_of: dt.date
    nav: float
    peak: float
    drawdown: float  # 0.05 = 5% below the running peak
    realized_pnl: float  # realized since the base (external NAV) date
    unrealized_pnl: float  # unrealized at as_of, open positions
    base_date: dt.date
    base_nav: float


def book_pnl(realized: float, unrealized: float) -> float:
    return realized + unrealized


def carry_forward(base_nav: float, book_pnl_at_base: float, book_pnl_now: float) -> float:
    return base_nav + (book_pnl_now - book_pnl_at_base)


def running_peak(previous_peak: float | None, nav: float) -> float:
    return nav if previous_peak is None else max(previous_peak, nav)


def drawdown(nav: float, peak: float) -> float:
    if peak <= 0:
        return 0.0
    return max(0.0, 1.0 - nav / peak)


def nav_point(
    *,
    as_of: dt.date,
    base_date: dt.date,
    base_nav: float,
    realized_cum_at_base: float,
    unrealized_at_base: float,
    realized_cum_now: float,
    unrealized_now: float,
    previous_peak: float | None,
) -> NavPoint:
    nav = carry_forward(
        base_nav,
        book_pnl(realized_cum_at_base, unrealized_at_base),
        book_pnl(realized_cum_now, unrealized_now),
    )
    if not math.isfinite(nav):
        # an infinite price that got past the checks would poison every later day (peak, drawdown, vol)
        raise InputError(f"NAV on {as_of} is not a finite number ({nav}): base NAV {base_nav} on {base_date}, "
                         f"realized P&L {realized_cum_now - realized_cum_at_base}, unrealized P&L {unrealized_now}; "
                         "nothing stored")
    peak = running_peak(previous_peak, nav)
    return NavPoint(
        as_of=as_of,
        nav=nav,
        peak=peak,
        drawdown=drawdown(nav, peak),
        realized_pnl=realized_cum_now - realized_cum_at_base,
        unrealized_pnl=unrealized_now,
        base_date=base_date,
        base_nav=base_nav,
    )


def realized_vol(navs: Sequence[float], periods_per_year: int = TRADING_DAYS_PER_YEAR) -> float | None:
    """Annualised standard deviation (sample) of daily log returns of a NAV series, oldest first."""
    values = [float(v) for v in navs if v is not None and v > 0]
    if len(values) < 3:
        return None
    rets = [math.log(b / a) for a, b in itertools.pairwise(values)]
    mean = sum(rets) / len(rets)
    var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
    return math.sqrt(var) * math.sqrt(periods_per_year)
