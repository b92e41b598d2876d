"""The daily flow end to end on PostgreSQL: marks, NAV, alerts delivered once, to real local receivers."""

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.portfolio.positions import StockPosition, make_credit_spread
from flows.daily import daily
from infra import portfolio_store as store
from infra.db.engine import get_engine, transaction
from infra.db.models.market import DailyBar, OptionQuote
from infra.db.models.portfolio import DailyNavRow, MarkRow
from infra.settings import reset_settings_cache
from tests.infra.notify_fakes import JsonReceiver, free_port

REPO = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2025, 1, 13)  # a Monday session
EXP = "2025-02-21"
pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)

OPTION_HEADER = "quote_date,quote_time,underlying_price,option_type,expiration_date,strike,bid,ask,implied_vol,delta"


def write_source(root: Path, *, bad_quote: bool = False) -> Path:
    (root / "bars").mkdir(parents=True)
    (root / "options").mkdir()
    (root / "bars" / "TLT.csv").write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2025-01-10,87.0,87.5,86.5,87.0,87.0,1000000\n2025-01-13,86.0,86.5,85.5,86.0,86.0,1000000\n")
    (root / "bars" / "XYZ.csv").write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n2025-01-13,47.0,47.5,46.5,47.0,47.0,500000\n")
    rows = [f"2025-01-13,16:00,86.0,P,{EXP},88,2.40,2.50,16.5,-0.6",
            f"2025-01-13,16:00,86.0,P,{EXP},85,0.70,0.80,17.0,-0.35"]
    if bad_quote:
        rows.append(f"2025-01-13,16:00,86.0,P,{EXP},80,0.90,0.20,18.0,-0.1")  # bid above ask
    (root / "options" / "TLT_2025-01-13.csv").write_text(OPTION_HEADER + "\n" + "\n".join(rows) + "\n")
    return root


