"""The compiled one-instrument overlay (``domain.book.scalar_jit``, what ``run_backtest`` runs) equals the
Python scalar loop (``kernel.scalar_overlay_loop``) bit for bit: exposures, flags and drawdowns, with every
history rule on, each alone, none, one to five autocorrelation lags (up to four run in registers), a re-arm
inside the autocorrelation window, and no throttle at all."""

from __future__ import annotations

import numpy as np
import pytest

from domain.book import Rules
from domain.book.kernel import (
    AUTOCORR_TIGHTENED,
    CORRELATION_SCALED,
    CORRELATION_STOP,
    STOPPED,
    TRAILING_STOP,
    scalar_overlay_loop,
)
from domain.book.scalar_jit import overlay_loop

BASE = {"min_weight": -1.0, "max_weight": 1.5, "drawdown_thresholds": (0.03, 0.05, 0.08, 0.12),
        "drawdown_scales": (0.75, 0.5, 0.2, 0.0), "drawdown_soft_cap": 0.8, "rearm": "sessions 5",
        "max_turnover": 0.6}
HISTORY = {"trailing_stop": 0.05, "trailing_window": 20, "correlation_scale": 0.7, "correlation_stop": 0.95,
           "correlation_window": 20, "autocorr_threshold": 0.3, "autocorr_window": 40,
           "autocorr_lags": (1, 5, 10, 20), "autocorr_tighten": 0.75}
CASES = {
    "all": Rules(**BASE, **HISTORY),
    "none": Rules(**BASE),
    "trailing": Rules(**BASE, trailing_stop=0.03, trailing_window=7),
    "correlation scale only": Rules(**BASE, correlation_scale=0.5, correlation_window=10),
    "correlation stop only": Rules(**BASE, correlation_stop=0.8),
    "autocorr, odd lags": Rules(**BASE, autocorr_threshold=0.1, autocorr_window=12, autocorr_lags=(2, 3, 11)),
    "autocorr, one lag": Rules(**BASE, autocorr_threshold=0.1, autocorr_window=9, autocorr_lags=(4,)),
    "autocorr, five lags": Rules(**BASE, autocorr_threshold=0.1, autocorr_window=15, autocorr_lags=(1, 2, 3, 5, 8)),
    "no throttle, operator": Rules(rearm="operator", trailing_stop=0.04, correlation_scale=0.6,
                                   autocorr_threshold=0.2),
    "stop every few weeks": Rules(drawdown_thresholds=(0.01, 0.02), drawdown_scales=(0.5, 0.0), rearm="sessions 3",
                                  autocorr_threshold=0.2, autocorr_window=10, autocorr_lags=(1, 2)),
}


def _inputs(seed: int, n: int = 700):
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0003, 0.02, n)
    x = np.clip(np.cumsum(rng.normal(0, 0.15, n)) * 0.3, -1.3, 1.8)
    x[rng.random(n) < 0.05] = 0.0
    x[200:320] = 0.9  # a constant exposure: its returns track the asset's, so the correlation rules act
    return r, x


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_loop_equals_the_python_loop_bit_for_bit(name, seed):
    rules = CASES[name]
    r, x = _inputs(seed)
    e, fl, tdd = overlay_loop(r, x, rules)
    e_py, fl_py, tdd_py, _ = scalar_overlay_loop(r.tolist(), x.tolist(), rules)
    np.testing.assert_array_equal(e, np.array(e_py))
    np.testing.assert_array_equal(fl, np.array(fl_py))
    np.testing.assert_array_equal(tdd, np.array(tdd_py))


def test_the_cases_exercise_the_rules_they_name():
    seen = 0
    for seed in (0, 1, 2):
        r, x = _inputs(seed)
        seen |= int(np.bitwise_or.reduce(overlay_loop(r, x, CASES["all"])[1]))
        seen |= int(np.bitwise_or.reduce(overlay_loop(r, x, CASES["stop every few weeks"])[1]))
    for bit in (STOPPED, TRAILING_STOP, CORRELATION_SCALED, CORRELATION_STOP, AUTOCORR_TIGHTENED):
        assert seen & bit, bit


def test_run_backtest_runs_the_compiled_loop_and_equals_the_python_one():
    import pandas as pd

    from domain.backtest import CostModel, OverlayParams, run_backtest

    r, x = _inputs(3, 500)
    idx = pd.bdate_range("2020-01-01", periods=len(r))
    overlay = OverlayParams(trailing_stop=0.05, correlation_scale=0.7, correlation_stop=0.95, autocorr_threshold=0.3)
    got = run_backtest(pd.Series(r, idx), pd.Series(x, idx), overlay)
    e_py, fl_py, _, _ = scalar_overlay_loop(r.tolist(), x.tolist(), Rules.from_overlay(overlay, CostModel()))
    np.testing.assert_array_equal(got.exposure.to_numpy(), np.array(e_py))
    np.testing.assert_array_equal(got.frame["flags"].to_numpy(), np.array(fl_py))


def test_many_paths_in_one_call_equal_the_python_loop_path_by_path():
    from domain.book.scalar_jit import overlay_loop_many

    rng = np.random.default_rng(11)
    r = rng.normal(0.0003, 0.02, 300)
    x = np.clip(np.cumsum(rng.normal(0, 0.15, (300, 9)), axis=0) * 0.3, -1.3, 1.8)
    x[:, 0] = 0.9
    got = overlay_loop_many(r, x, CASES["all"])
    assert got.shape == x.shape
    for j in range(x.shape[1]):
        e_py, _, _, _ = scalar_overlay_loop(r.tolist(), x[:, j].tolist(), CASES["all"])
        np.testing.assert_array_equal(got[:, j], np.array(e_py))


def test_the_grid_trial_matrix_keeps_the_layout_its_statistics_were_taken_on():
    """The tuning takes each candidate's Sharpe ratio and the PBO from numpy reductions over the trial
    matrix, which sum in a layout-dependent order: a Fortran-ordered matrix of the same values moved fold
    2021Q1's PBO from 0.603 to 0.607. The matrix must stay C-ordered, its column statistics bit-identical
    to those of the candidates backtested one at a time."""
    from domain.backtest import CostModel, OverlayParams, backtest_net_returns, backtest_net_returns_many

    rng = np.random.default_rng(4)
    r = rng.normal(0.0004, 0.015, 252)
    x = np.clip(rng.normal(0.2, 0.4, (252, 540)), -1.0, 1.5)  # the grid's size: numpy picks the layout by shape
    overlay = OverlayParams(trailing_stop=0.05, correlation_scale=0.7, correlation_stop=0.95, autocorr_threshold=0.3)
    many = backtest_net_returns_many(r, x, overlay, CostModel())
    one = np.column_stack([backtest_net_returns(r, x[:, j], overlay, CostModel()) for j in range(x.shape[1])])
    assert many.flags.c_contiguous
    np.testing.assert_array_equal(many, one)
    np.testing.assert_array_equal(many.mean(axis=0), one.mean(axis=0))
    np.testing.assert_array_equal(many.std(axis=0, ddof=1), one.std(axis=0, ddof=1))
