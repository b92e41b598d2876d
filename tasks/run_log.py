"""Which flow finished which day, as tasks: written and read by flow bodies, retried like any database step."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.cache_policies import NONE as NO_CACHE

from infra import run_log
from infra.db.engine import app_engine
from tasks.retry import TRANSIENT


@task(name="record-run", cache_policy=NO_CACHE, **TRANSIENT)
def record_run(flow: str, as_of: dt.date, status: str, detail: str | None = None) -> None:
    run_log.record_run(app_engine(), flow, as_of, status, detail)


@task(name="completed-days", cache_policy=NO_CACHE, **TRANSIENT)
def completed_days(flow: str, start: dt.date, end: dt.date) -> set[dt.date]:
    return run_log.completed_days(app_engine(), flow, start, end)
