"""Calibration of the TLT overlay from a history of (date, 20y yield, 30y yield, TLT close).

Yields may arrive in percent or decimals; each column is detected on its own (a median above 0.25
means percent: a Treasury yield of 25% as a decimal, or of 0.25% as a percentage, is not a 20y/30y
level seen in this data's history) and everything leaves as decimals. TLT prices are as-traded
closes. The window is [start, end] inclusive; the COVID window (default 2020-03-01..2021-12-31)
is removed unless `exclude_covid` is False, and no daily transition or return spans the hole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.errors import InputError
from domain.rates.vasicek import BivariateVasicekParams, fit_bivariate_vasicek
from domain.tlt.dividends import trailing_dividend_yield
from domain.tlt.regression import TltRegression, fit_tlt_regression
from domain.tlt.volatility import VolatilityModel, fit_volatility_model

COVID_WINDOW = (dt.date(2020, 3, 1), dt.date(2021, 12, 31))


@dataclass(frozen=True)
class CurrentValues:
    yield_20y: float
    yield_30y: float
    tlt_price: float
    date: str  # ISO date of the last observation used

    @property
    def avg_yield(self) -> float:
        return 0.5 * (self.yield_20y + self.yield_30y)


@dataclass(frozen=True)
class CalibrationResult:
    vasicek: BivariateVasicekParams
    regression: TltRegression
    volatility: VolatilityModel
    current: CurrentValues
    n_observations: int = 0
    div_yield: float = 0.0  # continuous, from the trailing 12 months of distributions (domain/tlt/dividends.py)

    def to_dict(self) -> dict:
        """The design document's calibration_results.json layout (yields in decimals)."""
        return {
            "vasicek_params": self.vasicek.as_dict(),
            "regression_params": self.regression.as_dict(),
            "volatility_params": self.volatility.as_dict(),
            "current_values": {"yield_20y": self.current.yield_20y, "yield_30y": self.current.yield_30y,
                               "tlt_price": self.current.tlt_price, "date": self.current.date},
            "dividend_params": {"dividend_yield": self.div_yield},
        }

    @classmethod
    def from_dict(cls, data: dict, source: str = "calibration") -> CalibrationResult:
        try:
            v, r, vol, cur = (data["vasicek_params"], data["regression_params"], data["volatility_params"],
                              data["current_values"])
            vasicek = BivariateVasicekParams(**{k: float(v[k]) for k in (
                "kappa_20", "theta_20", "sigma_20", "kappa_30", "theta_30", "sigma_30", "rho")})
            regression = TltRegression(float(r["alpha"]), float(r["beta"]), float(r["gamma"]),
                                       float(r.get("r_squared", float("nan"))))
            volatility = VolatilityModel(float(vol["base_iv"]), float(vol["price_sensitivity"]))
            current = CurrentValues(float(cur["yield_20y"]), float(cur["yield_30y"]), float(cur["tlt_price"]),
                                    str(cur.get("date", "")))
            # files written before the dividend yield existed price TLT as a non-payer, as they did then
            div_yield = float(data.get("dividend_params", {}).get("dividend_yield", 0.0))
        except (KeyError, TypeError) as exc:
            raise InputError(f"{source}: not a calibration result (missing or malformed {exc})") from None
        except ValueError as exc:
            raise InputError(f"{source}: {exc}") from None
        if not current.tlt_price > 0 or not volatility.base_iv > 0:
            raise InputError(f"{source}: tlt_price and base_iv must be positive")
        if not 0.0 <= div_yield < 0.25:
            raise InputError(f"{source}: dividend_yield {div_yield} is not a decimal annual yield in [0, 0.25)")
        return cls(vasicek, regression, volatility, current, div_yield=div_yield)


