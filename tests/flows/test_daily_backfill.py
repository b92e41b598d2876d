"""daily and backfill, run for real under prefect_test_harness: same day twice = same database, resumable backfill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from flows.backfill import backfill
from flows.cli.main import app
from flows.daily import daily
from flows.progress import progress_listener
from infra.db.engine import get_engine
from infra.db.models import Base
from infra.db.models.market import DailyBar, PipelineRun, YieldObservation
from infra.settings import reset_settings_cache
from tests.conftest import truncate_all
from tests.flows.test_market_data_flow import make_source, use_source

# audit timestamps say *when* a run happened; everything else must be identical after a rerun
AUDIT_COLUMNS = {("pipeline_runs", "finished_at"), ("ingest_log", "created_at")}
WEEK = [dt.date(2024, 6, 24), dt.date(2024, 6, 25), dt.date(2024, 6, 26), dt.date(2024, 6, 27), dt.date(2024, 6, 28)]


def database_contents(engine) -> dict[str, list[tuple]]:
    """Every row of every application table, every column except the audit timestamps, in a stable order."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in AUDIT_COLUMNS]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=lambda r: tuple(map(str, r)))
    return out


def runs(engine) -> list[tuple[dt.date, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(PipelineRun.as_of, PipelineRun.status).where(PipelineRun.flow == "daily").order_by(PipelineRun.as_of))]


@pytest.fixture
def flow_env(app_env, tmp_path, monkeypatch) -> str:
    use_source(monkeypatch, make_source(tmp_path / "drop"))
    return app_env


def _point_at(url: str, tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("QUANTOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUANTOPS_DATABASE_URL", url)
    monkeypatch.delenv("QUANTOPS_ALERT_URLS", raising=False)
    use_source(monkeypatch, make_source(tmp_path / "drop"))
    return url


@pytest.fixture
def pg_flow_env(pg_url, tmp_path, monkeypatch) -> Iterator[str]:
    """Like flow_env, on the session's PostgreSQL database only."""
    truncate_all(get_engine(pg_url))
    yield _point_at(pg_url, tmp_path, monkeypatch)
    reset_settings_cache()


@pytest.fixture
def sqlite_flow_env(sqlite_url, tmp_path, monkeypatch) -> Iterator[str]:
    """Like flow_env, on SQLite only (for the CLI and the skip paths, which the database does not change)."""
    yield _point_at(sqlite_url, tmp_path, monkeypatch)
    reset_settings_cache()


def test_daily_twice_for_one_date_gives_identical_rows(flow_env):
    engine = get_engine(flow_env)
    first = daily(as_of=dt.date(2024, 7, 1))
    assert first["status"] == "completed"
    assert first["market_data"]["rows"] == {"bars": 4, "yields": 2, "options": 2}
    after_first = database_contents(engine)
    assert len(after_first["daily_bars"]) == 4 and len(after_first["option_quotes"]) == 2
    assert runs(engine) == [(dt.date(2024, 7, 1), "completed")]

    second = daily(as_of="2024-07-01")
    assert second["status"] == "completed"
    assert second["market_data"]["written"] == {"bars": 0, "yields": 0, "options": 0}
    assert database_contents(engine) == after_first


def test_a_weekend_or_holiday_is_skipped(sqlite_flow_env):
    engine = get_engine(sqlite_flow_env)
    for day in (dt.date(2024, 6, 29), dt.date(2024, 7, 4)):
        assert daily(as_of=day) == {"as_of": str(day), "status": "skipped"}
    assert runs(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(DailyBar)).all() == []


def test_a_week_of_backfill_on_postgres_then_resume(pg_flow_env):
    engine = get_engine(pg_flow_env)
    assert engine.dialect.name == "postgresql"
    seen: list[tuple[str, str]] = []
    with progress_listener(lambda day, status: seen.append((day, status))):
        result = backfill(start=dt.date(2024, 6, 22), end=dt.date(2024, 6, 30))  # Saturday .. Sunday
    assert result == {"start": "2024-06-22", "end": "2024-06-30", "sessions": 5, "ran": 5, "skipped": 0}
    assert seen == [(str(d), "completed") for d in WEEK]  # in order, weekends never visited
    assert runs(engine) == [(d, "completed") for d in WEEK]
    with engine.connect() as conn:
        bar_days = conn.execute(select(DailyBar.date, DailyBar.symbol)).all()
        yield_days = set(conn.scalars(select(YieldObservation.date)))
    assert sorted(bar_days) == sorted((d, s) for d in WEEK for s in ("QQQ", "SPY", "TLT", "^VIX"))
    assert yield_days == set(WEEK)
    contents = database_contents(engine)

    # resume: the completed days are skipped, only the new session runs
    seen.clear()
    with progress_listener(lambda day, status: seen.append((day, status))):
        again = backfill(start="2024-06-27", end="2024-07-01")
    assert again == {"start": "2024-06-27", "end": "2024-07-01", "sessions": 3, "ran": 1, "skipped": 2}
    assert seen == [("2024-06-27", "already done"), ("2024-06-28", "already done"), ("2024-07-01", "completed")]
    assert runs(engine) == [(d, "completed") for d in [*WEEK, dt.date(2024, 7, 1)]]
    new = database_contents(engine)
    assert len(new["daily_bars"]) == len(contents["daily_bars"]) + 4
    assert set(contents["daily_bars"]) <= set(new["daily_bars"])


def test_backfill_refuses_a_reversed_range(sqlite_flow_env):
    from domain.errors import InputError

    with pytest.raises(InputError, match="before start"):
        backfill(start="2024-07-05", end="2024-07-01")


# --- the same through the CLI ----------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_daily_and_backfill(sqlite_flow_env):
    engine = get_engine(sqlite_flow_env)
    holiday = runner.invoke(app, ["daily", "--date", "2024-07-04"])
    assert holiday.exit_code == 0, holiday.output
    assert "daily 2024-07-04: skipped" in holiday.output

    result = runner.invoke(app, ["backfill", "--start", "2024-07-03", "--end", "2024-07-05"])
    assert result.exit_code == 0, result.output
    assert "backfill 2024-07-03..2024-07-05: 2 session(s), 2 run, 0 already done" in result.output
    assert runs(engine) == [(dt.date(2024, 7, 3), "completed"), (dt.date(2024, 7, 5), "completed")]

    again = runner.invoke(app, ["daily", "--date", "2024-07-05"])
    assert again.exit_code == 0 and "daily 2024-07-05: completed" in again.output


@pytest.mark.parametrize(
    "args, fragment",
    [(["daily", "--date", "yesterday"], "'yesterday' is not a date"),
     (["backfill", "--start", "2024-07-05", "--end", "2024-07-01"], "2024-07-01 is before 2024-07-05"),
     (["backfill", "--start", "2024-13-01", "--end", "2024-07-01"], "'2024-13-01' is not a date")],
)
def test_cli_bad_dates_are_one_clear_error(sqlite_flow_env, args, fragment):
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert runs(get_engine(sqlite_flow_env)) == []
