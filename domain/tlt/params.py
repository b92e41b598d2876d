"""Parameters of the TLT credit-spread overlay; defaults are the design document's (config/tlt_overlay.yaml)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.tlt.volatility import MARK_VOLS


@dataclass(frozen=True)
class TltOverlayParams:
    """Units: yields and rates are decimals; days (expiries, DTE thresholds) are calendar days, the simulation
    steps over XNYS sessions (trading_days_per_year a year for the yields); money in dollars per share
    unless a name says per contract (x `contract_multiplier`)."""

    portfolio_yield: float = 0.0475
    loss_budget_fraction: float = 0.50
    calibration_start: dt.date = dt.date(2019, 1, 1)
    calibration_end: dt.date = dt.date(2024, 12, 31)
    covid_start: dt.date = dt.date(2020, 3, 1)
    covid_end: dt.date = dt.date(2021, 12, 31)
    exclude_covid: bool = True  # calibration leaves [covid_start, covid_end] out (--no-covid-exclusion keeps it)
    min_observations: int = 60
    realized_vol_window: int = 21
    trading_days_per_year: float = 252.0
    n_paths: int = 10_000
    expiration_days: int = 45
    min_pop: float = 0.70
    profit_target_pct: float = 0.50
    loss_limit_multiple: float = 2.0
    dte_close_threshold: int = 7
    risk_free_rate: float = 0.05
    seed: int = 42
    top: int = 10
    profit_targets: tuple[float, ...] = (0.30, 0.40, 0.50, 0.60, 0.70)
    loss_multiples: tuple[float, ...] = (1.5, 2.0, 2.5, 3.0)
    dte_thresholds: tuple[int, ...] = (3, 5, 7, 10, 14)
    candidate_deltas: tuple[float, ...] = (0.10, 0.15, 0.20, 0.25, 0.30)
    candidate_widths: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0)
    strike_step: float = 1.0
    min_dte: int = 30
    max_dte: int = 90
    max_short_delta: float = 0.40
    max_width: float = 5.0
    iv_floor: float = 0.03
    # entry IV minus the volatility the simulated TLT paths realise (annual decimal, 0.02 = 2 vol points);
    # 0: the paths move as much as the options are priced for (issue 13 item 2)
    variance_premium: float = 0.0
    # each leg's vol along the paths and in the backtest's marks: sticky_strike keeps its entry IV (the only
    # marks consistent with a flat-vol entry price), model moves it with the price (research; printed)
    mark_vol: str = "sticky_strike"
    risk_neutral_drift: bool = True  # paths drift at r - q, the rate the path prices discount at
    contract_multiplier: int = 100
    kelly_multiplier: float = 0.5  # half Kelly: the design document advises 0.25-0.5x
    nav_levels: tuple[float, ...] = (1_000_000.0, 10_000_000.0)
    max_position_risk: float = 0.05  # best practices: max 5% of NAV at risk in one position
    min_r_squared: float = 0.95  # troubleshooting: warn when the TLT regression fits worse
    max_kelly: float = 0.20  # troubleshooting: warn when the Kelly fraction is above this

    def __post_init__(self) -> None:
        if not 0 < self.loss_budget_fraction <= 1:
            raise ValueError("loss_budget_fraction must lie in (0, 1]")
        if self.calibration_start >= self.calibration_end:
            raise ValueError("calibration_start must precede calibration_end")
        if self.n_paths < 100 or self.expiration_days < 1:
            raise ValueError("n_paths must be >= 100 and expiration_days >= 1")
        if not 0 < self.kelly_multiplier <= 1:
            raise ValueError("kelly_multiplier must lie in (0, 1]")
        if not 0 <= self.variance_premium < 1:
            raise ValueError("variance_premium must lie in [0, 1) (annual volatility, decimal)")
        if self.mark_vol not in MARK_VOLS:
            raise ValueError(f"mark_vol must be one of {', '.join(MARK_VOLS)}")
        if not 0 < self.max_position_risk <= 1 or not 0 < self.min_r_squared <= 1 or not self.max_kelly > 0:
            raise ValueError("max_position_risk and min_r_squared must lie in (0, 1], max_kelly must be > 0")

    @property
    def loss_budget(self) -> float:
        """Largest tolerated loss as a fraction of the bond notional per year (4.75% x 0.5 = 2.375%)."""
        return self.portfolio_yield * self.loss_budget_fraction
