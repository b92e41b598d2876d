"""vol_regime on the common Strategy interface: a thin adapter over ``strategy.py``'s functions.

Nothing here computes anything of its own: ``prepare_data``, ``run_fold``, ``assemble``, ``fit_final`` and
``decide`` do the work; the adapter maps ``Inputs`` (bars by symbol, option chains) to their arguments
and the ``Decision`` to ``Targets``.

The targets are the exposure *before* the overlay (drawdown throttle and stop, re-arm, soft cap, turnover
cap, exposure bounds, costs): the overlay is the strategy's ``rules()``, applied by the book stepper, so the
daily book and the walk-forward backtest (``domain.backtest.run_backtest`` with the same overlay, which
``Rules.from_overlay`` reproduces to 1e-12) are one rule set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from domain.backtest import FLAG_NAMES
from domain.book.rules import Rules
from domain.strategies.base import Inputs, Needs, Strategy, Targets
from domain.strategies.vol_regime import strategy as vr
from domain.strategies.vol_regime.params import VolRegimeParams
from domain.walk_forward import Fold, FoldResult, make_folds

@dataclass(frozen=True)
class VolRegimeDataset:
    """The prepared features plus the raw inputs they came from (``fit_final`` re-prepares up to as_of)."""

    data: vr.VolRegimeData
    inputs: Inputs


def _raw(p: VolRegimeParams, inputs: Inputs) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    return inputs.bars[p.asset], inputs.bars[p.market], inputs.bars[p.vix], inputs.options.get(p.asset)


def _book_state(book: Any, asset: str) -> tuple[float, float, pd.Series | None]:
    """(drawdown <= 0, exposure held since the previous close, past live forecasts or None) from the
    strategy's book: any object with ``drawdown`` and ``weights`` (instrument -> fraction of capital) and
    optionally ``forecasts`` (date -> forecast); None is a flat, new book."""
    if book is None:
        return 0.0, 0.0, None
    weights = getattr(book, "weights", {}) or {}
    return float(getattr(book, "drawdown", 0.0)), float(weights.get(asset, 0.0)), getattr(book, "forecasts", None)


class VolRegime(Strategy):
    name = "vol_regime"
    params_type = VolRegimeParams
    target_kind = "exposure"

    @property
    def benchmark(self) -> str:  # type: ignore[override]
        return f"buy-and-hold {self.params.asset}"

    @property
    def needs(self) -> Needs:
        # features are rolling and exponentially weighted: the decision reads all history, like the retrain
        p = self.params
        return Needs(symbols=(p.asset, p.market, p.vix), option_chains=(p.asset,), history_days=0)

    def prepare(self, inputs: Inputs) -> VolRegimeDataset:
        return VolRegimeDataset(vr.prepare_data(*_raw(self.params, inputs), self.params), inputs)

    def folds(self, dataset: VolRegimeDataset, start: pd.Timestamp, end: pd.Timestamp) -> tuple[Fold, ...]:
        wf = self.params.walk_forward
        return make_folds(dataset.data.usable, start, end, min_train_days=wf.min_train_days,
                          validation_days=wf.validation_days, label_horizon=wf.label_horizon,
                          embargo_days=wf.embargo_days, frequency=wf.frequency)

    def run_fold(self, fold: Fold, dataset: VolRegimeDataset, seed: int) -> FoldResult:
        return vr.run_fold(fold, dataset.data, self.params, seed)

    def assemble(self, results: list[FoldResult], dataset: VolRegimeDataset) -> vr.WalkForwardResult:
        return vr.assemble(results, dataset.data, self.params)

    def fit(self, dataset: VolRegimeDataset, as_of: pd.Timestamp, seed: int) -> vr.FittedModel:
        return vr.fit_final(*_raw(self.params, dataset.inputs), self.params, pd.Timestamp(as_of), seed)

    def describe_fit(self, fitted: vr.FittedModel) -> dict[str, Any]:
        described = super().describe_fit(fitted)
        described["info"]["forecast_std"] = float(fitted.forecast_std)
        described["info"]["kelly"] = float(fitted.kelly)
        return described

    def rules(self) -> Rules:
        """The overlay of config/vol_regime.yaml (throttle 3/5/8/12%, re-arm, caps) and its costs."""
        return Rules.from_overlay(self.params.overlay, self.params.costs)

    def confidence(self, details: Mapping[str, Any]) -> float | None:
        """``signal_strength``, |forecast| / spread of the out-of-sample forecasts: the "model confidence" of
        seed 000 section 10.1, whose code tests ``signal_strength < 0.3`` ("Weak signal"). Not bounded by 1."""
        value = details.get("signal_strength")
        return float(value) if value is not None else None

    def decide(self, fitted: vr.FittedModel, inputs: Inputs, as_of: pd.Timestamp, book: Any) -> Targets:
        asset = self.params.asset
        drawdown, prev_exposure, forecasts = _book_state(book, asset)
        d = vr.decide(fitted, *_raw(self.params, inputs), pd.Timestamp(as_of), drawdown=drawdown,
                      prev_exposure=prev_exposure, live_forecasts=forecasts)
        signal_filters = sorted(k for k, on in d.filters.items() if on and k not in FLAG_NAMES.values())
        return Targets(
            as_of=d.as_of, kind="exposure", weights={asset: d.target},
            details={"forecast": d.forecast, "signal_strength": d.signal_strength, "filters": signal_filters,
                     "components": d.components, "book_drawdown": drawdown, "prev_exposure": prev_exposure},
        )
