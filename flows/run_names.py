"""Flow-run names that say what a run did, so the Prefect UI tells one day's run from another.

`daily-2024-12-02`, `backfill-2024-12-02..2024-12-31`, `retrain-vol_regime-2025Q1`,
`walk-forward-vol_regime-2012-01-01..2024-12-31`. Prefect calls these (flow_run_name=...) with the run's
parameters available from prefect.runtime.
"""

from __future__ import annotations

import datetime as dt

from prefect.runtime import flow_run


def _day(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _session_or_last(value) -> dt.date:
    from domain.calendar import last_completed_session

    return _day(value) or last_completed_session(dt.datetime.now(dt.timezone.utc))


def daily_name() -> str:
    return f"daily-{_session_or_last(flow_run.parameters.get('as_of'))}"


def backfill_name() -> str:
    p = flow_run.parameters
    return f"backfill-{_day(p.get('start'))}..{_day(p.get('end'))}"


def quarter(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def retrain_name() -> str:
    p = flow_run.parameters
    return f"retrain-{p.get('strategy', 'vol_regime')}-{quarter(_session_or_last(p.get('as_of')))}"


def walk_forward_name() -> str:
    p = flow_run.parameters
    return f"walk-forward-{p.get('strategy', 'vol_regime')}-{_day(p.get('start'))}..{_day(p.get('end'))}"


def artifact_key(base: str, as_of: dt.date) -> str:
    """Artifact keys per session (`daily-summary-2024-12-02`): the artifacts page lists each session
    under its own key instead of showing whichever session was written last under one key."""
    return f"{base}-{as_of.isoformat()}"
