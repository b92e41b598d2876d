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


def test_kelly_fraction_and_half_kelly():
    # p=0.6, W=L=1 -> (0.6 - 0.4) / 1 = 0.2
    assert ex.kelly_fraction(0.6, 0.01, 0.01) == pytest.approx(0.2)
    assert ex.kelly_fraction(0.9, 0.01, 0.01) == 0.25  # capped
    assert ex.kelly_fraction(0.3, 0.01, 0.01) == 0.0  # negative edge -> 0
    assert ex.kelly_fraction(0.5, 0.01, 0.0) == 0.25  # no losses
    idx = pd.bdate_range("2020-01-01", periods=60)
    r = pd.Series([0.01] * 36 + [-0.01] * 24, index=idx)  # p = 0.6
    ki = ex.kelly_inputs(r, 60)
    last = ex.KellyInputs(ki.win_rate.iloc[-1:], ki.avg_win.iloc[-1:], ki.avg_loss.iloc[-1:])
    assert ex.half_kelly([1.0], last, P)[0] == pytest.approx(2 * 0.2)  # long: half-Kelly x 2
    assert ex.half_kelly([-1.0], last, P)[0] == 0.0  # short against a 60% up-market has no edge
    assert np.isnan(ki.win_rate.iloc[-2])  # needs a full window


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
    plan = ex.target_exposure(fc, feats, rets, 0.002, P)
    c = plan.components
    manual = (c["base"] * c["vol_scale"] * c["half_kelly"] * c["regime_tilt"] * c["rv_gate"] * c["vix_gate"]
              * c["signal_gate"])
    manual = manual.where(~(plan.filters["vol_stop"] | plan.filters["signal_stop"]), 0.0)
    manual = manual.clip(-c["soft_cap"], c["soft_cap"])
    np.testing.assert_allclose(plan.target.to_numpy(), manual.to_numpy())
    assert np.allclose(c["base"], 5.0 * fc / 0.002)
    assert set(plan.filters.columns) >= {"vol_target", "half_kelly", "rv_gate", "vix_gate", "signal_gate",
                                         "vol_stop", "signal_stop", "regime_soft_cap", "regime_tilt"}
    assert plan.filters["signal_gate"].any() and plan.filters["half_kelly"].any()
    # fast path used by the grid search gives the same numbers
    ctx = ex.exposure_context(feats, rets, P)
    arrays = {k: ctx[k].to_numpy() for k in ex.CONTEXT_COLUMNS}
    np.testing.assert_allclose(ex.fast_target(fc.to_numpy(), arrays, 0.002, P), plan.target.to_numpy())
