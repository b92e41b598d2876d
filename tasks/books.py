"""The daily book step per strategy: load its stored book, today's prices, run ``domain.book.step`` (the
function the backtest loops over), and store book, positions, orders, fills and events in one transaction.

Re-running a day starts again from the book stored before that day, so it stores the same rows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from prefect import get_run_logger, task
from sqlalchemy import Engine

from domain import book as books
from domain.book import Book, Rules
from domain.book.spread_orders import TIMING as SPREAD_TIMING
from domain.book.spread_orders import spread_orders
from domain.rollout import Stage
from domain.strategies.base import BUY_AND_HOLD, Targets, combine_legs
from infra.book_store import load_book, save_orders, save_step
from infra.db.engine import app_engine
from infra.market_store import load_bars
from infra.stage_store import effective_stage
from tasks.retry import TRANSIENT

ADV_SESSIONS = 20


def step_prices(engine: Engine, instruments: list[str], as_of: dt.date, with_adv: bool = False) -> pd.DataFrame:
    """Prices of ``as_of`` per instrument: total-return adjusted close and open (the series the backtest
    uses), and with ``with_adv`` the average daily dollar volume of the last 20 sessions (as traded)."""
    start = as_of - dt.timedelta(days=45) if with_adv else as_of
    bars = load_bars(engine, instruments, start, as_of)
    frame = pd.DataFrame(index=pd.Index(instruments, name="instrument"), columns=["close", "open"], dtype=float)
    if bars.empty:
        return frame
    today = bars[bars["date"] == pd.Timestamp(as_of)].set_index("symbol")
    factor = today["adj_close"] / today["close"]
    frame["close"] = today["adj_close"].reindex(instruments)
    frame["open"] = (today["open"] * factor).reindex(instruments)
    if with_adv:
        dollars = (bars["close"] * bars["volume"]).groupby(bars["symbol"])
        frame["adv"] = dollars.apply(lambda s: s.tail(ADV_SESSIONS).mean()).reindex(instruments)
    return frame


def leg_exposures(engine: Engine, targets: Targets) -> dict[str, dict[str, float]]:
    """What each strategy leg of ``targets`` holds after the close of ``targets.as_of`` (its stored book,
    stepped earlier in the same daily run: the registry lists legs before the allocator). Buy-and-hold legs
    need no book."""
    as_of = pd.Timestamp(targets.as_of).date()
    exposures = {}
    for leg in targets.leg_weights:
        if leg.startswith(BUY_AND_HOLD):
            continue
        book = load_book(engine, leg, before=as_of + dt.timedelta(days=1))
        if book is not None and book.as_of is not None and book.as_of.date() == as_of:
            exposures[leg] = book.weights
    return exposures


def run_step(engine: Engine, name: str, targets: Targets, rules: Rules, capital: float,
             stage: str = "paper", fraction: float = 1.0) -> dict:
    """The step of strategy ``name`` at the close of ``targets.as_of``; returns a summary. Weights over
    other strategies' legs are first combined with the legs' own exposures into instrument weights.
    ``stage``/``fraction``: the registry's (where the rollout starts); the day is stepped at its effective
    stage (``infra.stage_store.effective_stage``: the last promotion or demotion before it, if any)."""
    as_of = pd.Timestamp(targets.as_of).date()
    at = effective_stage(engine, name, Stage(stage, fraction), as_of)
    if targets.kind == "legs":
        targets = combine_legs(targets, leg_exposures(engine, targets))
    before = load_book(engine, name, as_of) or Book(capital=float(capital))
    instruments = sorted(set(before.positions.index) | {str(k) for k in targets.weights})
    prices = step_prices(engine, instruments, as_of, rules.max_adv_fraction is not None)
    after, fills, events = books.step(before, targets, prices, rules)
    orders = books.orders(before, after)
    save_step(engine, strategy=name, stage=at.stage, fraction=at.share, before=before, after=after, fills=fills,
              events=events, orders=orders, rules=rules)
    return {"strategy": name, "as_of": str(as_of), "stage": at.label, "equity": after.equity, "pnl": after.equity - before.equity,
            "drawdown": after.drawdown, "weights": {k: float(v) for k, v in after.weights.items() if v != 0},
            "orders": len(orders), "fills": len(fills), "events": [e.kind for e in events],
            "event_details": [{"kind": e.kind, "instrument": e.instrument, "detail": dict(e.detail)} for e in events],
            "filters": books.active_filters(after.flags), "rearm": rules.describe_rearm(), "market": rules.market}


def spread_step(engine: Engine, name: str, targets: Targets, capital: float) -> dict:
    """Targets of kind "spreads": the proposals are stored as the next session's orders, not filled
    (``domain.book.spread_orders``); a rerun of the day replaces them."""
    as_of = pd.Timestamp(targets.as_of).date()
    orders = spread_orders(targets, capital)
    save_orders(engine, strategy=name, day=as_of, orders=orders, timing=SPREAD_TIMING)
    get_run_logger().info("%s %s: %d spread order(s) proposed for the next session", name, as_of, len(orders))
    return {"strategy": name, "status": "proposed", "as_of": str(as_of), "orders": len(orders)}


@task(name="step-book", **TRANSIENT)
def step_book(name: str, targets: Targets | None, rules: Rules, capital: float, stage: str = "paper",
              fraction: float = 1.0) -> dict:
    """Targets -> orders -> paper fills -> positions, NAV and P&L of strategy ``name``'s book. Option spread
    proposals become orders only (``spread_step``); missing targets (no model) are skipped."""
    logger = get_run_logger()
    if targets is None:
        return {"strategy": name, "status": "no targets"}
    if not isinstance(rules, Rules):
        logger.warning("%s: rules() returned a %s, not domain.book.Rules: its book is not stepped", name,
                       type(rules).__name__)
        return {"strategy": name, "status": "rules are not domain.book.Rules"}
    if targets.kind == "spreads":
        return spread_step(app_engine(), name, targets, capital)
    if targets.kind not in (*books.book.STEPPABLE_KINDS, "legs"):
        logger.info("%s: targets of kind %s have no book step yet", name, targets.kind)
        return {"strategy": name, "status": f"no book step for {targets.kind}"}
    summary = run_step(app_engine(), name, targets, rules, capital, stage, fraction)
    logger.info("%s %s: book equity %.2f (P&L %+.2f, drawdown %.2f%%), %d order(s), events: %s", name,
                summary["as_of"], summary["equity"], summary["pnl"], 100 * summary["drawdown"], summary["orders"],
                ", ".join(summary["events"]) or "none")
    return {"status": "stepped", **summary}


def step_book_task(name: str):
    """The step task named ``step-book-<name>`` (so the run graph and logs say which strategy)."""
    return step_book.with_options(name=f"step-book-{name}", task_run_name=f"step-book-{name}")