def detect_percent(values) -> bool:
    """True when a yield column is in percent (see module docstring for the 0.25 rule)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(v.size and np.median(np.abs(v)) > 0.25)


def prepare_frame(frame: pd.DataFrame, date_col: str = "date", yield_20y_col: str = "yield_20y",
                  yield_30y_col: str = "yield_30y", tlt_col: str = "tlt_close") -> pd.DataFrame:
    """Columns date, yield_20y, yield_30y (decimals), tlt_close; rows with blanks dropped, sorted by date."""
    wanted = [date_col, yield_20y_col, yield_30y_col, tlt_col]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}")
    out = pd.DataFrame({
        "date": pd.to_datetime(frame[date_col], errors="coerce"),
        "yield_20y": pd.to_numeric(frame[yield_20y_col], errors="coerce"),
        "yield_30y": pd.to_numeric(frame[yield_30y_col], errors="coerce"),
        "tlt_close": pd.to_numeric(frame[tlt_col], errors="coerce"),
    })
    if out["date"].isna().any():
        raise InputError(f"column {date_col}: {int(out['date'].isna().sum())} value(s) are not dates")
    # blank yields are FRED holidays and blank prices exchange holidays: drop, do not fill
    out = out.dropna().sort_values("date")
    if out["date"].duplicated().any():
        first = out.loc[out["date"].duplicated(), "date"].iloc[0].date()
        raise InputError(f"duplicate date {first} in the calibration data")
    bad = out["tlt_close"] <= 0
    if bad.any():
        raise InputError(f"column {tlt_col}: {int(bad.sum())} non-positive price(s), first on "
                         f"{out.loc[bad, 'date'].iloc[0].date()}")
    for col in ("yield_20y", "yield_30y"):
        if detect_percent(out[col]):
            out[col] = out[col] / 100.0
    return out.reset_index(drop=True)


def select_window(frame: pd.DataFrame, start: dt.date, end: dt.date, exclude_covid: bool = True,
                  covid_window: tuple[dt.date, dt.date] = COVID_WINDOW) -> pd.DataFrame:
    """Rows in [start, end], minus the COVID window; adds `segment` numbering the contiguous stretches."""
    dates = frame["date"].dt.date
    out = frame[(dates >= start) & (dates <= end)].copy()
    d = out["date"].dt.date
    segment = np.zeros(len(out), dtype=int)
    if exclude_covid:
        inside = (d >= covid_window[0]) & (d <= covid_window[1])
        segment = (d > covid_window[1]).to_numpy().astype(int)
        out = out[~inside.to_numpy()]
        segment = segment[~inside.to_numpy()]
    out["segment"] = segment
    return out.reset_index(drop=True)


def calibrate(frame: pd.DataFrame, start: dt.date = dt.date(2019, 1, 1), end: dt.date = dt.date(2024, 12, 31),
              exclude_covid: bool = True, covid_window: tuple[dt.date, dt.date] = COVID_WINDOW,
              min_observations: int = 60, vol_window: int = 21, tlt_adj_col: str | None = None,
              **columns: str) -> CalibrationResult:
    """Fit Vasicek, the TLT regression and the volatility model on the window; see the module docstring.

    With `tlt_adj_col` (adjusted TLT closes beside the raw `tlt_col`) the result also carries TLT's
    dividend yield over the 12 months to the window's last date; without it the yield is 0."""
    if start >= end:
        raise InputError(f"start date {start} is not before end date {end}")
    data = select_window(prepare_frame(frame, **columns), start, end, exclude_covid, covid_window)
    if len(data) < min_observations:
        raise InputError(f"only {len(data)} usable observations between {start} and {end}"
                         f"{' (COVID window excluded)' if exclude_covid else ''}; need {min_observations}")
    y20, y30 = data["yield_20y"].to_numpy(), data["yield_30y"].to_numpy()
    price = data["tlt_close"].to_numpy()
    segment = data["segment"].to_numpy()
    vasicek = fit_bivariate_vasicek(y20, y30, segment=segment).params
    regression = fit_tlt_regression(0.5 * (y20 + y30), price)
    volatility = fit_volatility_model(price, float(price[-1]), vol_window, segment)
    last = data.iloc[-1]
    current = CurrentValues(float(last["yield_20y"]), float(last["yield_30y"]), float(last["tlt_close"]),
                            last["date"].date().isoformat())
    div_yield = 0.0
    if tlt_adj_col is not None:
        if tlt_adj_col not in frame.columns:
            raise InputError(f"missing column {tlt_adj_col}; found {', '.join(map(str, frame.columns))}")
        dates = pd.to_datetime(frame[columns.get("date_col", "date")], errors="coerce")
        raw = pd.Series(pd.to_numeric(frame[columns.get("tlt_col", "tlt_close")], errors="coerce").to_numpy(),
                        index=dates)
        adjusted = pd.Series(pd.to_numeric(frame[tlt_adj_col], errors="coerce").to_numpy(), index=dates)
        div_yield = trailing_dividend_yield(raw[raw.index.notna()], adjusted[adjusted.index.notna()], last["date"])
    return CalibrationResult(vasicek, regression, volatility, current, len(data), div_yield)
