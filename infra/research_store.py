"""Repository for walk-forward results and strategy signals."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, select

from domain.strategies.base import SpreadProposal, Targets
from infra.db.models.research import Signal, WalkForwardDay, WalkForwardFold, WalkForwardRun
from infra.db.upsert import upsert_frame
from infra.model_store import code_version


def _json(value: Any) -> str:
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(value), sort_keys=True, default=str)


def save_walk_forward(engine: Engine, *, strategy: str, start: dt.date, end: dt.date, params: dict, seed: int,
                      data_fingerprint: str, result) -> int:
    """Store a walk-forward run, its folds and its stitched days; a rerun with the same inputs replaces it."""
    params_json = _json(params)
    config_hash = hashlib.sha256(f"{params_json}|{seed}|{data_fingerprint}".encode()).hexdigest()
    run = pd.DataFrame([{
        "strategy": strategy, "start": pd.Timestamp(start), "end": pd.Timestamp(end), "config_hash": config_hash,
        "params": params_json, "data_fingerprint": data_fingerprint, "code_version": code_version(), "seed": seed,
        "metrics": _json(result.summary), "benchmark_metrics": _json(result.benchmark), "notes": _json(list(result.notes)),
    }])
    with engine.begin() as conn:
        upsert_frame(conn, WalkForwardRun.__table__, run, ["strategy", "start", "end", "config_hash"])
        run_id = conn.scalar(select(WalkForwardRun.id).where(
            WalkForwardRun.strategy == strategy, WalkForwardRun.start == start, WalkForwardRun.end == end,
            WalkForwardRun.config_hash == config_hash))
        conn.execute(delete(WalkForwardFold).where(WalkForwardFold.run_id == run_id))
        conn.execute(delete(WalkForwardDay).where(WalkForwardDay.run_id == run_id))
        folds = []
        for fold, row in zip(sorted(result.folds, key=lambda f: f.test_start), result.per_fold.to_dict("records")):
            metrics = {k: v for k, v in row.items() if k.startswith(("test_", "bh_", "validation_"))}
            chosen = {k: v for k, v in row.items() if k not in metrics and k not in fold.as_dict()}
            folds.append({
                "run_id": run_id, "fold": fold.index, "train_start": fold.train_start.date(),
                "train_end": fold.train_end.date(), "validation_start": fold.validation_start.date(),
                "validation_end": fold.validation_end.date(), "test_start": fold.test_start.date(),
                "test_end": fold.test_end.date(), "params": _json(chosen), "metrics": _json(metrics),
            })
        conn.execute(WalkForwardFold.__table__.insert(), folds)
        fold_index = {f.name: f.index for f in result.folds}
        daily = result.daily
        days = pd.DataFrame({
            "run_id": run_id, "date": daily.index, "fold": daily["fold"].map(fold_index).astype(int).to_numpy(),
            "exposure": daily["exposure"].to_numpy(), "strategy_return": daily["net_return"].fillna(0.0).to_numpy(),
            "benchmark_return": daily["benchmark_return"].fillna(0.0).to_numpy(),
        })
        upsert_frame(conn, WalkForwardDay.__table__, days, ["run_id", "date"])
    return int(run_id)


def latest_walk_forward(engine: Engine, strategy: str,
                        longest: bool = False) -> tuple[dict, pd.DataFrame, pd.DataFrame] | None:
    """(run row, folds frame, days frame indexed by date) of the most recent run of `strategy`; with
    ``longest``, of the run reaching furthest back (then the latest end, then the newest): a strategy's
    research history, not the few validation quarters its last retrain stored."""
    newest = (WalkForwardRun.created_at.desc(), WalkForwardRun.id.desc())
    order = (WalkForwardRun.start.asc(), WalkForwardRun.end.desc(), *newest) if longest else newest
    with engine.connect() as conn:
        run = conn.execute(select(WalkForwardRun).where(WalkForwardRun.strategy == strategy)
                           .order_by(*order).limit(1)).mappings().first()
        if run is None:
            return None
        folds = pd.read_sql(select(WalkForwardFold).where(WalkForwardFold.run_id == run["id"]).order_by(WalkForwardFold.fold), conn)
        days = pd.read_sql(select(WalkForwardDay).where(WalkForwardDay.run_id == run["id"]).order_by(WalkForwardDay.date), conn)
    days["date"] = pd.to_datetime(days["date"])
    return dict(run), folds, days.set_index("date")


def _spread_dict(spread: SpreadProposal) -> dict:
    return {**dataclasses.asdict(spread), "expiration": pd.Timestamp(spread.expiration).date().isoformat()}


def save_targets(engine: Engine, *, strategy: str, targets: Targets, model_run_id: int | None) -> None:
    """Store one decision (replacing a rerun of the same strategy and as_of). ``details['forecast']`` and
    ``details['filters']`` fill the forecast and active-filter columns when the strategy reports them."""
    details = dict(targets.details)
    forecast = details.get("forecast")
    row = pd.DataFrame([{
        "strategy": strategy, "as_of": pd.Timestamp(targets.as_of).normalize(), "kind": targets.kind,
        "target_exposure": float(sum(targets.weights.values())),
        "forecast": float(forecast) if isinstance(forecast, (int, float)) else None, "model_run_id": model_run_id,
        "active_filters": _json(sorted(details.get("filters", []))), "details": _json(details),
        "weights": _json({k: float(v) for k, v in targets.weights.items()}),
        "leg_weights": _json({k: float(v) for k, v in targets.leg_weights.items()}),
        "spreads": _json([_spread_dict(s) for s in targets.spreads]),
    }])
    with engine.begin() as conn:
        upsert_frame(conn, Signal.__table__, row, ["strategy", "as_of"])


def load_signals(engine: Engine, strategy: str, end: dt.date | None = None) -> pd.DataFrame:
    """Stored decisions of ``strategy`` in date order (JSON columns as text)."""
    stmt = select(Signal.as_of, Signal.kind, Signal.target_exposure, Signal.forecast, Signal.model_run_id,
                  Signal.active_filters, Signal.weights, Signal.leg_weights, Signal.spreads, Signal.details
                  ).where(Signal.strategy == strategy).order_by(Signal.as_of)
    if end is not None:
        stmt = stmt.where(Signal.as_of <= end)
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def load_targets(engine: Engine, strategy: str, as_of: dt.date) -> Targets | None:
    """The Targets ``strategy`` decided at the close of ``as_of``, as stored (None if it decided nothing)."""
    stmt = select(Signal).where(Signal.strategy == strategy, Signal.as_of == as_of)
    with engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    if row is None:
        return None
    spreads = tuple(SpreadProposal(**{**s, "expiration": pd.Timestamp(s["expiration"])})
                    for s in json.loads(row["spreads"]))
    return Targets(as_of=pd.Timestamp(row["as_of"]), kind=row["kind"], weights=json.loads(row["weights"]),
                   spreads=spreads, leg_weights=json.loads(row["leg_weights"]), details=json.loads(row["details"]))
