"""PostgreSQL bulk loads: indexes and foreign keys set aside and rebuilt, and all of it undone on failure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, text

import infra.db.upsert as upsert_module
from infra.db.models.market import DailyBar, Instrument
from infra.db.upsert import ensure_present, upsert_frame

KEYS = ["symbol", "date"]
pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@pytest.fixture(autouse=True)
def small_bulk_threshold(monkeypatch):
    monkeypatch.setattr(upsert_module, "BULK_MIN_ROWS", 10)


def bars(symbols: list[str], days: int = 20) -> pd.DataFrame:
    dates = pd.bdate_range("2024-07-01", periods=days)
    frames = []
    for i, symbol in enumerate(symbols):
        close = 10.0 * (i + 1) + np.arange(days) / 7.0
        frames.append(pd.DataFrame({"symbol": symbol, "date": dates, "open": close, "high": close + 1,
                                    "low": close - 1, "close": close, "adj_close": close, "volume": 1e6,
                                    "source": "test"}))
    return pd.concat(frames, ignore_index=True)


def schema_of(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        constraints = conn.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'daily_bars'::regclass"
        )).all()
        indexes = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'daily_bars'")).all()
    return sorted(map(tuple, constraints + indexes))


def load(engine, frame: pd.DataFrame) -> int:
    with engine.begin() as conn:
        ensure_present(conn, Instrument.__table__, [{"symbol": s} for s in frame["symbol"].unique()], ["symbol"])
        return upsert_frame(conn, DailyBar.__table__, frame, KEYS)


def test_bulk_load_rebuilds_every_key_index_and_foreign_key(engine):
    before = schema_of(engine)
    assert any("FOREIGN KEY" in d for _, d in before) and any("PRIMARY KEY" in d for _, d in before)
    assert load(engine, bars(["AAA", "BBB"])) == 40
    assert schema_of(engine) == before
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DailyBar)) == 40
        # the planner has statistics for the table it just filled
        assert conn.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'daily_bars'")) == 40


def test_bulk_reload_updates_changed_rows_and_adds_new_ones(engine):
    load(engine, bars(["AAA", "BBB"]))
    again = bars(["AAA", "BBB", "CCC"])
    again.loc[3, "close"] = 10.5
    assert load(engine, again) == 1 + 20
    assert load(engine, again) == 0
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DailyBar)) == 60
        assert conn.scalar(select(DailyBar.close).where(DailyBar.symbol == "AAA", DailyBar.date == again.loc[3, "date"])) \
            == 10.5


def test_a_bulk_load_that_breaks_a_foreign_key_leaves_table_and_indexes_as_they_were(engine):
    load(engine, bars(["AAA"]))
    before = schema_of(engine)
    orphan = bars(["ZZZ"])  # no instruments row: the rebuilt foreign key refuses the whole load
    with pytest.raises(Exception, match="fk_daily_bars_symbol_instruments"):
        with engine.begin() as conn:
            upsert_frame(conn, DailyBar.__table__, orphan, KEYS)
    assert schema_of(engine) == before
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DailyBar)) == 20


def test_small_batches_into_a_big_table_and_referenced_tables_keep_their_indexes(engine):
    load(engine, bars(["AAA", "BBB", "CCC", "DDD", "EEE"]))  # 100 rows stored
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        assert not upsert_module._worth_rebuilding_indexes(cursor, "daily_bars", 20)  # 100 > 4 x 20
        assert upsert_module._worth_rebuilding_indexes(cursor, "daily_bars", 30)
        assert not upsert_module._worth_rebuilding_indexes(cursor, "instruments", 10_000)  # daily_bars refers to it
        assert not upsert_module._worth_rebuilding_indexes(cursor, "daily_bars", 9)  # under BULK_MIN_ROWS
