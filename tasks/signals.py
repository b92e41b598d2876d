"""The daily decision step, one named task per strategy: ``decide-<strategy>`` loads the promoted model and
the strategy's inputs, asks the strategy for its Targets at today's close and stores them.

The book passed to ``decide`` is, until the paper books land, a view rebuilt from the stored decisions
(``BookView``: held weights and the drawdown of the strategy's own equity). The book step replaces it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from prefect import get_run_logger, task

from domain.strategies.base import Strategy, Targets
from infra.db.engine import app_engine
from infra.model_store import promoted_model
from infra.research_store import load_signals, save_targets
from infra.strategy_inputs import history_start, read_inputs
from tasks.retry import TRANSIENT


@dataclass(frozen=True)
class BookView:
    """What a strategy's decide may read of its book: ``weights`` held since the previous close,
    ``drawdown`` (<= 0) of its equity and its past stored ``forecasts`` (date -> forecast)."""

    weights: dict[str, float] = field(default_factory=dict)
    drawdown: float = 0.0
    forecasts: pd.Series | None = None


def live_drawdown(signals: pd.DataFrame, asset_close: pd.Series, as_of: dt.date) -> float:
    """Drawdown (<= 0) of the strategy's own equity from its stored signals: the exposure decided at one
    close earns the asset's return to the next close."""
    if signals.empty:
        return 0.0
    exposure = pd.Series(signals["target_exposure"].to_numpy(), index=pd.to_datetime(signals["as_of"]))
    returns = asset_close.loc[:pd.Timestamp(as_of)].pct_change()
    held = exposure.reindex(returns.index).ffill().shift(1)
    pnl = (held * returns).loc[exposure.index.min():].fillna(0.0)
    equity = np.cumprod(1.0 + pnl.to_numpy())
    return float(equity[-1] / np.maximum.accumulate(equity)[-1] - 1.0) if len(equity) else 0.0


def book_view(history: pd.DataFrame, bars: dict, as_of: dt.date) -> BookView:
    """The book implied by the stored decisions before ``as_of``: last weights, and for a one-instrument
    strategy the drawdown of its equity (multi-instrument books get theirs from the paper book)."""
    if history.empty:
        return BookView()
    weights = json.loads(history["weights"].iloc[-1])
    drawdown = 0.0
    if len(weights) == 1 and next(iter(weights)) in bars:
        drawdown = live_drawdown(history, bars[next(iter(weights))]["close"], as_of)
    forecasts = pd.Series(history["forecast"].to_numpy(dtype=float), index=pd.to_datetime(history["as_of"]))
    return BookView(weights={k: float(v) for k, v in weights.items()}, drawdown=drawdown, forecasts=forecasts)


@task(name="decide", **TRANSIENT)
def decide(name: str, strategy: Strategy, as_of: dt.date) -> Targets | None:
    """Targets of strategy ``name`` for the next session, stored with the model that made them; None (and
    a warning) when no model has been promoted yet."""
    logger = get_run_logger()
    engine = app_engine()
    model = promoted_model(engine, name, as_of)
    if model is None:
        logger.warning("%s: no promoted model trained on or before %s; run `quantops retrain --strategy %s`",
                       name, as_of, name)
        return None
    inputs = read_inputs(engine, strategy.needs, as_of, history_start(as_of, strategy.needs.history_days))
    history = load_signals(engine, name, end=as_of - dt.timedelta(days=1))
    book = book_view(history, inputs.bars, as_of)
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
            "exposure": float(sum(targets.weights.values())), "filters": list(details.get("filters", []))}
