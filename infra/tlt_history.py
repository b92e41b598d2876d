"""The real TLT history the rolling backtest runs on, read from the shared data folder (SOURCES.md there):
adjusted closes `etf/TLT.csv`, raw closes `etf_raw/TLT_close_2002-2024_kaix11.csv`, FRED yields
`rates/DGS20.csv`, `DGS30.csv`, `DGS3MO.csv` (percent; a blank is a FRED holiday)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from domain.errors import InputError

ADJUSTED = "etf/TLT.csv"
RAW = "etf_raw/TLT_close_2002-2024_kaix11.csv"
RATES = ("DGS20", "DGS30", "DGS3MO")


def _column(folder: Path, relative: str, date_col: str, value_col: str) -> pd.Series:
    path = folder / relative
    if not path.is_file():
        raise InputError(f"{path}: file not found (--data-dir is the real data folder, e.g. ../shared/data/real)")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc.__class__.__name__})") from None
    missing = [c for c in (date_col, value_col) if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    dates = pd.to_datetime(frame[date_col], errors="coerce")
    values = pd.to_numeric(frame[value_col], errors="coerce")
    if dates.isna().any():
        raise InputError(f"{path}: row {int(dates.isna().to_numpy().argmax()) + 2}: {date_col} is not a date")
    bad = values.isna() & frame[value_col].notna()
    if bad.any():
        raise InputError(f"{path}: row {int(bad.to_numpy().argmax()) + 2}: {value_col} is not a number")
    return pd.Series(values.to_numpy(), index=pd.DatetimeIndex(dates), name=value_col)


def read_tlt_history(folder: Path) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """(adjusted closes, raw closes, rates in percent with columns DGS20, DGS30, DGS3MO)."""
    folder = Path(folder)
    adjusted = _column(folder, ADJUSTED, "Date", "Close")
    raw = _column(folder, RAW, "Date", "Close")
    rates = pd.concat({s: _column(folder, f"rates/{s}.csv", "observation_date", s) for s in RATES}, axis=1)
    return adjusted, raw, rates
