"""The stored book step: day by day through the database equals the backtest; re-running a day stores the
same rows and keeps an operator's recorded fill; orders and fills link up."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, text

from domain.book import Rules, run_book
from domain.errors import InputError
from domain.strategies.base import Targets
from infra.book_store import book_days, book_fills, load_book, orders_on, record_actual_fill
from infra.db.models.books import BookOrderRow
from tasks.books import run_step
from tests.portfolio_fixtures import put_bars

RULES = Rules(fill="next_open", stop_loss=0.05, time_stop=6, max_turnover=1.0,
              drawdown_thresholds=(0.03, 0.05, 0.08, 0.12), drawdown_scales=(0.75, 0.5, 0.2, 0.0), rearm="sessions 4")


def _market(engine, n: int = 30, seed: int = 3):
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2024-03-01", periods=n)
    names = ["AAA", "BBB", "CCC"]
    close = pd.DataFrame(50 * np.exp(np.cumsum(rng.normal(0, 0.03, (n, 3)), axis=0)), index=days, columns=names)
    open_ = close.shift(1).fillna(close.iloc[0]) * np.exp(rng.normal(0, 0.01, (n, 3)))
    for name in names:
        frame = pd.DataFrame({"symbol": name, "date": days, "open": open_[name], "close": close[name],
                              "high": np.maximum(open_[name], close[name]) * 1.01,
                              "low": np.minimum(open_[name], close[name]) * 0.99,
                              "adj_close": close[name], "volume": 1e6})
        from infra.market_store import ensure_instruments, store_bars

        with engine.begin() as conn:
            ensure_instruments(conn, [name])
            store_bars(conn, frame.reset_index(drop=True), "test")
    weights = pd.DataFrame(np.round(rng.normal(0, 0.4, (n, 3)), 2), index=days, columns=names)
    return close, open_, weights


def _targets(weights: pd.DataFrame, day) -> Targets:
    return Targets(as_of=day, kind="book", weights={k: v for k, v in weights.loc[day].items() if v != 0})


def _dump(engine) -> dict:
    out = {}
    with engine.connect() as conn:
        for table in ("book_days", "book_positions", "book_orders", "book_fills", "book_events"):
            cols = "*" if table != "book_days" else "strategy, as_of, equity, pnl, drawdown, peak, level, filters"
            rows = conn.execute(text(f"SELECT {cols} FROM {table}")).all()
            out[table] = sorted(tuple(r) for r in rows) if table == "book_days" else sorted(
                tuple(v for k, v in r._mapping.items() if k not in ("id", "order_id")) for r in rows)
    return out


def test_stored_steps_equal_the_backtest_and_rerun_is_idempotent(engine):
    close, open_, weights = _market(engine)
    for day in weights.index:
        run_step(engine, "toy", _targets(weights, day), RULES, capital=1e6)
    bt = run_book(weights, close, RULES, open_=open_, capital=1e6)
    stored = book_days(engine, "toy")
    np.testing.assert_allclose(stored["equity"].to_numpy(), bt.equity.to_numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(stored["drawdown"].to_numpy(), bt.frame["drawdown"].to_numpy(), rtol=0, atol=1e-10)
    fills = book_fills(engine, "toy")
    expected = bt.fills()
    assert len(fills) == len(expected) > 20
    np.testing.assert_allclose(fills["quantity"].to_numpy(), [f.quantity for f in expected], rtol=1e-10)
    assert fills["order_id"].notna().all()  # every paper fill executes an order decided the close before
    kinds = set(pd.DataFrame([e.kind for e in bt.events])[0])
    assert "stop_loss" in kinds or "time_stop" in kinds

    # the desk reports a fill; re-running a stretch of days changes nothing and keeps it
    order = orders_on(engine, weights.index[10].date(), "toy").iloc[0]
    record_actual_fill(engine, int(order["id"]), price=order["reference_price"] * 1.001, note="partial at open")
    before = _dump(engine)
    for day in weights.index[10:]:
        run_step(engine, "toy", _targets(weights, day), RULES, capital=1e6)
    assert _dump(engine) == before
    book = load_book(engine, "toy", dt.date(2030, 1, 1))
    assert book.equity == pytest.approx(bt.equity.iloc[-1], rel=1e-10)
    assert pd.Series(book.weights, dtype=float).reindex(weights.columns).fillna(0).to_numpy() == pytest.approx(
        bt.exposures.iloc[-1].to_numpy(), abs=1e-10)


def test_orders_for_the_next_session_and_actual_fill(engine):
    put_bars(engine, "QQQ", {dt.date(2024, 1, 2): 400.0, dt.date(2024, 1, 3): 404.0})
    rules = Rules(commission_bps=2, slippage_bps=1)
    run_step(engine, "vr", Targets(as_of=pd.Timestamp("2024-01-02"), kind="exposure", weights={"QQQ": 0.5}), rules,
             capital=1e6)
    run_step(engine, "vr", Targets(as_of=pd.Timestamp("2024-01-03"), kind="exposure", weights={"QQQ": 0.2}), rules,
             capital=1e6)
    orders = orders_on(engine, dt.date(2024, 1, 3))
    (o,) = orders.itertuples()
    equity = 1e6 * (1 + 0.5 * (404 / 400 - 1) - 3e-4 * 0.5)
    assert (o.strategy, o.instrument, o.side, o.timing, o.status) == ("vr", "QQQ", "sell", "close", "filled")
    assert o.quantity == pytest.approx(-0.3 * equity / 404.0, rel=1e-12)
    with pytest.raises(InputError, match="sign"):
        record_actual_fill(engine, int(o.id), price=405.0, quantity=100.0)
    with pytest.raises(InputError, match="no order"):
        record_actual_fill(engine, 99999, price=405.0)
    record_actual_fill(engine, int(o.id), price=403.5, quantity=-700.0)
    with engine.connect() as conn:
        row = conn.execute(select(BookOrderRow.actual_price, BookOrderRow.actual_quantity)
                           .where(BookOrderRow.id == int(o.id))).one()
    assert tuple(row) == (403.5, -700.0)


def test_stored_book_keeps_what_the_history_rules_read(engine):
    """The trailing stop, correlation and drawdown-autocorrelation windows survive the database between
    sessions: stepping day by day through it equals the one-pass backtest."""
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2024-03-01", periods=90)
    close = pd.Series(400 * np.cumprod(1 + rng.normal(0.0005, 0.02, len(days))), index=days)
    put_bars(engine, "QQQ", {d.date(): float(c) for d, c in close.items()})
    weights = pd.DataFrame({"QQQ": np.clip(np.repeat(rng.normal(0.5, 0.9, 18), 5), -1, 1.5)}, index=days)
    rules = Rules(trailing_stop=0.05, correlation_scale=0.7, correlation_stop=0.95, correlation_window=10,
                  autocorr_threshold=0.3, autocorr_window=30, drawdown_thresholds=(0.03, 0.08),
                  drawdown_scales=(0.5, 0.0), rearm="sessions 5")
    for day in days:
        run_step(engine, "vr", Targets(as_of=day, kind="exposure", weights={"QQQ": float(weights.loc[day, "QQQ"])}),
                 rules, capital=1e6)
    bt = run_book(weights, close.to_frame("QQQ"), rules, capital=1e6)
    stored = book_days(engine, "vr")
    np.testing.assert_allclose(stored["equity"].to_numpy(), bt.equity.to_numpy(), rtol=1e-10, atol=0)
    flags = np.bitwise_or.reduce(bt.frame["flags"].to_numpy())
    assert flags & (1024 | 2048)  # the trailing stop or the correlation scale acted in this stretch
    with engine.connect() as conn:
        kinds = {r[0] for r in conn.execute(text("SELECT kind FROM book_events WHERE strategy = 'vr'"))}
    assert kinds & {"trailing_stop", "correlation_scale", "correlation_stop"}


def test_an_allocators_leg_weights_step_as_the_legs_exposures_and_legs_read_the_live_book(engine):
    """Targets over legs (the allocator's kind) are stepped as instrument weights: w_leg x the leg's own book
    after the same close, buy-and-hold legs at 1; a strategy leg's returns are its live book's returns."""
    from infra.strategy_inputs import load_leg

    days = [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    put_bars(engine, "QQQ", dict(zip(days, [400.0, 404.0])))
    put_bars(engine, "SPY", dict(zip(days, [470.0, 468.0])))
    rules = Rules(commission_bps=0, slippage_bps=0)
    for day, w in zip(days, [0.5, 0.4]):
        run_step(engine, "vr", Targets(as_of=pd.Timestamp(day), kind="exposure", weights={"QQQ": w}), rules, 1e6)
        legs = Targets(as_of=pd.Timestamp(day), kind="legs", leg_weights={"vr": 0.6, "buy_and_hold:SPY": 0.4})
        summary = run_step(engine, "alloc", legs, rules, capital=1e6)
    assert summary["weights"] == pytest.approx({"QQQ": 0.6 * 0.4, "SPY": 0.4}, abs=1e-12)
    alloc = book_days(engine, "alloc")
    assert alloc["net_return"].iloc[-1] == pytest.approx(0.6 * 0.5 * (404 / 400 - 1) + 0.4 * (468 / 470 - 1), abs=1e-12)

    live = load_leg(engine, "vr", days[-1])
    assert list(live.index.date) == days and live.iloc[-1] == pytest.approx(0.5 * (404 / 400 - 1), abs=1e-12)
    with pytest.raises(InputError, match="no stored daily returns"):
        load_leg(engine, "never_ran", days[-1])


def test_the_fund_nav_counts_live_books_and_not_paper_books(engine):
    """The fund view is the sum: a book at stage live adds its P&L since the external NAV's date to the fund's
    NAV; a paper book is tracked but adds nothing."""
    from sqlalchemy.orm import Session

    from domain.risk.params import RiskParams
    from infra.portfolio_store import set_external_nav
    from tasks.portfolio import MarkResult, compute_nav_point

    days = [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)]
    put_bars(engine, "QQQ", dict(zip(days, [400.0, 404.0, 402.0])))
    rules = Rules(commission_bps=0, slippage_bps=0)
    for day in days:
        for name, stage in (("live_one", "live"), ("paper_one", "paper")):
            run_step(engine, name, Targets(as_of=pd.Timestamp(day), kind="exposure", weights={"QQQ": 0.5}), rules,
                     capital=1e6, stage=stage)
    with Session(engine) as session, session.begin():
        set_external_nav(session, days[1], 10_000_000.0)
    live = book_days(engine, "live_one").set_index("as_of")["equity"]
    point = compute_nav_point(engine, days[2], MarkResult(days[2], [], {}), RiskParams()).point
    assert point.nav == pytest.approx(10_000_000.0 + live[days[2]] - live[days[1]], rel=1e-12)
    assert live[days[2]] != live[days[1]]  # the paper book moved as much, and is not in the NAV
