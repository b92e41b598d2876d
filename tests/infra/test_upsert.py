"""Bulk upserts on SQLite and PostgreSQL: idempotent, only changed rows rewritten, values round-trip exactly."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import infra.db.pgcopy as pgcopy
import infra.db.upsert as upsert_module
from infra.db.models.market import DailyBar, Instrument, OptionQuote, YieldObservation
from infra.db.upsert import ensure_present, upsert_frame

BAR_KEYS = ["symbol", "date"]


def bars(n: int = 5, symbol: str = "AAA", source: str = "test") -> pd.DataFrame:
    dates = pd.bdate_range("2024-07-01", periods=n)
    close = 100.0 + np.arange(n) / 3.0
    return pd.DataFrame({"symbol": symbol, "date": dates, "open": close, "high": close + 1, "low": close - 1,
                         "close": close, "adj_close": close * 0.99, "volume": np.arange(n) * 1000.0, "source": source})


def stored(engine, table=DailyBar.__table__) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(table)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows])
    return frame.sort_values([c for c in frame.columns if c != "id"][:2]).reset_index(drop=True)


def upsert(engine, frame, table=DailyBar.__table__, keys=BAR_KEYS) -> int:
    with engine.begin() as conn:
        ensure_present(conn, Instrument.__table__, [{"symbol": s} for s in frame[keys[0]].unique()], ["symbol"])
        return upsert_frame(conn, table, frame, keys)


def test_insert_then_same_rows_again_writes_nothing(engine):
    frame = bars(5)
    assert upsert(engine, frame) == 5
    first = stored(engine)
    assert upsert(engine, frame) == 0
    pd.testing.assert_frame_equal(stored(engine), first)
    assert first["date"].tolist() == [d.date() for d in frame["date"]]


def yields(n: int = 5, value: float = 4.0) -> pd.DataFrame:
    return pd.DataFrame({"series": "DGS10", "date": pd.bdate_range("2024-07-01", periods=n),
                         "value": value + np.arange(n) / 100.0, "source": "test"})


def test_only_changed_rows_are_rewritten_and_new_ones_added(engine):
    table, keys = YieldObservation.__table__, ["series", "date"]
    with engine.begin() as conn:
        assert upsert_frame(conn, table, yields(5), keys) == 5
    ids = stored(engine, table).set_index("date")["id"]
    changed = yields(7)
    changed.loc[2, "value"] = 4.5
    with engine.begin() as conn:
        assert upsert_frame(conn, table, changed, keys) == 3  # one changed + two new
    after = stored(engine, table).set_index("date")
    assert after.loc[dt.date(2024, 7, 3), "value"] == 4.5
    assert (after["id"].loc[ids.index] == ids).all()  # updated in place, not deleted and re-inserted
    assert len(after) == 7


def test_values_round_trip_exactly(engine):
    frame = bars(4)
    frame["close"] = [0.1 + 0.2, 1 / 3, 1e-300 + 5, 123456789.12345679]
    frame["high"] = frame["close"] + 1
    frame["low"] = frame["close"] - 1e-9
    frame["source"] = ['file:a,b.csv', 'say "hi"', "multi\nline", "ünï"]
    upsert(engine, frame)
    back = stored(engine)
    assert back["close"].tolist() == frame["close"].tolist()  # bit for bit
    assert back["low"].tolist() == frame["low"].tolist()
    assert back["source"].tolist() == frame["source"].tolist()
    assert upsert(engine, frame) == 0


def test_missing_values_become_null(engine):
    quotes = pd.DataFrame({
        "underlying": "TLT", "quote_date": pd.Timestamp("2024-07-01"), "quote_time": [None, "15:45"],
        "underlying_price": 92.5, "option_type": ["put", "call"], "expiration": pd.Timestamp("2024-08-16"),
        "strike": [90.0, 95.0], "bid": [0.8, 0.6], "ask": [0.85, 0.64], "implied_vol": [0.16, 0.15],
        "delta": [-0.3, 0.28], "gamma": [np.nan, 0.04], "theta": [np.nan, -0.02], "vega": [np.nan, 0.1],
        "volume": [np.nan, 80.0], "open_interest": [np.inf, 2100.0], "source": "test",
    })
    keys = ["underlying", "quote_date", "expiration", "strike", "option_type"]
    assert upsert(engine, quotes, OptionQuote.__table__, keys) == 2
    with engine.connect() as conn:
        put = conn.execute(select(OptionQuote).where(OptionQuote.option_type == "put")).one()
        call = conn.execute(select(OptionQuote).where(OptionQuote.option_type == "call")).one()
    assert (put.quote_time, put.gamma, put.theta, put.vega, put.volume) == (None, None, None, None, None)
    assert (call.quote_time, call.gamma, call.open_interest) == ("15:45", 0.04, 2100.0)
    assert put.expiration == dt.date(2024, 8, 16)
    assert upsert(engine, quotes, OptionQuote.__table__, keys) == 0  # NULL == NULL counts as unchanged


def test_large_frames_are_written_in_chunks(engine, monkeypatch):
    monkeypatch.setattr(pgcopy, "ROWS_PER_WRITE", 3)
    monkeypatch.setattr(upsert_module, "SQLITE_CHUNK_ROWS", 3)
    frame = pd.concat([bars(10, "AAA"), bars(10, "BBB")], ignore_index=True)
    assert upsert(engine, frame) == 20
    assert len(stored(engine)) == 20
    assert upsert(engine, frame) == 0


def test_two_upserts_in_one_transaction(engine):
    with engine.begin() as conn:
        ensure_present(conn, Instrument.__table__, [{"symbol": "AAA"}, {"symbol": "BBB"}], ["symbol"])
        assert upsert_frame(conn, DailyBar.__table__, bars(3, "AAA"), BAR_KEYS) == 3
        assert upsert_frame(conn, DailyBar.__table__, bars(4, "BBB"), BAR_KEYS) == 4
    assert len(stored(engine)) == 7


def test_a_failed_transaction_leaves_nothing(engine):
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            ensure_present(conn, Instrument.__table__, [{"symbol": "AAA"}], ["symbol"])
            upsert_frame(conn, DailyBar.__table__, bars(3), BAR_KEYS)
            raise RuntimeError("boom")
    with engine.connect() as conn:
        assert conn.execute(select(DailyBar)).all() == []
        assert conn.execute(select(Instrument)).all() == []


def test_empty_frame_writes_nothing(engine):
    with engine.begin() as conn:
        assert upsert_frame(conn, DailyBar.__table__, bars(0), BAR_KEYS) == 0


def test_ensure_present_never_overwrites(engine):
    with engine.begin() as conn:
        ensure_present(conn, Instrument.__table__, [{"symbol": "TLT", "asset_class": "etf"}], ["symbol"])
        ensure_present(conn, Instrument.__table__, [{"symbol": "TLT", "asset_class": "equity"},
                                                    {"symbol": "XYZ", "asset_class": "equity"}], ["symbol"])
        ensure_present(conn, Instrument.__table__, [], ["symbol"])
    with engine.connect() as conn:
        assert dict(conn.execute(select(Instrument.symbol, Instrument.asset_class)).all()) == \
            {"TLT": "etf", "XYZ": "equity"}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_concurrent_writers_of_the_same_new_rows_both_succeed(engine):
    import threading
    import time

    with engine.begin() as conn:
        ensure_present(conn, Instrument.__table__, [{"symbol": "AAA"}], ["symbol"])
    first_holds_its_lock = threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        with engine.begin() as conn:
            results["first"] = upsert_frame(conn, DailyBar.__table__, bars(10), BAR_KEYS)
            first_holds_its_lock.set()
            time.sleep(0.5)  # the second writer arrives while this transaction is still open

    def second() -> None:
        first_holds_its_lock.wait()
        overlapping = bars(15, source="second")
        try:
            with engine.begin() as conn:
                results["second"] = upsert_frame(conn, DailyBar.__table__, overlapping, BAR_KEYS)
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            results["second"] = exc

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"first": 10, "second": 15}  # waited, then rewrote the ten (new source) and added five
    assert set(stored(engine)["source"]) == {"second"}
