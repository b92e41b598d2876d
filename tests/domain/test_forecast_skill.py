"""Forecast skill measures: IC, hit rate against the base rate, the beta-matched benchmark."""

import numpy as np
import pandas as pd
import pytest

from domain.backtest import CostModel, OverlayParams, run_backtest
from domain.forecast_skill import base_rate, beta_matched_returns, hit_rate, ic, skill


def test_ic_of_a_perfect_and_of_a_monotone_forecast():
    r = np.array([0.01, -0.02, 0.005, 0.03, -0.01])
    assert ic(r, r) == {"ic_spearman": pytest.approx(1.0), "ic_pearson": pytest.approx(1.0)}
    cubed = ic(r**3, r)
    assert cubed["ic_spearman"] == pytest.approx(1.0) and cubed["ic_pearson"] < 1.0
    assert np.isnan(ic(np.ones(5), r)["ic_spearman"])  # a constant forecast has no IC


def test_hit_rate_against_the_base_rate():
    realized = np.array([0.01, 0.02, -0.01, 0.03, 0.01, 0.0])
    always_long = np.ones(6)
    # four of the five non-zero days are up: always long hits 80%, which is the base rate, so no edge
    assert hit_rate(always_long, realized) == pytest.approx(0.8)
    assert base_rate(realized) == pytest.approx(0.8)
    s = skill(always_long, realized)
    assert s["hit_edge"] == pytest.approx(0.0) and s["n_forecasts"] == 6
    assert hit_rate(np.sign(realized), realized) == 1.0


def test_beta_matched_benchmark_holds_the_mean_exposure_through_the_same_overlay_and_costs():
    idx = pd.bdate_range("2020-01-01", periods=60)
    rng = np.random.default_rng(3)
    asset = pd.Series(0.01 * rng.standard_normal(60), index=idx)
    exposure = pd.Series(np.where(np.arange(60) % 2, 0.5, 0.1), index=idx)
    costs = CostModel(commission_bps=2.0, slippage_bps=1.0)
    got = beta_matched_returns(asset, exposure, OverlayParams(), costs)
    expected = run_backtest(asset, pd.Series(0.3, index=idx), OverlayParams(), costs).frame["net_return"]
    pd.testing.assert_series_equal(got, expected)
    # nothing earned on the first day; the next day earns 0.3 x the asset and pays entering (0.3 x 3 bp)
    assert got.iloc[0] == 0.0
    assert got.iloc[1] == pytest.approx(0.3 * asset.iloc[1] - 0.3 * 0.0003)
