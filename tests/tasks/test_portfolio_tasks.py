import datetime as dt
import math

import pytest
from prefect import flow
from sqlalchemy import update

from domain.errors import DataMissing
from domain.portfolio.positions import StockPosition, make_credit_spread
from domain.pricing.black_scholes import price as bs_price
from infra import portfolio_store as store
from infra.db.engine import get_engine, transaction
from infra.db.models.market import DailyBar
from tasks.portfolio import compute_nav, mark_to_market, run_risk_checks
from tests.portfolio_fixtures import put_bars, put_quotes

D0, D1, D2 = dt.date(2025, 1, 6), dt.date(2025, 1, 7), dt.date(2025, 1, 8)  # Mon, Tue, Wed
EXP = dt.date(2025, 2, 21)


def spread(short, long_, credit=0.80, contracts=2, opened=D0, iv=None):
    return make_credit_spread(strategy="tlt_overlay", option_type="put", short_strike=short, long_strike=long_,
                              expiration=EXP, credit=credit, contracts=contracts, underlying_price=91.0,
                              opened=opened, iv=iv)


@flow
def portfolio_day(as_of: dt.date):
    marks = mark_to_market(as_of)
    nav = compute_nav(as_of, marks)
    return marks, nav, run_risk_checks(as_of, marks, nav)


def test_marks_from_quotes_model_and_close_then_nav_and_exits(app_env):
    engine = get_engine(app_env)
    with transaction(engine) as s:
        quoted = store.add_spread(s, spread(88, 85))
        modelled = store.add_spread(s, spread(86, 83, credit=0.5, iv=0.2))
        stock = store.add_stock(s, StockPosition(None, "mean_reversion", "XYZ", 100, 50.0, D0))
        store.set_external_nav(s, D0, 1_000_000.0)
    put_bars(engine, "TLT", {D0: 91.0, D1: 90.0})
    put_bars(engine, "XYZ", {D0: 50.0, D1: 47.4})
    put_quotes(engine, "TLT", D1, 90.0, [("put", EXP, 88.0, 1.20, 1.30, 0.17), ("put", EXP, 85.0, 0.40, 0.50, 0.18)])

    marks, nav, alerts = portfolio_day(D1)

    q = marks.marks[quoted]
    assert q.source == "quote" and q.price == pytest.approx(1.25 - 0.45)
    assert q.price_conservative == pytest.approx(1.30 - 0.40)
    m = marks.marks[modelled]
    assert m.source == "model"
    years = (EXP - D1).days / 365
    # too little history for the volatility model: the entry IV is used
    expected = bs_price(90.0, 86.0, years, 0.04, 0.2, False) - bs_price(90.0, 83.0, years, 0.04, 0.2, False)
    assert m.price == pytest.approx(float(expected)) and m.vol_used == 0.2
    s = marks.marks[stock]
    assert s.source == "close" and s.sessions_held == 1 and s.return_pct == pytest.approx(-0.052)
    # stored
    rows = {r.position_id: r for r in store.marks_on(engine, D1)}
    assert rows[quoted].source == "quote" and rows[modelled].source == "model" and rows[stock].price == 47.4

    # NAV: external NAV on D0, no marks on D0 -> the whole unrealized P&L since is added
    unrealized = (0.80 - 0.80) * 200 + (0.5 - float(expected)) * 200 + (47.4 - 50.0) * 100
    assert nav.point.nav == pytest.approx(1_000_000 + unrealized)
    (row,) = store.nav_history(engine)
    assert row.date == D1 and row.nav == pytest.approx(nav.point.nav) and row.open_positions == 3
    # stop loss on the stock (-5.2%); the quoted spread sits at exactly 1.0x credit: nothing
    kinds = sorted((a.kind, a.position_id) for a in alerts)
    assert ("stop_loss", stock) in kinds
    assert not any(pid == quoted for _, pid in kinds)


