"""Backfill: the daily flow for every XNYS session in a range, in order, resuming past completed days."""

from __future__ import annotations

import datetime as dt
from prefect import flow, get_run_logger

from domain.calendar import sessions_between
from domain.errors import InputError
from infra.db.engine import app_engine
from infra.run_log import completed_days
from flows.daily import daily
from flows.progress import report_progress


def _coerce(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@flow(name="backfill", log_prints=True)
def backfill(start: dt.date, end: dt.date, resume: bool = True) -> dict:
    """Run `daily` for each session in [start, end]; with `resume`, days already completed are skipped."""
    logger = get_run_logger()
    start, end = _coerce(start), _coerce(end)
    if end < start:
        raise InputError(f"backfill: end {end} is before start {start}")
    days = sessions_between(start, end)
    done = completed_days(app_engine(), "daily", start, end) if resume else set()
    ran, skipped = [], []
    for day in days:
        if day in done:
            skipped.append(day)
            status = "already done"
        else:
            daily(as_of=day)
            ran.append(day)
            status = "completed"
        report_progress(str(day), status)
    logger.info("backfill %s..%s: %d session(s) run, %d already done", start, end, len(ran), len(skipped))
    return {"start": str(start), "end": str(end), "sessions": len(days), "ran": len(ran), "skipped": len(skipped)}
