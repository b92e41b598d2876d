"""Live providers against loopback servers in the vendors' documented formats, faults included."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest

from infra.providers import ProviderError, RetryPolicy
from infra.providers.cboe import CboeDelayed, parse_occ
from infra.providers.fred import FredApi, FredCsv
from infra.providers.tiingo import Tiingo
from infra.providers.yahoo import Yahoo
from infra.validation import find_violations
from tests.infra.vendor_data import fred_values, raw_bars
from tests.infra.vendor_fakes import (
    Reply,
    VendorServer,
    cboe_json,
    cboe_option,
    csv_reply,
    fred_csv,
    fred_json,
    json_reply,
    tiingo_json,
    yahoo_json,
)

FAST = RetryPolicy(timeout_seconds=1.0, attempts=3, backoff_seconds=0.05, max_retry_after_seconds=5)
KEY = "s3cr3t-key-0123456789"
TODAY = dt.date(2024, 12, 31)


@pytest.fixture
def server():
    with VendorServer() as running:
        yield running


def test_fred_csv_rows_in_range_and_holidays_left_out(server):
    server.serve("/fredgraph.csv", fred_csv("DGS20", fred_values("DGS20", "2024-06-01", "2024-07-31")))
    [batch] = FredCsv(f"{server.url}/fredgraph.csv", FAST).fetch(["DGS20"], dt.date(2024, 7, 1), dt.date(2024, 7, 8))
    frame = batch.frame
    assert list(frame["date"].dt.strftime("%Y-%m-%d")) == ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05",
                                                            "2024-07-08"]  # 07-04 is blank (Independence Day)
    assert frame["value"].iloc[0] == pytest.approx(4.76)  # data/sample/yields/DGS20.csv, FRED
    assert batch.source == "fred" and batch.path == "fred:DGS20"
    assert not find_violations("yields", frame, batch.path, TODAY)
    _, query, _ = server.requests[-1]
    assert query == {"id": "DGS20", "cosd": "2024-07-01", "coed": "2024-07-08"}


def test_fred_api_is_used_with_a_key_that_never_reaches_an_error(server):
    server.serve("/obs", fred_json(fred_values("DGS30", "2024-07-01", "2024-07-10")))
    [batch] = FredApi(KEY, f"{server.url}/obs", FAST).fetch(["DGS30"], dt.date(2024, 7, 1), dt.date(2024, 7, 10))
    assert len(batch.frame) == 7 and batch.source == "fred-api"
    assert server.requests[-1][1]["api_key"] == KEY and server.requests[-1][1]["file_type"] == "json"
    server.serve("/obs", lambda q: Reply(400, f"Bad Request. The value for variable api_key={KEY} is not valid".encode()))
    with pytest.raises(ProviderError) as failure:
        FredApi(KEY, f"{server.url}/obs", FAST).fetch(["DGS30"], dt.date(2024, 7, 1), dt.date(2024, 7, 10))
    assert str(failure.value) == "fred-api DGS30: HTTP 400 Bad Request"
    assert KEY not in str(failure.value)


def test_429_retry_after_is_honoured(server):
    server.serve("/fredgraph.csv", fred_csv("DGS10", fred_values("DGS10", "2024-07-01", "2024-07-03")))
    server.queue("/fredgraph.csv", Reply(429, b"Too Many Requests", {"Retry-After": "1"}))
    started = time.monotonic()
    [batch] = FredCsv(f"{server.url}/fredgraph.csv", FAST).fetch(["DGS10"], dt.date(2024, 7, 1), dt.date(2024, 7, 3))
    assert time.monotonic() - started >= 1.0  # waited what the server asked, not the 0.05 s backoff
    assert len(batch.frame) == 3 and server.hits("/fredgraph.csv") == 2


def test_a_429_asking_for_too_long_fails_naming_provider_and_series(server):
    server.queue("/fredgraph.csv", Reply(429, b"", {"Retry-After": "3600"}))
    with pytest.raises(ProviderError, match=r"^fred DGS10: HTTP 429 \(rate limited\), asked to wait 3600 s"):
        FredCsv(f"{server.url}/fredgraph.csv", FAST).fetch(["DGS10"], dt.date(2024, 7, 1), dt.date(2024, 7, 3))


def test_500s_are_retried_then_reported(server):
    server.serve("/fredgraph.csv", lambda q: Reply(500, b"Internal Server Error"))
    with pytest.raises(ProviderError, match=r"^fred DGS10: HTTP 500 after 3 attempt\(s\)$"):
        FredCsv(f"{server.url}/fredgraph.csv", FAST).fetch(["DGS10"], dt.date(2024, 7, 1), dt.date(2024, 7, 3))
    assert server.hits("/fredgraph.csv") == 3
    server.serve("/fredgraph.csv", fred_csv("DGS10", fred_values("DGS10", "2024-07-01", "2024-07-03")))
    server.queue("/fredgraph.csv", Reply(500), Reply(503))
    [batch] = FredCsv(f"{server.url}/fredgraph.csv", FAST).fetch(["DGS10"], dt.date(2024, 7, 1), dt.date(2024, 7, 3))
    assert len(batch.frame) == 3


def test_a_timeout_is_retried(server):
    handler = fred_csv("DGS10", fred_values("DGS10", "2024-07-01", "2024-07-03"))
    server.serve("/fredgraph.csv", handler)
    slow = handler({"cosd": "2024-07-01", "coed": "2024-07-03"})
    slow.delay = 2.0
    server.queue("/fredgraph.csv", slow)
    [batch] = FredCsv(f"{server.url}/fredgraph.csv", FAST).fetch(["DGS10"], dt.date(2024, 7, 1), dt.date(2024, 7, 3))
    assert len(batch.frame) == 3 and server.hits("/fredgraph.csv") == 2
    server.serve("/fredgraph.csv", lambda q: Reply(200, b"x", delay=2.0))
    with pytest.raises(ProviderError, match=r"^fred DGS10: no answer within 1 s after 3 attempt\(s\)$"):
        FredCsv(f"{server.url}/fredgraph.csv", FAST).fetch(["DGS10"], dt.date(2024, 7, 1), dt.date(2024, 7, 3))


def test_a_truncated_body_is_never_parsed_as_data(server):
    bars = raw_bars("TLT", "2024-06-24", "2024-07-03")
    handler = tiingo_json(bars)
    server.serve("/daily/tlt/prices", handler)
    full = handler({"startDate": "2024-06-24", "endDate": "2024-07-03"})
    cut = Reply(200, full.body, full.headers, cut_to=len(full.body) // 2)  # Content-Length promises more
    server.queue("/daily/tlt/prices", cut)
    [batch] = Tiingo(KEY, f"{server.url}/daily", FAST).fetch(["TLT"], dt.date(2024, 6, 24), dt.date(2024, 7, 3))
    assert len(batch.frame) == len(bars) == 8
    # a body that is complete by its length but not the documented layout is retried too
    server.queue("/daily/tlt/prices", json_reply({"detail": "maintenance"}))
    [batch] = Tiingo(KEY, f"{server.url}/daily", FAST).fetch(["TLT"], dt.date(2024, 6, 24), dt.date(2024, 7, 3))
    assert len(batch.frame) == 8
    server.serve("/fredgraph.csv", lambda q: csv_reply("observation_date,DGS10\n2024-07-01,4.4\n2024-07-0"))
    with pytest.raises(ProviderError, match=r"^fred DGS10: malformed response"):
        FredCsv(f"{server.url}/fredgraph.csv", FAST).fetch(["DGS10"], dt.date(2024, 7, 1), dt.date(2024, 7, 3))


def test_tiingo_raw_bars_with_actions_and_the_key_only_in_a_header(server):
    server.serve("/daily/tlt/prices", tiingo_json(raw_bars("TLT", "2024-06-24", "2024-07-03")))
    [batch] = Tiingo(KEY, f"{server.url}/daily", FAST).fetch(["TLT"], dt.date(2024, 6, 24), dt.date(2024, 7, 3))
    frame = batch.frame.set_index(batch.frame["date"].dt.strftime("%Y-%m-%d"))
    assert frame.loc["2024-07-01", "close"] == pytest.approx(89.910004)  # raw, as traded
    assert frame.loc["2024-07-01", "dividend"] == pytest.approx(0.290994, abs=1e-6)
    assert (frame["split_ratio"] == 1.0).all() and str(frame["symbol"].iat[0]) == "TLT"
    path, query, headers = server.requests[-1]
    assert headers["Authorization"] == f"Token {KEY}" and KEY not in path + str(query)
    assert query == {"startDate": "2024-06-24", "endDate": "2024-07-03"}


def test_tiingo_unknown_ticker_and_an_empty_day(server):
    with pytest.raises(ProviderError) as failure:
        Tiingo(KEY, f"{server.url}/daily", FAST).fetch(["NOPE"], dt.date(2024, 7, 1), dt.date(2024, 7, 1))
    assert str(failure.value) == "tiingo NOPE: HTTP 404 Not Found"
    server.serve("/daily/tlt/prices", lambda q: json_reply([]))  # the day is not published yet
    assert Tiingo(KEY, f"{server.url}/daily", FAST).fetch(["TLT"], dt.date(2024, 7, 1), dt.date(2024, 7, 1)) == []


def test_yahoo_prices_are_unsplit_back_to_as_traded(server):
    bars = raw_bars("TLT", "2024-06-24", "2024-07-03")
    bars.loc[bars["date"] >= "2024-07-02", ["open", "high", "low", "close"]] /= 2  # a 2-for-1 split on 07-02
    bars.loc[bars["date"] >= "2024-07-02", "volume"] *= 2
    bars.loc[bars["date"] == "2024-07-02", "split_ratio"] = 2.0
    server.serve("/chart/TLT", yahoo_json("TLT", bars))
    [batch] = Yahoo(f"{server.url}/chart", FAST, today=dt.date(2024, 7, 3)).fetch(
        ["TLT"], dt.date(2024, 6, 24), dt.date(2024, 7, 3))
    got = batch.frame
    assert list(got["date"].dt.strftime("%Y-%m-%d")) == list(bars["date"])
    assert np.allclose(got["close"], bars["close"], rtol=1e-12)
    assert np.allclose(got["volume"], bars["volume"], rtol=1e-12)
    assert np.allclose(got["dividend"], bars["dividend"], rtol=1e-12, atol=1e-12)
    assert list(got["split_ratio"]) == list(bars["split_ratio"])


def test_cboe_chain_is_the_days_snapshot_in_the_quotes_layout(server):
    expiry = dt.date(2025, 1, 17)
    options = [cboe_option("TLT", expiry, "P", 85.0, 0.80, 0.85, 0.162, -0.30),
               cboe_option("TLT", expiry, "C", 90.5, 0.60, 0.64, 0.150, 0.28),
               cboe_option("TLT1", expiry, "C", 90.0, 1.0, 1.1, 0.15, 0.5),  # adjusted contract: left out
               cboe_option("TLT", dt.date(2024, 12, 31), "C", 87.0, 0.3, 0.35, 0.2, 0.5)]  # expires today: left out
    server.serve("/options/TLT.json", cboe_json("TLT", "2024-12-31 16:15:02", 87.33, options))
    cboe = CboeDelayed(f"{server.url}/options", FAST)
    [batch] = cboe.fetch(["TLT"], TODAY, TODAY)
    frame = batch.frame
    assert list(frame["option_type"]) == ["put", "call"] and list(frame["strike"]) == [85.0, 90.5]
    assert frame["implied_vol"].tolist() == [0.162, 0.150] and (frame["underlying_price"] == 87.33).all()
    assert (frame["quote_date"] == pd.Timestamp(TODAY)).all() and frame["quote_time"].iat[0] == "16:15"
    assert frame["open_interest"].tolist() == [100.0, 100.0]
    assert not find_violations("options", frame, batch.path, TODAY)
    assert cboe.fetch(["TLT"], dt.date(2024, 12, 30), dt.date(2024, 12, 30)) == []  # not that day's snapshot
    with pytest.raises(ProviderError, match="only the latest snapshot"):
        cboe.fetch(["TLT"], dt.date(2024, 1, 2), dt.date(2024, 12, 30))
    assert parse_occ("SPY150117C00200000") == ("SPY", dt.date(2015, 1, 17), "call", 200.0)


def test_a_bad_corporate_action_is_refused_by_the_bars_model(server):
    bars = raw_bars("TLT", "2024-06-24", "2024-07-03")
    bars.loc[bars["date"] == "2024-06-26", "dividend"] = -0.3
    bars.loc[bars["date"] == "2024-06-27", "split_ratio"] = 0.0
    server.serve("/daily/tlt/prices", tiingo_json(bars))
    [batch] = Tiingo(KEY, f"{server.url}/daily", FAST).fetch(["TLT"], dt.date(2024, 6, 24), dt.date(2024, 7, 3))
    frame = batch.frame.assign(adj_close=batch.frame["close"])
    assert find_violations("bars", frame, batch.path, TODAY).summary(batch.path) == (
        "tiingo:TLT: rejected, 2 bad row(s): row 3 (dividend: must not be negative), "
        "row 4 (split_ratio: must be positive); nothing written")


def test_yields_are_expected_a_session_late_and_not_on_bond_market_holidays():
    from infra.providers import source_from_settings
    from infra.settings import Settings

    source = source_from_settings(Settings(data_source="bars=yahoo,yields=fred,options=cboe"))
    assert source.expected_day("bars", dt.date(2024, 7, 2)) == dt.date(2024, 7, 2)
    assert source.expected_day("yields", dt.date(2024, 7, 2)) == dt.date(2024, 7, 1)
    assert source.expected_day("yields", dt.date(2024, 7, 5)) == dt.date(2024, 7, 3)  # 07-04: NYSE closed
    # Columbus Day 2024-10-14 and Veterans Day 2024-11-11: NYSE open, no FRED yield (data/sample/yields)
    assert source.expected_day("yields", dt.date(2024, 10, 15)) == dt.date(2024, 10, 11)
    assert source.expected_day("yields", dt.date(2024, 11, 12)) == dt.date(2024, 11, 8)
    blank = fred_values("DGS10", "2024-10-14", "2024-10-14")["value"].iat[0], \
        fred_values("DGS10", "2024-11-11", "2024-11-11")["value"].iat[0]
    assert blank == (None, None)
