from __future__ import annotations

import numpy as np
import pandas as pd

from domain.strategies.allocator.policy import allocation_returns, smooth


def test_smoothing_and_cap_by_hand():
    # alpha 0.5 from 0.5 towards 1: step (1 - 0.5) * 0.5 = 0.25 capped at 0.10 -> 0.6, 0.7, ...
    w = smooth(np.ones(6), alpha=0.5, cap=0.10, w0=0.5)
    assert np.allclose(w, [0.6, 0.7, 0.8, 0.9, 0.95, 0.975])
    # no smoothing, no binding cap: the raw weights
    raw = np.array([0.0, 1.0, 0.3, 0.3])
    assert np.allclose(smooth(raw, alpha=0.0, cap=1.0, w0=0.5), raw)


def test_cap_is_never_exceeded():
    raw = np.random.default_rng(1).choice([0.0, 1.0], size=500)
    for alpha in (0.0, 0.5, 0.9):
        w = smooth(raw, alpha, 0.10, 0.5)
        steps = np.abs(np.diff(np.concatenate(([0.5], w))))
        assert steps.max() <= 0.10 + 1e-12
        assert (w >= 0).all() and (w <= 1).all()


def test_allocation_returns_and_costs():
    idx = pd.bdate_range("2020-01-01", periods=4)
    rq = pd.Series([0.0, 0.02, -0.01, 0.03], index=idx)
    rs = pd.Series([0.0, 0.01, 0.01, 0.00], index=idx)
    w = pd.Series([0.5, 1.0, 1.0, 0.0], index=idx)
    bt = allocation_returns(w, rq, rs, cost_rate=0.001, w_before=0.5)
    # day 2 earns the 50/50 mix; the change to 1.0 at day 2's close is charged on day 3
    assert np.isclose(bt["gross"].iloc[1], 0.015)
    assert np.isclose(bt["net_return"].iloc[2], -0.01 - 0.0005)
    assert np.isclose(bt["net_return"].iloc[3], 0.03)
    assert np.allclose(bt["turnover"], [0.0, 0.5, 0.0, 1.0])
