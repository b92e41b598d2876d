"""Vendor files into typed frames: CSV layouts, junk detection, column names, units.

Every frame returned is indexed by the line number in the file (the header is line 1), so that a
validation failure can name the row a user sees in an editor. Unparseable cells become NaN/NaT and are
reported by the schema's `not_nullable` rule.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from domain.errors import InputError

BAR_ALIASES = {
    "date": "date", "datetime": "date", "timestamp": "date",
    "open": "open", "high": "high", "low": "low", "close": "close",
    "adj_close": "adj_close", "adjclose": "adj_close", "adjusted_close": "adj_close",
    "volume": "volume", "symbol": "symbol", "ticker": "symbol",
}
OPTION_COLUMNS = [
    "quote_date", "quote_time", "underlying_price", "option_type", "expiration_date", "strike", "bid", "ask",
    "implied_vol", "delta", "gamma", "theta", "vega", "volume", "open_interest",
]
OPTION_OPTIONAL = {"quote_time", "gamma", "theta", "vega", "volume", "open_interest"}
OPTION_TYPES = {"p": "put", "put": "put", "c": "call", "call": "call"}
UNPARSED = "unparsed"  # frame.attrs key: cells of number columns whose text is not a number
_SNIFF_BYTES = 4096
_BLOCK_BYTES = 4 << 20
NULL_TEXT = ["", ".", "NA", "NaN", "nan", "null", "NULL"]
BAR_TEXT = frozenset({"date", "datetime", "timestamp", "symbol", "ticker"})
YIELD_TEXT = frozenset({"observation_date", "date"})
OPTION_TEXT = frozenset({"quote_date", "quote_time", "option_type", "expiration_date", "underlying"})


def normalise_column(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def _head(path: Path) -> bytes:
    """The first bytes of the file's text (decompressed), enough to tell a CSV from junk."""
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as handle:
            return handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except (OSError, EOFError):
        raise InputError(f"{path}: not a valid gzip file") from None


def _text_stream(path: Path) -> pa.NativeFile:
    # streamed: a 300 MB file is parsed block by block instead of being decompressed into memory first
    raw = pa.OSFile(str(path))
    return pa.CompressedInputStream(raw, "gzip") if path.suffix == ".gz" else raw


def _refuse_junk(path: Path, head: bytes) -> None:
    if not head.strip():
        raise InputError(f"{path}: empty file")
    if b"\x00" in head:
        raise InputError(f"{path}: binary content, not a CSV file")
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        raise InputError(f"{path}: an HTML/XML page (a vendor error page?), not a CSV file")
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut by the sniff window is fine
            raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _header_names(header: str) -> list[str]:
    return next(csv.reader([header]), [])


