"""What the Prefect UI shows: runs named by what they did, artifacts per session, the backfill's table."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.sorting import FlowRunSort

from flows.backfill import backfill
from flows.run_names import quarter
from tests.flows.test_daily_backfill import sqlite_flow_env  # noqa: F401

START, END = dt.date(2024, 6, 27), dt.date(2024, 6, 28)


async def _artifacts(keys: list[str]) -> list[dict]:
    # this Prefect's clients send null for the flow_runs/task_runs filters, which its server refuses (422)
    # or turns into a join that drops flow-level artifacts: ask the API with those fields left out.
    async with get_client() as client:
        answer = await client._client.post("/artifacts/filter", json={
            "artifacts": {"key": {"any_": keys}}, "sort": "ID_DESC", "limit": 50, "offset": 0})
        return answer.json()


def test_backfill_names_its_runs_keys_artifacts_per_session_and_leaves_a_table(sqlite_flow_env):  # noqa: F811
    backfill(start=START, end=END)
    with get_client(sync_client=True) as client:
        names = {r.name for r in client.read_flow_runs(flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(any_=["daily-2024-06-27", "daily-2024-06-28", "backfill-2024-06-27..2024-06-28"])),
            sort=FlowRunSort.ID_DESC, limit=50)}
        assert names == {"daily-2024-06-27", "daily-2024-06-28", "backfill-2024-06-27..2024-06-28"}
    keys = ["daily-summary-2024-06-27", "daily-summary-2024-06-28", "daily-report-2024-06-28",
            "portfolio-report-2024-06-28", "backfill-2024-06-27-to-2024-06-28"]
    found = {a["key"]: a for a in asyncio.run(_artifacts(keys))}
    assert set(found) == set(keys)
    table = found["backfill-2024-06-27-to-2024-06-28"]
    assert table["type"] == "table"
    rows = table["data"] if isinstance(table["data"], list) else json.loads(table["data"])
    assert [r["session"] for r in rows] == ["2024-06-27", "2024-06-28"]
    assert [r["status"] for r in rows] == ["completed", "completed"]
    assert set(rows[0]) == {"session", "status", "NAV", "alerts", "orders"}
    assert "daily-2024-06-28.html" in found["daily-report-2024-06-28"]["data"]


def test_quarter_label():
    assert [quarter(dt.date(2025, m, 1)) for m in (1, 3, 4, 7, 12)] == ["2025Q1", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]

