from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.strategies.allocator.dataset import prepare
from domain.strategies.allocator.nested import inner_splits, outer_folds, search_anchor
from domain.strategies.allocator.research import run_walk_forward

START, END = "2013-01-01", "2014-06-30"


def _data(closes, params):
    q, s = closes
    return prepare(q.pct_change(), s.pct_change(), q, s, params)


@pytest.fixture(scope="module")
def data(closes, small_params):
    return _data(closes, small_params)


@pytest.fixture(scope="module")
def result(data, small_params):
    return run_walk_forward(data, small_params, START, END, seed=7)


def test_purge_and_embargo_at_every_outer_and_inner_boundary(data, small_params):
    h = small_params.search.max_horizon
    gap = small_params.gap
    assert gap == 2 * h - 1  # purge H - 1 + embargo H
    pos = {d: i for i, d in enumerate(data.usable)}
    folds = outer_folds(data, small_params, START, END)
    assert len(folds) == 6
    s = small_params.search
    n_inner = 0
    for f in folds:
        assert pos[f.validation_start] - pos[f.train_end] - 1 == gap
        assert pos[f.test_start] - pos[f.validation_end] - 1 == gap
        # the last training label (t + H) ends before the validation set starts, and H more days are embargoed
        assert pos[f.train_end] + h + h <= pos[f.validation_start]
        assert pos[f.validation_end] + h + h <= pos[f.test_start]
        train_idx = data.usable[f.train_mask(data.usable)]
        splits = inner_splits(train_idx, s.inner_folds, s.inner_validation_days, gap, s.min_inner_train_days)
        assert splits and splits[-1].validation_end == f.train_end
        for sp in splits:
            assert pos[sp.validation_start] - pos[sp.train_end] - 1 == gap
            assert pos[sp.train_end] + 2 * h <= pos[sp.validation_start]
            n_inner += 1
        anchor = search_anchor(f, data, small_params)
        assert anchor.test_start <= f.test_start and anchor.train_end <= f.train_end
    assert n_inner >= 2 * len(folds) - 1


def test_probabilities_and_weights_up_to_d_ignore_returns_after_d(closes, small_params, result):
    q, s = closes
    D = pd.Timestamp("2014-01-15")
    q2 = q.copy()
    after = q2.index > D
    q2[after] = q2[D] * np.cumprod(1 - 0.5 * q.pct_change()[after].to_numpy())  # a different future
    other = run_walk_forward(_data((q2, s), small_params), small_params, START, END, seed=7)
    cols = [c for c in result.daily.columns if c.startswith("p_")] + ["w_raw", "w", "alpha"]
    pd.testing.assert_frame_equal(result.daily.loc[:D, cols], other.daily.loc[:D, cols])
    assert not result.daily.loc[D:, cols].iloc[1:].equals(other.daily.loc[D:, cols].iloc[1:])


def test_walk_forward_result_has_the_report_pieces(result, small_params):
    r = result
    assert len(r.per_fold) == 6
    for col in ("test_pnl", "test_cagr", "test_max_drawdown", "test_calmar", "test_turnover",
                "test_monthly_hit_rate", "test_tail_loss", "test_avg_monthly_pnl", "bh_calmar", "horizon", "lambda_dd", "lambda_tc", "num_leaves", "alpha", "blend",
                "temperature", "inner_dsr"):
        assert col in r.per_fold, col
    assert set(r.series) == {"allocator", "baseline", "qqq_leg", "spy_leg"}
    assert r.summary is r.series["allocator"] and r.benchmark is r.series["baseline"]
    assert (r.daily["exposure"] == r.daily["w"]).all()
    assert (r.daily["benchmark_return"] == r.daily["baseline_return"]).all()
    assert set(r.gates) == {"avg_monthly_pnl_beats_baseline", "calmar_beats_baseline", "max_drawdown_within_tolerance",
                            "turnover_below_cap", "negative_fold_rate", "p25_fold_calmar"}
    assert r.passed == (not r.failed)
    # smoothing and the cap hold in the stitched policy
    steps = np.abs(np.diff(np.concatenate(([0.5], r.daily["w"].to_numpy()))))
    assert steps.max() <= small_params.policy.max_daily_change + 1e-12
    assert r.importance.shape == (6, r.daily.filter(like="p_").shape[1] and r.importance.shape[1])
    assert np.isfinite(r.stability["mean_rank_corr"])
    assert r.reliability["count"].sum() > 0
    assert 0.0 <= r.deflated_sharpe["oos_deflated_sharpe"] <= 1.0
    # the baseline really is a fixed 50/50 of the legs
    d = r.daily.iloc[1:]
    assert np.allclose(d["baseline_return"], 0.5 * d["qqq_leg_return"] + 0.5 * d["spy_leg_return"])


def test_same_seed_same_result(data, small_params, result):
    again = run_walk_forward(data, small_params, START, END, seed=7)
    pd.testing.assert_frame_equal(result.daily, again.daily)
