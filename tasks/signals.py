"""The daily decision step, one named task per strategy: ``decide-<strategy>`` loads the promoted model, the
strategy's inputs and its stored paper book (after the previous close), asks the strategy for its Targets at
today's close and stores them. The targets are the wanted weights before the strategy's rules; the book step
(``tasks.books``) applies the rules, in production exactly as in the backtest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
from prefect import get_run_logger, task

from domain.book import Book
from domain.book.spread_orders import spread_label
from domain.strategies.base import SpreadProposal, Strategy, Targets
from infra.book_store import load_book
from infra.db.engine import app_engine
from infra.model_store import promoted_model
from infra.research_store import load_signals, save_targets
from infra.strategy_inputs import history_start, read_inputs
from tasks.retry import TRANSIENT


def with_live_forecasts(book: Book | None, history: pd.DataFrame) -> Book | None:
    """The stored book (None: a new, flat one) with the strategy's past stored forecasts attached."""
    if history.empty or "forecast" not in history or history["forecast"].isna().all():
        return book
    forecasts = pd.Series(history["forecast"].to_numpy(dtype=float), index=pd.to_datetime(history["as_of"]))
    return replace(book if book is not None else Book(), forecasts=forecasts)


@task(name="decide", **TRANSIENT)
def decide(name: str, strategy: Strategy, as_of: dt.date, capital: float | None = None) -> Targets | None:
    """Targets of strategy ``name`` for the next session, stored with the model that made them; None (and
    a warning) when no model has been promoted yet. A strategy proposing option spreads has no stepped book:
    it sizes against a book of its registry ``capital``."""
    logger = get_run_logger()
    engine = app_engine()
    model = promoted_model(engine, name, as_of)
    if model is None:
        logger.warning("%s: no promoted model trained on or before %s; run `quantops retrain --strategy %s`",
                       name, as_of, name)
        return None
    inputs = read_inputs(engine, strategy.needs, as_of, history_start(as_of, strategy.needs.history_days))
    book = with_live_forecasts(load_book(engine, name, before=as_of),
                               load_signals(engine, name, end=as_of - dt.timedelta(days=1)))
    if book is None and strategy.target_kind == "spreads" and capital is not None:
        book = Book(capital=float(capital))
    targets = strategy.decide(model.model, inputs, pd.Timestamp(as_of), book)
    save_targets(engine, strategy=name, targets=targets,
                 model_run_id=model.id)
    logger.info("%s %s: %s targets %s for the next session", name, as_of, targets.kind,
                dict(targets.weights) or dict(targets.leg_weights) or f"{len(targets.spreads)} spread(s)")
    return targets


def decide_task(name: str):
    """The decide task named ``decide-<name>`` (so the run graph and logs say which strategy)."""
    return decide.with_options(name=f"decide-{name}", task_run_name=f"decide-{name}")


def summarize_targets(name: str, targets: Targets | None, model_id: int | None = None) -> dict:
    if targets is None:
        return {"strategy": name, "status": "no promoted model"}
    details = dict(targets.details)
    return {"strategy": name, "status": "decided", "kind": targets.kind, "weights": dict(targets.weights),
            "leg_weights": dict(targets.leg_weights), "spreads": len(targets.spreads),
            "exposure": float(sum(targets.weights.values())), "filters": list(details.get("filters", [])),
            "proposals": [proposal_row(p) for p in targets.spreads[:TOP_PROPOSALS]], "note": details.get("note")}


TOP_PROPOSALS = 5  # how many proposals the daily summary lists (all of them are stored, and are orders)


def proposal_row(p: SpreadProposal) -> dict:
    """What the daily summary says of a proposal: the spread, expiry, credit, POP, contracts."""
    return {"spread": spread_label(p), "expiration": str(pd.Timestamp(p.expiration).date()), "credit": p.credit,
            "pop": p.pop, "contracts": p.contracts, "option_type": p.option_type, "short_strike": p.short_strike,
            "long_strike": p.long_strike, "underlying": p.underlying}
