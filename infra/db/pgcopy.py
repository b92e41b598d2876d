"""PostgreSQL's binary COPY format, built column-wise with numpy instead of one Python call per row.

The format (PostgreSQL docs, "COPY", section "Binary Format") is a signature, then per row a 16-bit field
count and per field a 32-bit length (-1 for NULL) followed by the value in network byte order. Text parsing
of floats is most of what a text COPY costs the server, and building CSV text is most of what it costs us.

Rows whose layout is the same (same text lengths, same NULLs) form one numpy structured array, written in
one `tobytes()`. A table's rows arrive grouped by layout rather than in frame order, which COPY does not mind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, LargeBinary, SmallInteger, String, Table

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
PG_EPOCH_DAY = np.datetime64("2000-01-01", "D")
PG_EPOCH_MICROSECOND = np.datetime64("2000-01-01T00:00:00", "us")
ROWS_PER_WRITE = 200_000
NULL = -1


@dataclass(frozen=True)
class EncodedColumn:
    """One column ready for the wire: per-row byte length (NULL = -1) and either fixed-width values or blobs."""

    lengths: np.ndarray  # int32 per row
    fixed: np.ndarray | None = None  # values, one per row (garbage where NULL), in the machine's byte order
    wire: str | None = None  # their big-endian numpy type; the byte swap happens one write at a time
    blobs: np.ndarray | None = None  # bytes per distinct value, padded (numpy "S" array)
    codes: np.ndarray | None = None  # row -> position in blobs

    def repeated(self, rows: int) -> EncodedColumn:
        """This one-row column as `rows` identical rows, without copying it `rows` times."""
        def spread(array):
            return None if array is None else np.broadcast_to(array[:1], (rows,))

        return EncodedColumn(spread(self.lengths), spread(self.fixed), self.wire, self.blobs, spread(self.codes))


def _fixed(values: np.ndarray, missing: np.ndarray, wire: str) -> EncodedColumn:
    size = np.int32(np.dtype(wire).itemsize)
    lengths = np.where(missing, np.int32(NULL), size) if missing.any() else np.broadcast_to(size, missing.shape)
    native = np.dtype(wire).newbyteorder("=")
    return EncodedColumn(lengths=lengths, fixed=values.astype(native, copy=False), wire=wire)


def _variable(series: pd.Series, to_bytes) -> EncodedColumn:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    encoded = [to_bytes(value) for value in np.asarray(uniques, dtype=object)]
    sizes = np.array([len(b) for b in encoded] + [NULL], dtype=np.int32)
    widest = max((len(b) for b in encoded), default=0)
    # numpy pads with NUL bytes; the per-row length says how many of them belong to the value
    blobs = np.array(encoded + [b""], dtype=f"S{max(widest, 1)}")
    codes = np.where(codes < 0, len(encoded), codes)
    return EncodedColumn(lengths=sizes[codes], blobs=blobs, codes=codes)


def _text(value) -> bytes:
    return str(value).encode("utf-8")


def _json_text(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value if isinstance(value, str) else json.dumps(value)


def encode_column(series: pd.Series, sql_type) -> EncodedColumn:
    """Encode one frame column for the SQL type of its table column."""
    if isinstance(sql_type, Float):
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
        return _fixed(values, ~np.isfinite(values), ">f8")  # +-inf is not a price: stored as NULL
    if isinstance(sql_type, (SmallInteger, Integer, BigInteger, Boolean)):
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=object, na_value=0) if missing.any() else series.to_numpy()
        wire = {SmallInteger: ">i2", BigInteger: ">i8", Boolean: "?"}.get(type(sql_type), ">i4")
        return _fixed(values, missing, wire)
    if isinstance(sql_type, DateTime):
        # naive values are taken as UTC, which is also what a timestamp without time zone stores them as
        micros = pd.to_datetime(series, utc=True).dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        missing = np.isnat(micros)
        return _fixed(np.where(missing, 0, (micros - PG_EPOCH_MICROSECOND).astype(np.int64)), missing, ">i8")
    if isinstance(sql_type, Date):
        days = pd.to_datetime(series).to_numpy(dtype="datetime64[D]")
        missing = np.isnat(days)
        return _fixed(np.where(missing, 0, (days - PG_EPOCH_DAY).astype(np.int64)), missing, ">i4")
    if isinstance(sql_type, LargeBinary):
        return _variable(series, bytes)
    if isinstance(sql_type, JSON):
        return _variable(series.map(_json_text, na_action=None).astype(object), _text)
    if isinstance(sql_type, String):
        return _variable(series, _text)
    raise TypeError(f"no binary COPY encoding for column {series.name!r} of type {sql_type!r}")


def _layouts(columns: list[EncodedColumn], rows: int) -> list[np.ndarray]:
    """Row positions grouped by wire layout (the tuple of per-field lengths)."""
    if rows == 0:
        return []
    varying = [c.lengths for c in columns if (c.lengths != c.lengths[0]).any()]
    if not varying:
        return [np.arange(rows)]
    return list(pd.DataFrame(np.column_stack(varying)).groupby(list(range(len(varying)))).indices.values())


def _group_bytes(columns: list[EncodedColumn], rows: np.ndarray) -> bytes:
    first = rows[0]
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, column in enumerate(columns):
        fields.append((f"len{i}", ">i4"))
        width = int(column.lengths[first])
        if width > 0:
            fields.append((f"val{i}", column.wire if column.fixed is not None else f"S{width}"))
    record = np.empty(len(rows), dtype=fields)
    record["count"] = len(columns)
    for i, column in enumerate(columns):
        record[f"len{i}"] = column.lengths[first]
        if f"val{i}" in record.dtype.names:
            record[f"val{i}"] = column.fixed[rows] if column.fixed is not None else column.blobs[column.codes[rows]]
    return record.tobytes()


def binary_copy_chunks(frame: pd.DataFrame, table: Table, constants: Mapping[str, object] | None = None
                       ) -> Iterator[bytes]:
    """The COPY ... (FORMAT BINARY) payload for `frame`'s columns, then `constants`' (one value for every row).

    Column names are those of `table`, whose types decide the encoding.
    """
    columns = [encode_column(frame[name], table.c[name].type) for name in frame.columns]
    for name, value in (constants or {}).items():
        columns.append(encode_column(pd.Series([value], name=name), table.c[name].type).repeated(len(frame)))
    yield SIGNATURE
    for rows in _layouts(columns, len(frame)):
        for start in range(0, len(rows), ROWS_PER_WRITE):
            yield _group_bytes(columns, rows[start : start + ROWS_PER_WRITE])
    yield TRAILER


__all__ = ["binary_copy_chunks", "encode_column"]
