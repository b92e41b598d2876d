"""Rebuild data/sample from ../shared/data/real (run from the repository root; see PROVENANCE.md).

    uv run python data/sample/make_sample.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"
OUT = ROOT / "data" / "sample"
START, END = "2010-01-01", "2024-12-31"
UNIVERSE_START = "2015-01-01"
UNIVERSE_SIZE = 50


def _etf(name: str) -> pd.DataFrame:
    frame = pd.read_csv(REAL / "etf" / f"{name}.csv", parse_dates=["Date"])
    return frame[(frame.Date >= START) & (frame.Date <= END)].reset_index(drop=True)


def write_bars() -> None:
    (OUT / "bars").mkdir(parents=True, exist_ok=True)
    for name, symbol in [("SPY", "SPY"), ("QQQ", "QQQ"), ("VIX", "^VIX")]:
        frame = _etf(name)[["Date", "Open", "High", "Low", "Close", "Volume"]]
        frame.round(6).to_csv(OUT / "bars" / f"{symbol}.csv", index=False, date_format="%Y-%m-%d")
    adjusted = _etf("TLT").set_index("Date")
    raw = pd.read_csv(REAL / "etf_raw" / "TLT_close_2002-2024_kaix11.csv", parse_dates=["Date"]).set_index("Date")
    joined = adjusted.join(raw.rename(columns={"Close": "RawClose"}), how="inner")
    # The adjustment factor is constant within a day, so raw OHL = adjusted OHL x (raw close / adjusted close).
    factor = joined["RawClose"] / joined["Close"]
    tlt = pd.DataFrame(
        {
            "Open": joined["Open"] * factor,
            "High": joined["High"] * factor,
            "Low": joined["Low"] * factor,
            "Close": joined["RawClose"],
            "Adj Close": joined["Close"],
            "Volume": joined["Volume"],
        }
    ).round(6)
    tlt.index.name = "Date"
    tlt.to_csv(OUT / "bars" / "TLT.csv", date_format="%Y-%m-%d")


def write_yields() -> None:
    (OUT / "yields").mkdir(parents=True, exist_ok=True)
    for series in ("DGS3MO", "DGS10", "DGS20", "DGS30"):
        frame = pd.read_csv(REAL / "rates" / f"{series}.csv", dtype=str, keep_default_na=False)
        frame = frame[(frame.observation_date >= START) & (frame.observation_date <= END)]
        frame.to_csv(OUT / "yields" / f"{series}.csv", index=False)


def write_universe() -> None:
    (OUT / "universe").mkdir(parents=True, exist_ok=True)
    frame = pd.read_csv(REAL / "universe" / "sp500_current_constituents_daily_2000-2024.csv.gz", parse_dates=["Date"])
    frame = frame[frame.Date >= UNIVERSE_START]
    days = frame.Date.nunique()
    full = frame.groupby("Ticker").Date.count() == days
    dollar_volume = (frame.Close * frame.Volume).groupby(frame.Ticker).median()
    chosen = dollar_volume[full[full].index].nlargest(UNIVERSE_SIZE).index
    sample = frame[frame.Ticker.isin(chosen)].round(4)
    sample.to_csv(OUT / "universe" / "universe50.csv.gz", index=False, date_format="%Y-%m-%d",
                  compression={"method": "gzip", "compresslevel": 9, "mtime": 0})
    print("universe:", ", ".join(sorted(chosen)), file=sys.stderr)


if __name__ == "__main__":
    write_bars()
    write_yields()
    write_universe()
