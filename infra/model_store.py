"""Model store: trained models with their provenance in the application database, and which one is live."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, select, update

from infra.db.models.research import ModelRun
from infra.db.upsert import upsert_frame
from infra.settings import PROJECT_ROOT

import pandas as pd


@lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit the code runs from (with `+dirty` for local changes), else the package version."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return commit[:12] + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return f"quantops-{version('quantops')}"


@dataclass(frozen=True)
class StoredModel:
    id: int
    strategy: str
    as_of: dt.date
    status: str
    params: dict
    metrics: dict
    model: Any
    data_fingerprint: str = ""
    gate_report: str = ""
    train_start: dt.date | None = None
    train_end: dt.date | None = None


def save_model_run(
    engine: Engine, *, strategy: str, as_of: dt.date, train_start: dt.date, train_end: dt.date, params: dict,
    data_fingerprint: str, seed: int, metrics: dict, status: str, gate_report: str, model: Any,
) -> int:
    """Store (or replace, for a rerun of the same as_of) one retrain; returns its id."""
    blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    row = dict(
        strategy=strategy, as_of=pd.Timestamp(as_of), train_start=pd.Timestamp(train_start),
        train_end=pd.Timestamp(train_end), params=json.dumps(params, sort_keys=True, default=str),
        data_fingerprint=data_fingerprint, code_version=code_version(), seed=seed,
        metrics=json.dumps(metrics, sort_keys=True, default=float), status=status, gate_report=gate_report,
        artifact=blob, artifact_sha256=hashlib.sha256(blob).hexdigest(),
    )
    with engine.begin() as conn:
        if status == "promoted":
            conn.execute(
                update(ModelRun).where(ModelRun.strategy == strategy, ModelRun.status == "promoted",
                                       ModelRun.as_of != as_of).values(status="retired")
            )
        upsert_frame(conn, ModelRun.__table__, pd.DataFrame([row]), ["strategy", "as_of"])
        return conn.scalar(select(ModelRun.id).where(ModelRun.strategy == strategy, ModelRun.as_of == as_of))


def _stored(row: ModelRun) -> StoredModel:
    blob = row.artifact
    if hashlib.sha256(blob).hexdigest() != row.artifact_sha256:
        raise RuntimeError(f"model run {row.id}: artifact checksum mismatch")
    return StoredModel(row.id, row.strategy, row.as_of, row.status, json.loads(row.params), json.loads(row.metrics),
                       pickle.loads(blob), row.data_fingerprint, row.gate_report, row.train_start, row.train_end)


def promoted_model(engine: Engine, strategy: str, as_of: dt.date | None = None) -> StoredModel | None:
    """The promoted model trained on data up to `as_of` at the latest (no model from the future)."""
    from sqlalchemy.orm import Session

    stmt = select(ModelRun).where(ModelRun.strategy == strategy, ModelRun.status.in_(["promoted", "retired"]))
    if as_of is not None:
        stmt = stmt.where(ModelRun.as_of <= as_of)
    stmt = stmt.order_by(ModelRun.as_of.desc()).limit(1)
    with Session(engine) as session:
        row = session.scalars(stmt).first()
        return _stored(row) if row is not None else None


def model_with_fingerprint(engine: Engine, strategy: str, fingerprint: str, params: dict) -> StoredModel | None:
    """The latest stored model of ``strategy`` fitted on exactly this data with these parameters, if any."""
    from sqlalchemy.orm import Session

    stmt = select(ModelRun).where(ModelRun.strategy == strategy, ModelRun.data_fingerprint == fingerprint,
                                  ModelRun.params == json.dumps(params, sort_keys=True, default=str))
    with Session(engine) as session:
        row = session.scalars(stmt.order_by(ModelRun.as_of.desc()).limit(1)).first()
        return _stored(row) if row is not None else None


def model_runs(engine: Engine, strategy: str) -> pd.DataFrame:
    stmt = select(ModelRun.id, ModelRun.as_of, ModelRun.train_start, ModelRun.train_end, ModelRun.status,
                  ModelRun.metrics, ModelRun.code_version, ModelRun.seed).where(ModelRun.strategy == strategy)
    with engine.connect() as conn:
        return pd.read_sql(stmt.order_by(ModelRun.as_of), conn)


def promote_manually(engine: Engine, model_id: int, reason: str) -> StoredModel:
    """An operator's override: make model `model_id` the live one for its strategy, recording why."""
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        row = session.get(ModelRun, model_id)
        if row is None:
            from domain.errors import InputError

            raise InputError(f"no model run with id {model_id}")
        session.execute(
            update(ModelRun).where(ModelRun.strategy == row.strategy, ModelRun.status == "promoted",
                                   ModelRun.id != model_id).values(status="retired")
        )
        row.status = "promoted"
        row.gate_report = f"{row.gate_report} | promoted by hand: {reason}"
        return _stored(row)
