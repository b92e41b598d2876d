from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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


def test_risk_envelope_guard_rails_vol_scaling_and_drift_throttle():
    """Document 003 section 6 step 3, on a hand-made series: calm then a crash; drift flagged mid-way."""
    from domain.strategies.allocator.envelope import EnvelopeParams, apply_envelope, guard_scale

    n = 160
    idx = pd.bdate_range("2024-01-01", periods=n)
    rng = np.random.default_rng(1)
    rq = pd.Series(np.r_[rng.normal(0.0005, 0.004, 100), np.full(60, -0.02)], index=idx)  # calm, then -2%/day
    rs = pd.Series(np.r_[rng.normal(0.0004, 0.003, 100), np.full(60, -0.015)], index=idx)
    w_raw = np.r_[np.full(40, 1.0), np.full(120, 0.0)]
    drift = np.r_[np.zeros(40), np.full(120, 0.5)]  # PSI 0.5 > flag 0.25 from day 40
    p = EnvelopeParams(vol_days=20)
    w, k = apply_envelope(w_raw, 0.0, 0.10, 0.5, drift, 0.25, rq, rs, 0.0, p)
    # drift throttle: the cap halves (0.10 -> 0.05) once drift is flagged
    steps = np.abs(np.diff(np.r_[0.5, w]))
    assert steps[:5].max() == pytest.approx(0.10) and steps[40:50].max() == pytest.approx(0.05)
    # volatility scaling: calm legs (vol ~5-6%) -> k at its upper bound 1; the crash (vol ~0) ... guard rails
    assert np.allclose(k[25:100], 1.0)
    mix = pd.Series(np.where(np.arange(n) > 0, 1.0, 0.0), index=idx)  # replay the equity the rails read
    held_w, held_k = np.r_[0.5, w[:-1]], np.r_[1.0, k[:-1]]
    equity = np.cumprod(1 + mix.to_numpy() * held_k * (held_w * rq.to_numpy() + (1 - held_w) * rs.to_numpy()))
    dd = equity / np.maximum.accumulate(np.r_[1.0, equity])[1:] - 1
    assert dd.min() < -0.20 and (k[dd < -0.20] <= 0.5 + 1e-12).all() and (k[dd < -0.10] <= 0.75 + 1e-12).all()
    assert guard_scale(-0.15, p) == 0.75 and guard_scale(-0.25, p) == 0.5 and guard_scale(-0.05, p) == 1.0
    off_w, off_k = apply_envelope(w_raw, 0.0, 0.10, 0.5, drift, 0.25, rq, rs, 0.0, EnvelopeParams(enabled=False))
    assert (off_k == 1.0).all() and np.abs(np.diff(np.r_[0.5, off_w]))[40:50].max() == pytest.approx(0.10)
