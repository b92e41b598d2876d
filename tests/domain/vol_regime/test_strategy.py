from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domain.strategies.vol_regime.params import VolRegimeParams
from domain.strategies.vol_regime.strategy import (
    decide,
    fit_final,
    prepare_data,
    run_fold,
    run_walk_forward,
)
from domain.walk_forward import make_folds

REPO = Path(__file__).resolve().parents[3]
START, END = "2017-07-01", "2018-06-30"


@pytest.fixture(scope="module")
def wf(market, small_params):
    qqq, spy, vix = market
    return run_walk_forward(qqq, spy, vix, None, small_params, START, END, seed=11)


def test_walk_forward_shape_and_metrics(wf):
    assert [f.name for f in wf.folds] == ["2017Q3", "2017Q4", "2018Q1", "2018Q2"]
    d = wf.daily
    assert d.index[0] >= pd.Timestamp(START) and d.index[-1] <= pd.Timestamp(END)
    assert {"forecast", "target", "exposure", "net_return", "equity", "benchmark_return", "fold"} <= set(d.columns)
    assert d["exposure"].between(-1.0, 1.5).all()
    assert (d["exposure"].diff().abs().iloc[1:] <= 0.8 + 1e-12).all()
    assert np.isclose(d["equity"].iloc[-1], np.prod(1 + d["net_return"]))
    assert len(wf.per_fold) == 4 and "test_calmar" in wf.per_fold and "validation_calmar" in wf.per_fold
    assert set(wf.summary) >= {"cagr", "max_drawdown", "calmar", "sharpe"}
    assert (wf.daily["exposure"] != 0).any()


def test_walk_forward_reproducible_with_seed(market, small_params, wf):
    qqq, spy, vix = market
    again = run_walk_forward(qqq, spy, vix, None, small_params, START, END, seed=11)
    pd.testing.assert_frame_equal(again.daily, wf.daily)
    other = run_walk_forward(qqq, spy, vix, None, small_params, START, END, seed=12)
    assert not np.allclose(other.daily["forecast"], wf.daily["forecast"])


def test_walk_forward_causal(market, small_params, wf):
    """Change every price after D: forecasts, targets and exposures up to D stay the same."""
    qqq, spy, vix = market
    day = pd.Timestamp("2018-02-14")
    rng = np.random.default_rng(5)
    q2, s2, v2 = qqq.copy(), spy.copy(), vix.copy()
    after = q2.index > day
    shock = np.exp(np.cumsum(rng.normal(0, 0.03, after.sum())))
    for col in ("Close", "High", "Low", "Open"):
        q2.loc[after, col] = q2.loc[after, col] * shock
    s2.loc[after, "Close"] = s2.loc[after, "Close"] * shock[::-1]
    v2.loc[after] = v2.loc[after] * 2
    changed = run_walk_forward(q2, s2, v2, None, small_params, START, END, seed=11)
    cols = ["forecast", "target", "exposure", "net_return", "equity"]
    pd.testing.assert_frame_equal(changed.daily.loc[:day, cols], wf.daily.loc[:day, cols])
    assert not changed.daily.loc[day:, "forecast"].iloc[1:].equals(wf.daily.loc[day:, "forecast"].iloc[1:])


def test_run_fold_training_never_reaches_test(market, small_params):
    data = prepare_data(*market, None, small_params)
    wfp = small_params.walk_forward
    fold = make_folds(data.usable, START, END, min_train_days=wfp.min_train_days,
                      validation_days=wfp.validation_days, embargo_days=wfp.embargo_days)[1]
    res = run_fold(fold, data, small_params, 0)
    assert res.info["refit_end"] < fold.test_start
    # labels of the refit rows end no later than the test start (label of D is D -> D+1)
    nxt = data.usable[data.usable.get_loc(res.info["refit_end"]) + 1]
    assert nxt <= fold.test_start
    assert res.info["tuned"] and res.info["grid_points"] == small_params.grid.size()
    assert res.predictions.index.equals(data.usable[fold.test_mask(data.usable)])


