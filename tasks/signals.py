"""Daily signal step: each strategy's target for the next session, decided at today's close."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from prefect import get_run_logger, task

from domain.strategies.vol_regime import strategy as vol_regime
from infra.db.engine import app_engine
from infra.model_store import promoted_model
from infra.research_store import load_signals, save_signal
from tasks.research import read_strategy_inputs
from tasks.retry import TRANSIENT


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


@task(name="vol-regime-signal", **TRANSIENT)
def vol_regime_signal(as_of: dt.date) -> dict:
    logger = get_run_logger()
    engine = app_engine()
    model = promoted_model(engine, "vol_regime", as_of)
    if model is None:
        logger.warning("vol_regime: no promoted model trained on or before %s; run `quantops retrain`", as_of)
        return {"strategy": "vol_regime", "status": "no promoted model"}
    inputs = read_strategy_inputs(as_of)
    history = load_signals(engine, "vol_regime", end=as_of - dt.timedelta(days=1))
    prev_exposure = float(history["target_exposure"].iloc[-1]) if not history.empty else 0.0
    drawdown = live_drawdown(history, inputs.qqq["close"], as_of)
    decision = vol_regime.decide(model.model, inputs.qqq, inputs.spy, inputs.vix, inputs.options, pd.Timestamp(as_of),
                                 drawdown=drawdown, prev_exposure=prev_exposure)
    active = [name for name, on in decision.filters.items() if on]
    save_signal(engine, strategy="vol_regime", as_of=as_of, target_exposure=decision.exposure,
                forecast=decision.forecast, model_run_id=model.id, active_filters=active,
                details={"target_before_overlay": decision.target, "signal_strength": decision.signal_strength,
                         "drawdown": drawdown, "prev_exposure": prev_exposure, "components": decision.components,
                         "model_as_of": str(model.as_of)})
    logger.info("vol_regime %s: exposure %.3f for the next session (filters: %s)", as_of, decision.exposure,
                ", ".join(active) or "none")
    return {"strategy": "vol_regime", "status": "decided", "exposure": decision.exposure, "filters": active,
            "model_id": model.id}
