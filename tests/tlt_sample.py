"""The bundled sample's TLT calibration (2019-2024), the input of the proposal and open-risk tests."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from domain.tlt.calibration import CalibrationResult, calibrate
from infra.settings import SAMPLE_DIR


def sample_calibration() -> CalibrationResult:
    bars = pd.read_csv(SAMPLE_DIR / "bars" / "TLT.csv").rename(
        columns={"Date": "date", "Close": "tlt_close", "Adj Close": "tlt_adj"})
    frame = bars[["date", "tlt_close", "tlt_adj"]]
    for series, col in (("DGS20", "yield_20y"), ("DGS30", "yield_30y")):
        fred = pd.read_csv(SAMPLE_DIR / "yields" / f"{series}.csv")
        frame = frame.merge(fred.rename(columns={"observation_date": "date", series: col}), on="date")
    return calibrate(frame, dt.date(2019, 1, 1), dt.date(2024, 12, 31), tlt_adj_col="tlt_adj")
