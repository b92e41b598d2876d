"""vol_regime end to end: features -> ensemble forecast -> target exposure -> overlay backtest, walk-forward.

Public API (all pure; pandas inputs indexed by date):

- ``prepare_data(bars_qqq, bars_spy, vix, options=None, params)`` -> ``VolRegimeData``
- ``run_fold(fold, data, params, seed)`` -> ``FoldResult`` (one walk-forward fold; picklable, independent)
- ``run_walk_forward(bars_qqq, bars_spy, vix, options=None, params, start, end, seed, map_fn=map)``
  -> ``WalkForwardResult`` (per-fold metrics, stitched out-of-sample daily frame, summary vs buy-and-hold)
- ``fit_final(bars_qqq, bars_spy, vix, options, params, as_of, seed)`` -> ``FittedModel``
- ``decide(fitted, bars_qqq, bars_spy, vix, options, as_of, drawdown, prev_exposure, params)`` -> ``Decision``

Per fold: the hyper-parameters (component parameters, ensemble weights, exposure scale) are chosen on the
validation year by the Calmar ratio of the full strategy (exposure rules and overlay, with costs), the
model is refitted on train + validation, and it forecasts the test quarter. The stitched out-of-sample
target exposures then go through the path-dependent overlay in one continuous backtest, so the drawdown
throttle carries over from one quarter to the next as it would in production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from domain import metrics
from domain.backtest import FLAG_NAMES, BacktestResult, overlay_step, run_backtest
from domain.errors import InputError
from domain.strategies.vol_regime.evaluation import skill_and_overfitting
from domain.strategies.vol_regime.exposure import calibrate_regime, target_exposure
from domain.strategies.vol_regime.features import build_features, next_day_return
from domain.strategies.vol_regime.model import VolRegimeEnsemble
from domain.strategies.vol_regime.params import VolRegimeParams
from domain.strategies.vol_regime.tuning import Validation, tune, untuned
from domain.walk_forward import Fold, FoldResult, make_folds, stitch
from domain.walk_forward import run_fold as _run_fold_generic


@dataclass(frozen=True)
class VolRegimeData:
    """Everything a fold needs: features (all asset dates), the label (``model.target``), the asset's daily
    returns, its next-day return (``realized``, to score forecasts after the fact) and the dates whose
    features are complete (``usable``)."""

    features: pd.DataFrame
    labels: pd.Series
    asset_returns: pd.Series
    usable: pd.DatetimeIndex
    notes: tuple[str, ...] = ()
    realized: pd.Series | None = None


def _close(obj) -> pd.Series:
    if isinstance(obj, pd.DataFrame):
        cols = {c.lower(): c for c in obj.columns}
        return obj[cols["close"]].astype(float)
    return obj.astype(float)


def _upto(obj, as_of: pd.Timestamp):
    """Rows dated <= as_of: the daily decision and the retrain must not see later data even if given it."""
    return obj.loc[obj.index <= as_of]


def prepare_data(bars_qqq: pd.DataFrame, bars_spy, vix, options: pd.DataFrame | None = None,
                 params: VolRegimeParams = VolRegimeParams()) -> VolRegimeData:
    fs = build_features(bars_qqq, bars_spy, vix, options, params.features)
    close = _close(bars_qqq)
    usable = fs.frame.index[fs.frame.notna().all(axis=1).to_numpy()]
    if len(usable) == 0:
        raise InputError("vol_regime: no date has a complete feature row (too little history?)")
    realized = next_day_return(close)
    # the document's alternative target (section 4.2): the next-day return per unit of 5-day volatility
    labels = realized / fs.frame["rv_5"] if params.model.target == "vol_adjusted" else realized
    return VolRegimeData(features=fs.frame, labels=labels, asset_returns=close.pct_change(),
                         usable=pd.DatetimeIndex(usable), notes=fs.notes, realized=realized)


# --- tuning and fitting ----------------------------------------------------------------------------------


def _labelled(rows: pd.DatetimeIndex, data: VolRegimeData) -> pd.DatetimeIndex:
    return rows[data.labels.reindex(rows).notna().to_numpy()]


@dataclass(frozen=True)
class FittedModel:
    """A model fitted on ``[train_start, train_end]`` with the parameters chosen on validation.
    ``forecast_std``: the spread of the validation-year forecasts of the train-only model (out of sample);
    ``kelly``: the multiplier of ``exposure.oos_kelly`` (1 with Kelly off)."""

    model: VolRegimeEnsemble
    feature_columns: tuple[str, ...]
    forecast_std: float
    params: VolRegimeParams
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    info: dict[str, Any] = field(default_factory=dict)
    kelly: float = 1.0

    def chosen(self) -> dict[str, Any]:
        m, e = self.params.model, self.params.exposure
        return {"ridge_alpha": m.ridge_alpha, "lasso_alpha": m.lasso_alpha, "rf_max_depth": m.rf_max_depth,
                "rf_min_samples_split": m.rf_min_samples_split, "pca_components": m.pca_components,
                "weights": tuple(m.weights), "exposure_scale": e.exposure_scale,
                "trend_threshold": e.trend_threshold, "mr_trend_max": e.mr_trend_max}


def fit_fold(fold: Fold, data: VolRegimeData, params: VolRegimeParams, seed: int) -> FittedModel:
    """Tune on the validation year (if ``params.tune``) with models fitted on the training rows, then
    refit on train + validation. The forecast spread and Kelly multiplier come from the train-only
    model's validation forecasts; regime thresholds from the trend strength of the rows fitted on."""
    idx = data.usable
    tr = _labelled(idx[fold.train_mask(idx)], data)
    va = _labelled(idx[fold.validation_mask(idx)], data)
    X, y = data.features, data.labels
    ex = calibrate_regime(params.exposure, X.loc[tr, "trend_strength"])
    validation = Validation(X.loc[va], data.asset_returns.loc[:va[-1]], ex)
    search = tune if params.tune else untuned
    tuned = search(X.loc[tr].to_numpy(), y.loc[tr].to_numpy(), validation, params, seed)
    rf = _labelled(idx[fold.refit_mask(idx)], data)
    chosen = replace(tuned.params, exposure=calibrate_regime(tuned.params.exposure, X.loc[rf, "trend_strength"]))
    model = VolRegimeEnsemble.from_params(chosen.model, random_state=seed).fit(X.loc[rf].to_numpy(), y.loc[rf])
    info = {**tuned.report, "n_train": len(tr), "n_refit": len(rf), "kelly": tuned.kelly}
    return FittedModel(model=model, feature_columns=tuple(X.columns), forecast_std=tuned.forecast_std,
                       params=chosen, train_start=rf[0], train_end=rf[-1], info=info, kelly=tuned.kelly)


