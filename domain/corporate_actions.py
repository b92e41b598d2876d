"""Adjusted prices and total returns computed from raw (as-traded) closes, dividends and splits.

A vendor's own adjusted series is a snapshot of its adjustment on the day it was downloaded: a vendor that
re-adjusts moves every past value, one that stops re-adjusting leaves a one-day artificial drop of about the
dividend yield at each distribution. Deriving the adjusted series from what was traded and what was paid
(the way LEAN's factor files do) makes both harmless.

Conventions (those of Yahoo's adjusted close and LEAN's price factors, so the results compare with them):
on the ex-date t of a dividend D_t per share and a split of ratio s_t (2.0 for 2-for-1),

    R_t = close_t / (close_{t-1} / s_t - D_t)

is the day's total return. The adjusted close is a total-return index anchored forward: the first known
row's adjusted close equals its raw close (or continues a stored anchor), and each later row multiplies by
R_t. Values dated <= D therefore never change when rows after D arrive (point in time).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Yahoo's adjusted closes carry 5-7 significant digits: a factor change below this is rounding, not a payment.
FACTOR_NOISE = 1e-5


def total_returns(close: np.ndarray, dividend: np.ndarray, split: np.ndarray,
                  previous_close: float | None = None) -> np.ndarray:
    """Daily total returns (R_t - 1) of consecutive rows; the first uses `previous_close` (NaN without one).

    `dividend` NaN counts as 0 and `split` NaN as 1 (no action known).
    """
    close = np.asarray(close, dtype=float)
    dividend = np.nan_to_num(np.asarray(dividend, dtype=float), nan=0.0)
    split = np.asarray(split, dtype=float)
    split = np.where(np.isnan(split) | (split <= 0), 1.0, split)
    before = np.r_[np.nan if previous_close is None else float(previous_close), close[:-1]]
    return close / (before / split - dividend) - 1.0


def adjusted_closes(close: np.ndarray, dividend: np.ndarray, split: np.ndarray,
                    anchor_close: float | None = None, anchor_adjusted: float | None = None) -> np.ndarray:
    """Total-return adjusted closes of consecutive rows of one symbol.

    With an anchor (the stored row just before these: its raw and adjusted close) the index continues it;
    without one it starts at the first raw close.
    """
    close = np.asarray(close, dtype=float)
    if close.size == 0:
        return close.copy()
    anchored = anchor_close is not None and anchor_adjusted is not None and np.isfinite(anchor_close) \
        and np.isfinite(anchor_adjusted)
    growth = 1.0 + total_returns(close, dividend, split, anchor_close if anchored else None)
    if not anchored:
        growth[0] = 1.0
    start = float(anchor_adjusted) if anchored else float(close[0])
    return start * np.cumprod(growth)


def infer_distributions(raw_close: pd.Series, adjusted_close: pd.Series,
                        noise: float = FACTOR_NOISE) -> pd.Series:
    """Cash distributions per share implied by a vendor's raw and (dividend-)adjusted closes.

    With f_t = adjusted_t / raw_t, a distribution on t changes the factor by f_{t-1} / f_t = 1 - D_t / raw_{t-1},
    so D_t = raw_{t-1} * (1 - f_{t-1} / f_t). Changes within `noise` are the vendor's rounding. Index as given;
    0.0 on days without a distribution (and on the first day).
    """
    factor = adjusted_close.astype(float) / raw_close.astype(float)
    step = factor.shift(1) / factor
    paid = raw_close.shift(1).astype(float) * (1.0 - step)
    return paid.where((1.0 - step).abs() > noise, 0.0).fillna(0.0)