def read_csv_table(path: Path, *, text_columns: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Parse a comma-separated file, refusing junk with one line; index = line number in the file.

    Columns whose normalised name is in `text_columns` (dates, symbols, codes) are read as categoricals:
    they repeat a few thousand distinct values over millions of rows, and are parsed once per value.
    """
    path = Path(path)
    head = _head(path)
    _refuse_junk(path, head)
    header = head.decode("utf-8-sig", errors="replace").splitlines()[0]
    if "," not in header:
        found = next((d for d in (";", "\t", "|") if d in header), None)
        detail = f" (found {found!r})" if found else ""
        raise InputError(f"{path}: line 1: expected a comma-separated header{detail}")
    coded = pa.dictionary(pa.int32(), pa.string())
    try:
        with _text_stream(path) as stream:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES),
                convert_options=pacsv.ConvertOptions(
                    column_types={raw: coded for raw in _header_names(header) if normalise_column(raw) in text_columns},
                    null_values=NULL_TEXT, strings_can_be_null=True, quoted_strings_can_be_null=True,
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, EOFError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise InputError(f"{path}: not a well-formed CSV file ({first})") from None
    if table.num_rows == 0:
        raise InputError(f"{path}: no data rows")
    frame = table.to_pandas(date_as_object=False, timestamp_as_object=False, self_destruct=True, split_blocks=True)
    del table
    pa.default_memory_pool().release_unused()  # the parser's buffers, hundreds of MB on a large file
    frame.columns = [normalise_column(str(c)) for c in frame.columns]
    if len(set(frame.columns)) != len(frame.columns):
        raise InputError(f"{path}: line 1: duplicate column names after normalising ({', '.join(frame.columns)})")
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame


def _numbers(frame: pd.DataFrame, columns: list[str]) -> None:
    """Parse `columns` as floats. A cell with text that is not a number ("1,234") becomes NaN and is kept in
    frame.attrs[UNPARSED] ({column: {line: text}}): in an optional column NaN means "no value", so without this
    record a typo would silently store NULL over a good value (the validation reports it as a bad row)."""
    unparsed = frame.attrs.setdefault(UNPARSED, {})
    for column in columns:
        if column in frame and frame[column].dtype.kind not in "fi":
            text = frame[column]
            frame[column] = pd.to_numeric(text, errors="coerce")
            bad = frame[column].isna().to_numpy() & text.notna().to_numpy()
            if bad.any():
                unparsed[column] = dict(zip(frame.index[bad].tolist(), text[bad].astype(str).tolist()))
        if column in frame:
            frame[column] = frame[column].astype("float64", copy=False)


def _dates(series: pd.Series) -> pd.Series:
    """Dates at midnight, no time zone; each distinct text is parsed once (a column repeats a few thousand)."""
    if series.dtype.kind == "M":
        return series
    codes, uniques = pd.factorize(series)
    parsed = pd.to_datetime(pd.Series(np.asarray(uniques, dtype=object)), format="ISO8601", errors="coerce")
    parsed = parsed.dt.tz_localize(None).dt.normalize().to_numpy(dtype="datetime64[ns]")
    return pd.Series(np.append(parsed, np.datetime64("NaT", "ns"))[codes], index=series.index, name=series.name)


def _require(path: Path, frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: line 1: {what} file lacks column(s) {', '.join(missing)} (has {', '.join(map(str, frame.columns))})"
        )


def symbol_from_file_name(path: Path) -> str:
    """`QQQ.csv` -> QQQ, `^VIX.csv` -> ^VIX, `TLT_2002-2020_vendor.csv` -> TLT."""
    name = Path(path).name
    for suffix in (".gz", ".csv", ".txt"):
        name = name.removesuffix(suffix)
    return name.split("_")[0].upper()


def _symbols(column: pd.Series) -> pd.Series:
    """Trimmed upper-case symbols as a categorical; the text work is done once per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    cleaned = pd.Index(uniques).astype(str).str.strip().str.upper()
    categories = pd.Index(cleaned.unique())
    code_of_unique = np.append(categories.get_indexer(cleaned), -1)  # position -1 keeps a missing symbol missing
    return pd.Series(pd.Categorical.from_codes(code_of_unique[codes], categories=categories),
                     index=column.index, name=column.name)


def _refuse_alias_clash(path: Path, columns: pd.Index) -> None:
    """`symbol` and `ticker` (or `date` and `timestamp`, ...) both present: which one is meant is a guess."""
    named: dict[str, list[str]] = {}
    for column in columns:
        if column in BAR_ALIASES:
            named.setdefault(BAR_ALIASES[column], []).append(str(column))
    clash = next(((field, names) for field, names in named.items() if len(names) > 1), None)
    if clash:
        raise InputError(f"{path}: line 1: columns {' and '.join(clash[1])} both give the {clash[0]}; keep one")


def read_bars(path: Path, symbol: str | None = None) -> pd.DataFrame:
    """Daily bars in any column order/case, including the yfinance layouts; `adj_close` defaults to close."""
    path = Path(path)
    raw = read_csv_table(path, text_columns=BAR_TEXT)
    _refuse_alias_clash(path, raw.columns)
    raw = raw.rename(columns={c: BAR_ALIASES[c] for c in raw.columns if c in BAR_ALIASES})
    _require(path, raw, ["date", "open", "high", "low", "close", "volume"], "bars")
    frame = raw[[c for c in ["symbol", "date", "open", "high", "low", "close", "adj_close", "volume"] if c in raw]].copy()
    if symbol:
        frame["symbol"] = symbol.upper()
    elif "symbol" not in frame:
        frame["symbol"] = symbol_from_file_name(path)
    # a blank symbol cell stays missing (and is reported), rather than becoming the text "NAN"
    frame["symbol"] = _symbols(frame["symbol"])
    frame["date"] = _dates(frame["date"])
    _numbers(frame, ["open", "high", "low", "close", "adj_close", "volume"])
    if "adj_close" not in frame:
        frame["adj_close"] = frame["close"]
    return frame[["symbol", "date", "open", "high", "low", "close", "adj_close", "volume"]]


def read_yields(path: Path) -> pd.DataFrame:
    """FRED CSV `observation_date,<SERIES>` (percent); blank values are holidays and are dropped."""
    path = Path(path)
    raw = read_csv_table(path, text_columns=YIELD_TEXT)
    date_column = "observation_date" if "observation_date" in raw else "date" if "date" in raw else None
    values = [c for c in raw.columns if c not in ("observation_date", "date")]
    if date_column is None or len(values) != 1:
        raise InputError(f"{path}: line 1: expected FRED layout `observation_date,<SERIES>` (has {', '.join(raw.columns)})")
    series = values[0].upper()
    text = raw[values[0]]
    blank = text.isna() if text.dtype.kind in "fi" else text.astype(str).str.strip().isin(["", ".", "nan"])
    frame = pd.DataFrame({"series": series, "date": _dates(raw[date_column]), "value": text}, index=raw.index)
    frame = frame[~blank.to_numpy()].copy()
    _numbers(frame, ["value"])
    return frame


def read_options(path: Path, underlying: str | None = None) -> pd.DataFrame:
    """Option chain in the vendor layout; implied_vol arrives in percent and leaves as a decimal.

    The underlying comes from `underlying`, else an `underlying` column, else the file name (TLT_2024-12-31.csv).
    """
    path = Path(path)
    raw = read_csv_table(path, text_columns=OPTION_TEXT)
    _require(path, raw, [c for c in OPTION_COLUMNS if c not in OPTION_OPTIONAL], "options")
    if underlying:
        symbol = pd.Series(underlying.upper(), index=raw.index)
    elif "underlying" in raw:
        symbol = raw["underlying"].astype(str).str.strip().str.upper().where(raw["underlying"].notna())
    else:
        symbol = pd.Series(symbol_from_file_name(path), index=raw.index)
    frame = pd.DataFrame(index=raw.index)
    frame["underlying"] = symbol
    frame["quote_date"] = _dates(raw["quote_date"])
    frame["quote_time"] = raw["quote_time"].astype("string").where(raw["quote_time"].notna(), None).astype(object) \
        if "quote_time" in raw else None
    frame["underlying_price"] = raw["underlying_price"]
    kind = raw["option_type"].astype(str).str.strip().str.lower()
    frame["option_type"] = kind.map(OPTION_TYPES).fillna(kind)
    frame["expiration"] = _dates(raw["expiration_date"])
    for column in ["strike", "bid", "ask", "implied_vol", "delta", "gamma", "theta", "vega", "volume", "open_interest"]:
        frame[column] = raw[column] if column in raw else np.nan
    _numbers(frame, ["underlying_price", "strike", "bid", "ask", "implied_vol", "delta", "gamma", "theta", "vega",
                     "volume", "open_interest"])
    frame["implied_vol"] = frame["implied_vol"] / 100.0
    return frame


READERS = {"bars": read_bars, "yields": read_yields, "options": read_options}
