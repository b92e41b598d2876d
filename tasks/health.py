"""Strategy health of the books stepped today (``domain.risk.health``): the book's stored daily returns
against its market's closes, the strategy's model confidence from its stored decisions (``Strategy.confidence``
of each decision's details), and its paper fills against the desk's recorded actual fills. The market is the
one its rules' correlation reads (``rules.market``), else the book's only instrument, else SPY.

Each strategy's stage is read here, in ``strategy_stage``, for the daily summary and the report alike."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import Engine

from domain.risk.alerts import Alert
from domain.risk.health import HealthParams, alerts_of, conditions, status, status_text
from domain.strategies.base import Strategy
from infra.book_store import book_days, fills_with_actuals, load_book
from infra.db.engine import app_engine
from infra.market_store import load_adjusted_bars
from infra.research_store import load_signals
from infra.stage_store import stored_stage
from tasks.research import load_strategy

DEFAULT_MARKET = "SPY"


def market_of(engine: Engine, name: str, day: dt.date, market: str | None) -> str:
    if market:
        return market
    book = load_book(engine, name, day + dt.timedelta(days=1))
    held = list(book.positions.index) if book is not None else []
    return held[0] if len(held) == 1 else DEFAULT_MARKET


def strategy_stage(engine: Engine, name: str, day: dt.date) -> str:
    """The stage ``name``'s book was stepped at on ``day`` (its effective stage that day, stored with the book
    day: ``infra.stage_store``), e.g. ``paper`` or ``10%``; '' when it has no book day then."""
    days = book_days(engine, name)
    days = days[days["as_of"] == day]
    return stored_stage(days.iloc[-1]).label if not days.empty else ""


def confidence_series(engine: Engine, name: str, day: dt.date, strategy: Strategy) -> pd.Series | None:
    """The strategy's confidence by decision date, None when it has no such statistic."""
    signals = load_signals(engine, name, end=day)
    values = [strategy.confidence(json.loads(d) if isinstance(d, str) else (d or {})) for d in signals["details"]]
    if all(v is None for v in values):
        return None
    return pd.Series([float("nan") if v is None else v for v in values], index=pd.to_datetime(signals["as_of"]))


def health_frame(name: str, day: dt.date, params: HealthParams, market: str | None = None,
                 engine: Engine | None = None) -> pd.DataFrame:
    """``domain.risk.health.conditions`` of the book of ``name`` at ``day``'s close (empty: no book)."""
    engine = engine or app_engine()
    days = book_days(engine, name)
    days = days[days["as_of"] <= day]
    if days.empty:
        return pd.DataFrame()
    strategy = load_strategy(name)
    returns = pd.Series(days["net_return"].to_numpy(float), index=pd.to_datetime(days["as_of"]))
    rules = strategy.rules()
    symbol = market_of(engine, name, day, market or getattr(rules, "market", None))
    closes = load_adjusted_bars(engine, symbol, day, start=returns.index[0].date() - dt.timedelta(days=10))["close"]
    commission = float(getattr(rules, "commission_bps", 0.0))
    return conditions(returns, closes.pct_change().reindex(returns.index), params,
                      confidence_series(engine, name, day, strategy), fills_with_actuals(engine, name), commission)


def book_health_alerts(name: str, day: dt.date, params: HealthParams, market: str | None = None,
                       engine: Engine | None = None) -> list[Alert]:
    return alerts_of(name, day, health_frame(name, day, params, market, engine), params)


def book_health(name: str, day: dt.date, params: HealthParams, market: str | None = None,
                engine: Engine | None = None) -> dict:
    """Stage and health of one strategy for the daily summary and report: ``stage``, ``health`` (check ->
    (state, figure)), ``text`` (one line), ``alerts`` (started or cleared today)."""
    engine = engine or app_engine()
    frame = health_frame(name, day, params, market, engine)
    states = status(frame, params)
    return {"strategy": name, "stage": strategy_stage(engine, name, day), "health": states,
            "text": status_text(states), "alerts": alerts_of(name, day, frame, params)}
