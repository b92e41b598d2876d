"""Inputs of the rolling TLT overlay backtest: its configuration, the aligned history, point-in-time calibration.

The history is one frame indexed by the TLT trading days: `raw` (as-traded close: strikes, spreads and the
realised path), `adj` (dividend-adjusted close: the distributions, hence q), `y20`, `y30` (decimals, blank
where FRED published nothing) and `r` (3-month bill, decimal). A value used at date D is dated <= D.

Calibration (domain/tlt/calibration.py, the live fit) runs on the first session of each calendar quarter
on the `calibration_years` before it, strictly before that session, so every entry of the quarter is priced
by a model that never saw the quarter. The COVID window is not excluded: leaving it out is a choice made
with hindsight, which a point-in-time backtest cannot make.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from domain.calendar import sessions_between
from domain.errors import InputError
from domain.tlt.calibration import CalibrationResult, CurrentValues, calibrate, detect_percent
from domain.tlt.dividends import trailing_dividend_yield
from domain.tlt.params import TltOverlayParams
from domain.tlt.spreads import BEAR_CALL, BULL_PUT, spread_kind


@dataclass(frozen=True)
class BacktestConfig:
    """config/tlt_backtest.yaml. Money per share unless named per contract; days are sessions where named."""

    every: int = 10  # sessions between entries
    n_paths: int = 2_000  # Monte Carlo paths of each entry's screen (the live default 10,000 is 5x slower)
    calibration_years: float = 5.0  # trailing window of each quarterly calibration
    nav: float = 10_000_000.0  # notional bond NAV the overlay sells against
    commission: float = 0.65  # dollars per contract and leg, at entry and at a close before expiry
    slippage: float = 0.01  # dollars per share and leg off the model mid, each side (a $0.02 spread a side)
    kinds: tuple[str, ...] = (BULL_PUT, BEAR_CALL)
    # None: config/tlt_overlay.yaml's. Option quotes are the volatility model's vol plus this premium
    variance_premium: float | None = None

    def __post_init__(self) -> None:
        if self.every < 1 or self.n_paths < 100:
            raise ValueError("every must be >= 1 session and n_paths >= 100")
        if not self.calibration_years > 0 or not self.nav > 0:
            raise ValueError("calibration_years and nav must be positive")
        if self.commission < 0 or self.slippage < 0:
            raise ValueError("commission and slippage must be >= 0")
        if not self.kinds or any(spread_kind(k) not in (BULL_PUT, BEAR_CALL) for k in self.kinds):
            raise ValueError("kinds must name put and/or call spreads")
        if self.variance_premium is not None and not 0 <= self.variance_premium < 1:
            raise ValueError("variance_premium must lie in [0, 1) (annual volatility, decimal)")

    def premium(self, p: TltOverlayParams) -> float:
        return p.variance_premium if self.variance_premium is None else self.variance_premium


def _series(values, name: str) -> pd.Series:
    s = pd.Series(values, dtype=float) if not isinstance(values, pd.Series) else values.astype(float)
    s.index = pd.to_datetime(s.index)
    if s.index.has_duplicates:
        raise InputError(f"{name}: duplicate date {s.index[s.index.duplicated()][0].date()}")
    return s.sort_index()


def _decimal(s: pd.Series) -> pd.Series:
    return s / 100.0 if detect_percent(s) else s


def build_history(closes: pd.Series, raw_closes: pd.Series, rates: pd.DataFrame) -> pd.DataFrame:
    """The aligned frame of the module docstring. `rates` has columns DGS20, DGS30 and optionally DGS3MO
    (percent or decimals, each detected), indexed by date."""
    missing = [c for c in ("DGS20", "DGS30") if c not in rates.columns]
    if missing:
        raise InputError(f"rates: missing column(s) {', '.join(missing)}; found {', '.join(map(str, rates.columns))}")
    raw, adj = _series(raw_closes, "raw closes").dropna(), _series(closes, "closes").dropna()
    if (raw <= 0).any() or (adj <= 0).any():
        raise InputError("TLT closes must be positive")
    days = raw.index.intersection(adj.index)
    if len(days) < 2:
        raise InputError("raw and adjusted TLT closes share fewer than 2 dates")
    r = rates.copy()
    r.index = pd.to_datetime(r.index)
    r = r.sort_index()
    out = pd.DataFrame({"raw": raw.reindex(days), "adj": adj.reindex(days)}, index=days)
    for col, name in (("DGS20", "y20"), ("DGS30", "y30")):
        out[name] = _decimal(pd.to_numeric(r[col], errors="coerce")).reindex(days)
    bill = _decimal(pd.to_numeric(r["DGS3MO"], errors="coerce")) if "DGS3MO" in r.columns else None
    # the bill rate at D is the last one published on or before D (FRED holidays are blank)
    out["r"] = bill.dropna().reindex(days, method="ffill") if bill is not None else np.nan
    out.index.name = "date"
    return out


def quarter_start(day: dt.date) -> dt.date:
    """First XNYS session of `day`'s calendar quarter: the calibration date of every entry in it."""
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return sessions_between(first, day)[0]


def calibrate_before(history: pd.DataFrame, as_of: dt.date, years: float, p: TltOverlayParams) -> CalibrationResult:
    """The live calibration on the `years` of history strictly before `as_of` (see the module docstring)."""
    end = pd.Timestamp(as_of) - pd.Timedelta(days=1)
    start = pd.Timestamp(as_of) - pd.Timedelta(days=round(365.25 * years))
    window = history[(history.index >= start) & (history.index <= end)]
    frame = pd.DataFrame({"date": window.index, "yield_20y": window["y20"].to_numpy(),
                          "yield_30y": window["y30"].to_numpy(), "tlt_close": window["raw"].to_numpy()})
    try:
        return calibrate(frame, start.date(), end.date(), exclude_covid=False, min_observations=p.min_observations,
                         vol_window=p.realized_vol_window)
    except InputError as exc:
        raise InputError(f"calibration before {as_of}: {exc}") from None


def at_entry(cal: CalibrationResult, history: pd.DataFrame, day: pd.Timestamp) -> tuple[CalibrationResult, float]:
    """The quarter's calibration with the entry day's yields, close and trailing dividend yield (the paths
    start there), and the bill rate on the day (NaN when none was published yet)."""
    upto = history[history.index <= day]
    y = upto[["y20", "y30"]].ffill().iloc[-1]
    if y.isna().any():
        raise InputError(f"no 20y/30y yield published on or before {day.date()}")
    spot = float(upto["raw"].iloc[-1])
    try:
        q = trailing_dividend_yield(upto["raw"], upto["adj"], day)
    except InputError:
        q = 0.0  # less than a year of closes: priced as a non-payer, as the live calibration does
    current = CurrentValues(float(y["y20"]), float(y["y30"]), spot, day.date().isoformat())
    return replace(cal, current=current, div_yield=max(q, 0.0)), float(upto["r"].iloc[-1])
