"""Issue 18 item 4 (rest): model confidence (seed 000 10.1: below 0.3 for 3+ sessions, warning; 10.3: below
0.2 for 5, critical) and realised costs against the cost model (10.2/10.3: actual vs expected) as health
alerts, one when a condition starts and one when it clears; each check's state for the daily summary.
Hand-made series; the expected sessions are counted by hand from them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from domain.risk.costs import FILL_COLUMNS, window_costs
from domain.risk.health import HealthParams, conditions, health_alerts, status, status_text
from domain.strategies.vol_regime.adapter import VolRegime

P = HealthParams(calmar_days=10, correlation_days=10, cost_days=5, max_cost_ratio=1.5)
IDX = pd.bdate_range("2024-01-01", periods=24)


def _book():
    rng = np.random.default_rng(7)
    market = pd.Series(rng.normal(0, 0.01, len(IDX)), index=IDX)
    return pd.Series(0.001, index=IDX), market  # rises every day: Calmar healthy, no correlation


def _run(**kw) -> dict[str, list[int]]:
    book, market = _book()
    kinds: dict[str, list[int]] = {}
    for t in range(len(IDX)):
        cut = {k: (v.iloc[:t + 1] if isinstance(v, pd.Series) else v) for k, v in kw.items()}
        for a in health_alerts("s", IDX[t].date(), book.iloc[:t + 1], market.iloc[:t + 1], P, **cut):
            kinds.setdefault(a.kind, []).append((t, a.severity))
    return kinds


def test_confidence_warning_after_three_low_sessions_critical_after_five_and_each_clears_once():
    # 0-1 fine; 2-3 below 0.3; 4-10 below 0.2; 11 on, back to 0.5
    conf = pd.Series([0.5, 0.5, 0.25, 0.25] + [0.1] * 7 + [0.5] * 13, index=IDX)
    kinds = _run(confidence=conf)
    assert kinds["health_confidence"] == [(4, "warning")]  # 2, 3, 4: the third session below 0.3
    assert kinds["health_confidence_critical"] == [(8, "critical")]  # 4..8: the fifth below 0.2
    assert kinds["health_confidence_cleared"] == [(11, "info")]
    assert kinds["health_confidence_critical_cleared"] == [(11, "info")]
    assert set(kinds) == {"health_confidence", "health_confidence_critical", "health_confidence_cleared",
                          "health_confidence_critical_cleared"}


def test_a_missing_confidence_breaks_the_run():
    conf = pd.Series([0.1, 0.1, math.nan, 0.1, 0.1] + [0.5] * 19, index=IDX)
    assert "health_confidence" not in _run(confidence=conf)


def _fills(actual_day: int | None = 10, known_day: int | None = 11, actual_price: float = 100.2) -> pd.DataFrame:
    rows = [{"date": d, "side": 1.0, "price": 100.0, "notional": 10_000.0, "cost": 3.0,  # 3 bps modelled
             "actual_price": math.nan, "actual_quantity": math.nan, "known": pd.NaT} for d in IDX]
    if actual_day is not None:
        rows[actual_day].update(actual_price=actual_price, actual_quantity=100.0, known=IDX[known_day])
    return pd.DataFrame(rows, columns=list(FILL_COLUMNS))


def test_costs_alert_when_the_actual_fill_is_known_and_clear_when_it_leaves_the_window():
    # the fill of session 10 paid 20 bps over paper; recorded on session 11. Window of 5 sessions with it:
    # (2 bps commission + 20) x 10,020 + 4 paper fills x 3 = 34.04 over 50,020 = 6.8 bps > 1.5 x 3
    kinds = _run(fills=_fills(), commission_bps=2.0)
    assert kinds == {"health_costs": [(11, "warning")], "health_costs_cleared": [(15, "info")]}
    assert _run(fills=_fills(actual_price=100.02), commission_bps=2.0) == {}  # 2 bps slippage: 3.4 bps, ok
    assert _run(fills=_fills(actual_day=None), commission_bps=2.0) == {}  # paper only: not judged


def test_window_costs_by_hand_a_buy_above_paper_costs_a_sell_above_paper_earns():
    fills = _fills(actual_day=None).iloc[:2].copy()
    fills.loc[0, ["actual_price", "actual_quantity", "known"]] = [100.5, 50.0, IDX[0]]  # buy 50 bps over
    fills.loc[1, ["side", "actual_price", "actual_quantity", "known"]] = [-1.0, 100.1, -80.0, IDX[1]]  # sell 10 over
    w = window_costs(fills, IDX, 1, 2, commission_bps=2.0)
    cost = 2e-4 * (50 * 100.5 + 80 * 100.1) + 50 * 0.5 - 80 * 0.1
    assert w["realised_bps"] == pytest.approx(cost / (50 * 100.5 + 80 * 100.1) * 1e4, rel=1e-12)
    assert w["model_bps"] == pytest.approx(3.0) and w["actual_fills"] == 2 and w["fills"] == 2


def test_status_names_each_check_with_its_state_and_figure():
    book, market = _book()
    conf = pd.Series([0.5] * 16 + [0.1] * 8, index=IDX)
    frame = conditions(book, market, P, conf, _fills(actual_day=20, known_day=21), 2.0)
    states = status(frame, P)
    assert [k for k in states] == ["calmar", "correlation", "confidence", "costs"]
    assert states["confidence"] == ("critical", 0.1) and states["costs"][0] == "warning"
    assert states["calmar"][0] == "ok" and states["correlation"][0] == "ok"
    line = status_text(states)
    assert "confidence critical 0.10" in line and "costs warning 6.8 bps" in line
    young = status(conditions(book.iloc[:3], market.iloc[:3], P), P)
    assert status_text(young) == "calmar n/a; correlation n/a; confidence n/a; costs n/a"


def test_vol_regime_confidence_is_its_signal_strength_and_a_strategy_without_one_has_none():
    assert VolRegime().confidence({"signal_strength": 0.25, "forecast": 0.01}) == 0.25
    assert VolRegime().confidence({}) is None


@pytest.mark.parametrize("bad", [{"confidence_critical": 0.4}, {"cost_days": 0}, {"max_cost_ratio": 0},
                                 {"severity": "loud"}])
def test_bad_health_params_are_refused(bad):
    with pytest.raises(ValueError, match="health"):
        HealthParams(**bad)
