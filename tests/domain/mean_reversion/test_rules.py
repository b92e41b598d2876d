"""Every rule of the walk-forward's book (the platform's run_book) on small hand-made panels: entry thresholds, slots, regime, stop, time stop,
ADV cap, costs and fills."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.strategies.mean_reversion import features as F
from domain.strategies.mean_reversion.book import Signals, run_walk_book
from domain.strategies.mean_reversion.params import RuleParams
from domain.strategies.mean_reversion.walk import MeanReversionData, make_signals

NAN = np.nan


def test_entry_rule_needs_qpi_zone_probability_and_universe():
    qpi = np.array([[14.0, 16.0, 14.0, 86.0, 84.0, 14.0]])
    x = np.zeros((1, 6, 8), dtype=np.float32)
    x[..., 0] = qpi
    uni = np.array([[True, True, True, True, True, False]])
    adv = np.array([[1e8, 1e8, 1e8, 1e8, 1e8, 1e8]])
    data = MeanReversionData(panel=None, fs=F.FeatureSet(x, np.zeros((1, 6)), uni, adv),
                             bear=np.array([False]), rows={}, usable=pd.DatetimeIndex([]))
    prob = {"long": np.array([[0.61, 0.61, 0.59, 0.9, 0.9, 0.9]]),
            "short": np.array([[0.9, 0.9, 0.9, 0.61, 0.61, 0.9]])}
    sig = make_signals(data, prob, {"long": 0.60, "short": 0.60}, RuleParams())
    assert np.isfinite(sig.long_score[0]).tolist() == [True, False, False, False, False, False]
    assert np.isfinite(sig.short_score[0]).tolist() == [False, False, False, True, False, False]
    assert sig.long_alloc[0] == 1.1 and sig.short_alloc[0] == 0.2
    assert sig.cap[0, 0] == pytest.approx(0.05 * 1e8 / 10_000_000)
    bear = MeanReversionData(panel=None, fs=data.fs, bear=np.array([True]), rows={}, usable=data.usable)
    sig = make_signals(bear, prob, {"long": 0.60, "short": 0.60}, RuleParams())
    assert sig.long_alloc[0] == 0.1 and sig.short_alloc[0] == 0.2


def test_vix_regime_switches_at_115_percent_of_its_15_day_mean():
    vix = np.r_[np.full(14, 20.0), 24.0]
    assert F.vix_bear(vix, 15, 1.15)[-1]  # 24 > 1.15 * (14 * 20 + 24) / 15 = 23.31
    assert not F.vix_bear(np.r_[np.full(14, 20.0), 23.0], 15, 1.15)[-1]  # 23 < 1.15 * 20.2 = 23.23
    assert not F.vix_bear(np.full(14, 99.0), 15, 1.15).any()  # incomplete mean: bull


def hand_case():
    T, N = 12, 4
    close = np.full((T, N), 100.0)
    open_ = np.full((T, N), 100.0)
    close[3, 1] = 94.9  # name 1: 5.1% below its entry at the close of day 3 -> stop
    open_[4, 1] = 94.0  # ... filled at the next open, through the line
    close[4:, 1] = 94.0
    close[5, 3] = 105.5  # name 3 (short, entered day 3): 5.5% against it -> stop
    open_[6, 3] = 106.0
    close[6:, 3] = 106.0
    ls = np.full((T, N), NAN)
    ss = np.full((T, N), NAN)
    ls[0, :3] = [0.9, 0.8, 0.7]  # three long signals, two slots: names 0 and 1
    ls[4, 2] = 0.7  # a slot is free again after name 1's stop: name 2, ADV-capped
    ss[2, 3] = 0.9
    cap = np.full((T, N), 1.0)
    cap[4, 2] = 0.01
    sig = Signals(ls, ss, np.full(T, 1.1), np.full(T, 0.2), cap)
    return open_, close, sig, pd.bdate_range("2024-01-01", periods=T), ["A", "B", "C", "D"]


def run(open_, close, sig, dates, names, **rules):
    """The walk-forward's book (the platform's run_book with the strategy's decision); the kernel's own ADV
    cap is left slack here (huge ADV) so the strategy's entry cap in ``sig.cap`` is what binds."""
    r = RuleParams(max_long=2, max_short=1, **rules)
    return run_walk_book(open_, close, np.full(close.shape, 1e15), sig, r, dates, names), r


def test_stops_time_stop_slots_adv_cap_and_costs():
    open_, close, sig, dates, names = hand_case()
    res, r = run(open_, close, sig, dates, names)
    tr = res.trades.set_index("symbol")
    # slots: the two best of three long signals enter at the next open
    assert sorted(tr.index[tr["side"] == "long"]) == ["A", "B", "C"]
    assert tr.loc["A", "entry_date"] == tr.loc["B", "entry_date"] == dates[1]
    # stop on the close of day 3, out at day 4's open (94, beyond the 5% line)
    assert (tr.loc["B", "reason"], tr.loc["B", "exit_date"], tr.loc["B", "exit_price"]) == ("stop", dates[4], 94.0)
    # time stop: in at day 1's open, held 6 sessions (closes 1..6), out at day 7's open
    assert (tr.loc["A", "reason"], tr.loc["A", "exit_date"]) == ("time_stop", dates[7])
    # short stop: in at day 3's open, 105.5 >= 105 at day 5's close, out at day 6's open
    assert (tr.loc["D", "side"], tr.loc["D", "reason"], tr.loc["D", "exit_date"]) == ("short", "stop", dates[6])
    # ADV cap: name C's weight is 1% of equity, not 1.1 / 2; it enters once B's slot is free
    assert tr.loc["C", "entry_date"] == dates[5]
    assert res.result.held.loc[dates[5], "C"] == pytest.approx(0.01)
    # costs: 5 + 10 bps each side, booked in the session after the fill; a flat-price trade loses 2 x 15 bps
    assert tr.loc["A", "quantity"] * 100.0 / r.capital == pytest.approx(0.55)  # 1.1 / 2 slots of the capital
    assert res.daily["equity"].iloc[1] == pytest.approx(1 - 0.0015 * 1.1)  # A and B bought at day 1's open
    assert tr.loc["A", "pnl"] == pytest.approx(-2 * 0.0015 * 0.55)
    assert tr.loc["B", "return"] == pytest.approx(94 / 100 - 1 - 2 * 0.0015)
    assert res.daily["n_long"].max() == 2 and res.daily["n_short"].max() == 1
    assert (res.result.held.iloc[-1] == 0).all()


def test_fill_at_close_mode():
    open_, close, sig, dates, names = hand_case()
    res, _ = run(open_, close, sig, dates, names, fill="close")
    tr = res.trades.set_index("symbol")
    assert tr.loc["A", "entry_date"] == dates[0] and tr.loc["A", "exit_date"] == dates[6]  # 6 closes later
    assert tr.loc["B", "exit_date"] == dates[3] and tr.loc["B", "exit_price"] == 94.9  # stopped at the close


def test_bear_regime_allocation_sizes_new_longs():
    open_, close, sig, dates, names = hand_case()
    bear = Signals(sig.long_score, sig.short_score, np.full(len(dates), 0.1), sig.short_alloc, sig.cap)
    res, _ = run(open_, close, bear, dates, names)
    assert res.result.held.loc[dates[1], "A"] == pytest.approx(0.1 / 2)