def test_nav_carries_forward_realized_and_unrealized_and_tracks_drawdown(app_env):
    engine = get_engine(app_env)
    with transaction(engine) as s:
        a = store.add_stock(s, StockPosition(None, "mr", "AAA", 1000, 100.0, D0))
        b = store.add_stock(s, StockPosition(None, "mr", "BBB", 1000, 100.0, D0))
        store.set_external_nav(s, D0, 1_000_000.0)
    put_bars(engine, "AAA", {D0: 101.0, D1: 103.0, D2: 90.0})
    put_bars(engine, "BBB", {D0: 99.0, D1: 99.0, D2: 99.0})

    _, nav0, _ = portfolio_day(D0)  # base day: NAV is the external one (the admin saw the same book)
    assert nav0.point.nav == pytest.approx(1_000_000)
    _, nav1, _ = portfolio_day(D1)  # AAA +2000 since D0
    assert nav1.point.nav == pytest.approx(1_002_000) and nav1.point.drawdown == 0.0
    with transaction(engine) as s:
        store.close_position(s, b, 104.0, D2, "target")  # realized +4000 (BBB was -1000 unrealized at D0)
    # book P&L at D0: AAA +1000, BBB -1000 = 0; at D2: AAA -10000 unrealized, BBB +4000 realized = -6000
    _, nav2, alerts = portfolio_day(D2)
    assert nav2.point.nav == pytest.approx(994_000)
    assert nav2.point.peak == pytest.approx(1_002_000)
    assert nav2.point.drawdown == pytest.approx(1 - 994_000 / 1_002_000)
    assert nav2.point.realized_pnl == pytest.approx(4_000)
    # rerun of D1 after the close: same NAV (BBB was open then)
    _, again, _ = portfolio_day(D1)
    assert again.point.nav == pytest.approx(1_002_000)
    assert [round(r.nav) for r in store.nav_history(engine)] == [1_000_000, 1_002_000, 994_000]
    assert "stop_loss" in {x.kind for x in alerts}
    assert a in {x.position_id for x in alerts}


def test_no_external_nav_means_no_nav_and_a_warning(app_env):
    engine = get_engine(app_env)
    with transaction(engine) as s:
        store.add_stock(s, StockPosition(None, "mr", "AAA", 10, 100.0, D0))
    put_bars(engine, "AAA", {D1: 100.0})
    _marks, nav, alerts = portfolio_day(D1)
    assert nav.point is None and store.nav_history(engine) == []
    assert [a.kind for a in alerts] == ["nav_missing"]


def test_position_without_price_fails_the_marking_naming_it(app_env):
    # issue 15 case 4: no close for a held instrument is missing data, not a quiet 'unmarked' day
    engine = get_engine(app_env)
    with transaction(engine) as s:
        store.add_spread(s, spread(88, 85))
    with pytest.raises(DataMissing, match=r"market data missing for 2025-01-07: TLT close \(none\)"):
        portfolio_day(D1)
    assert store.marks_on(engine, D1) == []


def test_an_infinite_close_in_the_database_never_becomes_an_infinite_nav(app_env):
    """Issue 15 case 1: NAV = inf was stored, and every later day failed with "math domain error"."""
    engine = get_engine(app_env)
    with transaction(engine) as s:
        pid = store.add_stock(s, StockPosition(None, "mr", "AAA", 10, 100.0, D0))
        store.set_external_nav(s, D0, 1_000_000.0)
    put_bars(engine, "AAA", {D0: 100.0, D1: 100.0, D2: 101.0})
    with engine.begin() as conn:  # as if it had got past the ingest checks (it no longer can)
        conn.execute(update(DailyBar).where(DailyBar.date == D1).values(close=math.inf, high=math.inf))
    # an infinite close is no price: with no fresh close the day's marking fails (case 4), nothing stored
    with pytest.raises(DataMissing, match=r"AAA close \(last 2025-01-06\)"):
        portfolio_day(D1)
    assert store.marks_on(engine, D1) == []
    marks, _, _ = portfolio_day(D2)
    assert pid in marks.marks
    navs = [r.nav for r in store.nav_history(engine)]
    assert len(navs) == 1 and all(math.isfinite(n) for n in navs), navs


def test_model_marks_price_the_dividend_yield_of_the_stored_closes(app_env):
    # issue 13 item 1: TLT distributes ~4% a year; the daily marks took q = 0. Stored raw closes with one
    # back-adjusted 1% distribution in the last 12 months give q = -ln(0.99).
    import numpy as np
    import pandas as pd

    from infra.market_store import ensure_instruments, store_bars

    engine = get_engine(app_env)
    with transaction(engine) as s:
        modelled = store.add_spread(s, spread(86, 83, credit=0.5, iv=0.2))
    dates = pd.bdate_range(D1 - dt.timedelta(days=420), D1)
    close = 90.0 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.01, len(dates))))
    close *= 90.0 / close[-1]  # ends at 90 on D1
    adj = close * np.where(dates < pd.Timestamp("2024-09-03"), 0.99, 1.0)
    frame = pd.DataFrame({"symbol": "TLT", "date": dates, "open": close, "high": close, "low": close,
                          "close": close, "adj_close": adj, "volume": 1e6})
    with engine.begin() as conn:
        ensure_instruments(conn, ["TLT"])
        store_bars(conn, frame, "test")

    marks, _, _ = portfolio_day(D1)

    m = marks.marks[modelled]
    assert m.source == "model" and m.vol_used is not None
    years, q = (EXP - D1).days / 365, -np.log(0.99)
    expected = (bs_price(90.0, 86.0, years, 0.04, m.vol_used, False, q)
                - bs_price(90.0, 83.0, years, 0.04, m.vol_used, False, q))
    assert m.price == pytest.approx(float(expected), rel=1e-9)
