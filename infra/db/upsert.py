"""Idempotent bulk upserts: binary COPY into a staging table, then UPDATE + INSERT on PostgreSQL; executemany
with ON CONFLICT on SQLite.

A row whose values equal the stored ones is not rewritten, so loading the same data twice changes nothing.
On PostgreSQL the update of changed rows and the insert of new ones are two set-based joins (the planner
picks hash joins for millions of rows and index lookups for a day's worth); a bulk load into a table not
much bigger than itself drops the table's indexes and builds them again afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext

import pandas as pd
from psycopg import sql
from sqlalchemy import Connection, Table, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from infra.db.pgcopy import binary_copy_chunks

SQLITE_CHUNK_ROWS = 5_000
BULK_MIN_ROWS = 100_000
BULK_TABLE_RATIO = 4.0  # rebuild the indexes when the table holds at most 4x the rows being loaded
BULK_INDEX_MEMORY = "512MB"


def upsert_frame(conn: Connection, table: Table, frame: pd.DataFrame, keys: Sequence[str],
                 constants: Mapping[str, object] | None = None) -> int:
    """Insert or update `frame` (columns = table columns) on the natural key `keys`; returns rows written.

    `constants` are columns with one value for every row (a batch's source), kept out of the frame so that a
    large frame is not copied to carry them.
    """
    if frame.empty:
        return 0
    if conn.dialect.name == "postgresql":
        return _upsert_postgres(conn, table, frame, keys, dict(constants or {}))
    return _upsert_generic(conn, table, frame, keys, dict(constants or {}))


def _records(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(frame.notna(), None)
    for column in clean.columns:
        if frame[column].dtype.kind == "M":
            clean[column] = [v.date() if v is not None else None for v in clean[column]]
    return clean.to_dict("records")


def _upsert_generic(conn: Connection, table: Table, frame: pd.DataFrame, keys: Sequence[str],
                    constants: dict[str, object]) -> int:
    values = [c for c in [*frame.columns, *constants] if c not in keys]
    stmt = sqlite_insert(table)
    if values:
        changed = or_(*[table.c[c].is_not(stmt.excluded[c]) for c in values])
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in values}, where=changed
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    written = 0
    for start in range(0, len(frame), SQLITE_CHUNK_ROWS):
        chunk = [{**row, **constants} for row in _records(frame.iloc[start : start + SQLITE_CHUNK_ROWS])]
        written += conn.execute(stmt, chunk).rowcount
    return written


def _upsert_postgres(conn: Connection, table: Table, frame: pd.DataFrame, keys: Sequence[str],
                     constants: dict[str, object]) -> int:
    columns = [*frame.columns, *constants]
    values = [c for c in columns if c not in keys]
    cursor = conn.connection.driver_connection.cursor()
    target = sql.Identifier(table.name)
    # writers queue behind each other (readers do not): nothing can slip in between the update and the insert
    cursor.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(target))
    rebuild = _worth_rebuilding_indexes(cursor, table.name, len(frame))
    if rebuild:
        cursor.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(target))
    staging = _staged(cursor, table, frame, constants)
    written = _update_changed(cursor, target, staging, keys, values) if values else 0
    with _indexes_set_aside(cursor, table.name) if rebuild else nullcontext():
        written += _insert_missing(cursor, target, staging, keys, columns)
    cursor.execute(sql.SQL("DROP TABLE {}").format(staging))
    return written


def _staged(cursor, table: Table, frame: pd.DataFrame, constants: dict[str, object]) -> sql.Identifier:
    staging = sql.Identifier(f"staging_{table.name}")
    column_list = sql.SQL(", ").join(map(sql.Identifier, [*frame.columns, *constants]))
    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staging))
    cursor.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
                   .format(staging, column_list, sql.Identifier(table.name)))
    with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(staging, column_list)) as copy:
        for chunk in binary_copy_chunks(frame, table, constants):
            copy.write(chunk)
    cursor.execute(sql.SQL("ANALYZE {}").format(staging))  # temp tables get no autovacuum; the joins need sizes
    return staging


def _key_match(keys: Sequence[str]) -> sql.Composable:
    return sql.SQL(" AND ").join(
        sql.SQL("target.{k} = incoming.{k}").format(k=sql.Identifier(k)) for k in keys
    )


def _update_changed(cursor, target, staging, keys: Sequence[str], values: Sequence[str]) -> int:
    def row(alias: str) -> sql.Composable:
        return sql.SQL(", ").join(sql.SQL(f"{alias}.{{}}").format(sql.Identifier(c)) for c in values)

    assignments = sql.SQL(", ").join(sql.SQL("{c} = incoming.{c}").format(c=sql.Identifier(c)) for c in values)
    cursor.execute(
        sql.SQL("UPDATE {} AS target SET {} FROM {} AS incoming WHERE {} AND ROW({}) IS DISTINCT FROM ROW({})")
        .format(target, assignments, staging, _key_match(keys), row("target"), row("incoming"))
    )
    return max(cursor.rowcount, 0)


def _insert_missing(cursor, target, staging, keys: Sequence[str], columns: Sequence[str]) -> int:
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    cursor.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} AS incoming "
                "WHERE NOT EXISTS (SELECT 1 FROM {} AS target WHERE {})")
        .format(target, column_list, column_list, staging, target, _key_match(keys))
    )
    return max(cursor.rowcount, 0)


def _worth_rebuilding_indexes(cursor, table: str, rows: int) -> bool:
    """A bulk load into a table not much bigger than itself: sorting indexes afresh beats inserting into them.

    PostgreSQL's own advice for populating a database ("Remove Indexes", "Remove Foreign Key Constraints").
    A table other tables refer to keeps its keys (dropping them would need CASCADE).
    """
    if rows < BULK_MIN_ROWS:
        return False
    referenced = cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = to_regclass(%s) AND contype = 'f')", (table,)
    ).fetchone()[0]
    if referenced:
        return False
    limit = int(rows * BULK_TABLE_RATIO) + 1
    stored = cursor.execute(
        sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT %s) AS head").format(sql.Identifier(table)), (limit,)
    ).fetchone()[0]
    return stored < limit


@contextmanager
def _indexes_set_aside(cursor, table: str) -> Iterator[None]:
    """Drop the table's keys, foreign keys and indexes; re-create them (one sort each) on the way out."""
    constraints = cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u', 'x', 'f') ORDER BY contype = 'f' DESC, conname",
        (table,),
    ).fetchall()
    indexes = cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = to_regclass(%s) "
        "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = to_regclass(%s)) ORDER BY 1",
        (table, table),
    ).fetchall()
    target = sql.Identifier(table)
    for name, _, _ in constraints:  # foreign keys first
        cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(target, sql.Identifier(name)))
    for name, _ in indexes:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    yield
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{BULK_INDEX_MEMORY}'")
    for name, kind, definition in reversed(constraints):  # keys before the foreign keys that may need them
        cursor.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}")
                       .format(target, sql.Identifier(name), sql.SQL(definition)))
    for _, definition in indexes:
        cursor.execute(definition)
    cursor.execute(sql.SQL("ANALYZE {}").format(target))


def ensure_present(conn: Connection, table: Table, rows: list[dict], keys: Sequence[str]) -> None:
    """Insert rows whose key is absent; leave existing ones alone (reference data such as instruments)."""
    if not rows:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(table).on_conflict_do_nothing(index_elements=list(keys)), rows)


__all__ = ["upsert_frame", "ensure_present"]