def _fit_predict(fold: Fold, data: VolRegimeData, params: VolRegimeParams, seed: int):
    fitted = fit_fold(fold, data, params, seed)
    te = data.usable[fold.test_mask(data.usable)]
    X = data.features.loc[te]
    forecast = pd.Series(fitted.model.predict(X.to_numpy()), index=te, name="forecast")
    plan = target_exposure(forecast, data.features, data.asset_returns, fitted.forecast_std, fitted.params.exposure,
                           kelly=fitted.kelly)
    pred = pd.concat([plan.components, plan.filters.add_prefix("filter_")], axis=1)
    info = {**fitted.info, **fitted.chosen(), "forecast_std": fitted.forecast_std,
            "refit_start": fitted.train_start, "refit_end": fitted.train_end}
    return pred, info


def run_fold(fold: Fold, data: VolRegimeData, params: VolRegimeParams, seed: int) -> FoldResult:
    """One walk-forward fold: tune on validation, refit, forecast and size the test window (pre-overlay)."""
    return _run_fold_generic(fold, data, params, seed, _fit_predict)


# --- walk-forward ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WalkForwardResult:
    """``daily``: stitched out-of-sample frame (forecast, target, exposure, net_return, equity, drawdown,
    benchmark_return, beta_matched_return, filter columns, fold). ``per_fold``: one row per fold with its
    windows, chosen parameters, validation Calmar / Sharpe / deflated Sharpe / PBO and test-window metrics
    of the stitched strategy, its forecast skill, the beta-matched benchmark and buy-and-hold.
    ``summary``: ``metrics.summarize`` of the whole out-of-sample period plus the skill and overfitting
    figures of ``evaluation.skill_and_overfitting``; ``benchmark``: buy-and-hold's summary."""

    folds: tuple[Fold, ...]
    per_fold: pd.DataFrame
    daily: pd.DataFrame
    summary: dict[str, float]
    benchmark: dict[str, float]
    notes: tuple[str, ...] = ()

    @property
    def returns(self) -> pd.Series:
        return self.daily["net_return"]

    @property
    def exposure(self) -> pd.Series:
        return self.daily["exposure"]

    @property
    def equity(self) -> pd.Series:
        return self.daily["equity"]


