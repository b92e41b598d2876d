from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.errors import InputError
from domain.strategies.vol_regime.features import (
    LABEL,
    build_features,
    next_day_return,
    options_flow_features,
    rsi,
    vol_regime,
)


def _perturb_after(obj, day):
    out = obj.copy()
    mask = out.index > day
    if isinstance(out, pd.DataFrame):
        out.loc[mask, out.select_dtypes("number").columns] *= 1.3
    else:
        out.loc[mask] *= 1.3
    return out


def test_features_are_causal(market):
    qqq, spy, vix = market
    day = qqq.index[500]
    base = build_features(qqq, spy, vix).frame
    changed = build_features(_perturb_after(qqq, day), _perturb_after(spy, day), _perturb_after(vix, day)).frame
    pd.testing.assert_frame_equal(base.loc[:day], changed.loc[:day])
    assert not base.loc[day:].iloc[1:].equals(changed.loc[day:].iloc[1:])  # the perturbation did bite
    truncated = build_features(qqq.loc[:day], spy.loc[:day], vix.loc[:day]).frame
    pd.testing.assert_frame_equal(base.loc[:day], truncated)


def test_feature_values(market):
    qqq, spy, vix = market
    fs = build_features(qqq, spy, vix)
    f, close = fs.frame, qqq["Close"]
    t = 300
    assert f["ret_5d"].iloc[t] == pytest.approx(close.iloc[t] / close.iloc[t - 5] - 1)
    win = close.iloc[t - 19 : t + 1]
    assert f["zscore_20"].iloc[t] == pytest.approx((close.iloc[t] - win.mean()) / win.std())
    assert f["p_over_ma_50"].iloc[t] == pytest.approx(close.iloc[t] / close.iloc[t - 49 : t + 1].mean())
    rets = close.pct_change().iloc[t - 19 : t + 1]
    assert f["rv_20"].iloc[t] == pytest.approx(rets.std() * np.sqrt(252))
    assert f["vix_rv"].iloc[t] == pytest.approx(vix.iloc[t] / 100 / f["rv_20"].iloc[t])
    assert f[["rsi_14", "rsi_5"]].dropna().stack().between(0, 100).all()
    assert not fs.has_options and any("left out" in n for n in fs.notes)
    assert not any(c.startswith("opt_") for c in f.columns)


def test_label_is_next_day_return(market):
    close = market[0]["Close"]
    y = next_day_return(close)
    assert y.name == LABEL
    assert y.iloc[10] == pytest.approx(close.iloc[11] / close.iloc[10] - 1)
    assert np.isnan(y.iloc[-1])


def test_rsi_and_regime_helpers():
    up = pd.Series(np.arange(1.0, 40.0))
    assert rsi(up, 14).iloc[-1] == 100.0
    reg = vol_regime(pd.Series([0.1, 0.15, 0.2, 0.25, np.nan]))
    assert reg.iloc[:4].tolist() == [0.0, 1.0, 1.0, 2.0] and np.isnan(reg.iloc[4])


def _quotes(day: str, put_volume: float) -> pd.DataFrame:
    d = pd.Timestamp(day)
    rows = []
    for typ, delta in (("call", 0.5), ("put", -0.25), ("put", -0.5)):
        for dte, iv in ((20, 0.20), (200, 0.25)):
            rows.append({
                "quote_date": d, "option_type": typ, "expiration": d + pd.Timedelta(days=dte), "strike": 100.0,
                "bid": 1.0, "ask": 1.1, "implied_vol": iv + (0.05 if delta == -0.25 else 0.0), "delta": delta,
                "gamma": 0.02, "vega": 0.1, "volume": put_volume if typ == "put" else 100.0,
                "open_interest": 1000.0, "underlying_price": 100.0,
            })
    return pd.DataFrame(rows)


def test_options_flow_lagged_one_session(market):
    qqq, spy, vix = market
    d1, d2 = qqq.index[400], qqq.index[401]
    opts = pd.concat([_quotes(str(d1.date()), 300.0), _quotes(str(d2.date()), 50.0)])
    fs = build_features(qqq, spy, vix, options=opts)
    f = fs.frame
    assert fs.has_options and "included" in fs.notes[0]
    assert np.isnan(f.loc[d1, "opt_pc_volume_short"])  # d1's quotes are not known before d1's close
    assert f.loc[d2, "opt_pc_volume_short"] == pytest.approx(600.0 / 100.0)  # two put rows of 300 vs 100
    assert f.loc[qqq.index[402], "opt_pc_volume_short"] == pytest.approx(100.0 / 100.0)
    assert f.loc[d2, "opt_skew_proxy"] == pytest.approx(0.05)
    assert f.loc[d2, "opt_term_slope"] == pytest.approx(0.20 - 0.25)
    # gamma: calls +, puts - : (1 call - 2 puts) * 2 tenors * 0.02 * 1000 * 100 * 100^2 * 0.01 / 1e9
    assert f.loc[d2, "opt_gamma_exposure"] == pytest.approx(-2 * 0.02 * 1000 * 100 * 1e4 * 0.01 / 1e9)


def test_options_bad_input(market):
    with pytest.raises(InputError, match="missing"):
        options_flow_features(pd.DataFrame({"quote_date": []}), market[0].index)
