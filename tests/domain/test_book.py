"""The book stepper: the session function equals the single-asset overlay, step day by day equals the
backtest, and each rule (stops, time stop, throttle, re-arm, caps, fills at the open) does what it says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.backtest import CostModel, OverlayParams, run_backtest
from domain.book import Book, Rules, orders, rearm, run_book, step
from domain.book.kernel import STOPPED, THROTTLED, TURNOVER_CAPPED
from domain.errors import InputError
from domain.strategies.base import Targets


def _prices(n: int, m: int, seed: int, vol: float = 0.02) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-01-01", periods=n)
    cols = [f"S{i:02d}" for i in range(m)]
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0.0002, vol, (n, m)), axis=0)), index=idx, columns=cols)
    open_ = close.shift(1).fillna(close.iloc[0]) * np.exp(rng.normal(0, vol / 3, (n, m)))
    return close, open_


def _book_targets(close: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 100)
    w = rng.normal(0, 0.15, close.shape)
    w[np.abs(w) < 0.1] = 0.0  # many names flat on a given day, as a long/short book is
    return pd.DataFrame(w, index=close.index, columns=close.columns)


def _day_by_day(targets: pd.DataFrame, close: pd.DataFrame, open_: pd.DataFrame | None, rules: Rules,
                capital: float = 1.0):
    book = Book(capital=capital)
    fills, events, equity, exposures = [], [], [], []
    for day in targets.index:
        wanted = {k: v for k, v in targets.loc[day].items() if v != 0}
        px = pd.DataFrame({"close": close.loc[day]})
        if open_ is not None:
            px["open"] = open_.loc[day]
        book, f, e = step(book, Targets(as_of=day, kind="book", weights=wanted), px, rules)
        fills += f
        events += e
        equity.append(book.equity)
        exposures.append(pd.Series(book.weights, dtype=float).reindex(targets.columns).fillna(0.0))
    return pd.Series(equity, index=targets.index), pd.DataFrame(exposures, index=targets.index), fills, events


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("rearm_days", [0, 5, 21])
def test_session_function_equals_the_single_asset_overlay(seed, rearm_days):
    rng = np.random.default_rng(seed)
    n = 1200
    close, _ = _prices(n, 1, seed, vol=0.03)
    target = pd.DataFrame(np.clip(rng.normal(0.3, 1.0, (n, 1)), -2, 2), index=close.index, columns=close.columns)
    overlay = OverlayParams(rearm_days=rearm_days)
    costs = CostModel(2.0, 1.0)
    old = run_backtest(close.iloc[:, 0].pct_change(), target.iloc[:, 0], overlay, costs)
    new = run_book(target, close, Rules.from_overlay(overlay, costs))
    np.testing.assert_array_equal(new.exposures.iloc[:, 0].to_numpy(), old.exposure.to_numpy())
    np.testing.assert_array_equal(new.frame["flags"].to_numpy(), old.frame["flags"].to_numpy())
    np.testing.assert_allclose(new.equity.to_numpy(), old.equity.to_numpy(), rtol=1e-12, atol=0)
    flags = new.frame["flags"].to_numpy()
    assert (flags & STOPPED).any() and (flags & THROTTLED).any() and (flags & TURNOVER_CAPPED).any()


@pytest.mark.parametrize("fill", ["close", "next_open"])
def test_step_day_by_day_equals_backtest_on_a_many_name_book(fill):
    close, open_ = _prices(80, 12, seed=7, vol=0.03)
    targets = _book_targets(close, 7)
    rules = Rules(fill=fill, stop_loss=0.05, time_stop=6, max_positions=8, max_gross=1.5, max_turnover=1.0,
                  drawdown_thresholds=(0.03, 0.05, 0.08, 0.12), drawdown_scales=(0.75, 0.5, 0.2, 0.0),
                  rearm_sessions=5)
    bt = run_book(targets, close, rules, open_=open_, capital=1e6)
    equity, exposures, fills, events = _day_by_day(targets, close, open_ if fill == "next_open" else None, rules,
                                                   capital=1e6)
    np.testing.assert_allclose(equity.to_numpy(), bt.equity.to_numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(exposures.to_numpy(), bt.exposures.to_numpy(), rtol=0, atol=1e-10)
    bt_fills = bt.fills()
    assert len(fills) == len(bt_fills) > 100
    for a, b in zip(fills, bt_fills):
        assert (a.date, a.instrument, a.timing) == (b.date, b.instrument, b.timing)
        assert a.quantity == pytest.approx(b.quantity, rel=1e-10)
        assert a.price == b.price
    kinds = {e.kind for e in events}
    assert {"stop_loss", "time_stop", "throttle"} <= kinds
    assert [(e.date, e.kind, e.instrument) for e in events] == [(e.date, e.kind, e.instrument) for e in bt.events]


def _one(as_of, w: dict) -> Targets:
    return Targets(as_of=pd.Timestamp(as_of), kind="book", weights=w)


def test_stop_loss_exits_a_long_at_the_close_that_breaches_it():
    rules = Rules(stop_loss=0.05, commission_bps=0, slippage_bps=0)
    days = pd.bdate_range("2024-01-01", periods=4)
    book = Book(capital=100.0)
    book, fills, _ = step(book, _one(days[0], {"A": 0.5}), pd.DataFrame({"close": {"A": 100.0}}), rules)
    assert fills[0].quantity == pytest.approx(0.5) and book.positions.loc["A", "entry_price"] == 100.0
    book, fills, events = step(book, _one(days[1], {"A": 0.5}), pd.DataFrame({"close": {"A": 95.5}}), rules)
    assert not events and book.weights["A"] == 0.5  # -4.5%: kept
    before = book
    book, fills, events = step(book, _one(days[2], {"A": 0.5}), pd.DataFrame({"close": {"A": 94.9}}), rules)
    (order,) = orders(before, book)
    assert (order.instrument, order.weight_change, order.reference_price) == ("A", -0.5, 94.9)
    assert [e.kind for e in events] == ["stop_loss"] and "A" not in book.open_positions().index
    assert fills[0].weight_change == -0.5 and fills[0].price == 94.9
    # constant weight: rebalanced to 0.5 of equity at each close
    assert book.equity == pytest.approx(100.0 * (1 + 0.5 * -0.045) * (1 + 0.5 * (94.9 / 95.5 - 1)), rel=1e-12)


def test_short_stop_and_time_stop_count_sessions_held():
    rules = Rules(stop_loss=0.05, time_stop=6, commission_bps=0, slippage_bps=0)
    days = pd.bdate_range("2024-01-01", periods=10)
    book = Book()
    exits = {}
    for i, d in enumerate(days):
        px = pd.DataFrame({"close": {"S": 100.0 + 0.1 * i, "L": 50.0}})
        book, _, events = step(book, _one(d, {"S": -0.3, "L": 0.3} if i < 8 else {}), px, rules)
        for e in events:
            exits.setdefault(e.instrument, (i, e.kind))
    # entered at the close of day 0; held sessions 1..6 -> time stop at the close of day 6
    assert exits == {"S": (6, "time_stop"), "L": (6, "time_stop")}
    # re-entered at day 7's close (the strategy still wants it), so it is held again with a new entry
    assert book.open_positions().empty  # day 8 and 9 want nothing


def test_throttle_stop_and_rearm_after_n_sessions_vs_operator():
    days = pd.bdate_range("2024-01-01", periods=40)
    close = pd.DataFrame({"A": [100.0, 100.0, 80.0] + [80.0] * 37}, index=days)
    targets = pd.DataFrame({"A": 1.0}, index=days)
    base = dict(commission_bps=0, slippage_bps=0, drawdown_thresholds=(0.03, 0.05, 0.08, 0.12),
                drawdown_scales=(0.75, 0.5, 0.2, 0.0))
    auto = run_book(targets, close, Rules(**base, rearm_sessions=5))
    held = auto.exposures["A"].to_numpy()
    assert held[2] == 0.0 and held[2:7].sum() == 0.0 and held[7] == 1.0  # stopped 5 sessions, then re-armed
    assert [e.kind for e in auto.events][:3] == ["throttle", "drawdown_stop", "rearmed"]
    manual = run_book(targets, close, Rules(**base, rearm="operator"))
    assert (manual.exposures["A"].to_numpy()[2:] == 0.0).all() and manual.rearm == "operator"
    book, event = rearm(manual.book, days[-1], "reviewed the crash, model fine")
    assert event.detail["policy"] == "operator" and book.drawdown == 0.0
    nxt = pd.Timestamp("2024-02-27")
    book, fills, _ = step(book, _one(nxt, {"A": 1.0}), pd.DataFrame({"close": {"A": 80.0}}), manual.rules)
    assert book.weights["A"] == 1.0 and fills[0].weight_change == 1.0
    with pytest.raises(InputError, match="reason"):
        rearm(book, nxt, " ")


def test_next_open_fill_earns_open_to_close_and_pays_cost_next_session():
    rules = Rules(fill="next_open", commission_bps=10, slippage_bps=0)
    d = pd.bdate_range("2024-01-01", periods=3)
    book, fills, _ = step(Book(capital=1000.0), _one(d[0], {"A": 1.0}), pd.DataFrame({"close": {"A": 10.0},
                                                                                    "open": {"A": 9.0}}), rules)
    assert not fills and book.positions.loc["A", "held"] == 0.0 and book.weights["A"] == 1.0
    book, fills, _ = step(book, _one(d[1], {"A": 1.0}), pd.DataFrame({"close": {"A": 12.0}, "open": {"A": 11.0}}),
                          rules)
    assert fills[0].timing == "open" and fills[0].price == 11.0 and fills[0].quantity == pytest.approx(1000 / 11)
    # overnight flat, open to close +12/11 - 1 on the whole equity, minus 10 bps of the trade
    assert book.equity == pytest.approx(1000.0 * (1 + (12 / 11 - 1) - 0.001))
    assert book.positions.loc["A", "entry_price"] == 11.0


def test_position_limit_turnover_and_adv_caps():
    d = pd.Timestamp("2024-01-02")
    px = pd.DataFrame({"close": {"A": 10.0, "B": 10.0, "C": 10.0}, "adv": {"A": 1e9, "B": 1e9, "C": 1000.0}})
    rules = Rules(max_positions=2, commission_bps=0, slippage_bps=0)
    book, _, _ = step(Book(), _one(d, {"A": 0.3, "B": -0.5, "C": 0.1}), px, rules)
    assert set(book.weights) == {"A", "B"}
    book, _, _ = step(Book(), _one(d, {"A": 0.6, "B": -0.6}), px, Rules(max_turnover=0.6))
    assert book.weights == pytest.approx({"A": 0.3, "B": -0.3})
    book, _, _ = step(Book(capital=10_000.0), _one(d, {"C": 0.5}), px, Rules(max_adv_fraction=0.1))
    assert book.weights["C"] == pytest.approx(100.0 / 10_000.0)  # 10% of 1,000 traded at most


def test_bad_inputs_are_refused():
    with pytest.raises(InputError, match="fill"):
        Rules(fill="vwap")
    with pytest.raises(InputError, match="ascending"):
        Rules(drawdown_thresholds=(0.05, 0.03), drawdown_scales=(0.5, 0.0))
    assert Rules.parse_rearm("sessions 21") == {"rearm": "sessions", "rearm_sessions": 21}
    assert Rules(rearm="sessions 10").rearm_after == 10 and Rules(rearm="operator").rearm_after == 0
    with pytest.raises(InputError, match="sessions N"):
        Rules.parse_rearm("sometimes")
    book, _, _ = step(Book(), _one("2024-01-02", {"A": 0.1}), pd.DataFrame({"close": {"A": 1.0}}), Rules())
    with pytest.raises(InputError, match="already at"):
        step(book, _one("2024-01-02", {"A": 0.1}), pd.DataFrame({"close": {"A": 1.0}}), Rules())
    with pytest.raises(InputError, match="kind"):
        step(book, Targets(as_of=pd.Timestamp("2024-01-03"), kind="legs"), pd.DataFrame({"close": {}}), Rules())


def test_missing_prices_trade_nothing_at_the_close_and_fill_at_the_last_close_at_the_open():
    d = pd.bdate_range("2024-01-01", periods=3)
    nan = float("nan")
    book, fills, events = step(Book(), _one(d[0], {"A": 0.5, "B": 0.5}),
                               pd.DataFrame({"close": {"A": 10.0, "B": nan}}), Rules())
    assert book.weights == {"A": 0.5} and [f.instrument for f in fills] == ["A"]
    assert [(e.kind, e.instrument) for e in events] == [("missing_price", "B")]
    rules = Rules(fill="next_open", commission_bps=0, slippage_bps=0)
    book, _, _ = step(Book(), _one(d[0], {"A": 1.0}), pd.DataFrame({"close": {"A": 10.0}, "open": {"A": 9.0}}), rules)
    book, fills, _ = step(book, _one(d[1], {"A": 1.0}), pd.DataFrame({"close": {"A": 11.0}, "open": {"A": nan}}), rules)
    assert fills[0].price == 10.0 and book.positions.loc["A", "entry_price"] == 10.0
    assert book.equity == pytest.approx(1.1)