def backtest_stitched(stitched: pd.DataFrame, asset_returns: pd.Series, params: VolRegimeParams) -> BacktestResult:
    return run_backtest(asset_returns.reindex(stitched.index).fillna(0.0), stitched["target"], params.overlay,
                        params.costs)


def run_walk_forward(
    bars_qqq: pd.DataFrame,
    bars_spy,
    vix,
    options: pd.DataFrame | None = None,
    params: VolRegimeParams = VolRegimeParams(),
    start: str | pd.Timestamp = "2012-01-01",
    end: str | pd.Timestamp = "2024-12-31",
    seed: int = 0,
    map_fn: Callable[[Callable, Iterable], Iterable] = map,
) -> WalkForwardResult:
    """Quarterly expanding walk-forward over ``[start, end]``. ``map_fn`` runs the folds (builtin ``map``
    by default; pass an executor's ``map`` or let an orchestrator call ``run_fold`` per fold instead)."""
    data = prepare_data(bars_qqq, bars_spy, vix, options, params)
    wf = params.walk_forward
    folds = make_folds(data.usable, start, end, min_train_days=wf.min_train_days,
                       validation_days=wf.validation_days, label_horizon=wf.label_horizon,
                       embargo_days=wf.embargo_days, frequency=wf.frequency)
    results = list(map_fn(partial(run_fold, data=data, params=params, seed=seed), folds))
    return assemble(results, data, params)


def assemble(results: list[FoldResult], data: VolRegimeData, params: VolRegimeParams) -> WalkForwardResult:
    """Stitch fold results, run the overlay backtest over the whole out-of-sample period and tabulate."""
    stitched = stitch(results)
    bt = backtest_stitched(stitched, data.asset_returns, params)
    bench = data.asset_returns.reindex(stitched.index).fillna(0.0).copy()
    bench.iloc[0] = 0.0  # bought at the first out-of-sample close, like the strategy's first position
    daily = pd.concat(
        [stitched,
         bt.frame[["exposure", "asset_return", "cost", "net_return", "equity", "drawdown", "throttle_drawdown"]],
         bt.filter_days().add_prefix("filter_")],
        axis=1,
    )
    daily["benchmark_return"] = bench
    rows = []
    for r in sorted(results, key=lambda x: x.fold.test_start):
        f = r.fold
        sl = daily.loc[f.test_start:f.test_end]
        m = metrics.summarize(sl["net_return"], sl["exposure"])
        b = metrics.summarize(sl["benchmark_return"])
        rows.append({**f.as_dict(), **{k: v for k, v in r.info.items() if not isinstance(v, pd.Timestamp)},
                     **{f"test_{k}": v for k, v in m.items()}, **{f"bh_{k}": v for k, v in b.items()}})
    realized = data.realized if data.realized is not None else data.asset_returns.shift(-1)
    per_fold, extra, bm = skill_and_overfitting(daily, pd.DataFrame(rows), realized, data.asset_returns, params)
    daily["beta_matched_return"] = bm
    return WalkForwardResult(
        folds=tuple(r.fold for r in results), per_fold=per_fold, daily=daily,
        summary={**metrics.summarize(daily["net_return"], daily["exposure"]), **extra},
        benchmark=metrics.summarize(daily["benchmark_return"], pd.Series(1.0, index=daily.index)),
        notes=data.notes,
    )


# --- production: fit at a date, decide one day ------------------------------------------------------------


