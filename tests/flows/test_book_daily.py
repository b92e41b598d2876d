"""Production equals the backtest: 60 sessions of QQQ from 2020-02-10, run day by day through the daily flow
(decide, then the book step on the stored paper book), give the same exposures, fills, equity and events as
``domain.book.run_book`` in one pass over the same prices, to 1e-10, through the COVID drawdown stop and its
re-arm. The old production path (``tasks.signals.live_drawdown``: all-time peak, no costs, no re-arm) would stay
flat after the stop; this test fails on it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from domain.book import Rules, run_book
from domain.calendar import sessions_between
from infra.book_store import book_days, book_events, book_fills, book_positions, orders_on
from infra.db.engine import get_engine
from infra.ingest import ingest_file
from infra.market_store import load_adjusted_bars
from infra.settings import SAMPLE_DIR, reset_settings_cache
from tests.strategy_config import config_with_buy_and_hold

RULES = {"commission_bps": 2.0, "slippage_bps": 1.0, "fill": "close", "max_weight": 1.0,
         "drawdown_thresholds": [0.03, 0.05, 0.08, 0.12], "drawdown_scales": [0.75, 0.5, 0.25, 0.0],
         "rearm": "sessions 21"}
CAPITAL = 100_000.0  # the registry line config_with_buy_and_hold writes
FIRST, SESSIONS = dt.date(2020, 2, 10), 60


@pytest.fixture
def qqq_book_db(app_env, tmp_path, monkeypatch):
    # the registry's production re-arm set to the policy the backtest simulates: the same on both sides
    config = config_with_buy_and_hold(tmp_path / "config", weight=1.0, symbol="QQQ", rules=RULES,
                                      rearm=RULES["rearm"], validation_quarters=1, min_validation_calmar=-1e9)
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "QQQ.csv", today=dt.date(2026, 1, 1), source="sample")
    return engine


# PostgreSQL only (production's database): 60 daily flow runs take minutes; tests/tasks/test_books.py steps the
# same book through SQLite.
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_sixty_sessions_through_the_daily_flow_equal_the_backtest_through_a_stop_and_its_rearm(qqq_book_db):
    from flows.backfill import backfill
    from flows.retrain import retrain

    assert retrain(strategy="buy_and_hold", as_of=dt.date(2020, 2, 7))["status"] == "promoted"
    days = sessions_between(FIRST, FIRST + dt.timedelta(days=120))[:SESSIONS]
    result = backfill(start=days[0], end=days[-1], resume=False)
    assert result["ran"] == SESSIONS, result

    index = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    close = load_adjusted_bars(qqq_book_db, "QQQ", days[-1])["close"].reindex(index).to_frame("QQQ")
    bt = run_book(pd.DataFrame({"QQQ": 1.0}, index=index), close, Rules(**RULES), capital=CAPITAL)

    stored = book_days(qqq_book_db, "buy_and_hold")
    assert [pd.Timestamp(d) for d in stored["as_of"]] == list(index)
    np.testing.assert_allclose(stored["equity"].to_numpy(), bt.equity.to_numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(stored["drawdown"].to_numpy(), bt.frame["drawdown"].to_numpy(), rtol=0, atol=1e-10)
    held = [book_positions(qqq_book_db, "buy_and_hold", d).set_index("instrument")["pending"].get("QQQ", 0.0)
            for d in days]
    np.testing.assert_allclose(held, bt.exposures["QQQ"].to_numpy(), rtol=0, atol=1e-10)

    fills, expected = book_fills(qqq_book_db, "buy_and_hold"), bt.fills()
    assert len(fills) == len(expected) >= 6  # the buy, the throttle steps, the stop, the buy-back
    np.testing.assert_allclose(fills["quantity"].to_numpy(), [f.quantity for f in expected], rtol=1e-10)
    np.testing.assert_allclose(fills["cost"].to_numpy(), [f.cost for f in expected], rtol=1e-10, atol=1e-12)

    events = book_events(qqq_book_db, "buy_and_hold")
    kinds = list(events["kind"])
    assert kinds == [e.kind for e in bt.events]
    stop = events.loc[events["kind"] == "drawdown_stop", "date"].iloc[0]
    rearmed = events.loc[events["kind"] == "rearmed", "date"].iloc[0]
    exposure = pd.Series(held, index=index)
    flat = exposure.loc[pd.Timestamp(stop):pd.Timestamp(rearmed) - pd.Timedelta(days=1)]
    # `rearm: sessions 21`: the stop's close is the 1st stopped session, the 21st re-arms
    assert len(flat) == 20 and (flat == 0).all()
    back = exposure.loc[pd.Timestamp(rearmed):]
    assert back.iloc[-1] > 0  # trading again after the re-arm, as the backtest does
    buy_back = back[back > 0].index[0].date()

    # the desk's list: the order decided at the buy-back close buys QQQ
    orders = orders_on(qqq_book_db, buy_back, "buy_and_hold")
    assert list(orders["instrument"]) == ["QQQ"] and orders["quantity"].iloc[0] > 0

    # the rules' events reached the alert store (and apprise): the stop is critical, each throttle step a warning
    from infra.portfolio_store import find_alerts

    alerts = {(a.kind, a.as_of, a.severity) for a, owner in find_alerts(qqq_book_db, strategy="buy_and_hold")}
    assert ("book_drawdown_stop", stop, "critical") in alerts and ("book_rearmed", rearmed, "info") in alerts
    assert sum(kind == "book_throttle" for kind, _, _ in alerts) == kinds.count("throttle")

    # the day's fund report shows the book: stage, equity and holdings after the rules
    from tasks.daily_report import report_path

    page = report_path(days[-1]).read_text()
    assert "Strategy books" in page and f"{bt.equity.iloc[-1]:,.2f}" in page \
        and f"QQQ {bt.exposures['QQQ'].iloc[-1]:+.1%}" in page
