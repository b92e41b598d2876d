"""Real rows to serve from the fake vendors: raw TLT/SPY bars with the distributions their adjusted closes imply,
and the bundled FRED yields."""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.corporate_actions import infer_distributions
from infra.settings import SAMPLE_DIR
from tests.conftest import REAL_DATA


def raw_bars(symbol: str, start: str, end: str) -> pd.DataFrame:
    """Columns date (ISO text), open, high, low, close, volume, dividend, split_ratio: as traded, with the
    cash distribution on each ex-date inferred from the vendor's raw and adjusted closes."""
    path = SAMPLE_DIR / "bars" / "TLT.csv" if symbol == "TLT" else REAL_DATA / "etf_raw" / "SPY_2020-2024_owenrote.csv"
    frame = pd.read_csv(path)
    frame["dividend"] = infer_distributions(frame["Close"], frame["Adj Close"])
    frame = frame[(frame["Date"] >= start) & (frame["Date"] <= end)]
    return pd.DataFrame({"date": frame["Date"].to_numpy(), "open": frame["Open"].to_numpy(),
                         "high": frame["High"].to_numpy(), "low": frame["Low"].to_numpy(),
                         "close": frame["Close"].to_numpy(), "volume": frame["Volume"].to_numpy(dtype=float),
                         "dividend": frame["dividend"].round(6).to_numpy(), "split_ratio": np.ones(len(frame))})


def index_bars(start: str, end: str) -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE_DIR / "bars" / "^VIX.csv")
    frame = frame[(frame["Date"] >= start) & (frame["Date"] <= end)]
    return pd.DataFrame({"date": frame["Date"].to_numpy(), "open": frame["Open"].to_numpy(),
                         "high": frame["High"].to_numpy(), "low": frame["Low"].to_numpy(),
                         "close": frame["Close"].to_numpy(), "volume": frame["Volume"].to_numpy(dtype=float),
                         "dividend": 0.0, "split_ratio": 1.0})


def fred_values(series: str, start: str, end: str) -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE_DIR / "yields" / f"{series}.csv")
    frame = frame[(frame["observation_date"] >= start) & (frame["observation_date"] <= end)]
    return pd.DataFrame({"date": frame["observation_date"].to_numpy(),
                         "value": frame[series].astype(object).where(frame[series].notna(), None).to_numpy()})
