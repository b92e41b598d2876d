"""The exposure-scale choice of vol_regime's validation grid (issue 14: interior or provably not truncated)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from domain import metrics
from domain.backtest import OverlayParams
from domain.errors import InputError
from domain.strategies.vol_regime.params import GridParams
from domain.strategies.vol_regime.selection import bootstrap_se, one_se_choice, top_clipped_share

# A hand-made score table: six grid points, two model settings x three scales. The best score (1.00) sits
# at scale 2.0; with SE 0.15 the points >= 0.85 are eligible: (m1, 0.5) 0.86, (m2, 1.0) 0.90, (m1, 2.0)
# 1.00. The smallest eligible scale is 0.5, whose only eligible point is index 1.
SCORES = np.array([0.40, 0.86, 1.00, 0.84, 0.90, 0.95])
SCALES = np.array([0.25, 0.5, 2.0, 0.5, 1.0, 2.0])


def test_one_se_keeps_the_smallest_scale_within_one_standard_error_of_the_best():
    assert one_se_choice(SCORES, SCALES, se=0.15) == 1
    # SE 0: the rule is the plain maximum
    assert one_se_choice(SCORES, SCALES, se=0.0) == 2
    # SE 0.6 admits everything: the smallest scale, 0.25
    assert one_se_choice(SCORES, SCALES, se=0.6) == 0
    # among the eligible points at the smallest scale the best score wins: SE 0.17 admits 0.84 and 0.86
    assert one_se_choice(SCORES, SCALES, se=0.17) == 1


def test_one_se_ignores_undefined_scores():
    scores = np.array([-np.inf, 0.5, 0.45])
    assert one_se_choice(scores, np.array([0.1, 1.0, 0.5]), se=0.1) == 2


def test_bootstrap_se_is_seeded_and_measures_the_spread_of_calmar():
    rng = np.random.default_rng(3)
    net = 0.0004 + 0.01 * rng.standard_normal(252)
    a, b = bootstrap_se(net, 200, 21, seed=7), bootstrap_se(net, 200, 21, seed=7)
    assert a == b and a > 0
    assert bootstrap_se(net, 200, 21, seed=8) != a
    # the same resamples by hand: blocks of 21 days at the seeded starts
    starts = np.random.default_rng(7).integers(0, 252 - 21 + 1, size=(200, 12))
    by_hand = [metrics.calmar(np.concatenate([net[s:s + 21] for s in row])) for row in starts]
    assert a == pytest.approx(float(np.std(by_hand, ddof=1)))


def test_bootstrap_se_of_a_flat_series_is_zero():
    assert bootstrap_se(np.zeros(100), 50, 10, seed=0) == 0.0


def test_top_clipped_share_counts_targets_at_the_tighter_cap():
    overlay = OverlayParams()  # hard caps -1.0 .. 1.5
    target = np.array([1.2, 0.5, -0.8, -1.0, 1.5, 0.0])
    soft = np.array([1.2, 1.2, 0.8, np.inf, np.inf, 0.8])
    # at a cap: 1.2 (soft), -0.8 (soft), -1.0 (hard short), 1.5 (hard long); 0.5 not; the zero is not active
    assert top_clipped_share(target, soft, overlay) == pytest.approx(4 / 5)
    assert np.isnan(top_clipped_share(np.zeros(3), soft[:3], overlay))


def test_selection_is_validated():
    assert GridParams().selection == "best"
    with pytest.raises(InputError, match="grid.selection must be one of best, one_se"):
        GridParams(selection="smallest")
    with pytest.raises(InputError, match="se_bootstrap"):
        GridParams(se_bootstrap=1)


def test_tune_with_one_se_never_chooses_a_larger_scale_than_the_plain_maximum(market, small_params):
    from domain.strategies.vol_regime.features import build_features
    from domain.strategies.vol_regime.tuning import Validation, tune

    qqq, spy, vix = market
    params = replace(small_params, grid=replace(small_params.grid, exposure_scale=(0.25, 0.5, 1.0, 2.0, 4.0)))
    feats = build_features(qqq, spy, vix).frame.dropna()
    y = qqq["Close"].pct_change().shift(-1).reindex(feats.index)
    tr, va = feats.index[:400], feats.index[410:560]
    validation = Validation(feats.loc[va], qqq["Close"].pct_change().loc[:va[-1]], params.exposure)
    best = tune(feats.loc[tr].to_numpy(), y.loc[tr].to_numpy(), validation, params, seed=0)
    one = tune(feats.loc[tr].to_numpy(), y.loc[tr].to_numpy(), validation,
               replace(params, grid=replace(params.grid, selection="one_se")), seed=0)
    r = one.report
    assert best.report["validation_calmar"] == r["validation_best_calmar"]
    assert r["validation_calmar"] >= r["validation_best_calmar"] - r["validation_calmar_se"]
    assert one.params.exposure.exposure_scale <= best.params.exposure.exposure_scale
    assert r["best_exposure_scale"] == best.params.exposure.exposure_scale
    assert 0.0 <= r["top_clipped_share"] <= 1.0
    assert r["scale_score_range_se"] >= 0.0 and r["validation_calmar_se"] > 0
    assert isinstance(pd.Series(r).get("scale_at_top"), bool)


def test_a_fixed_scale_is_not_reported_on_a_grid_edge(market, small_params):
    from domain.strategies.vol_regime.features import build_features
    from domain.strategies.vol_regime.tuning import Validation, tune

    qqq, spy, vix = market
    params = replace(small_params, grid=replace(small_params.grid, exposure_scale=(0.5,)))
    feats = build_features(qqq, spy, vix).frame.dropna()
    y = qqq["Close"].pct_change().shift(-1).reindex(feats.index)
    tr, va = feats.index[:400], feats.index[410:560]
    validation = Validation(feats.loc[va], qqq["Close"].pct_change().loc[:va[-1]], params.exposure)
    r = tune(feats.loc[tr].to_numpy(), y.loc[tr].to_numpy(), validation, params, seed=0).report
    assert (r["scale_at_edge"], r["scale_at_bottom"], r["scale_at_top"]) == (False, False, False)
    assert r["scale_score_range_se"] == 0.0
