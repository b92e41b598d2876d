"""Daily features of the vol_regime strategy and its label.

Every feature value dated D uses data dated <= D only (rolling windows and recursive averages look
backwards; SPY and VIX are aligned to QQQ's dates by forward fill; option-flow features are lagged one
session, so the value at D comes from quotes dated before D). The label (next-day return) is the only
forward-looking quantity and is built in ``next_day_return`` alone, so that folds can purge it.

Inputs are pandas objects indexed by date (DatetimeIndex, increasing):

- ``bars``: QQQ daily bars with (case-insensitive) columns ``close`` and ``volume`` (others ignored).
  Close is the dividend-adjusted close.
- ``spy_close``: SPY close (Series, or bars with a ``close`` column).
- ``vix``: VIX close in index points (Series, or bars with a ``close`` column).
- ``options`` (optional): one row per option quote with columns quote_date, option_type ('put'/'call'),
  expiration, strike, bid, ask, implied_vol (decimal), delta, gamma, vega, volume, open_interest,
  underlying_price.

Units: returns and volatilities are decimals (0.2 = 20%), volatilities annualised with sqrt(252); the
VIX feature is in points, ``vix_rv`` is (VIX / 100) / rv_20.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from domain.errors import InputError
from domain.strategies.vol_regime.params import FeatureParams

ANNUALISE = np.sqrt(252.0)
LABEL = "ret_1d_fwd"
OPTION_COLUMNS = (
    "quote_date", "option_type", "expiration", "strike", "bid", "ask", "implied_vol", "delta", "gamma", "vega",
    "volume", "open_interest", "underlying_price",
)


@dataclass(frozen=True)
class FeatureSet:
    """``frame``: one row per QQQ date, one column per feature (NaN during warm-up).
    ``notes``: what was included or left out, and why (e.g. no option quotes)."""

    frame: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    has_options: bool = False

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)


def _close(obj: pd.Series | pd.DataFrame, name: str) -> pd.Series:
    if isinstance(obj, pd.DataFrame):
        cols = {c.lower(): c for c in obj.columns}
        if "close" not in cols:
            raise InputError(f"{name}: needs a 'close' column")
        obj = obj[cols["close"]]
    if not isinstance(obj, pd.Series):
        raise InputError(f"{name}: expected a Series or DataFrame indexed by date")
    _check_index(obj.index, name)
    return obj.astype(float)


def _check_index(index: pd.Index, name: str) -> None:
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(f"{name}: index must be a DatetimeIndex")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InputError(f"{name}: dates must be increasing without duplicates")


def next_day_return(close: pd.Series) -> pd.Series:
    """THE label: return from the close of D to the close of D+1, dated D (NaN on the last day).

    It is the only forward-looking series in the strategy; its horizon is 1 trading day."""
    return (close.shift(-1) / close - 1.0).rename(LABEL)


def rsi(close: pd.Series, days: int) -> pd.Series:
    """Wilder's RSI (0..100): recursive averages of gains and losses with alpha = 1/days."""
    delta = close.diff()
    gain = delta.clip(lower=0.0).ewm(alpha=1.0 / days, adjust=False, min_periods=days).mean()
    loss = (-delta.clip(upper=0.0)).ewm(alpha=1.0 / days, adjust=False, min_periods=days).mean()
    rs = gain / loss
    out = 100.0 - 100.0 / (1.0 + rs)
    return out.where(loss > 0, 100.0).where(gain.notna())


def realized_vol(returns: pd.Series, days: int) -> pd.Series:
    """Annualised standard deviation (ddof=1) of the last ``days`` daily returns."""
    return returns.rolling(days, min_periods=days).std() * ANNUALISE


def vol_regime(rv: pd.Series, thresholds: tuple[float, float] = (0.15, 0.25)) -> pd.Series:
    """0 = low (rv < 0.15), 1 = normal, 2 = high (rv >= 0.25); NaN where rv is NaN."""
    lo, hi = thresholds
    out = pd.Series(np.where(rv < lo, 0.0, np.where(rv < hi, 1.0, 2.0)), index=rv.index)
    return out.where(rv.notna())


