"""Metrics against empyrical's own regression vectors.

Expected values are copied from quantopian/empyrical, empyrical/tests/test_stats.py (commit
0a9fa5848a3ed519be0f514df9e3a04fb7b37ad3): test_max_drawdown, test_annual_ret, test_cagr,
test_annual_volatility, test_sharpe_ratio, test_sortino, test_calmar, test_downside_risk. They are
asserted to 8 decimal places, as empyrical does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain import metrics as m

IDX = pd.date_range("2000-1-30", periods=9, freq="D")
MIXED = pd.Series(np.array([np.nan, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0]) / 100, index=IDX)
SIMPLE_BENCHMARK = pd.Series(np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]) / 100, index=IDX)
POSITIVE = pd.Series(np.array([1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) / 100, index=IDX)
NEGATIVE = pd.Series(np.array([0.0, -6.0, -7.0, -1.0, -9.0, -2.0, -6.0, -8.0, -5.0]) / 100, index=IDX)

DEC = 8


@pytest.mark.parametrize(
    "returns, expected",
    [(MIXED, -0.1), (SIMPLE_BENCHMARK, 0.0), (POSITIVE, 0.0), (NEGATIVE, -0.36590730349873601)],
)
def test_max_drawdown_empyrical(returns, expected):
    np.testing.assert_almost_equal(m.max_drawdown(returns), expected, DEC)


def test_mixed_returns_empyrical_vector():
    np.testing.assert_almost_equal(m.cagr(MIXED), 1.9135925373194231, DEC)
    np.testing.assert_almost_equal(m.annual_return(MIXED), 1.9135925373194231, DEC)
    np.testing.assert_almost_equal(m.annual_volatility(MIXED), 0.9136465399704637, DEC)
    np.testing.assert_almost_equal(m.sharpe(MIXED), 1.7238613961706866, DEC)
    np.testing.assert_almost_equal(m.downside_risk(MIXED), 0.60448325038829653, DEC)
    np.testing.assert_almost_equal(m.sortino(MIXED), 2.605531251673693, DEC)
    np.testing.assert_almost_equal(m.calmar(MIXED), 19.135925373194233, DEC)
    # empyrical test_cum_returns_final: mixed_returns -> 0.03893 (4 decimals there)
    np.testing.assert_almost_equal(m.total_return(MIXED), 0.03893, 4)


def test_other_empyrical_vectors():
    np.testing.assert_almost_equal(m.sharpe(POSITIVE), 52.915026221291804, DEC)
    np.testing.assert_almost_equal(m.sharpe(NEGATIVE), -24.406808633910085, DEC)
    np.testing.assert_almost_equal(m.sortino(NEGATIVE), -13.532743075043401, DEC)
    assert m.sortino(POSITIVE) == np.inf
    assert m.sortino(SIMPLE_BENCHMARK) == np.inf


def test_empty_is_nan():
    empty = pd.Series([], dtype=float)
    out = m.summarize(empty)
    assert all(np.isnan(v) for k, v in out.items() if k != "n_days")


def test_var_cvar_historical():
    r = np.arange(-50, 50) / 1000.0  # 100 returns: -5.0% .. +4.9%
    # 5th percentile with linear interpolation: position 0.05 * 99 = 4.95 -> -4.6% + 0.95 * 0.1%
    assert m.value_at_risk(r) == pytest.approx(-0.04505, abs=1e-12)
    # worst floor(99 * 0.05) + 1 = 5 returns: -5.0 .. -4.6% -> mean -4.8%
    assert m.conditional_value_at_risk(r) == pytest.approx(-0.048, abs=1e-12)


def test_hit_rate_win_loss_turnover():
    r = np.array([0.01, -0.02, 0.0, 0.03, np.nan, -0.01])
    assert m.hit_rate(r) == pytest.approx(2 / 4)
    assert m.win_loss_ratio(r) == pytest.approx(0.02 / 0.015)
    assert m.turnover([0.5, 1.0, -0.5, -0.5]) == pytest.approx((0.5 + 0.5 + 1.5 + 0.0) / 4)


def test_skew_kurtosis_match_pandas():
    rng = np.random.default_rng(3)
    r = pd.Series(rng.standard_t(4, size=500) / 100)
    assert m.skew(r) == pytest.approx(r.skew(), rel=1e-12)
    assert m.kurtosis(r) == pytest.approx(r.kurt(), rel=1e-12)


def test_drawdown_durations_and_recovery():
    # equity: 1.1, 0.99, 1.045, 1.1 (recovered, spell of 3 days incl. recovery day), 1.0 (open, 1 day)
    r = [0.10, -0.10, 0.05555555555555555, 0.0526315789473684, -0.0909090909]
    longest, avg = m.drawdown_durations(r)
    assert longest == 3.0
    assert avg == 3.0
    mdd = m.max_drawdown(r)
    assert mdd == pytest.approx(-0.10, abs=1e-9)
    assert m.recovery_factor(r) == pytest.approx(m.total_return(r) / 0.10)


def test_summarize_has_every_metric():
    out = m.summarize(MIXED, exposure=[0, 1, 1, 0.5, 0.5, 1, 1, 1, 0])
    for key in (
        "cagr", "total_return", "max_drawdown", "calmar", "sharpe", "sortino", "volatility", "hit_rate",
        "win_loss_ratio", "turnover", "skew", "kurtosis", "var_95", "cvar_95", "drawdown_longest_days",
        "drawdown_avg_recovery_days", "recovery_factor",
    ):
        assert key in out and isinstance(out[key], float)
    assert out["turnover"] > 0


def test_risk_free_rate_for_sharpe_and_sortino():
    """Issue 18 item 11: an annual risk-free rate is taken off each day (rate / 252); 0 is empyrical's convention."""
    r = np.array([0.01, -0.005, 0.002, 0.007, -0.012, 0.004])
    excess = r - 0.02 / 252
    mean, sd = excess.mean(), excess.std(ddof=1)
    assert m.sharpe(r, risk_free=0.02) == pytest.approx(mean / sd * np.sqrt(252), rel=1e-12)
    down = np.sqrt(np.mean(np.minimum(excess, 0) ** 2)) * np.sqrt(252)
    assert m.sortino(r, risk_free=0.02) == pytest.approx(mean * 252 / down, rel=1e-12)
    assert m.sharpe(r) == m.sharpe(r, risk_free=0.0) == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(252))
    s = m.summarize(r, risk_free=0.02)
    assert s["sharpe"] == m.sharpe(r, risk_free=0.02) and s["sortino"] == m.sortino(r, risk_free=0.02)


def test_design_targets_pass_or_fail():
    from domain.errors import InputError
    from domain.targets import ReportParams, check_targets, parse_targets

    targets = parse_targets([["calmar", ">=", 1.5], ["volatility", "between", [0.15, 0.2]], ["skew", ">", 0]])
    checks = check_targets({"calmar": 1.5, "volatility": 0.25, "skew": float("nan")}, targets)
    assert [(c.target, c.passed) for c in checks] == [(">= 1.5", True), ("between 0.15 and 0.2", False),
                                                       ("> 0", False)]
    with pytest.raises(InputError, match=r"report.targets\[0\]"):
        ReportParams(targets=[["calmar", "=>", 1.5]])
