"""Many candidate paths at once equal the scalar overlay loop path by path, bit for bit, with every rule on:
throttle and stop, re-arm, soft and hard caps, turnover cap, trailing stop, correlation scale and stop, and the
autocorrelation-tightened throttle."""

from __future__ import annotations

import numpy as np
import pytest

from domain.book import Rules
from domain.book.kernel import scalar_overlay_loop
from domain.book.paths import overlay_paths

ALL_RULES = Rules(min_weight=-1.0, max_weight=1.5, drawdown_thresholds=(0.03, 0.05, 0.08, 0.12),
                  drawdown_scales=(0.75, 0.5, 0.2, 0.0), drawdown_soft_cap=0.8, rearm="sessions 5", max_turnover=0.6,
                  trailing_stop=0.05, trailing_window=20, correlation_scale=0.7, correlation_stop=0.95,
                  correlation_window=20, autocorr_threshold=0.3, autocorr_window=40, autocorr_lags=(1, 5, 10, 20),
                  autocorr_tighten=0.75)


@pytest.mark.parametrize("rules", [ALL_RULES, Rules(drawdown_thresholds=(0.05, 0.1), drawdown_scales=(0.5, 0.0)),
                                   Rules(trailing_stop=0.03, rearm="operator", drawdown_thresholds=(0.1,),
                                         drawdown_scales=(0.0,))])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_path_equals_the_scalar_loop(rules, seed):
    rng = np.random.default_rng(seed)
    n, paths = 400, 37
    r = rng.normal(0.0003, 0.02, n)
    base = np.clip(np.cumsum(rng.normal(0, 0.15, (n, paths)), axis=0) * 0.3, -1.3, 1.8)
    x = np.where(rng.random((n, paths)) < 0.05, 0.0, base)
    x[:, 0] = 0.9  # a constant exposure: its returns track the asset's, so the correlation stop acts
    got = overlay_paths(r, x, rules)
    flags = 0
    for j in range(paths):
        e, fl, _, _ = scalar_overlay_loop(r.tolist(), x[:, j].tolist(), rules)
        np.testing.assert_array_equal(got[:, j], np.array(e))
        flags |= np.bitwise_or.reduce(np.array(fl))
    if rules is ALL_RULES:  # the stretch exercised the rules it claims to
        assert flags & 2 and flags & 1024 and flags & 4096


def test_net_returns_of_many_candidates_equal_one_backtest_each():
    from domain.backtest import CostModel, OverlayParams, backtest_net_returns, backtest_net_returns_many

    rng = np.random.default_rng(5)
    r = rng.normal(0.0004, 0.015, 300)
    x = rng.normal(0.3, 0.5, (300, 12))
    overlay, costs = OverlayParams(), CostModel()
    many = backtest_net_returns_many(r, x, overlay, costs)
    for j in range(x.shape[1]):
        np.testing.assert_array_equal(many[:, j], backtest_net_returns(r, x[:, j], overlay, costs))
    np.testing.assert_array_equal(backtest_net_returns_many(r, x, None, costs)[:, 3],
                                  backtest_net_returns(r, x[:, 3], None, costs))