def market_features(
    bars: pd.DataFrame, spy_close: pd.Series | pd.DataFrame, vix: pd.Series | pd.DataFrame,
    params: FeatureParams = FeatureParams(),
) -> pd.DataFrame:
    """Momentum, mean-reversion, volatility-regime and market-structure features on QQQ's dates."""
    if not isinstance(bars, pd.DataFrame):
        raise InputError("bars: expected a DataFrame with close and volume columns")
    close = _close(bars, "bars")
    cols = {c.lower(): c for c in bars.columns}
    if "volume" not in cols:
        raise InputError("bars: needs a 'volume' column")
    volume = bars[cols["volume"]].astype(float)
    if (close <= 0).any():
        raise InputError("bars: close must be positive")
    spy = _close(spy_close, "spy").reindex(close.index, method="ffill")
    vix_close = _close(vix, "vix").reindex(close.index, method="ffill")

    ret = close.pct_change()
    f: dict[str, pd.Series] = {}
    # momentum
    for d in params.momentum_days:
        f[f"ret_{d}d"] = close / close.shift(d) - 1.0
    for d in params.rsi_days:
        f[f"rsi_{d}"] = rsi(close, d)
    fast, slow, sig = params.macd
    macd = close.ewm(span=fast, adjust=False).mean() - close.ewm(span=slow, adjust=False).mean()
    signal = macd.ewm(span=sig, adjust=False).mean()
    # divided by price so the feature means the same in 2000 and in 2024
    warm = close.expanding().count() >= slow
    f["macd"] = (macd / close).where(warm)
    f["macd_signal"] = (signal / close).where(warm)
    f["macd_hist"] = ((macd - signal) / close).where(warm)
    # mean reversion
    for d in params.zscore_days:
        ma, sd = close.rolling(d).mean(), close.rolling(d).std()
        f[f"zscore_{d}"] = (close - ma) / sd
    bd = params.bollinger_days
    f["bollinger_pos"] = (close - close.rolling(bd).mean()) / (2.0 * close.rolling(bd).std())
    for d in params.ma_days:
        f[f"p_over_ma_{d}"] = close / close.rolling(d).mean()
    # volatility regime
    for d in params.rv_days:
        f[f"rv_{d}"] = realized_vol(ret, d)
    rv_reg = realized_vol(ret, params.regime_rv_days)
    f["vix"] = vix_close
    f["vix_rv"] = (vix_close / 100.0) / rv_reg
    f["vol_regime"] = vol_regime(rv_reg, params.regime_thresholds)
    # market structure
    td = params.trend_days
    f["trend_strength"] = (close.rolling(td).max() - close.rolling(td).min()) / close.rolling(td).std()
    f["volume_ratio"] = volume / volume.rolling(params.volume_days).mean()
    f["corr_spy"] = ret.rolling(params.corr_days).corr(spy.pct_change())
    out = pd.DataFrame(f, index=close.index)
    return out.replace([np.inf, -np.inf], np.nan)


def _options_frame(options: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in OPTION_COLUMNS if c not in options.columns]
    if missing:
        raise InputError(f"options: missing column(s) {', '.join(missing)}")
    o = options.loc[:, list(OPTION_COLUMNS)].copy()
    o["quote_date"] = pd.to_datetime(o["quote_date"]).dt.normalize()
    o["expiration"] = pd.to_datetime(o["expiration"]).dt.normalize()
    o["option_type"] = o["option_type"].astype(str).str.lower()
    bad = ~o["option_type"].isin(["put", "call"])
    if bad.any():
        raise InputError(f"options: option_type must be 'put' or 'call' ({int(bad.sum())} bad rows)")
    return o


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else np.nan


def _closest_iv(sub: pd.DataFrame, target_delta: float) -> float:
    if sub.empty:
        return np.nan
    k = (sub["delta"] - target_delta).abs().to_numpy().argmin()
    return float(sub["implied_vol"].iloc[k])


