"""What every live provider is: a name, a kind of data, and `fetch(names, start, end)` returning one batch per
series in the same frame layout the file readers produce, so the same pandera models validate both."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import pandas as pd

from infra.providers.files import SourceFile
from infra.providers.http import RetryPolicy

BAR_COLUMNS = ["symbol", "date", "open", "high", "low", "close", "volume", "dividend", "split_ratio"]
OPTION_COLUMNS = ["underlying", "quote_date", "quote_time", "underlying_price", "option_type", "expiration", "strike",
                  "bid", "ask", "implied_vol", "delta", "gamma", "theta", "vega", "volume", "open_interest"]


class Provider(ABC):
    """A vendor serving one kind of data over HTTP."""

    name: str
    kind: str

    def __init__(self, base_url: str, policy: RetryPolicy):
        self.base_url = base_url.rstrip("/")
        self.policy = policy

    @abstractmethod
    def fetch_one(self, name: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Rows of one symbol/series/underlying dated start..end (an empty frame when there are none)."""

    def fetch(self, names: Sequence[str], start: dt.date, end: dt.date) -> list[SourceFile]:
        out = []
        for name in names:
            frame = self.fetch_one(name, start, end)
            if not frame.empty:
                frame.index = pd.RangeIndex(1, len(frame) + 1)  # record numbers of the response, for messages
                out.append(SourceFile(self.kind, f"{self.name}:{name}", frame, self.name, live=True))
        return out


def bars_frame(symbol: str, records: dict[str, Sequence]) -> pd.DataFrame:
    """Raw bars of one symbol in the readers' layout (+ dividend, split_ratio); `date` parsed from ISO text."""
    frame = pd.DataFrame({c: records[c] for c in BAR_COLUMNS if c not in ("symbol",)})
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601", utc=True).dt.tz_localize(None).dt.normalize() \
        if not np.issubdtype(frame["date"].dtype, np.datetime64) else frame["date"]
    for column in BAR_COLUMNS[2:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame.insert(0, "symbol", pd.Categorical([symbol.upper()] * len(frame)))
    return frame[BAR_COLUMNS]


def empty_bars() -> pd.DataFrame:
    return bars_frame("", {c: [] for c in BAR_COLUMNS})


def yields_frame(series: str, dates: Sequence, values: Sequence) -> pd.DataFrame:
    """FRED observations in the readers' layout; blank or '.' values (holidays) are left out."""
    frame = pd.DataFrame({"series": series, "date": pd.to_datetime(pd.Series(dates, dtype=object), format="%Y-%m-%d"),
                          "value": pd.to_numeric(pd.Series(values, dtype=object).replace({".": None, "": None}))})
    return frame.dropna(subset=["value"]).astype({"value": "float64", "series": object}).reset_index(drop=True)


def in_range(frame: pd.DataFrame, column: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    return frame[(frame[column] >= pd.Timestamp(start)) & (frame[column] <= pd.Timestamp(end))].reset_index(drop=True)
