"""Strategy health alerts of the books stepped today (``domain.risk.health``): the book's stored daily
returns against its market's closes. The market is the one its rules' correlation reads (``rules.market``),
else the book's only instrument, else SPY."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from domain.risk.alerts import Alert
from domain.risk.health import HealthParams, health_alerts
from infra.book_store import book_days, load_book
from infra.db.engine import app_engine
from infra.market_store import load_adjusted_bars

DEFAULT_MARKET = "SPY"


def market_of(engine: Engine, name: str, day: dt.date, market: str | None) -> str:
    if market:
        return market
    book = load_book(engine, name, day + dt.timedelta(days=1))
    held = list(book.positions.index) if book is not None else []
    return held[0] if len(held) == 1 else DEFAULT_MARKET


def book_health_alerts(name: str, day: dt.date, params: HealthParams, market: str | None = None,
                       engine: Engine | None = None) -> list[Alert]:
    engine = engine or app_engine()
    days = book_days(engine, name)
    days = days[days["as_of"] <= day]
    if days.empty:
        return []
    returns = pd.Series(days["net_return"].to_numpy(float), index=pd.to_datetime(days["as_of"]))
    symbol = market_of(engine, name, day, market)
    closes = load_adjusted_bars(engine, symbol, day, start=returns.index[0].date() - dt.timedelta(days=10))["close"]
    return health_alerts(name, day, returns, closes.pct_change().reindex(returns.index), params)
