"""Flow: one date's market data from the configured source, validated, then upserted."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger

from infra.providers import source_from_settings
from infra.settings import get_settings
from tasks.market_data import count_rows, fetch_market_data, store_market_data, validate_market_data


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
