"""A stock panel as dense arrays (sessions x symbols), built from the long bar frame in one pass.

Rows are the union of the symbols' sessions; a symbol's cells before its first bar (or on a session it has
no bar) are NaN. ``close``/``volume`` are as quoted (split-adjusted, not dividend-adjusted: the $1 price
floor and the dollar volume use them). ``factor`` = adj_close / close turns quoted prices into total-return
prices (dividends included), which returns, features, labels and the backtest use; 1 where no adj_close
is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.errors import InputError

REQUIRED = ("date", "symbol", "open", "close", "volume")


@dataclass(frozen=True)
class Panel:
    dates: pd.DatetimeIndex
    symbols: tuple[str, ...]
    open: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    factor: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.close.shape

    @property
    def adj_open(self) -> np.ndarray:
        return self.open * self.factor

    @property
    def adj_close(self) -> np.ndarray:
        return self.close * self.factor

    def upto(self, as_of: pd.Timestamp) -> Panel:
        """Sessions dated <= as_of only (what a decision at as_of's close may see)."""
        k = int(self.dates.searchsorted(pd.Timestamp(as_of), side="right"))
        return Panel(self.dates[:k], self.symbols, self.open[:k], self.close[:k], self.volume[:k],
                     self.factor[:k])


def _sorted_codes(codes: np.ndarray, uniques, keys) -> tuple[np.ndarray, object]:
    """Codes renumbered so that the uniques are in sorted order (factorize without sort, then sort the few
    uniques: much faster than sorting millions of rows)."""
    order = np.argsort(keys, kind="stable")
    remap = np.empty_like(order)
    remap[order] = np.arange(order.size)
    return remap[codes], uniques[order]


def panel_from_long(frame: pd.DataFrame) -> Panel:
    """Dense panel from a long frame with columns date, symbol, open, close, volume (and optionally
    adj_close; column names are matched case-insensitively, 'Adj Close'/'Ticker'/'Date' accepted)."""
    cols = {c.lower().replace(" ", "_"): c for c in frame.columns}
    if "ticker" in cols and "symbol" not in cols:
        cols["symbol"] = cols.pop("ticker")
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise InputError(f"mean_reversion: universe frame lacks column(s) {', '.join(missing)}")
    if frame.empty:
        raise InputError("mean_reversion: universe frame is empty")
    # factorize the raw column first and parse only the distinct dates (2.7 M strings -> 6,201 dates)
    d_codes, d_uniques = pd.factorize(frame[cols["date"]])
    parsed = pd.DatetimeIndex(pd.to_datetime(d_uniques))
    d_codes, dates = _sorted_codes(d_codes, parsed, parsed.asi8)
    if dates.has_duplicates:
        raise InputError("mean_reversion: universe frame has the same date written two ways")
    s_codes, s_uniques = pd.factorize(frame[cols["symbol"]])
    s_names = np.asarray([str(s) for s in s_uniques], dtype=object)
    s_codes, symbols = _sorted_codes(s_codes, s_names, s_names)
    shape = (len(dates), len(symbols))
    flat = d_codes.astype(np.int64) * shape[1] + s_codes
    if np.bincount(flat, minlength=shape[0] * shape[1]).max() > 1:
        raise InputError("mean_reversion: universe frame has duplicate (date, symbol) rows")

    def dense(col: str) -> np.ndarray:
        out = np.full(shape[0] * shape[1], np.nan)
        out[flat] = frame[cols[col]].to_numpy(dtype=float)
        return out.reshape(shape)

    close = dense("close")
    factor = dense("adj_close") / close if "adj_close" in cols else np.where(np.isnan(close), np.nan, 1.0)
    return Panel(pd.DatetimeIndex(dates), tuple(symbols), dense("open"), close, dense("volume"), factor)


def align_series(series: pd.Series, dates: pd.DatetimeIndex) -> np.ndarray:
    """A daily series (e.g. VIX close) on the panel's sessions, last value carried forward (never back)."""
    s = series.sort_index()
    s = s[~s.index.duplicated(keep="last")]
    return s.reindex(s.index.union(dates)).ffill().reindex(dates).to_numpy(dtype=float)
