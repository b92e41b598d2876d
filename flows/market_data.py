"""Flows: one date's market data from the configured source, validated, then upserted; and a range of history
from the live providers (`quantops data fetch`), through the same tasks."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger

from domain.errors import InputError
from flows.progress import report_progress
from infra.providers import source_from_settings
from infra.settings import get_settings
from tasks.market_data import (
    count_rows,
    fetch_market_data,
    fetch_market_history,
    store_market_data,
    validate_market_data,
)

KINDS = ("bars", "yields", "options")


@flow(name="market-data", log_prints=True)
def market_data(as_of: dt.date, today: dt.date | None = None, wait: bool | None = None) -> dict:
    """`wait`: poll a live vendor that has not published `as_of` yet (default: only for the newest session)."""
    logger = get_run_logger()
    files = fetch_market_data(as_of, wait)
    if not files:
        logger.warning("the source has no rows for %s; nothing to load", as_of)
        return {"as_of": str(as_of), "rows": {}, "written": {}}
    validate_market_data(files, today or dt.date.today())
    written = store_market_data(files, source_from_settings(get_settings()).name)
    revisions = written.pop("revisions")
    rows = count_rows(files)
    logger.info("market data %s: rows %s, new or changed %s, vendor revisions %d", as_of, rows, written, revisions)
    return {"as_of": str(as_of), "rows": rows, "written": written, "revisions": revisions}


@flow(name="market-data-history", log_prints=True)
def market_data_history(kind: str, start: dt.date, end: dt.date, names: list[str] | None = None,
                        today: dt.date | None = None) -> dict:
    """History (or a repair) of one kind from its live provider, one symbol/series at a time, each validated
    and stored in its own transaction; the revisions a vendor made since the last fetch are recorded."""
    if kind not in KINDS:
        raise InputError(f"--kind {kind!r}: must be one of {', '.join(KINDS)}")
    source = source_from_settings(get_settings())
    names = list(names or source.names(kind))
    totals = {"names": len(names), "rows": 0, "written": 0, "revisions": 0, "empty": []}
    for name in names:
        files = fetch_market_history(kind, name, start, end)
        if files:
            validate_market_data(files, today or dt.date.today())
            written = store_market_data(files)
            totals["written"] += written[kind]
            totals["revisions"] += written["revisions"]
            totals["rows"] += count_rows(files)[kind]
        else:
            totals["empty"].append(name)
        report_progress(name, f"{count_rows(files)[kind]} rows")
    get_run_logger().info("%s %s..%s: %s", kind, start, end, totals)
    return totals
