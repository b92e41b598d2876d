"""Backfill: the daily flow for every XNYS session in a range, in order, resuming past completed days."""

from __future__ import annotations

import datetime as dt
from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from domain.calendar import sessions_between
from domain.errors import InputError
from tasks.run_log import completed_days
from flows.daily import daily
from flows.hooks import FAILURE_HOOKS
from flows.progress import report_progress
from flows.run_names import backfill_name


def _session_row(day: dt.date, status: str, summary: dict) -> dict:
    """One row of the backfill's table artifact: session, status, NAV, alerts, orders."""
    portfolio = summary.get("portfolio") or {}
    nav = portfolio.get("nav")
    orders = [s for s in summary.get("signals", []) if s.get("status") == "decided"]
    return {"session": str(day), "status": status, "NAV": None if nav is None else round(nav, 2),
            "alerts": portfolio.get("alerts"), "orders": len(orders) if summary else None}


def _coerce(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@flow(name="backfill", flow_run_name=backfill_name, log_prints=True, **FAILURE_HOOKS)
def backfill(start: dt.date, end: dt.date, resume: bool = True) -> dict:
    """Run `daily` for each session in [start, end]; with `resume`, days already completed are skipped."""
    logger = get_run_logger()
    start, end = _coerce(start), _coerce(end)
    if end < start:
        raise InputError(f"backfill: end {end} is before start {start}")
    days = sessions_between(start, end)
    done = completed_days("daily", start, end) if resume else set()
    ran, skipped, table = [], [], []
    for day in days:
        if day in done:
            skipped.append(day)
            status, summary = "already done", {}
        else:
            summary = daily(as_of=day)
            ran.append(day)
            status = "completed"
        table.append(_session_row(day, status, summary))
        report_progress(str(day), status)
    logger.info("backfill %s..%s: %d session(s) run, %d already done", start, end, len(ran), len(skipped))
    create_table_artifact(key=f"backfill-{start}-to-{end}", table=table,
                          description=f"backfill {start}..{end}: {len(ran)} run, {len(skipped)} already done")
    return {"start": str(start), "end": str(end), "sessions": len(days), "ran": len(ran), "skipped": len(skipped)}