@pytest.fixture
def short_tmp():
    """The source's name is stored (64 characters): keep the folder path short."""
    path = Path(tempfile.mkdtemp(prefix="qs", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def book(app_env):
    engine = get_engine(app_env)
    with transaction(engine) as s:
        spread_id = store.add_spread(s, make_credit_spread(
            strategy="tlt_overlay", option_type="put", short_strike=88, long_strike=85,
            expiration=dt.date.fromisoformat(EXP), credit=0.80, contracts=5, underlying_price=91.0,
            opened=dt.date(2025, 1, 2)))
        stock_id = store.add_stock(s, StockPosition(None, "mean_reversion", "XYZ", 100, 50.0, dt.date(2025, 1, 8)))
        store.set_external_nav(s, dt.date(2025, 1, 10), 1_000_000.0)
    return engine, spread_id, stock_id


def configure(monkeypatch, source: Path, urls: list[str]) -> None:
    monkeypatch.setenv("QUANTOPS_DATA_SOURCE", f"dir:{source}")
    monkeypatch.setenv("QUANTOPS_ALERT_URLS", ",".join(urls))
    reset_settings_cache()


def titles(rx):
    return sorted(m["title"] for m in rx.received)


def test_a_day_run_twice_delivers_each_alert_once_with_severity_routing(book, short_tmp, monkeypatch):
    engine, spread_id, stock_id = book
    with JsonReceiver() as everything, JsonReceiver() as sms:
        configure(monkeypatch, write_source(short_tmp / "src"), [everything.url(), sms.url(query="tag=critical")])
        first = daily(AS_OF)
        assert first["portfolio"]["positions"] == 2 and first["portfolio"]["mark_sources"] == {"quote": 1, "close": 1}
        got = titles(everything)
        assert len(got) == 3  # loss limit, stop loss, daily summary
        assert any(t.startswith(f"Loss limit hit: #{spread_id}") for t in got)
        assert any(t.startswith(f"Stop loss hit: #{stock_id}") for t in got)
        assert "quantops daily summary 2025-01-13" in got
        assert len(titles(sms)) == 2 and all(m["type"] == "failure" for m in sms.received)  # critical only

        second = daily(AS_OF)
        assert second["portfolio"]["new_alerts"] == 0 and second["portfolio"]["deliveries_sent"] == 0
        assert len(everything.received) == 3 and len(sms.received) == 2

    summary = next(m for m in everything.received if m["title"].startswith("quantops daily summary"))
    assert "NAV" in summary["message"] and "Exits due: 2" in summary["message"]
    with engine.connect() as c:
        assert c.scalar(select(func.count(MarkRow.id))) == 2
        nav = c.execute(select(DailyNavRow)).one()
    # base NAV on 2025-01-10 (no marks then): spread (0.80 - 1.70) x 500, stock (47 - 50) x 100
    assert nav.nav == pytest.approx(1_000_000 - 450 - 300)
    assert {a.status for a in store.list_alerts(engine, AS_OF)} == {"sent"}


def test_a_kill_between_store_and_send_delivers_exactly_once_afterwards(book, short_tmp, monkeypatch, app_env):
    engine, *_ = book
    from prefect.settings import PREFECT_API_URL

    with JsonReceiver() as rx:
        configure(monkeypatch, write_source(short_tmp / "src"), [rx.url()])
        # the market data of the day is in; the process storing the alerts dies before sending them
        daily_env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(REPO)}
        from flows.market_data import market_data
        market_data(AS_OF)
        proc = subprocess.run([sys.executable, str(Path(__file__).parent / "kill_after_store.py"), AS_OF.isoformat()],
                              cwd=REPO, env=daily_env, capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 9, proc.stderr[-2000:]
        assert "STORED 2" in proc.stdout
        assert rx.received == []
        assert {a.status for a in store.list_alerts(engine, AS_OF)} == {"pending"}

        daily(AS_OF)  # the next run delivers what was stored
        assert len(rx.received) == 3
        daily(AS_OF)
        assert len(rx.received) == 3
    assert sorted(t.split(":")[0] for t in titles(rx)) == ["Loss limit hit", "Stop loss hit", "quantops daily summary 2025-01-13"]


def test_an_unreachable_target_leaves_the_flow_completed_and_the_alert_pending(book, short_tmp, monkeypatch):
    engine, *_ = book
    port = free_port()
    down = f"json://relay:s3cr3t-t0ken@127.0.0.1:{port}/hook"
    with JsonReceiver() as up:
        configure(monkeypatch, write_source(short_tmp / "src"), [down, up.url()])
        state = daily(AS_OF, return_state=True)
        assert state.is_completed()
        assert len(up.received) == 3
        alerts = store.list_alerts(engine, AS_OF)
        assert {a.status for a in alerts} == {"failed"}
        assert all("s3cr3t-t0ken" not in (a.last_error or "") and f"127.0.0.1:{port}" in a.last_error for a in alerts)
        failed = [d for d in store.deliveries(engine) if d.status == "failed"]
        assert len(failed) == 3 and all("s3cr3t" not in d.target for d in failed)

        with JsonReceiver(port=port) as back:  # the target is back: the next run retries it, once
            daily(AS_OF)
            assert len(back.received) == 3 and len(up.received) == 3
            daily(AS_OF)
            assert len(back.received) == 3
    assert {a.status for a in store.list_alerts(engine, AS_OF)} == {"sent"}


def test_a_bad_quotes_file_writes_nothing_and_the_failure_alerts(book, short_tmp, monkeypatch):
    engine, *_ = book
    with JsonReceiver() as rx:
        configure(monkeypatch, write_source(short_tmp / "src", bad_quote=True), [rx.url()])
        state = daily(AS_OF, return_state=True)
        assert state.is_failed()
        assert len(rx.received) == 1
        alert = rx.received[0]
    assert alert["title"].startswith("quantops: daily-2025-01-13 failed: ") and alert["type"] == "failure"
    assert "rejected" in alert["title"]  # the reason, not just "failed"
    assert "TLT_2025-01-13.csv" in alert["message"]
    with engine.connect() as c:
        for table in (OptionQuote, DailyBar, MarkRow, DailyNavRow):
            assert c.scalar(select(func.count()).select_from(table)) == 0, table.__tablename__
