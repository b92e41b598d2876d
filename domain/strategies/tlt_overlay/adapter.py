"""tlt_overlay on the common Strategy interface: a thin adapter over ``domain.tlt``.

- ``needs``: TLT bars with their as-traded closes (adjusted / raw gives the dividend yield), the 20y and 30y
  Treasury yields, the stored TLT option chains, and the open TLT spread positions (the loss budget).
- ``prepare``: the calibration table (date, 20y and 30y yields in decimals, raw and adjusted TLT closes),
  the rows ``quantops tlt calibrate --from-db`` reads.
- ``fit``: the calibration over [calibration_start, as_of] (bivariate Vasicek, the TLT regression, the
  volatility model, the dividend yield): what ``quantops tlt calibrate`` computes, stored by the retrain as a
  versioned model with its data fingerprint; ``vet``: its regression R^2 against ``min_r_squared``.
- ``decide``: on a day with a stored chain, the proposals of ``domain.tlt.proposals`` (one code path with
  ``quantops tlt market-evaluate``), sized by half Kelly within the loss budget that the open positions' CVaR
  already uses (``open_risk``); no chain that day: no proposals, and a note saying so.
- Walk-forward: not applicable (no historical TLT option quotes exist here); the rule's historical validation
  is the rolling backtest (``domain/tlt/rolling_backtest.py``, ``quantops tlt backtest``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from domain.errors import InputError
from domain.strategies.base import Inputs, Needs, Strategy, Targets
from domain.strategies.tlt_overlay.open_risk import open_cvar
from domain.tlt.calibration import CalibrationResult, calibrate
from domain.tlt.exits import ExitRule
from domain.tlt.params import TltOverlayParams
from domain.tlt.proposals import evaluate_chain, propose
from domain.tlt.spreads import BEAR_CALL, BULL_PUT
from domain.walk_forward import Fold, FoldResult

UNDERLYING = "TLT"
YIELDS = ("DGS20", "DGS30")
CALIBRATION_COLUMNS = ["date", "yield_20y", "yield_30y", "tlt_close", "tlt_adj_close"]
NOT_APPLICABLE = ("tlt_overlay: walk-forward is not applicable (no historical TLT option quotes exist here): "
                  "see the rolling backtest, `quantops tlt backtest`")


@dataclass(frozen=True)
class CalibrationVersion:
    """The fitted model the model store keeps: the calibration and the window it was fitted on."""

    calibration: CalibrationResult
    train_start: pd.Timestamp
    train_end: pd.Timestamp


def calibration_frame(inputs: Inputs) -> pd.DataFrame:
    """Rows with both yields and a raw TLT close (as ``infra.market_store.load_tlt_calibration_frame``),
    yields in decimals."""
    if inputs.yields is None or UNDERLYING not in inputs.raw_closes or UNDERLYING not in inputs.bars:
        raise InputError("tlt_overlay: needs TLT bars, TLT raw closes and the DGS20/DGS30 yields")
    tlt = pd.DataFrame({"tlt_close": inputs.raw_closes[UNDERLYING],
                        "tlt_adj_close": inputs.bars[UNDERLYING]["close"]})
    joined = inputs.yields[list(YIELDS)].join(tlt, how="inner").dropna(subset=[*YIELDS, "tlt_close"])
    frame = joined.rename(columns={"DGS20": "yield_20y", "DGS30": "yield_30y"}).rename_axis("date").reset_index()
    return frame[CALIBRATION_COLUMNS]


class TltOverlay(Strategy):
    name = "tlt_overlay"
    params_type = TltOverlayParams
    target_kind = "spreads"
    benchmark = "no benchmark"
    walk_forward = False

    @property
    def needs(self) -> Needs:
        # the decision reads the day's chain and the promoted calibration: a few sessions of bars suffice
        return Needs(symbols=(UNDERLYING,), yields=YIELDS, option_chains=(UNDERLYING,), raw_closes=(UNDERLYING,),
                     open_spreads=(UNDERLYING,), history_days=5)

    def prepare(self, inputs: Inputs) -> pd.DataFrame:
        return calibration_frame(inputs)

    def folds(self, dataset: Any, start: pd.Timestamp, end: pd.Timestamp) -> tuple[Fold, ...]:
        raise InputError(NOT_APPLICABLE)

    def run_fold(self, fold: Fold, dataset: Any, seed: int) -> FoldResult:
        raise InputError(NOT_APPLICABLE)

    def assemble(self, results: list[FoldResult], dataset: Any) -> Any:
        raise InputError(NOT_APPLICABLE)

    def fit(self, dataset: pd.DataFrame, as_of: pd.Timestamp, seed: int) -> CalibrationVersion:
        """The calibration over [calibration_start, as_of] (deterministic: ``seed`` is not used)."""
        p = self.params
        end = pd.Timestamp(as_of).date()
        cal = calibrate(dataset, p.calibration_start, end, exclude_covid=p.exclude_covid,
                        covid_window=(p.covid_start, p.covid_end), min_observations=p.min_observations,
                        vol_window=p.realized_vol_window, tlt_adj_col="tlt_adj_close")
        dates = dataset["date"][(dataset["date"].dt.date >= p.calibration_start) & (dataset["date"].dt.date <= end)]
        return CalibrationVersion(cal, pd.Timestamp(dates.min()), pd.Timestamp(cal.current.date))

    def describe_fit(self, fitted: CalibrationVersion) -> dict[str, Any]:
        cal = fitted.calibration
        info = {"r_squared": cal.regression.r_squared, "base_iv": cal.volatility.base_iv,
                "div_yield": cal.div_yield, "n_observations": cal.n_observations, "rho": cal.vasicek.rho,
                "tlt_price": cal.current.tlt_price}
        return {"train_start": fitted.train_start, "train_end": fitted.train_end, "chosen": {}, "info": info}

    def vet(self, fitted: CalibrationVersion, validation: Any) -> list[str]:
        """The design document's troubleshooting threshold as a gate: the TLT regression must fit."""
        r2 = fitted.calibration.regression.r_squared
        return [] if r2 >= self.params.min_r_squared else [f"regression R^2 >= {self.params.min_r_squared:g}"]

    def decide(self, fitted: CalibrationVersion, inputs: Inputs, as_of: pd.Timestamp, book: Any) -> Targets:
        """Proposals from the chain stored for ``as_of``, sized at the book's equity (its capital)."""
        p, day = self.params, pd.Timestamp(as_of).normalize()
        cal = fitted.calibration
        quotes = inputs.options.get(UNDERLYING)
        chain = None if quotes is None else quotes[pd.to_datetime(quotes["quote_date"]) == day]
        if chain is None or chain.empty:
            return Targets(as_of=day, kind="spreads",
                           details={"note": f"no stored {UNDERLYING} option chain on {day.date()}: no proposals"})
        nav = float(getattr(book, "equity", None) or p.nav_levels[0])
        rule = ExitRule(p.profit_target_pct, p.loss_limit_multiple, p.dte_close_threshold)
        result = evaluate_chain(chain, cal, p, rule, (BULL_PUT, BEAR_CALL), p.n_paths, p.seed, p.min_dte, p.max_dte,
                                source=f"stored {UNDERLYING} chain of {day.date()}")
        held = open_cvar(inputs.open_spreads, chain, result, p.risk_free_rate, rule, p.iv_floor, cal.div_yield,
                         p.contract_multiplier)
        spreads = propose(result, p, nav, p.min_pop, p.top, open_cvar=held.dollars, underlying=UNDERLYING)
        details = {"quote_date": str(result.quote_date.date()), "spot": result.spot, "nav": nav,
                   "candidates": result.n_candidates, "paths": result.setup.describe(p.variance_premium),
                   "n_paths": p.n_paths, "seed": p.seed, "div_yield": cal.div_yield, "calibration_date": cal.current.date,
                   "loss_budget": p.loss_budget * nav, "open_cvar": held.dollars, "open_positions": list(held.per_position),
                   "exit_rule": {"profit_target_pct": rule.profit_target_pct, "loss_multiple": rule.loss_multiple,
                                 "dte_threshold": rule.dte_threshold}}
        if not spreads:
            details["note"] = f"no spread reaches POP {p.min_pop:.0%} on the {day.date()} chain"
        return Targets(as_of=day, kind="spreads", spreads=spreads, details=details)
