"""Which flow finished which as_of date: what makes a backfill resumable."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from infra.db.models.market import PipelineRun
from infra.db.upsert import upsert_frame

import pandas as pd


def record_run(engine: Engine, flow: str, as_of: dt.date, status: str, detail: str | None = None) -> None:
    frame = pd.DataFrame(
        [{"flow": flow, "as_of": pd.Timestamp(as_of), "status": status, "detail": detail,
          "finished_at": pd.Timestamp.now(tz="UTC")}]
    )
    with engine.begin() as conn:
        upsert_frame(conn, PipelineRun.__table__, frame, ["flow", "as_of"])


def completed_days(engine: Engine, flow: str, start: dt.date, end: dt.date) -> set[dt.date]:
    stmt = select(PipelineRun.as_of).where(
        PipelineRun.flow == flow, PipelineRun.status == "completed", PipelineRun.as_of.between(start, end)
    )
    with engine.connect() as conn:
        return set(conn.scalars(stmt))
