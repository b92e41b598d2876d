"""Seed 000's history rules on the book: trailing stop (6.1 technique 2), correlation with the market
(technique 4 and 6.3's correlation stop), drawdown autocorrelation (6.6) tightening the throttle. Each on a
small hand-made series, checked against an independent computation; then all of them on, the day-by-day
``step`` equals the one-pass kernels (``run_book`` and the single-asset ``run_backtest``) to 1e-10."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.backtest import CostModel, OverlayParams, run_backtest
from domain.book import Book, Rules, run_book, step
from domain.book.kernel import (
    AUTOCORR_TIGHTENED,
    CORRELATION_SCALED,
    CORRELATION_STOP,
    THROTTLED,
    TRAILING_STOP,
)
from domain.errors import InputError
from domain.strategies.base import Targets

FREE = dict(commission_bps=0.0, slippage_bps=0.0, min_weight=-5.0, max_weight=5.0)


def _series(values, name="QQQ") -> pd.DataFrame:
    return pd.DataFrame({name: values}, index=pd.bdate_range("2024-01-01", periods=len(values)))


def test_trailing_stop_goes_flat_5pct_below_the_20_session_high_and_lifts_when_the_high_leaves():
    close = _series([100.0, 110.0, 104.0] + [104.0] * 30)
    targets = _series([1.0] * 33)
    bt = run_book(targets, close, Rules(**FREE, trailing_stop=0.05, trailing_window=20))
    held = bt.exposures["QQQ"].to_numpy()
    # day 2: equity 1.04 is 5.45% below the high 1.10 of day 1 -> flat at that close
    assert held[:2].tolist() == [1.0, 1.0] and (held[2:21] == 0.0).all()
    # day 21: the 20 closes in the window are days 2..21, the high of day 1 has left -> back in
    assert (held[21:] == 1.0).all()
    assert [(e.kind, e.date) for e in bt.events] == [("trailing_stop", close.index[2]),
                                                    ("trailing_stop_cleared", close.index[21])]
    assert bt.events[0].detail["fall_from_high"] == pytest.approx(1 - 104 / 110)


def test_correlation_with_the_market_scales_above_0_7_and_stops_above_0_95():
    rng = np.random.default_rng(3)
    n, w = 160, 10
    close = _series(100 * np.cumprod(1 + rng.normal(0, 0.01, n)))
    target = _series(np.repeat(rng.choice([-1.0, 0.4, 1.0], n // 8), 8))
    rules = Rules(**FREE, correlation_scale=0.7, correlation_stop=0.95, correlation_window=w)
    bt = run_book(target, close, rules)
    # independent: pandas' rolling correlation of the book's net returns with QQQ's
    c = bt.frame["net_return"].rolling(w).corr(close["QQQ"].pct_change().fillna(0.0)).to_numpy()
    mult = np.where(c > 0.95, 0.0, np.where(c > 0.7, 1 - (c - 0.7) / 0.3, 1.0))
    mult[np.isnan(c)] = 1.0
    np.testing.assert_allclose(bt.exposures["QQQ"].to_numpy(), target["QQQ"].to_numpy() * mult, atol=1e-10)
    flags = bt.frame["flags"].to_numpy()
    assert ((flags & CORRELATION_STOP) != 0).sum() == (c > 0.95).sum() > 0
    assert ((flags & CORRELATION_SCALED) != 0).sum() == ((c > 0.7) & (c <= 0.95)).sum() > 0
    assert {"correlation_stop", "correlation_scale", "correlation_scale_cleared"} <= {e.kind for e in bt.events}


def _autocorr(x: np.ndarray, lag: int) -> float:
    m, v = x.mean(), x.var()
    return float((np.mean(x[lag:] * x[:-lag]) - m * m) / v)


def test_autocorrelated_drawdown_changes_tighten_the_throttle():
    # losses in streaks: the drawdown's daily changes are positively autocorrelated at lag 1
    steps = np.tile([-0.006] * 6 + [0.004] * 6, 12)
    close = _series(100 * np.cumprod(1 + steps))
    target = _series([1.0] * len(steps))
    base = dict(**FREE, drawdown_thresholds=(0.03, 0.05), drawdown_scales=(0.5, 0.2), rearm="operator")
    rules = Rules(**base, autocorr_threshold=0.3, autocorr_lags=(1, 5), autocorr_window=24, autocorr_tighten=0.5)
    bt = run_book(target, close, rules)
    plain = run_book(target, close, Rules(**base))
    dd = bt.frame["drawdown"].to_numpy()
    x = np.diff(np.concatenate(([0.0], dd)))
    warn = np.array([t >= 23 and max(_autocorr(x[t - 23:t + 1], 1), _autocorr(x[t - 23:t + 1], 5)) > 0.3
                     for t in range(len(x))])
    flags = bt.frame["flags"].to_numpy()
    np.testing.assert_array_equal((flags & AUTOCORR_TIGHTENED) != 0, warn)
    assert warn.any()
    # tightened: thresholds 1.5% / 2.5% instead of 3% / 5%
    factor = np.where(warn, 0.5, 1.0)
    scale = np.where(dd < -0.05 * factor, 0.2, np.where(dd < -0.03 * factor, 0.5, 1.0))
    np.testing.assert_allclose(bt.exposures["QQQ"].to_numpy(), scale, atol=1e-12)
    assert (bt.frame["flags"].to_numpy() & THROTTLED).sum() > (plain.frame["flags"].to_numpy() & THROTTLED).sum()
    assert bt.events[[e.kind for e in bt.events].index("drawdown_autocorr")].detail["autocorr"][0] > 0.3


def _all_on(**kw) -> OverlayParams:
    return OverlayParams(trailing_stop=0.05, trailing_window=20, correlation_scale=0.7, correlation_stop=0.95,
                         correlation_window=20, autocorr_threshold=0.3, autocorr_window=63, **kw)


@pytest.mark.parametrize("seed", [0, 1])
def test_step_day_by_day_equals_both_kernels_with_the_history_rules_on(seed):
    rng = np.random.default_rng(seed)
    n = 500
    close = _series(100 * np.cumprod(1 + rng.normal(0.0003, 0.02, n)))
    target = _series(np.clip(np.repeat(rng.normal(0.4, 0.9, n // 5), 5), -1.5, 2.0))
    overlay, costs = _all_on(rearm_days=10), CostModel(2.0, 1.0)
    rules = Rules.from_overlay(overlay, costs)
    fast = run_backtest(close["QQQ"].pct_change().fillna(0.0), target["QQQ"], overlay, costs)
    bt = run_book(target, close, rules)
    book, equity, held, events = Book(), [], [], []
    for day in close.index:
        targets = Targets(as_of=day, kind="exposure", weights={"QQQ": float(target.loc[day, "QQQ"])})
        book, _, ev = step(book, targets, pd.DataFrame({"close": close.loc[day]}), rules)
        equity.append(book.equity)
        held.append(book.weights.get("QQQ", 0.0))
        events += ev
    np.testing.assert_allclose(bt.exposures["QQQ"].to_numpy(), fast.exposure.to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(bt.equity.to_numpy(), fast.equity.to_numpy(), rtol=1e-10)
    np.testing.assert_array_equal(bt.frame["flags"].to_numpy(), fast.frame["flags"].to_numpy())
    np.testing.assert_allclose(held, bt.exposures["QQQ"].to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(equity, bt.equity.to_numpy(), rtol=1e-10)
    assert [(e.date, e.kind) for e in events] == [(e.date, e.kind) for e in bt.events]
    flags = np.bitwise_or.reduce(bt.frame["flags"].to_numpy())
    assert flags & TRAILING_STOP and flags & CORRELATION_SCALED and flags & (CORRELATION_STOP | AUTOCORR_TIGHTENED)


def test_rules_off_leave_the_overlay_as_it_was():
    rng = np.random.default_rng(5)
    r = _series(rng.normal(0, 0.02, 300))["QQQ"]
    x = _series(rng.normal(0.5, 0.8, 300))["QQQ"]
    on = run_backtest(r, x, _all_on())
    off = run_backtest(r, x, OverlayParams())
    assert not np.bitwise_or.reduce(off.frame["flags"].to_numpy()) & (TRAILING_STOP | CORRELATION_SCALED)
    assert not np.array_equal(on.exposure.to_numpy(), off.exposure.to_numpy())


@pytest.mark.parametrize("bad", [dict(trailing_stop=1.5), dict(correlation_scale=0.96, correlation_stop=0.95),
                                 dict(autocorr_threshold=0.3, autocorr_lags=(1, 70)), dict(trailing_window=1),
                                 dict(autocorr_tighten=0.0)])
def test_bad_history_rules_are_refused(bad):
    with pytest.raises(InputError, match="rules:"):
        Rules(**bad)


def test_a_many_name_book_must_name_its_market():
    close = pd.DataFrame({"A": [1.0, 1.1], "B": [1.0, 0.9]}, index=pd.bdate_range("2024-01-01", periods=2))
    with pytest.raises(InputError, match="market"):
        run_book(close * 0 + 0.5, close, Rules(correlation_stop=0.95))
    ok = run_book(close * 0 + 0.5, close, Rules(correlation_stop=0.95, market="A"))
    assert len(ok.frame) == 2
