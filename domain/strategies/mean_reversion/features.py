"""QPI, the eight features, the point-in-time universe, the ADV cap and the 6-session labels, over a panel.

Everything at session t uses bars dated <= t only (rolling windows end at t), except the label, which is
the only forward-looking quantity and is built here alone: the return from the open of t+1 (the entry of an
order decided at t's close) to the open of t+1+horizon (the time-stop exit after ``horizon`` sessions held).

Conventions: daily returns are total-return close-to-close; standard deviations use ddof=1 (pandas'
rolling default); SMA windows include session t; RSI is Wilder's (exponential with alpha = 1/window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.strategies.mean_reversion.panel import Panel
from domain.strategies.mean_reversion.params import FEATURE_NAMES, FeatureParams, LabelParams, UniverseParams


def _roll(a: np.ndarray, window: int):
    return pd.DataFrame(a, copy=False).rolling(window, min_periods=window)


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """a shifted forward by k rows (k > 0: the value k sessions earlier; k < 0: k sessions later)."""
    out = np.full_like(a, np.nan)
    if k > 0:
        out[k:] = a[:-k]
    elif k < 0:
        out[:k] = a[-k:]
    else:
        out[:] = a
    return out


def qpi(close: np.ndarray, volume: np.ndarray, p: FeatureParams = FeatureParams()) -> np.ndarray:
    """Quantitative Pressure Index, exactly as the document writes it:
    clip(50 + ret_3d / std(daily returns, 20) * 10 - (volume / SMA(volume, 20) - 1) * 5, 0, 100).
    NaN where a window is incomplete, the volatility is zero or the volume average is zero."""
    close = np.asarray(close, dtype=float)
    volume = np.asarray(volume, dtype=float)
    ret = close / _shift(close, 1) - 1.0
    ret_n = close / _shift(close, p.qpi_return_days) - 1.0
    sd = _roll(ret, p.qpi_vol_days).std().to_numpy()
    vma = _roll(volume, p.qpi_volume_days).mean().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = 50.0 + ret_n / sd * p.qpi_return_scale - (volume / vma - 1.0) * p.qpi_volume_scale
    raw[~np.isfinite(raw)] = np.nan
    return np.clip(raw, 0.0, 100.0)


def rsi(close: np.ndarray, window: int) -> np.ndarray:
    """Wilder's RSI (0..100); NaN for the first ``window`` sessions of a series."""
    diff = pd.DataFrame(close, copy=False).diff()
    gain = diff.clip(lower=0.0).ewm(alpha=1.0 / window, adjust=False, min_periods=window).mean()
    loss = (-diff).clip(lower=0.0).ewm(alpha=1.0 / window, adjust=False, min_periods=window).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 - 100.0 / (1.0 + gain.to_numpy() / loss.to_numpy())
    out[(loss.to_numpy() == 0) & (gain.to_numpy() > 0)] = 100.0
    return out


def feature_cube(panel: Panel, p: FeatureParams = FeatureParams()) -> np.ndarray:
    """Features as float32 (sessions x symbols x 8), in the order of ``FEATURE_NAMES``."""
    close = panel.adj_close
    volume = panel.volume
    ret = close / _shift(close, 1) - 1.0
    sd = _roll(ret, p.volatility_days).std().to_numpy()
    vma = _roll(volume, p.volume_days).mean().to_numpy()
    bb = _roll(close, p.bollinger_days)
    mid, bsd = bb.mean().to_numpy(), bb.std().to_numpy()
    m1, m2, m3 = p.momentum_days
    with np.errstate(divide="ignore", invalid="ignore"):
        cols = (
            qpi(close, volume, p),
            rsi(close, p.rsi_days),
            (close - (mid - p.bollinger_width * bsd)) / (2.0 * p.bollinger_width * bsd),
            close / _shift(close, m1) - 1.0,
            close / _shift(close, m2) - 1.0,
            close / _shift(close, m3) - 1.0,
            volume / vma,
            sd,
        )
    out = np.empty(close.shape + (len(FEATURE_NAMES),), dtype=np.float32)
    for k, c in enumerate(cols):
        out[..., k] = c
    out[~np.isfinite(out)] = np.nan
    return out


def forward_return(panel: Panel, p: LabelParams = LabelParams()) -> np.ndarray:
    """Return from the open of t+1 to the open of t+1+horizon (total-return prices); NaN near the end."""
    o = panel.adj_open
    with np.errstate(divide="ignore", invalid="ignore"):
        return _shift(o, -(1 + p.horizon)) / _shift(o, -1) - 1.0


def dollar_adv(panel: Panel, days: int) -> np.ndarray:
    """Average dollar volume (quoted close x volume) over the last ``days`` sessions, session t included."""
    return _roll(panel.close * panel.volume, days).mean().to_numpy()


def universe_mask(panel: Panel, adv: np.ndarray, p: UniverseParams = UniverseParams()) -> np.ndarray:
    """Point in time: quoted close >= min_price and among the top_n by dollar ADV among those, at each t."""
    ok = (panel.close >= p.min_price) & np.isfinite(adv) & (adv > 0)
    score = np.where(ok, adv, -np.inf)
    n = score.shape[1]
    if p.top_n >= n:
        return ok
    # rank within each session: the top_n largest scores (ties broken by column order)
    order = np.argsort(-score, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(score.shape[0])[:, None], order] = np.arange(n)[None, :]
    return ok & (rank < p.top_n)


def vix_bear(vix_close: np.ndarray, sma_days: int, multiplier: float) -> np.ndarray:
    """Bear regime when VIX > multiplier x SMA(VIX, sma_days); False while the SMA is incomplete."""
    sma = pd.Series(vix_close).rolling(sma_days, min_periods=sma_days).mean().to_numpy()
    with np.errstate(invalid="ignore"):
        return np.asarray(vix_close > multiplier * sma)


@dataclass(frozen=True)
class FeatureSet:
    features: np.ndarray  # float32 (T, N, 8)
    labels: np.ndarray  # float (T, N): forward return
    universe: np.ndarray  # bool (T, N): in the universe with complete features
    adv: np.ndarray  # float (T, N): dollar ADV


def build(panel: Panel, features: FeatureParams, universe: UniverseParams, labels: LabelParams) -> FeatureSet:
    x = feature_cube(panel, features)
    adv = dollar_adv(panel, universe.adv_days)
    uni = universe_mask(panel, adv, universe) & np.isfinite(x).all(axis=2)
    return FeatureSet(features=x, labels=forward_return(panel, labels), universe=uni, adv=adv)