def test_fit_final_and_decide(market, small_params):
    qqq, spy, vix = market
    as_of = qqq.index[700]
    fitted = fit_final(qqq, spy, vix, None, small_params, as_of, seed=3)
    assert fitted.train_end < as_of
    d = decide(fitted, qqq, spy, vix, None, as_of, drawdown=0.0, prev_exposure=0.0)
    assert -1.0 <= d.exposure <= 1.5 and abs(d.exposure) <= 0.8 + 1e-12
    assert "drawdown_throttle" in d.filters and "signal_gate" in d.filters
    # data after as_of is ignored by both
    cut = decide(fitted, qqq.loc[:as_of], spy.loc[:as_of], vix.loc[:as_of], None, as_of)
    assert cut == d
    fitted_cut = fit_final(qqq.loc[:as_of], spy.loc[:as_of], vix.loc[:as_of], None, small_params, as_of, seed=3)
    np.testing.assert_array_equal(fitted_cut.model.predict(np.ones((1, len(fitted.feature_columns)))),
                                  fitted.model.predict(np.ones((1, len(fitted.feature_columns)))))
    stopped = decide(fitted, qqq, spy, vix, None, as_of, drawdown=-0.2, prev_exposure=0.5)
    assert stopped.exposure == 0.0 and stopped.filters["drawdown_stop"]


def test_config_yaml_equals_defaults():
    from infra.strategy_config import load_strategy_config

    assert load_strategy_config("vol_regime", VolRegimeParams, REPO / "config") == VolRegimeParams()


def _fold(data, params, i=1):
    wfp = params.walk_forward
    return make_folds(data.usable, START, END, min_train_days=wfp.min_train_days,
                      validation_days=wfp.validation_days, embargo_days=wfp.embargo_days)[i]


def test_forecast_spread_is_the_train_only_models_validation_spread(market, small_params):
    """Signal strength is measured against out-of-sample forecasts: the validation-year forecasts of the
    model fitted on the training rows only, never the refit model's own (in-sample) forecasts."""
    from dataclasses import replace

    from domain.strategies.vol_regime.model import VolRegimeEnsemble
    from domain.strategies.vol_regime.strategy import fit_fold

    params = replace(small_params, tune=False)
    data = prepare_data(*market, None, params)
    fold = _fold(data, params)
    fitted = fit_fold(fold, data, params, 4)
    idx = data.usable
    tr, va = idx[fold.train_mask(idx)], idx[fold.validation_mask(idx)]
    tr, va = tr[data.labels.reindex(tr).notna().to_numpy()], va[data.labels.reindex(va).notna().to_numpy()]
    alone = VolRegimeEnsemble.from_params(params.model, random_state=4).fit(data.features.loc[tr].to_numpy(),
                                                                          data.labels.loc[tr].to_numpy())
    assert fitted.forecast_std == pytest.approx(np.std(alone.predict(data.features.loc[va].to_numpy())))
    rf = idx[fold.refit_mask(idx)]
    in_sample = np.std(fitted.model.predict(data.features.loc[rf].to_numpy()))
    assert fitted.forecast_std < in_sample  # the in-sample spread is wider: the old gate was almost always on
    assert fitted.kelly == 1.0  # Kelly off by default


def test_kelly_oos_pnl_sizes_by_the_validation_record(market, small_params):
    from dataclasses import replace

    from domain.strategies.vol_regime.strategy import fit_fold

    params = replace(small_params, exposure=replace(small_params.exposure, kelly="oos_pnl"))
    data = prepare_data(*market, None, params)
    fold = _fold(data, params)
    fitted = fit_fold(fold, data, params, 4)
    assert 0.0 <= fitted.kelly <= params.exposure.kelly_cap and fitted.info["kelly"] == fitted.kelly
    res = run_fold(fold, data, params, 4)
    assert np.allclose(res.predictions["kelly"], res.info["kelly"])


