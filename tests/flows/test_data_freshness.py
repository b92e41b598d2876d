"""A day with no data is not a green success (issue 15, case 4): a held instrument without a fresh close
fails the day's marking with a critical alert naming it, nothing is stored for the day, and the day runs
once the data has arrived. The grace (config/risk.yaml) lets a close lag by N sessions."""

import datetime as dt
import shutil

import pytest
from sqlalchemy import func, select

from flows.daily import daily
from infra.db.models.market import PipelineRun
from infra.db.models.portfolio import DailyNavRow, MarkRow
from infra.settings import CONFIG_DIR, reset_settings_cache
from tests.flows.test_daily_alerts import AS_OF, book, configure, short_tmp, write_source  # noqa: F401
from tests.infra.notify_fakes import JsonReceiver

pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
FRIDAY = dt.date(2025, 1, 10)
XYZ_DAY = "2025-01-13,47.0,47.5,46.5,47.0,47.0,500000\n"


def _drop_xyz_today(source):
    path = source / "bars" / "XYZ.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n2025-01-10,48.0,48.5,47.5,48.0,48.0,500000\n")
    return path


def _count(engine, table, *where) -> int:
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(table).where(*where))


def test_a_held_instrument_without_todays_close_fails_the_day_until_the_data_arrives(book, short_tmp, monkeypatch):  # noqa: F811
    engine, *_ = book
    source = write_source(short_tmp / "src")
    xyz = _drop_xyz_today(source)  # the vendor has not delivered XYZ for the 13th
    with JsonReceiver() as rx:
        configure(monkeypatch, source, [rx.url()])
        daily(FRIDAY)  # the session before: XYZ's last close
        rx.received.clear()
        state = daily(AS_OF, return_state=True)
        assert state.is_failed()
        (alert,) = rx.received
        assert alert["type"] == "failure"  # critical
        assert "market data missing for 2025-01-13: XYZ close (last 2025-01-10)" in alert["title"] + alert["message"]
        assert "TLT" not in alert["message"].split("held positions")[0]  # TLT arrived: only XYZ is named
        assert _count(engine, MarkRow, MarkRow.date == AS_OF) == 0
        assert _count(engine, DailyNavRow, DailyNavRow.date == AS_OF) == 0
        assert _count(engine, PipelineRun, PipelineRun.as_of == AS_OF) == 0  # a backfill re-runs it

        xyz.write_text(xyz.read_text() + XYZ_DAY)  # the data arrives
        assert daily(AS_OF)["portfolio"]["marked"] == 2
    assert _count(engine, DailyNavRow, DailyNavRow.date == AS_OF) == 1


def test_a_grace_of_one_session_marks_with_the_previous_close(book, short_tmp, monkeypatch):  # noqa: F811
    engine, *_ = book
    config = short_tmp / "config"
    shutil.copytree(CONFIG_DIR, config)
    risk = config / "risk.yaml"
    risk.write_text(risk.read_text().replace("stale_data_grace_sessions: 0", "stale_data_grace_sessions: 1"))
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    source = write_source(short_tmp / "src")
    _drop_xyz_today(source)
    with JsonReceiver() as rx:
        configure(monkeypatch, source, [rx.url()])
        daily(FRIDAY)
        result = daily(AS_OF)
    assert result["portfolio"]["marked"] == 2
    with engine.connect() as c:
        assert c.scalar(select(MarkRow.price).where(MarkRow.date == AS_OF, MarkRow.position_id == book[2])) == 48.0
    assert not any("missing" in m["title"] for m in rx.received)
    reset_settings_cache()
