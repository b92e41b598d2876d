"""Tasks of the market-data step: fetch a date from the source (waiting for a live vendor that has not
published yet), validate every batch, upsert them together."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE

from domain.calendar import last_completed_session
from domain.errors import InputError
from domain.risk.alerts import Alert, dedup_key
from infra import portfolio_store
from infra.db.engine import app_engine, transaction
from infra.market_store import STORES, bars_before
from infra.providers import MarketDataSource, SourceFile, source_from_settings
from infra.settings import get_settings
from infra.validation import find_violations
from infra.vendor_store import store_fetched, with_adjusted_close
from tasks.retry import TRANSIENT

LATE_KIND = "market_data_late"


def with_adjusted(files: list[SourceFile]) -> list[SourceFile]:
    """Raw bars from a live provider get their adjusted close, continuing each symbol's stored index."""
    out = []
    for item in files:
        if item.kind == "bars" and "dividend" in item.frame.columns and "adj_close" not in item.frame.columns:
            item = replace(item, frame=with_adjusted_close(item.frame, bars_before(app_engine(), item.frame)))
        out.append(item)
    return out


def late_alert(as_of: dt.date, missing: list[str], waited_minutes: float) -> Alert:
    listed = ", ".join(missing)
    return Alert(as_of=as_of, kind=LATE_KIND, severity="critical", dedup_key=dedup_key(as_of, LATE_KIND),
                 title=f"market data for {as_of} not published: {listed}"[:200],
                 message=f"Still missing after waiting {waited_minutes:g} min: {listed}. The day ran with what "
                         f"arrived; re-run it (quantops daily --date {as_of}) when the vendor has published.",
                 numbers={"missing": missing})


def not_held(missing: list[str], bars_provider: str | None, held: set[str]) -> list[str]:
    """What the late-data alert names: the held instruments' closes are left to the one freshness rule of
    the marking step (domain/risk/freshness.py), which fails the day naming them; one alert per fact."""
    held_bars = {f"{bars_provider} {name}".upper() for name in held} if bars_provider else set()
    return [m for m in missing if m.upper() not in held_bars]


def _held_instruments(as_of: dt.date) -> set[str]:
    return {getattr(p, "underlying", None) or p.symbol for p in portfolio_store.open_positions_at(app_engine(), as_of)}


def await_publication(source: MarketDataSource, as_of: dt.date, files: list[SourceFile]) -> list[SourceFile]:
    """Poll the vendors until every series has its day or the window passes; then alert on what is missing
    (except held instruments' closes: without them the marking fails the day, with its own alert)."""
    window = source.config.publication
    deadline = time.monotonic() + window.wait_minutes * 60
    missing = source.missing(files, as_of)
    logger = get_run_logger()
    while missing and time.monotonic() < deadline:
        logger.info("not published yet for %s: %s; next try in %g min", as_of, ", ".join(missing), window.poll_minutes)
        time.sleep(max(0.0, min(window.poll_minutes * 60, deadline - time.monotonic())))
        files = source.fetch(as_of)
        missing = source.missing(files, as_of)
    if missing:
        logger.warning("market data for %s still missing after %g min: %s", as_of, window.wait_minutes,
                       ", ".join(missing))
        bars = source.providers.get("bars")
        missing = not_held(missing, bars.name if bars is not None else None, _held_instruments(as_of))
    if missing:
        with transaction(app_engine()) as session:
            portfolio_store.store_alerts(session, [late_alert(as_of, missing, window.wait_minutes)])
    return files


@task(name="fetch-market-data", cache_policy=NO_CACHE, **TRANSIENT)
def fetch_market_data(as_of: dt.date, wait: bool | None = None) -> list[SourceFile]:
    """The day's batches. A live source is waited for when `wait`, or by default when `as_of` is the newest
    completed session (an older day will not be published by waiting)."""
    source = source_from_settings(get_settings())
    files = source.fetch(as_of)
    if wait is None:
        wait = as_of >= last_completed_session(dt.datetime.now(dt.UTC))
    if source.live and wait:
        files = await_publication(source, as_of, files)
    get_run_logger().info("%s: %d batch(es) with rows for %s", source.name, len(files), as_of)
    return with_adjusted(files)


@task(name="fetch-market-history", cache_policy=NO_CACHE, **TRANSIENT)
def fetch_market_history(kind: str, name: str, start: dt.date, end: dt.date) -> list[SourceFile]:
    """One symbol's (series', underlying's) history from the configured live provider."""
    source = source_from_settings(get_settings())
    files = [item for _, batch in source.fetch_range(kind, start, end, [name]) for item in batch]
    return with_adjusted(files)


@task(name="validate-market-data", cache_policy=NO_CACHE, **TRANSIENT)
def validate_market_data(files: list[SourceFile], today: dt.date) -> None:
    """Every batch passes its pandera model, or the whole batch is refused with the rows and rules named."""
    problems = []
    for item in files:
        prior = bars_before(app_engine(), item.frame) if item.kind == "bars" else None
        violations = find_violations(item.kind, item.frame, item.path, today, prior_bars=prior)
        if violations:
            problems.append((item, violations))
    if not problems:
        return
    rows = [
        {"file": str(item.path), "row": int(line), "rule": rule}
        for item, violations in problems
        for line, rule in violations.table.itertuples(index=False)
    ]
    create_table_artifact(key="market-data-rejections", table=rows, description="Rows refused by validation")
    raise InputError(" | ".join(v.summary(str(item.path)) for item, v in problems))


@task(name="store-market-data", cache_policy=NO_CACHE, **TRANSIENT)
def store_market_data(files: list[SourceFile], source_name: str = "") -> dict[str, int]:
    """All batches of one as_of in one transaction: a failure leaves the database as it was. A live
    provider's batches also record the past values the vendor revised (`revisions`)."""
    written = {"bars": 0, "yields": 0, "options": 0, "revisions": 0}
    with app_engine().begin() as conn:
        for item in files:
            if item.live:
                rows, revised = store_fetched(conn, item.kind, item.frame, item.source)
                written["revisions"] += revised
            else:
                rows = max(STORES[item.kind](conn, item.frame, item.source or source_name), 0)
            written[item.kind] += rows
    return written


def count_rows(files: list[SourceFile]) -> dict[str, int]:
    counts = {"bars": 0, "yields": 0, "options": 0}
    for item in files:
        counts[item.kind] += len(item.frame)
    return counts
