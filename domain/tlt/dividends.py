"""TLT's continuous dividend yield from the distributions hidden in adjusted vs raw closes.

A back-adjusted series scales every close before an ex-date by (1 - D / S), D the distribution and S
the raw close the session before, so the ratio r_t = adjusted_t / raw_t steps up by 1 / (1 - D/S) at
each ex-date and is flat otherwise. Over a window, ln(r_end / r_start) = sum of -ln(1 - D_i/S_i), the
continuously compounded payout the Merton model's q stands for. Working on the ratio's net change
(not on summed up-steps) cancels one-day vendor glitches: the real TLT files have one on 2024-08-21,
where the ratio dips and returns the next session, which a sum of up-steps books as a 0.16 payout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.errors import InputError


def trailing_dividend_yield(raw: pd.Series, adjusted: pd.Series, as_of=None, days: int = 365) -> float:
    """Continuous annual yield q from the distributions with ex-dates in (as_of - days, as_of].

    `raw` and `adjusted` are closes indexed by date; `as_of` defaults to the last date both have."""
    both = pd.concat({"raw": raw, "adj": adjusted}, axis=1, join="inner").dropna().sort_index()
    both = both[(both["raw"] > 0) & (both["adj"] > 0)]
    if both.empty:
        raise InputError("dividend yield: no date has both a positive raw and adjusted close")
    both.index = pd.to_datetime(both.index)
    end = pd.Timestamp(both.index[-1] if as_of is None else as_of)
    start = end - pd.Timedelta(days=days)
    before, inside = both[both.index <= start], both[(both.index > start) & (both.index <= end)]
    if before.empty or inside.empty:
        raise InputError(f"dividend yield: closes do not cover {start.date()}..{end.date()}")
    ratio_start = before["adj"].iloc[-1] / before["raw"].iloc[-1]
    ratio_end = inside["adj"].iloc[-1] / inside["raw"].iloc[-1]
    return float(np.log(ratio_end / ratio_start) * 365.0 / days)
