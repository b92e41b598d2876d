"""Idempotent bulk upserts: COPY + INSERT .. ON CONFLICT on PostgreSQL, executemany on SQLite.

A row whose values equal the stored ones is not rewritten, so loading the same data twice changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, or_, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

COPY_CHUNK_ROWS = 250_000
SQLITE_CHUNK_ROWS = 5_000


def upsert_frame(conn: Connection, table: Table, frame: pd.DataFrame, keys: Sequence[str]) -> int:
    """Insert or update `frame` (columns = table columns) on the natural key `keys`; returns rows written."""
    if frame.empty:
        return 0
    if conn.dialect.name == "postgresql":
        return _upsert_postgres(conn, table, frame, keys)
    return _upsert_generic(conn, table, frame, keys)


def _records(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(frame.notna(), None)
    for column in clean.columns:
        if frame[column].dtype.kind == "M":
            clean[column] = [v.date() if v is not None else None for v in clean[column]]
    return clean.to_dict("records")


def _upsert_generic(conn: Connection, table: Table, frame: pd.DataFrame, keys: Sequence[str]) -> int:
    values = [c for c in frame.columns if c not in keys]
    written = 0
    for start in range(0, len(frame), SQLITE_CHUNK_ROWS):
        chunk = _records(frame.iloc[start : start + SQLITE_CHUNK_ROWS])
        stmt = sqlite_insert(table)
        if values:
            changed = or_(*[table.c[c].is_not(stmt.excluded[c]) for c in values])
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys), set_={c: stmt.excluded[c] for c in values}, where=changed
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        written += conn.execute(stmt, chunk).rowcount
    return written


def _csv_chunk(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype.kind == "M":
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif out[column].dtype.kind == "f":
            out[column] = out[column].replace([np.inf, -np.inf], np.nan)
    # pandas writes floats with repr(), the shortest text that round-trips exactly (and far faster than %.17g)
    return out.to_csv(index=False, header=False, na_rep="")


def _upsert_postgres(conn: Connection, table: Table, frame: pd.DataFrame, keys: Sequence[str]) -> int:
    columns = list(frame.columns)
    staging = f"staging_{table.name}"
    column_list = ", ".join(f'"{c}"' for c in columns)
    conn.execute(text(f'DROP TABLE IF EXISTS "{staging}"'))
    conn.execute(
        text(f'CREATE TEMP TABLE "{staging}" ON COMMIT DROP AS SELECT {column_list} FROM "{table.name}" WITH NO DATA')
    )
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{staging}" ({column_list}) FROM STDIN (FORMAT CSV)') as copy:
        for start in range(0, len(frame), COPY_CHUNK_ROWS):
            copy.write(_csv_chunk(frame.iloc[start : start + COPY_CHUNK_ROWS]))
    values = [c for c in columns if c not in keys]
    staged = text(f'SELECT {column_list} FROM "{staging}"').columns(*[table.c[c] for c in columns])
    source = pg_insert(table).from_select(columns, staged)
    if values:
        changed = or_(*[table.c[c].is_distinct_from(source.excluded[c]) for c in values])
        stmt = source.on_conflict_do_update(
            index_elements=list(keys), set_={c: source.excluded[c] for c in values}, where=changed
        )
    else:
        stmt = source.on_conflict_do_nothing(index_elements=list(keys))
    # psycopg reports -1 through SQLAlchemy for INSERT .. SELECT; the driver cursor has the real count.
    cursor.execute(str(stmt.compile(dialect=conn.dialect)))
    written = cursor.rowcount
    cursor.execute(f'DROP TABLE IF EXISTS "{staging}"')
    return written


def ensure_present(conn: Connection, table: Table, rows: list[dict], keys: Sequence[str]) -> None:
    """Insert rows whose key is absent; leave existing ones alone (reference data such as instruments)."""
    if not rows:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(table).on_conflict_do_nothing(index_elements=list(keys)), rows)


__all__ = ["upsert_frame", "ensure_present"]
