"""The daily flow and `quantops data fetch` against loopback vendors (Tiingo, Yahoo, FRED, Cboe), end to end,
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from flows.cli.errors import EXIT_SERVICE_DOWN
from flows.cli.main import app
from flows.daily import daily
from flows.market_data import market_data
from infra.db.engine import get_engine
from infra.db.models.market import DailyBar, MarketRevision, OptionQuote, YieldObservation
from infra.db.models.portfolio import AlertRow
from infra.market_store import load_adjusted_bars
from infra.settings import CONFIG_DIR, get_settings, reset_settings_cache
from tests.conftest import real_data
from tests.infra.vendor_data import fred_values, index_bars, raw_bars
from tests.infra.vendor_fakes import (
    Reply,
    VendorServer,
    cboe_json,
    cboe_option,
    fred_csv,
    json_reply,
    tiingo_json,
    yahoo_json,
)

KEY = "tiingo-key-0123456789abcdef"
SERIES = ("DGS10", "DGS20", "DGS30")
CONFIG = """
bars: {symbols: [SPY, TLT, ^VIX]}
yields: {series: [DGS10, DGS20, DGS30], lag_sessions: 1}
options: {underlyings: [TLT]}
refetch_days: 7
http: {timeout_seconds: 2, attempts: 2, backoff_seconds: 0.05, max_retry_after_seconds: 5}
publication: {wait_minutes: %s, poll_minutes: 0.02}
"""


def serve_vendors(server: VendorServer, end: str = "2024-07-12") -> None:
    for symbol in ("SPY", "TLT"):  # a vendor that never adjusts: adjClose = close, ignored anyway
        server.serve(f"/tiingo/{symbol.lower()}/prices", tiingo_json(raw_bars(symbol, "2024-05-01", end)))
    server.serve("/yahoo/^VIX", yahoo_json("^VIX", index_bars("2024-05-01", end)))
    csvs = {s: fred_csv(s, fred_values(s, "2024-05-01", end)) for s in SERIES}
    server.serve("/fred", lambda q: csvs[q["id"]](q))
    chain = [cboe_option("TLT", dt.date(2024, 8, 16), "P", 88.0, 0.80, 0.85, 0.162, -0.30),
             cboe_option("TLT", dt.date(2024, 8, 16), "C", 92.0, 0.60, 0.64, 0.150, 0.28)]
    server.serve("/cboe/TLT.json", cboe_json("TLT", "2024-07-01 16:15:02", 89.91, chain))


@pytest.fixture
def vendors(app_env, tmp_path, monkeypatch):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    (config / "market_data.yaml").write_text(CONFIG % 0.05)
    with VendorServer() as server:
        serve_vendors(server)
        for name, value in {"DATA_SOURCE": "live", "TIINGO_API_KEY": KEY, "CONFIG_DIR": str(config),
                            "TIINGO_URL": f"{server.url}/tiingo", "YAHOO_URL": f"{server.url}/yahoo",
                            "FRED_URL": f"{server.url}/fred", "CBOE_URL": f"{server.url}/cboe"}.items():
            monkeypatch.setenv(f"QUANTOPS_{name}", value)
        monkeypatch.delenv("QUANTOPS_FRED_API_KEY", raising=False)
        reset_settings_cache()
        yield server
    reset_settings_cache()


def test_the_daily_flow_runs_on_live_vendors_end_to_end(app_env, vendors):
    engine = get_engine(app_env)
    for day in (dt.date(2024, 6, 28), dt.date(2024, 7, 1), dt.date(2024, 7, 2)):
        assert daily(as_of=day)["status"] == "completed"
    with engine.connect() as conn:
        bars = pd.DataFrame(conn.execute(select(DailyBar.symbol, DailyBar.date, DailyBar.close, DailyBar.adj_close,
                                                DailyBar.dividend, DailyBar.source)).all())
        yields = conn.execute(select(YieldObservation.series, YieldObservation.date)).all()
        quotes = conn.execute(select(OptionQuote.strike, OptionQuote.quote_date, OptionQuote.source)).all()
    assert set(bars["symbol"]) == {"SPY", "TLT", "^VIX"}
    assert set(bars.groupby("symbol")["source"].first()) == {"tiingo", "yahoo"}
    assert bars["date"].max() == dt.date(2024, 7, 2) and bars["date"].min() == dt.date(2024, 6, 21)  # 7-day windows
    tlt = bars[bars["symbol"] == "TLT"].set_index("date")
    assert tlt.loc[dt.date(2024, 7, 1), "close"] == pytest.approx(89.910004)  # raw, for the option strikes
    assert tlt.loc[dt.date(2024, 7, 1), "dividend"] == pytest.approx(0.290994, abs=1e-6)
    assert {s for s, _ in yields} == set(SERIES) and max(d for _, d in yields) == dt.date(2024, 7, 2)
    assert sorted(q.strike for q in quotes) == [88.0, 92.0] and {q.source for q in quotes} == {"cboe"}
    # the vendor never adjusted, yet the ex-date's total return is right (no artificial drop)
    ours = load_adjusted_bars(engine, "TLT", dt.date(2024, 7, 2))["close"].pct_change()
    etf = pd.read_csv(real_data("etf/TLT.csv"), parse_dates=["Date"]).set_index("Date")["Close"].pct_change()
    assert tlt.loc[dt.date(2024, 7, 1), "close"] / tlt.loc[dt.date(2024, 6, 28), "close"] - 1 < -0.02  # raw drop
    assert abs(ours[pd.Timestamp("2024-07-01")] - etf[pd.Timestamp("2024-07-01")]) < 1e-4
    assert all(KEY not in str(query) + path for path, query, _ in vendors.requests)


def test_a_vendor_revision_seen_by_a_later_run_is_recorded(app_env, vendors):
    market_data(dt.date(2024, 7, 1))
    revised = raw_bars("TLT", "2024-05-01", "2024-07-12")
    revised.loc[revised["date"] == "2024-06-27", "close"] = 93.45  # within that day's low/high
    vendors.serve("/tiingo/tlt/prices", tiingo_json(revised))
    result = market_data(dt.date(2024, 7, 2))
    assert result["revisions"] == 1
    with get_engine(app_env).connect() as conn:
        row = conn.execute(select(MarketRevision.__table__)).one()
    assert (row.key, row.field, row.new_value, row.source) == ("TLT 2024-06-27", "close", 93.45, "tiingo")


def test_a_day_not_yet_published_is_waited_for(app_env, vendors, monkeypatch):
    config = get_settings().config_dir / "market_data.yaml"
    config.write_text(CONFIG % 2)  # at most 2 minutes; the vendor publishes on the third poll (~2 s)
    calls = {"n": 0}
    late = tiingo_json(raw_bars("TLT", "2024-05-01", "2024-07-01"))
    full = tiingo_json(raw_bars("TLT", "2024-05-01", "2024-07-12"))

    def publishes_on_the_third_call(query):
        calls["n"] += 1
        return (late if calls["n"] < 3 else full)(query)

    vendors.serve("/tiingo/tlt/prices", publishes_on_the_third_call)
    vendors.serve("/cboe/TLT.json", cboe_json("TLT", "2024-07-02 16:15:00", 90.61,
                                              [cboe_option("TLT", dt.date(2024, 8, 16), "P", 88.0, 0.5, 0.55, 0.15, -0.2)]))
    result = market_data(dt.date(2024, 7, 2), wait=True)
    assert calls["n"] == 3 and result["rows"]["options"] == 1
    with get_engine(app_env).connect() as conn:
        assert conn.execute(select(DailyBar.close).where(DailyBar.symbol == "TLT", DailyBar.date == dt.date(2024, 7, 2))
                            ).scalar_one() == pytest.approx(90.610001)
        assert conn.execute(select(AlertRow)).first() is None


def test_still_missing_after_the_window_raises_the_freshness_alert(app_env, vendors):
    vendors.serve("/tiingo/tlt/prices", tiingo_json(raw_bars("TLT", "2024-05-01", "2024-07-01")))
    result = market_data(dt.date(2024, 7, 2), wait=True)  # waits 3 s (wait_minutes 0.05), then goes on
    assert result["written"]["bars"] > 0  # what arrived is stored
    with get_engine(app_env).connect() as conn:
        alert = conn.execute(select(AlertRow.kind, AlertRow.severity, AlertRow.title)).one()
    assert alert.kind == "market_data_late" and alert.severity == "critical"
    assert alert.title == "market data for 2024-07-02 not published: tiingo TLT, cboe TLT"


def test_data_fetch_backfills_history_with_a_progress_bar(app_env, vendors):
    runner = CliRunner()
    result = runner.invoke(app, ["data", "fetch", "--kind", "bars", "--start", "2024-05-01", "--end", "2024-07-12",
                                 "--symbols", "TLT,SPY"])
    assert result.exit_code == 0, result.output
    assert "bars 2024-05-01..2024-07-12 from bars=tiingo,yields=fred,options=cboe: 2 name(s), 100 row(s), " \
           "100 new or changed, 0 vendor revision(s)" in " ".join(result.output.split())
    again = runner.invoke(app, ["data", "fetch", "--kind", "yields", "--start", "2024-07-01", "--end", "2024-07-12"])
    assert again.exit_code == 0 and "3 name(s), 27 row(s), 27 new or changed" in " ".join(again.output.split())


def test_data_fetch_failure_is_one_line_naming_provider_and_series(app_env, vendors):
    vendors.serve("/tiingo/spy/prices", lambda q: Reply(500, b"oops"))
    result = CliRunner().invoke(app, ["data", "fetch", "--kind", "bars", "--start", "2024-07-01", "--end",
                                      "2024-07-02", "--symbols", "SPY"])
    assert result.exit_code == EXIT_SERVICE_DOWN  # a vendor that does not deliver is an outside service down
    assert result.output.strip().splitlines()[-1] == "error: tiingo SPY: HTTP 500 after 2 attempt(s)"
    vendors.serve("/tiingo/spy/prices", lambda q: json_reply({"detail": "Invalid token."}, 401))
    result = CliRunner().invoke(app, ["data", "fetch", "--kind", "bars", "--start", "2024-07-01", "--end",
                                      "2024-07-02", "--symbols", "SPY"])
    assert result.output.strip().splitlines()[-1] == "error: tiingo SPY: HTTP 401 Unauthorized" and KEY not in result.output
