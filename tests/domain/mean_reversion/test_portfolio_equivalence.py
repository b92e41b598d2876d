"""The array book equals the plain per-position loop, trade for trade, on random panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.strategies.mean_reversion.params import RuleParams
from domain.strategies.mean_reversion.portfolio import Signals, simulate
from domain.strategies.mean_reversion.reference import simulate_reference


def random_case(seed: int, T: int = 160, N: int = 30):
    rng = np.random.default_rng(seed)
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.03, (T, N)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.01, (T, N)))
    # some names start late, some bars are missing
    for j in range(0, N, 7):
        close[: rng.integers(5, 40), j] = np.nan
    holes = rng.random((T, N)) < 0.01
    close[holes] = np.nan
    open_[np.isnan(close)] = np.nan
    open_[rng.random((T, N)) < 0.005] = np.nan
    score = rng.random((T, N))
    long_score = np.where(rng.random((T, N)) < 0.15, score, np.nan)
    short_score = np.where((rng.random((T, N)) < 0.15) & np.isnan(long_score), score, np.nan)
    long_score[np.isnan(close)] = np.nan
    short_score[np.isnan(close)] = np.nan
    bear = rng.random(T) < 0.3
    sig = Signals(long_score, short_score, np.where(bear, 0.1, 1.1), np.full(T, 0.2),
                  rng.uniform(0.0, 0.08, (T, N)))
    dates = pd.bdate_range("2020-01-01", periods=T)
    return open_, close, sig, dates, [f"S{j}" for j in range(N)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_fast_book_equals_naive_loop(seed, fill):
    open_, close, sig, dates, symbols = random_case(seed)
    rules = RuleParams(max_long=5, max_short=4, fill=fill)
    fast = simulate(open_, close, sig, rules, dates, symbols)
    ref = simulate_reference(open_, close, sig, rules, dates, symbols)
    assert len(fast.trades) > 20
    assert set(fast.trades["reason"]) == {"stop", "time_stop"}
    key = ["symbol", "side", "entry_date", "exit_date", "reason"]
    pd.testing.assert_frame_equal(fast.trades[key], ref.trades[key])
    pd.testing.assert_frame_equal(fast.trades, ref.trades, rtol=1e-10, atol=1e-12)
    pd.testing.assert_frame_equal(fast.daily, ref.daily, rtol=1e-10, atol=1e-12)
    pd.testing.assert_frame_equal(fast.open_positions, ref.open_positions, rtol=1e-10, atol=1e-12)
