"""Database outages (issue 15, case 3), on a PostgreSQL server the test starts, stops and restarts.

A backfill whose database is down when it starts, and restarted in the middle of it, completes: every task
that touches the database retries transient errors, and so do the flow bodies' own reads and writes
(completed days, the run record). A run whose database stays unreachable still sends its critical alert,
straight to the targets (the migration before the run cannot reach the database to store it)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest
from typer.testing import CliRunner

from flows.backfill import backfill
from flows.cli.main import app
from infra.db.engine import dispose_engines
from infra.db.migrate import upgrade
from infra.settings import reset_settings_cache
from tests.flows.test_market_data_flow import make_source, use_source
from tests.infra.notify_fakes import JsonReceiver
from tests.pg_server import PgServer

DAYS = [dt.date(2024, 6, 24), dt.date(2024, 6, 25), dt.date(2024, 6, 26)]


@pytest.fixture
def server(tmp_path, monkeypatch):
    pg = PgServer()
    pg.start()
    upgrade(pg.url)
    monkeypatch.setenv("QUANTOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUANTOPS_DATABASE_URL", pg.url)
    monkeypatch.delenv("QUANTOPS_ALERT_URLS", raising=False)
    use_source(monkeypatch, make_source(tmp_path / "drop"))
    yield pg
    dispose_engines()
    pg.close()
    reset_settings_cache()


def _completed(url: str) -> list[dt.date]:
    try:
        with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=2) as conn:
            return [r[0] for r in conn.execute(
                "SELECT as_of FROM pipeline_runs WHERE flow = 'daily' AND status = 'completed' ORDER BY as_of")]
    except psycopg.OperationalError:
        return []


def test_a_backfill_survives_a_database_down_at_start_and_restarted_mid_run(server):
    def outages():
        time.sleep(4)  # down when the backfill starts
        server.start()
        deadline = time.monotonic() + 300
        while len(_completed(server.url)) < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        server.stop()  # restarted in the middle: day 2 runs into it
        time.sleep(4)
        server.start()

    server.stop()
    worker = threading.Thread(target=outages, daemon=True)
    worker.start()
    result = backfill(DAYS[0], DAYS[-1])
    worker.join(timeout=60)
    assert result["ran"] == 3
    assert _completed(server.url) == DAYS


def test_a_database_that_stays_down_still_sends_the_critical_alert(server, monkeypatch):
    monkeypatch.setattr("tasks.retry.TRANSIENT_DELAY_SECONDS", [0.2, 0.2])  # the same retries, shorter waits
    server.stop()
    with JsonReceiver() as rx:
        monkeypatch.setenv("QUANTOPS_ALERT_URLS", rx.url())
        reset_settings_cache()
        r = CliRunner().invoke(app, ["daily", "--date", "2024-06-24"])
    assert r.exit_code != 0
    assert "Traceback" not in r.output
    (alert,) = rx.received
    assert alert["type"] == "failure"
    assert alert["title"].startswith("quantops: daily 2024-06-24 did not start: database unreachable")
    assert "idempotency_key" in alert
