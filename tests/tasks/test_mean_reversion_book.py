"""mean_reversion's walk-forward book is the platform's: its backtest (``run_walk_book``, the strategy's
daily decision inside ``domain.book.run_book``) equals the production path run day by day on the stored
book (``decide_day`` on the book loaded from the database, then ``tasks.books.run_step``), fill for fill and
session for session, to 1e-10, over a hand-made panel with stops, time stops, full slots and the ADV cap."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from domain.strategies.base import Targets
from domain.strategies.mean_reversion import walk
from domain.strategies.mean_reversion.book import book_rules, run_walk_book
from domain.strategies.mean_reversion.params import MeanReversionParams
from domain.strategies.mean_reversion.strategy import _book_frame, decide_day
from infra.book_store import book_days, book_fills, load_book
from infra.market_store import store_bars
from tasks.books import run_step

NAME = "mean_reversion"


def hand_made(seed: int = 0, T: int = 120, N: int = 16):
    """Volatile names (stops hit), a few of them thinly traded (the ADV cap binds), 3 slots a side, a VIX
    that crosses its regime line, and total-return prices different from the quoted ones."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2023-01-02", periods=T)
    frames = []
    for k in range(N):
        c = (10 + 5 * k) * np.exp(np.cumsum(rng.normal(0, 0.03, T)))
        volume = rng.integers(50_000, 2_000_000, T).astype(float) * (0.02 if k % 5 == 0 else 1.0)
        o = c * np.exp(rng.normal(0, 0.012, T))
        frames.append(pd.DataFrame({"date": dates, "symbol": f"S{k:02d}", "open": o, "close": c,
                                    "high": np.maximum(o, c) * 1.01, "low": np.minimum(o, c) * 0.99,
                                    "adj_close": c * (0.9 + 0.001 * k), "volume": volume}))
    bars = pd.concat(frames, ignore_index=True)
    vix = pd.Series(20 * np.exp(np.cumsum(rng.normal(0, 0.08, T))), index=dates)
    rules = replace(MeanReversionParams().rules, max_long=3, max_short=3, long_qpi_below=40.0,
                    short_qpi_above=60.0, capital=2e7)
    params = replace(MeanReversionParams(), rules=rules)
    data = walk.prepare_data(bars.drop(columns=["high", "low"]), vix, params)
    prob = {s: rng.uniform(0.3, 1.0, data.fs.universe.shape) for s in ("long", "short")}
    return bars, data, prob, params


def sub_data(data: walk.MeanReversionData, d: int) -> walk.MeanReversionData:
    """What production prepares at session d: the data up to its close only."""
    fs = data.fs
    return walk.MeanReversionData(data.panel.upto(data.panel.dates[d]), walk.F.FeatureSet(
        fs.features[:d + 1], fs.labels[:d + 1], fs.universe[:d + 1], fs.adv[:d + 1]), data.bear[:d + 1], {},
        data.usable)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_walk_forward_book_equals_the_daily_step_on_stored_books(engine):
    bars, data, prob, params = hand_made()
    with engine.begin() as conn:
        store_bars(conn, bars, "test")
    r, p = params.rules, data.panel
    thr = {"long": 0.6, "short": 0.6}
    first = 25  # the 20-session ADV and features are complete
    rules = book_rules(r)

    for d in range(first, len(p.dates)):
        day = p.dates[d]
        book = load_book(engine, NAME, before=day.date())
        weights, _ = decide_day(sub_data(data, d), {s: prob[s][d] for s in prob}, thr,
                                _book_frame(book, r.capital), r, adjusted=True)
        run_step(engine, NAME, Targets(as_of=day, kind="book", weights=weights), rules, r.capital)

    sl = slice(first, None)
    sig = walk.make_signals(data, prob, thr, r, sl)
    wb = run_walk_book(p.adj_open[sl], p.adj_close[sl], data.fs.adv[sl], sig, r, p.dates[sl], p.symbols,
                       data.fs.features[sl, :, 0])

    days = book_days(engine, NAME)
    assert len(days) == len(wb.daily)
    np.testing.assert_allclose(days["equity"].to_numpy(), wb.result.frame["equity"].to_numpy(), rtol=1e-10)
    stored = book_fills(engine, NAME).sort_values(["date", "instrument"]).reset_index(drop=True)
    run = pd.DataFrame([{"date": f.date.date(), "instrument": f.instrument, "weight_change": f.weight_change,
                         "price": f.price, "notional": f.notional} for f in wb.result.fills()])
    run = run.sort_values(["date", "instrument"]).reset_index(drop=True)
    assert list(stored["date"]) == list(run["date"]) and list(stored["instrument"]) == list(run["instrument"])
    for col in ("weight_change", "price", "notional"):
        np.testing.assert_allclose(stored[col].to_numpy(), run[col].to_numpy(), rtol=1e-10, atol=1e-10)

    # the panel exercised every rule: stops, time stops, full slots on a side, the ADV cap
    reasons = set(wb.trades["reason"])
    assert {"stop", "time_stop"} <= reasons, reasons
    assert (wb.daily["n_long"] == r.max_long).any() and len(wb.trades) > 30
    flags = wb.result.filter_days()
    assert flags["adv_cap"].any() and flags["stop_loss"].any() and flags["time_stop"].any()
