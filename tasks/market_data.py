"""Tasks of the market-data step: fetch a date from the source, validate every file, upsert them together."""

from __future__ import annotations

import datetime as dt


from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from domain.errors import InputError
from infra.db.engine import app_engine
from infra.market_store import STORES, bars_before
from infra.providers import SourceFile, source_from_settings
from infra.settings import get_settings
from infra.validation import find_violations
from tasks.retry import TRANSIENT


@task(name="fetch-market-data", **TRANSIENT)
def fetch_market_data(as_of: dt.date) -> list[SourceFile]:
    source = source_from_settings(get_settings())
    files = source.fetch(as_of)
    get_run_logger().info("%s: %d file(s) with rows for %s", source.name, len(files), as_of)
    return files


@task(name="validate-market-data")
def validate_market_data(files: list[SourceFile], today: dt.date) -> None:
    """Every file passes its pandera model, or the whole batch is refused with the rows and rules named."""
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


@task(name="store-market-data", **TRANSIENT)
def store_market_data(files: list[SourceFile], source_name: str) -> dict[str, int]:
    """All files of one as_of in one transaction: a failure leaves the database as it was."""
    written = {"bars": 0, "yields": 0, "options": 0}
    with app_engine().begin() as conn:
        for item in files:
            written[item.kind] += max(STORES[item.kind](conn, item.frame, source_name), 0)
    return written


def count_rows(files: list[SourceFile]) -> dict[str, int]:
    counts = {"bars": 0, "yields": 0, "options": 0}
    for item in files:
        counts[item.kind] += len(item.frame)
    return counts



