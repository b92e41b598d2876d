"""Binary COPY payloads: every column type the application uses arrives in PostgreSQL exactly as sent."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)

from infra.db.pgcopy import binary_copy_chunks

ON_POSTGRES = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)

TABLE = Table(
    "copy_probe", MetaData(),
    Column("i", Integer), Column("b", BigInteger), Column("f", Float), Column("d", Date),
    Column("ts", DateTime(timezone=True)), Column("s", String(10)), Column("x", Text), Column("blob", LargeBinary),
    Column("ok", Boolean), Column("j", JSON),
)
DDL = ("CREATE TEMP TABLE copy_probe (i int, b bigint, f float8, d date, ts timestamptz, s varchar(10), x text, "
       "blob bytea, ok boolean, j json) ON COMMIT DROP")


def copy_and_read(engine, frame: pd.DataFrame) -> list[tuple]:
    with engine.begin() as conn:
        conn.execute(text(DDL))
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy("COPY copy_probe FROM STDIN (FORMAT BINARY)") as copy:
            for chunk in binary_copy_chunks(frame, TABLE):
                copy.write(chunk)
        conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))
        return [tuple(r) for r in conn.execute(text("SELECT * FROM copy_probe ORDER BY i NULLS LAST")).all()]


@ON_POSTGRES
def test_every_type_round_trips_and_missing_values_are_null(engine):
    frame = pd.DataFrame({
        "i": [1, None, 3],
        "b": [2**40, 5, None],
        "f": [0.1 + 0.2, np.nan, -np.inf],
        "d": [dt.date(2024, 7, 1), None, pd.Timestamp("1999-12-31")],  # before PostgreSQL's epoch too
        "ts": [pd.Timestamp("2024-07-01 12:00", tz="America/New_York"), None, pd.Timestamp("2000-01-01")],
        "s": ["AB", None, ""],
        "x": ['multi\nline, "quoted"', "ünï", "x"],
        "blob": [b"\x00ab\x00", b"", None],  # NUL bytes at both ends survive numpy's padded strings
        "ok": [True, False, None],
        "j": [{"a": 1}, None, "[1]"],
    })
    first, third, second = copy_and_read(engine, frame)
    utc = dt.timezone.utc
    assert first == (1, 2**40, 0.30000000000000004, dt.date(2024, 7, 1), dt.datetime(2024, 7, 1, 16, tzinfo=utc),
                     "AB", 'multi\nline, "quoted"', b"\x00ab\x00", True, {"a": 1})
    assert third == (3, None, None, dt.date(1999, 12, 31), dt.datetime(2000, 1, 1, tzinfo=utc), "", "x", None,
                     None, [1])
    assert second == (None, 5, None, None, None, None, "ünï", b"", False, None)


@ON_POSTGRES
def test_floats_are_exact_and_rows_of_every_layout_arrive(engine):
    rng = np.random.default_rng(7)
    n = 5_000
    frame = pd.DataFrame({
        "i": np.arange(n), "f": rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n),
        "s": rng.choice(["A", "BRK.B", "^VIX", None, "GOOGL"], n),
    })
    rows = copy_and_read(engine, frame.assign(**{c: None for c in ["b", "d", "ts", "x", "blob", "ok", "j"]})
                         [[c.name for c in TABLE.columns]])
    assert [r[0] for r in rows] == list(range(n))
    assert [r[2] for r in rows] == frame["f"].tolist()  # bit for bit
    assert [r[5] for r in rows] == [None if s is None else s for s in frame["s"]]


def test_a_type_without_an_encoding_is_refused_by_name():
    table = Table("t", MetaData(), Column("price", Numeric(10, 2)))
    with pytest.raises(TypeError, match="column 'price'"):
        list(binary_copy_chunks(pd.DataFrame({"price": [1.5]}), table))