def options_flow_features(
    options: pd.DataFrame, index: pd.DatetimeIndex, params: FeatureParams = FeatureParams()
) -> pd.DataFrame:
    """Option-flow features per quote date, then lagged one session onto ``index``.

    Per tenor bucket (days to expiry: short <= 30, medium <= 90, long): put/call volume ratio and put/call
    open-interest ratio. Gamma exposure: sum(sign * gamma * OI * 100 * S^2 * 1%) in $bn per 1% move,
    calls +1 and puts -1 (the usual dealer-positioning convention). Vega exposure: sum(vega * OI * 100) in
    $m, short and long tenors. Skew proxy: IV of the ~25-delta put minus IV of the ~50-delta call, short
    tenor. Term slope: ~50-delta call IV, short minus long tenor. (The document writes skew and term slope
    with vega; implied volatilities are the conventional and unit-free version.)
    """
    o = _options_frame(options)
    o["dte"] = (o["expiration"] - o["quote_date"]).dt.days
    o = o[o["dte"] >= 0]
    short, medium = params.tenor_buckets
    o["bucket"] = np.where(o["dte"] <= short, "short", np.where(o["dte"] <= medium, "medium", "long"))
    is_call = o["option_type"] == "call"
    o["sign"] = np.where(is_call, 1.0, -1.0)
    rows = {}
    for day, g in o.groupby("quote_date"):
        r: dict[str, float] = {}
        for b in ("short", "medium", "long"):
            gb = g[g["bucket"] == b]
            calls, puts = gb[gb["option_type"] == "call"], gb[gb["option_type"] == "put"]
            r[f"pc_volume_{b}"] = _ratio(puts["volume"].sum(), calls["volume"].sum())
            r[f"pc_oi_{b}"] = _ratio(puts["open_interest"].sum(), calls["open_interest"].sum())
        s2 = g["underlying_price"] ** 2
        r["gamma_exposure"] = float((g["sign"] * g["gamma"] * g["open_interest"] * 100.0 * s2 * 0.01).sum() / 1e9)
        for b in ("short", "long"):
            gb = g[g["bucket"] == b]
            r[f"vega_exposure_{b}"] = float((gb["vega"] * gb["open_interest"] * 100.0).sum() / 1e6)
        sh, lg = g[g["bucket"] == "short"], g[g["bucket"] == "long"]
        atm_short = _closest_iv(sh[sh["option_type"] == "call"], 0.5)
        r["skew_proxy"] = _closest_iv(sh[sh["option_type"] == "put"], -0.25) - atm_short
        r["term_slope"] = atm_short - _closest_iv(lg[lg["option_type"] == "call"], 0.5)
        rows[day] = r
    per_day = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    # Quotes of a date that is not a trading date of `index` belong to the next session after it.
    pos = index.searchsorted(per_day.index, side="left")
    per_day = per_day[pos < len(index)]
    per_day.index = index[pos[pos < len(index)]]
    per_day = per_day[~per_day.index.duplicated(keep="last")]
    aligned = per_day.reindex(index)
    # lag one session: the value at D comes from quotes dated strictly before D
    return aligned.shift(1).add_prefix("opt_")


def build_features(
    bars: pd.DataFrame,
    spy_close: pd.Series | pd.DataFrame,
    vix: pd.Series | pd.DataFrame,
    options: pd.DataFrame | None = None,
    params: FeatureParams = FeatureParams(),
) -> FeatureSet:
    """All features of the strategy on QQQ's dates. Without option quotes the option-flow block is left
    out and ``notes`` says so; with quotes for only some dates the block is NaN elsewhere, so rows without
    quotes drop out of fitting (see the note)."""
    frame = market_features(bars, spy_close, vix, params)
    notes: list[str] = []
    has_options = False
    if options is None or len(options) == 0:
        notes.append("options flow: left out (no option quotes given)")
    else:
        opt = options_flow_features(options, frame.index, params)
        covered = int(opt.notna().any(axis=1).sum())
        frame = frame.join(opt)
        has_options = True
        notes.append(
            f"options flow: included, lagged one session; {covered} of {len(frame)} dates have quotes "
            "(rows without them are not usable for fitting)"
        )
    notes.append("RSI and momentum from daily bars (the document's 60-minute bars are not available)")
    return FeatureSet(frame=frame, notes=tuple(notes), has_options=has_options)
