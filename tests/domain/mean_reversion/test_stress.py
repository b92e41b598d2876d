"""Issue 18 item 12: the first quarter of 2020 on its own in mean_reversion's results (hand-made book)."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.strategies.mean_reversion.stress import stress_notes, window_report


def _book():
    days = pd.bdate_range("2019-12-20", "2020-04-10")
    r = pd.Series(0.0, index=days)
    r.loc["2020-02-24"] = 0.10  # a new high inside the quarter, then -20% and -10%: drawdown 1 - 0.8 * 0.9
    r.loc["2020-03-09"] = -0.20
    r.loc["2020-03-16"] = -0.10
    r.loc["2020-04-06"] = -0.50  # after the quarter: not counted
    bear = pd.Series(False, index=days)
    bear.loc["2020-02-27":"2020-03-05"] = True  # switch on 02-27, off on 03-06
    bear.loc["2020-03-12":] = True  # on again on 03-12, still bear at the end
    trades = pd.DataFrame({
        "exit_date": pd.to_datetime(["2019-12-30", "2020-03-09", "2020-03-10", "2020-03-20", "2020-04-07"]),
        "reason": ["stop", "stop", "time_stop", "stop", "stop"], "pnl": [-0.01, -0.02, 0.01, -0.03, -0.05]})
    return pd.DataFrame({"net_return": r}), trades, bear


def test_first_quarter_of_2020_on_its_own():
    daily, trades, bear = _book()
    w = window_report(daily, trades, bear, "2020-01-01", "2020-03-31")
    assert w["sessions"] == len(pd.bdate_range("2020-01-01", "2020-03-31"))
    assert w["return"] == pytest.approx(1.1 * 0.8 * 0.9 - 1)
    assert w["max_drawdown"] == pytest.approx(0.8 * 0.9 - 1)
    assert w["regime_switches"] == 3 and w["bear_sessions"] == 6 + 14
    assert (w["trades_closed"], w["stops_hit"]) == (3, 2) and w["stop_pnl"] == pytest.approx(-0.05)
    (note,) = stress_notes(daily, trades, bear)
    assert note.startswith("2020Q1 on its own: return -20.80%, max drawdown -28.00%") and "2 of 3 trades" in note
    assert window_report(daily, trades, bear, "2021-01-01", "2021-03-31") is None
