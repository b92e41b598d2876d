from __future__ import annotations

import numpy as np
import pandas as pd

from domain.strategies.allocator.features import build_features, psi


def test_features_are_causal(closes, small_params):
    q, s = closes
    f = build_features(q.pct_change(), s.pct_change(), q, s, small_params.features)
    D = q.index[700]
    q2 = q.copy()
    q2[q2.index > D] = q2[q2.index > D] * np.linspace(0.5, 2.0, int((q2.index > D).sum()))
    f2 = build_features(q2.pct_change(), s.pct_change(), q2, s, small_params.features)
    pd.testing.assert_frame_equal(f.loc[:D], f2.loc[:D])
    assert not f.loc[D:].iloc[1:].equals(f2.loc[D:].iloc[1:])


def test_feature_blocks_are_present(closes, small_params):
    q, s = closes
    f = build_features(q.pct_change(), s.pct_change(), q, s, small_params.features)
    for col in ("qqq_ret_63", "spy_vol_5", "qqq_downvol_21", "spy_maxdd_63", "qqq_recovery_63", "qqq_hit_21",
                "spy_payoff_63", "qqq_drift_psi", "qqq_drift_flag", "spread_ret_21", "qqq_trend", "spy_slope",
                "corr_spread", "rel_strength_63"):
        assert col in f, col
    full = f.dropna()
    assert len(full) > 1000
    # 21-day compounded return by hand on one day
    d = full.index[100]
    i = q.index.get_loc(d)
    assert np.isclose(full.loc[d, "qqq_ret_21"], q.iloc[i] / q.iloc[i - 21] - 1.0)


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal(5000)
    assert psi(rng.standard_normal(5000), ref, 10) < 0.01
    assert psi(rng.standard_normal(5000) + 1.0, ref, 10) > 0.25
