"""The compiled one-pass book (``run_walk_book``) equals the plain per-day loop over production's session
functions (``run_walk_book_reference``: ``decide_session`` then ``kernel.advance`` each day) on random
panels: the same trades, fills, exits, flags and final book, and the same equity to 1e-12 (the compiled
pass sums the held names in order, numpy's dot and pairwise sums group them differently)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domain.strategies.mean_reversion.book import Signals, run_walk_book, run_walk_book_reference
from domain.strategies.mean_reversion.params import RuleParams


def random_panel(seed: int, T: int = 260, N: int = 40):
    """Volatile prices (stops hit), names that list late or miss bars (NaN opens and closes), scores on a
    coarse grid (ties between names), regimes that switch, entry caps and ADVs that bind sometimes."""
    rng = np.random.default_rng(seed)
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.035, (T, N)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.02, (T, N)))
    close[: rng.integers(5, 60), : N // 8] = np.nan  # late listings
    holes = rng.random((T, N)) < 0.01
    close[holes] = np.nan
    open_[holes | (rng.random((T, N)) < 0.01)] = np.nan
    open_[np.isnan(close) & (np.cumsum(np.isfinite(close), axis=0) == 0)] = np.nan
    live = np.isfinite(close)

    def score():
        s = np.round(rng.uniform(0.6, 1.0, (T, N)), 2)
        return np.where(live & (rng.random((T, N)) < 0.15), s, np.nan)

    bear = rng.random(T) < 0.2
    cap = np.where(rng.random((T, N)) < 0.1, rng.uniform(0.0, 0.03, (T, N)), 1.0)
    cap[rng.random((T, N)) < 0.02] = 0.0  # an entry that cannot be sized still takes its slot
    adv = np.where(rng.random((T, N)) < 0.05, rng.uniform(1e4, 2e6, (T, N)), 1e12)
    adv[rng.random((T, N)) < 0.01] = np.nan
    sig = Signals(score(), score(), np.where(bear, 0.1, 1.1), np.where(bear, 0.2, 0.2), cap)
    dates = pd.bdate_range("2010-01-04", periods=T)
    return open_, close, adv, sig, dates, [f"N{k:03d}" for k in range(N)]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fast_book_equals_the_per_day_reference_loop_on_random_panels(seed):
    open_, close, adv, sig, dates, names = random_panel(seed)
    r = RuleParams(max_long=5, max_short=4, capital=1e7)
    fast = run_walk_book(open_, close, adv, sig, r, dates, names)
    ref = run_walk_book_reference(open_, close, adv, sig, r, dates, names)

    ft, rt = fast.trades, ref.trades
    assert len(rt) > 100 and {"stop", "time_stop"} <= set(rt["reason"])
    exact = ["symbol", "side", "entry_date", "exit_date", "entry_price", "exit_price", "reason", "return"]
    pd.testing.assert_frame_equal(ft[exact], rt[exact])
    np.testing.assert_allclose(ft["pnl"], rt["pnl"], rtol=1e-12)
    np.testing.assert_allclose(ft["quantity"], rt["quantity"], rtol=1e-12)

    fr, rr = fast.result, ref.result
    np.testing.assert_allclose(fr.frame["equity"], rr.frame["equity"], rtol=1e-12)
    for col in ("net_return", "gross_return", "cost", "drawdown"):
        np.testing.assert_allclose(fr.frame[col], rr.frame[col], rtol=1e-9, atol=1e-14)
    assert (fr.frame["flags"] == rr.frame["flags"]).all()
    flags = rr.filter_days()
    assert flags[["stop_loss", "time_stop", "adv_cap"]].any().all()
    np.testing.assert_allclose(fr.exposures.to_numpy(), rr.exposures.to_numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(fr.held.to_numpy(), rr.held.to_numpy(), rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(fast.daily, ref.daily, rtol=1e-10)

    key = lambda f: (f.date, f.instrument, f.timing, f.price)
    ff, rf = fr.fills(), rr.fills()
    assert [key(f) for f in ff] == [key(f) for f in rf]
    np.testing.assert_allclose([f.notional for f in ff], [f.notional for f in rf], rtol=1e-12)
    assert [(e.date, e.kind, e.instrument) for e in fr.events] == [(e.date, e.kind, e.instrument) for e in rr.events]
    pd.testing.assert_frame_equal(fr.book.positions, rr.book.positions, rtol=1e-12)
    assert fr.book.equity == pytest.approx(rr.book.equity, rel=1e-12)
    assert fr.book.pending_cost == pytest.approx(rr.book.pending_cost, rel=1e-12)


def test_the_daily_path_does_not_load_numba():
    """Importing the strategy (the daily flow, the CLI) must not pay numba's ~1.6 s import: the compiled
    book loads it on first use."""
    code = ("import sys, domain.strategies.mean_reversion.strategy, domain.strategies.mean_reversion.walk; "
            "assert 'numba' not in sys.modules, 'numba imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                         cwd=Path(__file__).resolve().parents[3])
    assert out.returncode == 0, out.stderr
