"""Forecast -> target exposure for vol_regime (design document, sections 3.1-3.4 and 6.2-6.5).

Each filter is a small pure function over arrays (or Series) of the same length, returning a multiplier
or a boolean "active" flag per day. ``target_exposure`` composes them:

    target = base * vol_scale * kelly * regime_tilt * rv_gate * vix_gate * signal_gate
    target = 0 where the volatility stop or the signal stop is active
    |target| <= regime soft cap (1.2 in low volatility, 0.8 in high volatility)

with ``base = exposure_scale * forecast / spread of out-of-sample forecasts`` (the signed signal strength)
and ``kelly`` 1 unless ``exposure.kelly`` is "oos_pnl" (``oos_kelly``). The
path-dependent part (drawdown throttle and its soft cap, hard caps -1.0..1.5, turnover cap) needs the
strategy's own equity and is applied by ``domain.backtest`` (``run_backtest`` over a history,
``overlay_step`` for one day). ``drawdown_throttle`` and ``turnover_cap`` below are the same rules as
array/scalar functions for use outside the backtest.

All inputs dated D use data dated <= D; nothing here looks ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from domain.backtest import OverlayParams, throttle_scale
from domain.strategies.vol_regime.params import ExposureParams

ANNUALISE = np.sqrt(252.0)
TRENDING, NEUTRAL, MEAN_REVERTING = 1, 0, -1


def _a(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def signal_strength(forecast, forecast_std: float) -> np.ndarray:
    """|forecast| / spread of out-of-sample forecasts (section 3.1's code takes the spread on the window it
    evaluates; the training forecasts' own spread is 3-9x wider, as the models fit their training rows)."""
    if not forecast_std > 0:
        return np.zeros_like(_a(forecast))
    return np.abs(_a(forecast)) / forecast_std


def vol_target_scale(asset_returns: pd.Series, params: ExposureParams = ExposureParams()) -> pd.Series:
    """target_vol / (realized vol + 0.01), clipped to 0.5..2; realized vol over ``vol_days`` (252).
    Before a full window exists the expanding standard deviation (>= 20 days) stands in, not the
    whole-sample one the document uses, which would look ahead."""
    rv = asset_returns.rolling(params.vol_days, min_periods=params.vol_days).std() * ANNUALISE
    rv = rv.fillna(asset_returns.expanding(min_periods=20).std() * ANNUALISE)
    lo, hi = params.vol_scale_bounds
    return (params.target_vol / (rv + params.vol_eps)).clip(lo, hi)


def oos_kelly(strategy_returns, params: ExposureParams = ExposureParams()) -> float:
    """The Kelly multiplier of ``params.kelly`` = "oos_pnl": ``kelly_fraction`` x the Kelly leverage
    mean / variance of the strategy's own out-of-sample daily net returns at unit multiplier, clipped to
    0..``kelly_cap``; 1 when Kelly is "off". The returns must be out of sample for the model that will be
    sized (the train-only model's validation year): a losing record sizes to zero, a winning one to at
    most the cap. Since the same year also chose the configuration, it flatters the record somewhat."""
    if params.kelly == "off":
        return 1.0
    r = _a(strategy_returns)
    r = r[np.isfinite(r)]
    if r.size < 2 or not r.var() > 0:
        return 0.0
    return float(np.clip(params.kelly_fraction * r.mean() / r.var(), 0.0, params.kelly_cap))


def calibrate_regime(params: ExposureParams, trend_strength) -> ExposureParams:
    """``params`` with ``mr_trend_max`` / ``trend_threshold`` set to the ``regime_quantiles`` of the
    training window's ``trend_strength`` (unchanged when ``regime_quantiles`` is None or no value is
    finite), so that both the trending and the mean-reverting state can occur."""
    ts = _a(trend_strength)
    ts = ts[np.isfinite(ts)]
    if params.regime_quantiles is None or ts.size == 0:
        return params
    lo, hi = np.quantile(ts, params.regime_quantiles)
    return replace(params, mr_trend_max=float(lo), trend_threshold=float(hi))


def regime(trend_strength, rsi_14, zscore_20, params: ExposureParams = ExposureParams()) -> np.ndarray:
    """1 trending (trend strength > trend_threshold and RSI(14) > 60 or < 40), -1 mean reverting
    (|z20| > 1.5 and trend strength < mr_trend_max), 0 neutral (section 3.4). The document's levels 2 and
    1 never let the mean-reverting state occur ((max - min) / std of 20 prices is >= ~1.9); see
    ``calibrate_regime``."""
    ts, r14, z = _a(trend_strength), _a(rsi_14), _a(zscore_20)
    trending = (ts > params.trend_threshold) & ((r14 > params.rsi_high) | (r14 < params.rsi_low))
    mean_rev = (np.abs(z) > params.mr_zscore) & (ts < params.mr_trend_max)
    return np.where(trending, TRENDING, np.where(mean_rev, MEAN_REVERTING, NEUTRAL))


def regime_tilt(regime_code, forecast, momentum_5d, zscore_20, params: ExposureParams = ExposureParams()) -> np.ndarray:
    """x1.1 when the forecast agrees with the regime (momentum when trending, contrarian when mean
    reverting), x0.9 when it does not, 1 in the neutral regime."""
    rc, f, m, z = _a(regime_code), _a(forecast), _a(momentum_5d), _a(zscore_20)
    trend = np.where(f * m > 0, params.tilt_with, params.tilt_against)
    mr = np.where(f * z < 0, params.tilt_with, params.tilt_against)
    return np.where(rc == TRENDING, trend, np.where(rc == MEAN_REVERTING, mr, 1.0))


def _step_gate(x: np.ndarray, high: tuple, low: tuple | None, below: bool = False) -> np.ndarray:
    out = np.ones_like(x)
    done = np.zeros(x.shape, dtype=bool)
    for level, mult in high:  # most severe first
        hit = ~done & ((x < level) if below else (x > level))
        out[hit] = mult
        done |= hit
    if low is not None:
        level, mult = low
        hit = ~done & (x < level)
        out[hit] = mult
    return out


def rv_gate(rv_5, params: ExposureParams = ExposureParams()) -> np.ndarray:
    """x0.3 if 5-day realized vol > 35%, x0.6 if > 25%, x0.7 if < 10% (section 3.2, filter 1)."""
    return _step_gate(_a(rv_5), params.rv_gate_high, params.rv_gate_low)


def vix_gate(vix, params: ExposureParams = ExposureParams()) -> np.ndarray:
    """x0.2 if VIX > 40, x0.5 if > 30, x0.8 if < 12 (filter 2)."""
    return _step_gate(_a(vix), params.vix_gate_high, params.vix_gate_low)


def signal_gate(strength, params: ExposureParams = ExposureParams()) -> np.ndarray:
    """x0.3 if signal strength < 0.5, x0.6 if < 1.0 (filter 3)."""
    return _step_gate(_a(strength), params.signal_gate, None, below=True)


def vol_stop(rv, params: ExposureParams = ExposureParams()) -> np.ndarray:
    """Active (go flat) when realized volatility (20-day) > 50% (section 6.3)."""
    return _a(rv) > params.vol_stop


def consecutive_true(flags) -> np.ndarray:
    """Length of the run of True values ending at each position."""
    w = np.asarray(flags, dtype=bool)
    c = np.cumsum(w)
    reset = np.where(~w, c, 0)
    return c - np.maximum.accumulate(reset)


def signal_stop(strength, params: ExposureParams = ExposureParams()) -> np.ndarray:
    """Active (go flat) on the 5th and later consecutive day with signal strength < 0.1 (section 6.3)."""
    return consecutive_true(_a(strength) < params.signal_stop_level) >= params.signal_stop_days


def regime_soft_cap(vol_regime_code, params: ExposureParams = ExposureParams()) -> np.ndarray:
    """Cap on |exposure|: 1.2 in the low-volatility regime, 0.8 in the high one, none otherwise."""
    v = _a(vol_regime_code)
    return np.where(v == 0, params.low_vol_cap, np.where(v == 2, params.high_vol_cap, np.inf))


def drawdown_throttle(exposure, drawdown, overlay: OverlayParams = OverlayParams()) -> np.ndarray:
    """Exposure scaled by the drawdown throttle (0.75 / 0.5 / 0.2 / 0 beyond 3 / 5 / 8 / 12%)."""
    scale = np.array([throttle_scale(float(d), overlay) for d in _a(drawdown)])
    return _a(exposure) * scale


def turnover_cap(target: float, prev_exposure: float, max_turnover: float = 0.8) -> float:
    """Move from ``prev_exposure`` towards ``target`` by at most ``max_turnover``."""
    change = float(np.clip(target - prev_exposure, -max_turnover, max_turnover))
    return prev_exposure + change


# --- composition -----------------------------------------------------------------------------------------

CONTEXT_COLUMNS = ("vol_scale", "regime", "momentum_5d", "zscore_20",
                   "rv_gate", "vix_gate", "vol_stop", "soft_cap")


def exposure_context(features: pd.DataFrame, asset_returns: pd.Series,
                     params: ExposureParams = ExposureParams()) -> pd.DataFrame:
    """The forecast-independent inputs of ``target_exposure`` on ``features.index``, computed once so a
    grid search can try many forecasts cheaply. ``asset_returns`` may (and should) start before the
    features so that the 252-day volatility window is full."""
    r = asset_returns.astype(float)
    vs = vol_target_scale(r, params).reindex(features.index)
    idx = features.index
    return pd.DataFrame(
        {
            "vol_scale": vs,
            "regime": regime(features["trend_strength"], features["rsi_14"], features["zscore_20"], params),
            "momentum_5d": features["ret_5d"],
            "zscore_20": features["zscore_20"],
            "rv_gate": rv_gate(features["rv_5"], params),
            "vix_gate": vix_gate(features["vix"], params),
            "vol_stop": vol_stop(features["rv_20"], params),
            "soft_cap": regime_soft_cap(features["vol_regime"], params),
        },
        index=idx,
    )


def _compose(forecast: np.ndarray, ctx: dict[str, np.ndarray], forecast_std: float, params: ExposureParams,
             exposure_scale: float, kelly: float = 1.0) -> dict[str, np.ndarray]:
    strength = signal_strength(forecast, forecast_std)
    base = exposure_scale * (forecast / forecast_std if forecast_std > 0 else np.zeros_like(forecast))
    kelly = np.full_like(base, kelly)
    tilt = regime_tilt(ctx["regime"], forecast, ctx["momentum_5d"], ctx["zscore_20"], params)
    sgate = signal_gate(strength, params)
    sstop = signal_stop(strength, params)
    x = base * np.nan_to_num(ctx["vol_scale"], nan=1.0) * kelly * tilt * ctx["rv_gate"] * ctx["vix_gate"] * sgate
    stop = ctx["vol_stop"].astype(bool) | sstop
    x = np.where(stop, 0.0, x)
    cap = ctx["soft_cap"]
    capped = np.abs(x) > cap
    x = np.clip(x, -cap, cap)
    return {"target": x, "strength": strength, "base": base, "kelly": kelly, "tilt": tilt, "signal_gate": sgate,
            "signal_stop": sstop, "stop": stop, "soft_capped": capped}


def fast_target(forecast, ctx_arrays: dict[str, np.ndarray], forecast_std: float, params: ExposureParams,
                exposure_scale: float | None = None, kelly: float = 1.0) -> np.ndarray:
    """``target_exposure``'s target as a bare array, from ``exposure_context`` columns as arrays."""
    scale = params.exposure_scale if exposure_scale is None else exposure_scale
    return _compose(_a(forecast), ctx_arrays, forecast_std, params, scale, kelly)["target"]


@dataclass(frozen=True)
class ExposurePlan:
    """``target``: wanted exposure before the path-dependent overlay. ``components``: each multiplier.
    ``filters``: one boolean column per filter, True on the days it changed the exposure."""

    target: pd.Series
    components: pd.DataFrame
    filters: pd.DataFrame


def target_exposure(
    forecast: pd.Series,
    features: pd.DataFrame,
    asset_returns: pd.Series,
    forecast_std: float,
    params: ExposureParams = ExposureParams(),
    exposure_scale: float | None = None,
    context: pd.DataFrame | None = None,
    kelly: float = 1.0,
) -> ExposurePlan:
    """Compose every non-path-dependent filter for the dates of ``forecast`` (see the module docstring);
    ``forecast_std`` is the out-of-sample forecast spread, ``kelly`` the multiplier of ``oos_kelly``."""
    feats = features.reindex(forecast.index)
    ctx = context.reindex(forecast.index) if context is not None else exposure_context(feats, asset_returns, params)
    arrays = {c: ctx[c].to_numpy() for c in CONTEXT_COLUMNS}
    scale = params.exposure_scale if exposure_scale is None else exposure_scale
    out = _compose(forecast.to_numpy(dtype=float), arrays, forecast_std, params, scale, kelly)
    idx = forecast.index
    components = pd.DataFrame(
        {
            "forecast": forecast.to_numpy(dtype=float),
            "signal_strength": out["strength"],
            "base": out["base"],
            "vol_scale": arrays["vol_scale"],
            "kelly": out["kelly"],
            "regime": arrays["regime"],
            "regime_tilt": out["tilt"],
            "rv_gate": arrays["rv_gate"],
            "vix_gate": arrays["vix_gate"],
            "signal_gate": out["signal_gate"],
            "soft_cap": arrays["soft_cap"],
            "target": out["target"],
        },
        index=idx,
    )
    filters = pd.DataFrame(
        {
            "vol_target": np.nan_to_num(arrays["vol_scale"], nan=1.0) != 1.0,
            "kelly": out["kelly"] != 1.0,
            "regime_tilt": out["tilt"] != 1.0,
            "rv_gate": arrays["rv_gate"] != 1.0,
            "vix_gate": arrays["vix_gate"] != 1.0,
            "signal_gate": out["signal_gate"] != 1.0,
            "vol_stop": arrays["vol_stop"].astype(bool),
            "signal_stop": out["signal_stop"],
            "regime_soft_cap": out["soft_capped"],
        },
        index=idx,
    )
    return ExposurePlan(target=pd.Series(out["target"], index=idx, name="target"), components=components,
                        filters=filters)