def fit_final(bars_qqq: pd.DataFrame, bars_spy, vix, options: pd.DataFrame | None = None,
              params: VolRegimeParams = VolRegimeParams(), as_of: str | pd.Timestamp | None = None,
              seed: int = 0) -> FittedModel:
    """Tune on the validation year ending just before ``as_of`` and refit on everything label-complete by
    then (the quarterly retrain). Data after ``as_of`` is ignored."""
    if as_of is None:
        raise InputError("fit_final: as_of is required")
    as_of = pd.Timestamp(as_of)
    data = prepare_data(_upto(bars_qqq, as_of), _upto(bars_spy, as_of), _upto(vix, as_of),
                        _options_upto(options, as_of), params)
    usable = data.usable[data.usable <= as_of]
    if len(usable) == 0 or usable[-1] != as_of:
        raise InputError(f"fit_final: {as_of.date()} has no complete feature row")
    wf = params.walk_forward
    fold = make_folds(usable, as_of, as_of, min_train_days=wf.min_train_days, validation_days=wf.validation_days,
                      label_horizon=wf.label_horizon, embargo_days=wf.embargo_days, frequency="D")[0]
    return fit_fold(fold, data, params, seed)


def _options_upto(options, as_of):
    if options is None or len(options) == 0:
        return options
    return options[pd.to_datetime(options["quote_date"]) <= as_of]


@dataclass(frozen=True)
class Decision:
    """Exposure for the next session, decided at the close of ``as_of``: ``target`` before the overlay,
    ``exposure`` after it; ``filters`` maps each filter to whether it was active."""

    as_of: pd.Timestamp
    forecast: float
    signal_strength: float
    target: float
    exposure: float
    filters: dict[str, bool]
    components: dict[str, float]


def live_spread(fitted: FittedModel, live_forecasts: pd.Series | None, as_of: pd.Timestamp) -> float:
    """Spread of the last ``exposure.spread_days`` live forecasts dated before ``as_of`` (out of sample for
    the models that made them), or the fitted model's validation-year spread while fewer than
    ``exposure.spread_min_days`` are stored."""
    ex = fitted.params.exposure
    if live_forecasts is None:
        return fitted.forecast_std
    past = pd.Series(live_forecasts, dtype=float).dropna()
    past = past[pd.to_datetime(past.index) < as_of].tail(ex.spread_days)
    sd = float(np.std(past.to_numpy())) if len(past) >= ex.spread_min_days else 0.0
    return sd if sd > 0 else fitted.forecast_std


def decide(fitted: FittedModel, bars_qqq: pd.DataFrame, bars_spy, vix, options: pd.DataFrame | None,
           as_of: str | pd.Timestamp, drawdown: float = 0.0, prev_exposure: float = 0.0,
           live_forecasts: pd.Series | None = None) -> Decision:
    """The daily decision at the close of ``as_of`` with a fitted model.

    ``drawdown`` is the strategy's current drawdown (<= 0) against the peak the overlay uses (the caller
    resets that peak after ``overlay.rearm_days`` stopped days, as the backtest does) and
    ``prev_exposure`` the exposure held since the previous close. ``live_forecasts`` (date -> forecast,
    the strategy's stored decisions) give the signal strength its out-of-sample spread (``live_spread``)."""
    as_of = pd.Timestamp(as_of)
    params = fitted.params
    data = prepare_data(_upto(bars_qqq, as_of), _upto(bars_spy, as_of), _upto(vix, as_of),
                        _options_upto(options, as_of), params)
    if list(data.features.columns) != list(fitted.feature_columns):
        raise InputError("decide: features differ from the fitted model's (options given at fit but not now?)")
    usable = data.usable[data.usable <= as_of]
    if len(usable) == 0 or usable[-1] != as_of:
        raise InputError(f"decide: {as_of.date()} has no complete feature row")
    # a few days of history so the signal stop can count consecutive weak days
    window = usable[-(params.exposure.signal_stop_days + 1):]
    forecast = pd.Series(fitted.model.predict(data.features.loc[window].to_numpy()), index=window)
    spread = live_spread(fitted, live_forecasts, as_of)
    plan = target_exposure(forecast, data.features, data.asset_returns, spread, params.exposure, kelly=fitted.kelly)
    target = float(plan.target.iloc[-1])
    exposure, flags = overlay_step(target, float(drawdown), float(prev_exposure), params.overlay)
    filters = {k: bool(v) for k, v in plan.filters.iloc[-1].items()}
    filters.update({name: bool(flags & bit) for bit, name in FLAG_NAMES.items()})
    return Decision(as_of=as_of, forecast=float(forecast.iloc[-1]),
                    signal_strength=float(plan.components["signal_strength"].iloc[-1]), target=target,
                    exposure=float(exposure), filters=filters,
                    components={k: float(v) for k, v in plan.components.iloc[-1].items()})
