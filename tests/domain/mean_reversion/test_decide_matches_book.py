"""What runs is what was backtested: the one-session decision (``decide_day``, fed the book the backtest
holds after D's close) orders exactly the exits and entries the backtest's book fills at D+1's open."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from domain.strategies.mean_reversion import walk
from domain.strategies.mean_reversion.params import MeanReversionParams
from domain.strategies.mean_reversion.portfolio import simulate
from domain.strategies.mean_reversion.strategy import decide_day


def synthetic(seed: int = 0, T: int = 160, N: int = 25):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2022-01-03", periods=T)
    frames = []
    for k in range(N):
        c = (10 + 5 * k) * np.exp(np.cumsum(rng.normal(0, 0.025, T)))
        frames.append(pd.DataFrame({"date": dates, "symbol": f"S{k:02d}", "open": c * np.exp(rng.normal(0, 0.01, T)),
                                    "close": c, "volume": rng.integers(50_000, 2_000_000, T).astype(float)}))
    vix = pd.Series(20 * np.exp(np.cumsum(rng.normal(0, 0.08, T))), index=dates)
    rules = replace(MeanReversionParams().rules, max_long=3, max_short=3, long_qpi_below=40.0,
                    short_qpi_above=60.0)
    params = replace(MeanReversionParams(), rules=rules)
    data = walk.prepare_data(pd.concat(frames, ignore_index=True), vix, params)
    prob = {s: rng.uniform(0.3, 1.0, data.fs.universe.shape) for s in ("long", "short")}
    return data, prob, params


def test_decision_at_d_equals_the_books_fills_at_d_plus_1_on_every_session():
    data, prob, params = synthetic()
    p = data.panel
    thr = {"long": 0.6, "short": 0.6}
    seen_exits, seen_entries = [], []
    for d in range(25, len(p.dates) - 1):
        seen_exits_d, seen_entries_d = compare(data, prob, params, thr, d)
        seen_exits += seen_exits_d
        seen_entries += seen_entries_d
    assert len(seen_entries) > 50 and {"stop", "time_stop"} <= set(seen_exits)


def compare(data, prob, params, thr, d):
    r, p = params.rules, data.panel

    def book_until(last: int):
        sl = slice(0, last + 1)
        sig = walk.make_signals(data, prob, thr, r, sl)
        return simulate(p.adj_open[sl], p.adj_close[sl], sig, r, p.dates[sl], p.symbols)

    before, after = book_until(d), book_until(d + 1)
    equity = before.daily["equity"].iloc[-1]
    held = before.open_positions
    frame = pd.DataFrame({"symbol": held["symbol"], "quantity": held["quantity"] * r.capital / equity,
                          "entry_price": held["entry_price"], "entry_date": held["entry_date"]})
    sub = walk.MeanReversionData(p.upto(p.dates[d]), walk.F.FeatureSet(
        data.fs.features[:d + 1], data.fs.labels[:d + 1], data.fs.universe[:d + 1], data.fs.adv[:d + 1]),
        data.bear[:d + 1], {}, data.usable)
    weights, details = decide_day(sub, {s: prob[s][d] for s in prob}, thr, frame, r, adjusted=True)

    day = p.dates[d + 1]
    exits = after.trades[after.trades["exit_date"] == day]
    assert {e["symbol"]: e["reason"] for e in details["exits"]} == dict(zip(exits["symbol"], exits["reason"]))
    entered = after.open_positions[after.open_positions["entry_date"] == day]
    entered = pd.concat([entered, after.trades[after.trades["entry_date"] == day]])
    book_entries = {s: q * px / equity for s, q, px in
                    zip(entered["symbol"], entered["quantity"],
                        [p.adj_close[d, p.symbols.index(s)] for s in entered["symbol"]])}
    decided = {e["symbol"]: e["weight"] for e in details["entries"]}
    assert decided.keys() == book_entries.keys()
    for s, w in decided.items():
        assert w == pytest.approx(book_entries[s], rel=1e-12)
    return [e["reason"] for e in details["exits"]], list(decided)
