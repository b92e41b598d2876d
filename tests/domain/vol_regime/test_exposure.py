from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.backtest import OverlayParams
from domain.strategies.vol_regime import exposure as ex
from domain.strategies.vol_regime.features import build_features
from domain.strategies.vol_regime.params import ExposureParams

P = ExposureParams()


def test_signal_strength():
    np.testing.assert_allclose(ex.signal_strength([0.002, -0.001, 0.0], 0.001), [2.0, 1.0, 0.0])
    assert (ex.signal_strength([0.1], 0.0) == 0).all()


def test_vol_target_scale_clipped():
    idx = pd.bdate_range("2020-01-01", periods=400)
    calm = pd.Series(np.tile([0.001, -0.001], 200), index=idx)  # ~1.6% vol -> scale hits 2.0
    wild = pd.Series(np.tile([0.05, -0.05], 200), index=idx)  # ~80% vol -> scale hits 0.5
    assert ex.vol_target_scale(calm).iloc[-1] == 2.0
    assert ex.vol_target_scale(wild).iloc[-1] == 0.5
    mid = pd.Series(np.tile([0.0126, -0.0126], 200), index=idx)  # ~20% vol
    rv = mid.iloc[-252:].std() * np.sqrt(252)
    assert ex.vol_target_scale(mid).iloc[-1] == pytest.approx(0.18 / (rv + 0.01))
    assert np.isnan(ex.vol_target_scale(mid).iloc[5])  # fewer than 20 days: unknown


def test_kelly_is_off_by_default_and_oos_pnl_sizes_by_the_strategys_own_record():
    assert P.kelly == "off" and ex.oos_kelly([0.01, -0.02, 0.03], P) == 1.0
    on = ExposureParams(kelly="oos_pnl", kelly_fraction=0.5, kelly_cap=1.0)
    r = np.array([0.001, -0.0005] * 50)  # mean 0.00025, var 0.00000056: Kelly leverage ~446 -> the cap
    assert ex.oos_kelly(r, on) == 1.0
    small = np.array([0.02, -0.0198] * 50)  # mean 1e-5, var ~4e-4: half of mean / var
    assert ex.oos_kelly(small, on) == pytest.approx(0.5 * small.mean() / small.var())
    assert ex.oos_kelly(-r, on) == 0.0  # a losing record sizes to zero
    with pytest.raises(Exception, match="kelly must be one of"):
        ExposureParams(kelly="asset")


def test_regime_thresholds_are_training_quantiles_so_both_regimes_occur(market):
    qqq, spy, vix = market
    feats = build_features(qqq, spy, vix).frame.dropna()
    train = feats.iloc[:400]
    # the document's fixed levels: trend strength is never below 1, so "mean reverting" never occurs
    fixed = ex.regime(train["trend_strength"], train["rsi_14"], train["zscore_20"], ExposureParams(regime_quantiles=None))
    assert (fixed == ex.MEAN_REVERTING).sum() == 0
    cal = ex.calibrate_regime(P, train["trend_strength"])
    assert cal.mr_trend_max == pytest.approx(train["trend_strength"].quantile(0.3))
    assert cal.trend_threshold == pytest.approx(train["trend_strength"].quantile(0.7))
    reg = ex.regime(train["trend_strength"], train["rsi_14"], train["zscore_20"], cal)
    assert (reg == ex.TRENDING).any() and (reg == ex.MEAN_REVERTING).any() and (reg == ex.NEUTRAL).any()
    assert ex.calibrate_regime(ExposureParams(regime_quantiles=None), train["trend_strength"]).trend_threshold == 2.0


def test_regime_and_tilt():
    reg = ex.regime([2.5, 2.5, 0.5, 1.5], [65.0, 50.0, 50.0, 50.0], [0.0, 0.0, 2.0, 2.0], P)
    assert reg.tolist() == [ex.TRENDING, ex.NEUTRAL, ex.MEAN_REVERTING, ex.NEUTRAL]
    tilt = ex.regime_tilt([1, 1, -1, -1, 0], [1, 1, 1, 1, 1], [0.01, -0.01, 0, 0, 0], [0, 0, -2.0, 2.0, 0], P)
    np.testing.assert_allclose(tilt, [1.1, 0.9, 1.1, 0.9, 1.0])


def test_gates():
    np.testing.assert_allclose(ex.rv_gate([0.40, 0.30, 0.20, 0.05], P), [0.3, 0.6, 1.0, 0.7])
    np.testing.assert_allclose(ex.vix_gate([45, 35, 20, 10], P), [0.2, 0.5, 1.0, 0.8])
    np.testing.assert_allclose(ex.signal_gate([0.2, 0.7, 1.5], P), [0.3, 0.6, 1.0])


def test_stops():
    assert ex.vol_stop([0.49, 0.51], P).tolist() == [False, True]
    s = [0.05] * 4 + [0.5] + [0.05] * 6
    assert ex.consecutive_true(np.array(s) < 0.1).tolist() == [1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6]
    assert ex.signal_stop(s, P).tolist() == [False] * 9 + [True, True]


def test_soft_caps_throttle_turnover():
    np.testing.assert_allclose(ex.regime_soft_cap([0, 1, 2], P), [1.2, np.inf, 0.8])
    np.testing.assert_allclose(ex.drawdown_throttle([1, 1, 1, 1, 1], [0, -0.04, -0.06, -0.1, -0.2], OverlayParams()),
                               [1, 0.75, 0.5, 0.2, 0.0])
    assert ex.turnover_cap(1.5, 0.0) == pytest.approx(0.8)
    assert ex.turnover_cap(-1.0, 0.5) == pytest.approx(-0.3)
    assert ex.turnover_cap(0.3, 0.5) == pytest.approx(0.3)


def test_target_exposure_composes_and_reports(market):
    qqq, spy, vix = market
    feats = build_features(qqq, spy, vix).frame.dropna()
    rets = qqq["Close"].pct_change()
    rng = np.random.default_rng(1)
    fc = pd.Series(rng.normal(0, 0.002, len(feats)), index=feats.index)
    plan = ex.target_exposure(fc, feats, rets, 0.002, P, kelly=0.5)
    c = plan.components
    manual = (c["base"] * c["vol_scale"] * c["kelly"] * c["regime_tilt"] * c["rv_gate"] * c["vix_gate"]
              * c["signal_gate"])
    manual = manual.where(~(plan.filters["vol_stop"] | plan.filters["signal_stop"]), 0.0)
    manual = manual.clip(-c["soft_cap"], c["soft_cap"])
    np.testing.assert_allclose(plan.target.to_numpy(), manual.to_numpy())
    assert np.allclose(c["base"], P.exposure_scale * fc / 0.002) and (c["kelly"] == 0.5).all()
    assert set(plan.filters.columns) >= {"vol_target", "kelly", "rv_gate", "vix_gate", "signal_gate",
                                         "vol_stop", "signal_stop", "regime_soft_cap", "regime_tilt"}
    assert plan.filters["signal_gate"].any() and plan.filters["kelly"].all()
    assert not ex.target_exposure(fc, feats, rets, 0.002, P).filters["kelly"].any()  # off: multiplier 1
    # fast path used by the grid search gives the same numbers
    ctx = ex.exposure_context(feats, rets, P)
    arrays = {k: ctx[k].to_numpy() for k in ex.CONTEXT_COLUMNS}
    np.testing.assert_allclose(ex.fast_target(fc.to_numpy(), arrays, 0.002, P, kelly=0.5), plan.target.to_numpy())
