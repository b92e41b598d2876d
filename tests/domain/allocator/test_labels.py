from __future__ import annotations

import numpy as np
import pandas as pd

from domain.strategies.allocator.labels import build_labels, build_labels_loop, utility_matrix, weight_grid


def _returns(closes):
    q, s = closes
    return q.pct_change(), s.pct_change()


def test_vectorised_labels_equal_the_brute_force_loop(closes):
    rq, rs = _returns(closes)
    rq, rs = rq.iloc[:500].copy(), rs.iloc[:500].copy()
    rq.iloc[200] = np.nan  # a gap: the days whose window covers it have no label, in both
    for horizon, ldd, ltc in ((10, 1.0, 1.0), (5, 0.5, 50.0), (20, 2.0, 0.0)):
        fast = build_labels(rq, rs, horizon, ldd, ltc, cost_rate=3e-4).bucket
        slow = build_labels_loop(rq, rs, horizon, ldd, ltc, cost_rate=3e-4)
        pd.testing.assert_series_equal(fast, slow)
        assert fast.notna().sum() > 400
        assert fast.iloc[-horizon:].isna().all()


def test_utility_of_a_known_path():
    # QQQ +10% then -20%; SPY flat. w = 1: R = 1.1 * 0.8 - 1 = -0.12, DD = 1 - 0.88 / 1.1 = 0.2.
    rq = np.array([0.0, 0.10, -0.20])
    rs = np.zeros(3)
    u = utility_matrix(rq, rs, np.array([0.0, 1.0]), horizon=2, lambda_dd=0.5)
    assert np.isclose(u[0, 1], -0.12 - 0.5 * 0.2)
    assert np.isclose(u[0, 0], 0.0)
    assert np.isnan(u[1:]).all()


def test_turnover_cost_moves_the_label_towards_the_previous_weight():
    idx = pd.bdate_range("2020-01-01", periods=40)
    rng = np.random.default_rng(3)
    rq = pd.Series(rng.normal(0, 0.01, 40), index=idx)
    rs = pd.Series(rng.normal(0, 0.01, 40), index=idx)
    free = build_labels(rq, rs, 5, 1.0, 0.0, 3e-4).bucket.dropna()
    costly = build_labels(rq, rs, 5, 1.0, 1e6, 3e-4).bucket.dropna()
    # With a prohibitive cost each label is the previous day's cost-free best weight (baseline first).
    ref = pd.concat([pd.Series([5.0], index=idx[:1]), free.shift(1).iloc[1:]])
    assert (costly == ref.reindex(costly.index)).all()
    assert (free != costly).any()


def test_labels_are_causal(closes):
    rq, rs = _returns(closes)
    H, D = 10, rq.index[600]
    base = build_labels(rq, rs, H, 1.0, 1.0, 3e-4)
    changed = rq.copy()
    changed[changed.index > D] = -changed[changed.index > D] * 3
    other = build_labels(changed, rs, H, 1.0, 1.0, 3e-4)
    upto = rq.index[rq.index.get_loc(D) - H]
    pd.testing.assert_series_equal(base.bucket.loc[:upto], other.bucket.loc[:upto])
    pd.testing.assert_frame_equal(base.utility.loc[:upto], other.utility.loc[:upto])
    assert not base.bucket.loc[upto:].iloc[1:].equals(other.bucket.loc[upto:].iloc[1:])


def test_weight_grid():
    w = weight_grid(0.05)
    assert len(w) == 21 and w[0] == 0.0 and w[-1] == 1.0 and np.isclose(w[1], 0.05)