def test_walk_forward_measures_skill_beta_matched_and_overfitting(wf, small_params, market):
    from domain.backtest import run_backtest
    from domain.forecast_skill import skill

    s = wf.summary
    for key in ("ic_spearman", "ic_pearson", "forecast_hit_rate", "base_rate", "beta_matched_calmar",
                "beta_matched_sharpe", "deflated_sharpe", "pbo", "mean_exposure", "scale_at_edge_share",
                "scale_at_bottom_share", "scale_at_top_share", "scale_score_range_se_median"):
        assert key in s, key
    assert 0.0 <= s["deflated_sharpe"] <= 1.0 and 0.0 <= s["pbo"] <= 1.0
    assert s["dsr_trials"] == small_params.grid.size()
    d = wf.daily
    realized = market[0]["Close"].pct_change().shift(-1).reindex(d.index)
    assert s["ic_spearman"] == pytest.approx(skill(d["forecast"], realized)["ic_spearman"])
    # beta-matched: the mean exposure held constantly through the same overlay and costs
    asset = market[0]["Close"].pct_change().reindex(d.index).fillna(0.0)
    const = run_backtest(asset, pd.Series(d["exposure"].mean(), index=d.index), small_params.overlay,
                         small_params.costs)
    pd.testing.assert_series_equal(d["beta_matched_return"], const.frame["net_return"], check_names=False)
    pf = wf.per_fold
    for col in ("test_ic_spearman", "test_forecast_hit_rate", "test_base_rate", "test_bm_calmar",
                "validation_dsr", "validation_pbo", "scale_at_edge", "scale_at_bottom", "scale_at_top",
                "top_clipped_share", "validation_calmar_se", "best_exposure_scale", "scale_score_range_se"):
        assert col in pf, col
    assert pf["validation_pbo"].between(0, 1).all()
    assert s["scale_at_edge_share"] == pytest.approx(s["scale_at_bottom_share"] + s["scale_at_top_share"])
    assert ("top_clipped_share_at_top" in s) == bool(pf["scale_at_top"].any())


def test_decide_measures_signal_strength_against_trailing_live_forecasts(market, small_params):
    qqq, spy, vix = market
    as_of = qqq.index[700]
    fitted = fit_final(qqq, spy, vix, None, small_params, as_of, seed=3)
    past = pd.Series(np.random.default_rng(0).normal(0, 0.004, 80), index=qqq.index[620:700])
    d = decide(fitted, qqq, spy, vix, None, as_of, live_forecasts=past)
    spread = np.std(past.tail(small_params.exposure.spread_days).to_numpy())
    assert d.signal_strength == pytest.approx(abs(d.forecast) / spread)
    few = decide(fitted, qqq, spy, vix, None, as_of, live_forecasts=past.tail(5))  # too few: validation spread
    assert few.signal_strength == pytest.approx(abs(few.forecast) / fitted.forecast_std)
    later = pd.Series(1.0, index=qqq.index[700:790])  # forecasts dated as_of or later are never read
    assert decide(fitted, qqq, spy, vix, None, as_of, live_forecasts=later) == few


def test_vol_adjusted_target(market, small_params):
    from dataclasses import replace

    params = replace(small_params, model=replace(small_params.model, target="vol_adjusted"))
    data = prepare_data(*market, None, params)
    plain = prepare_data(*market, None, small_params)
    pd.testing.assert_series_equal(data.labels, plain.labels / plain.features["rv_5"], check_names=False)
    pd.testing.assert_series_equal(data.realized, plain.labels)


def test_spy_config_differs_from_qqq_only_in_symbols():
    from dataclasses import replace

    from infra.strategy_config import load_strategy_config

    spy = load_strategy_config("vol_regime_spy", VolRegimeParams, REPO / "config")
    assert (spy.asset, spy.market, spy.vix) == ("SPY", "QQQ", "^VIX")
    assert replace(spy, asset="QQQ", market="SPY") == VolRegimeParams()


def test_adapter_trades_the_configured_symbol_and_reads_live_forecasts_from_the_book(market, small_params):
    from dataclasses import replace
    from types import SimpleNamespace

    from domain.strategies.base import Inputs
    from domain.strategies.vol_regime.adapter import VolRegime

    qqq, spy, vix = market
    params = replace(small_params, asset="SPY", market="QQQ")
    strategy = VolRegime(params)
    assert strategy.needs.symbols == ("SPY", "QQQ", "^VIX") and strategy.benchmark == "buy-and-hold SPY"
    # SPY's bars are the asset now: give the fixture's QQQ series under the name SPY and vice versa
    bars = {"SPY": qqq, "QQQ": spy.assign(High=spy["Close"], Low=spy["Close"], Open=spy["Close"]), "^VIX": vix}
    as_of = qqq.index[700]
    inputs = Inputs(as_of=as_of, bars=bars)
    fitted = strategy.fit(strategy.prepare(inputs), as_of, seed=3)
    past = pd.Series(np.random.default_rng(0).normal(0, 0.004, 80), index=qqq.index[620:700])
    book = SimpleNamespace(weights={"SPY": 0.1}, drawdown=0.0, forecasts=past)
    targets = strategy.decide(fitted, inputs, as_of, book)
    assert set(targets.weights) == {"SPY"}
    d = targets.details
    assert d["signal_strength"] == pytest.approx(abs(d["forecast"]) / np.std(past.tail(63).to_numpy()))
    assert d["prev_exposure"] == 0.1
