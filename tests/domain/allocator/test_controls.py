from __future__ import annotations

import numpy as np
import pandas as pd

from domain.strategies.allocator.controls import (
    check_gates,
    deflated_sharpe,
    failed_gates,
    importance_stability,
    selection_score,
)
from domain.strategies.allocator.params import GateParams, SelectionParams


def test_deflated_sharpe_matches_the_papers_example():
    # Bailey and Lopez de Prado (2014), "The Deflated Sharpe Ratio", numerical example: annualised SR 2.5
    # over 5 years of daily data (T = 1250, 250 days a year), N = 100 trials with annualised variance of
    # the trials' Sharpes 0.5, skewness -3, kurtosis 10 -> DSR = 0.9004.
    dsr = deflated_sharpe(2.5 / np.sqrt(250), 1250, -3.0, 10.0, 0.5 / 250, 100)
    assert abs(dsr - 0.9004) < 1e-4
    # more trials deflate more
    assert deflated_sharpe(2.5 / np.sqrt(250), 1250, -3.0, 10.0, 0.5 / 250, 1000) < dsr


def _stats(calmar, pnl=0.01, dd=-0.1, turnover=0.01):
    return {"calmar": calmar, "avg_monthly_pnl": pnl, "max_drawdown": dd, "turnover": turnover}


def test_selection_score_penalises_drawdown_turnover_and_unstable_tails():
    p = SelectionParams()
    base = selection_score([_stats(1.0), _stats(1.0)], p)
    assert selection_score([_stats(1.0, dd=-0.3), _stats(1.0)], p) < base
    assert selection_score([_stats(1.0, turnover=0.2), _stats(1.0)], p) < base
    assert selection_score([_stats(1.0), _stats(1.0), _stats(-2.0), _stats(1.0)], p) < base
    assert selection_score([_stats(1.0, pnl=0.02), _stats(1.0, pnl=0.02)], p) > base


def test_gates_name_the_failing_gate():
    model = {"avg_monthly_pnl": 0.010, "calmar": 1.0, "max_drawdown": -0.30, "turnover": 0.02}
    baseline = {"avg_monthly_pnl": 0.008, "calmar": 0.8, "max_drawdown": -0.20, "turnover": 0.0}
    per_fold = pd.DataFrame({"test_pnl": [0.01, 0.02, -0.01, 0.03], "test_calmar": [1.0, 2.0, -0.5, 1.5]})
    gates = check_gates(model, baseline, per_fold, GateParams())
    assert failed_gates(gates) == ["max_drawdown_within_tolerance"]
    gates = check_gates({**model, "max_drawdown": -0.22}, baseline, per_fold, GateParams(min_p25_fold_calmar=1.0))
    assert failed_gates(gates) == ["p25_fold_calmar"]


def test_importance_stability():
    imp = pd.DataFrame([[1, 2, 3, 4], [1, 2, 3, 4], [4, 3, 2, 1]], columns=list("abcd"))
    s = importance_stability(imp)
    assert s["pairs"] == 2 and np.isclose(s["min_rank_corr"], -1.0) and np.isclose(s["mean_rank_corr"], 0.0)


def test_monotonic_checks_flag_a_model_that_buys_more_qqq_when_its_downside_risk_rises():
    from domain.strategies.allocator.controls import monotonic_checks

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((200, 3)), columns=["qqq_downvol_21", "spy_downvol_21", "other"])
    sane = monotonic_checks(lambda Z: 0.5 - 0.3 * Z[:, 0] + 0.3 * Z[:, 1], X)
    assert sane == {"qqq_downvol_21": True, "spy_downvol_21": True}
    insane = monotonic_checks(lambda Z: 0.5 + 0.3 * Z[:, 0] + 0.3 * Z[:, 1], X)
    assert insane == {"qqq_downvol_21": False, "spy_downvol_21": True}
