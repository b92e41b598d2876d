"""File inputs of the TLT overlay commands: calibration CSVs and vendor option chains.

The stored history comes from infra.market_store.load_tlt_calibration_frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from domain.errors import InputError

CHAIN_REQUIRED = ["quote_date", "underlying_price", "option_type", "expiration_date", "strike", "bid", "ask",
                  "implied_vol", "delta"]
CHAIN_TYPES = {"p": "put", "put": "put", "c": "call", "call": "call"}


def _read_csv(path: Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, skipinitialspace=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc.__class__.__name__})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(f"{path}: no data rows")
    return frame


def read_calibration_csv(path: Path) -> pd.DataFrame:
    """The raw table; column checks and unit detection happen in domain.tlt.calibration."""
    return _read_csv(path)


def read_option_chain(path: Path) -> pd.DataFrame:
    """Vendor chain layout -> quote_date, underlying_price, option_type (put/call), expiration, strike,
    bid, ask, implied_vol (decimal: the file's 16.2 becomes 0.162), delta."""
    raw = _read_csv(path)
    raw.columns = [c.lower() for c in raw.columns]
    missing = [c for c in CHAIN_REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    kind = raw["option_type"].astype(str).str.strip().str.lower()
    unknown = sorted(set(kind) - set(CHAIN_TYPES))
    if unknown:
        raise InputError(f"{path}: invalid option_type {unknown[0]!r} (use put/call/p/c)")
    frame = pd.DataFrame({
        "quote_date": pd.to_datetime(raw["quote_date"], errors="coerce"),
        "option_type": kind.map(CHAIN_TYPES),
        "expiration": pd.to_datetime(raw["expiration_date"], errors="coerce"),
    })
    for col in ("underlying_price", "strike", "bid", "ask", "implied_vol", "delta"):
        frame[col] = pd.to_numeric(raw[col], errors="coerce")
    bad = frame.isna().any(axis=1)
    if bad.any():
        line = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise InputError(f"{path}: line {line}: unparseable or blank required value")
    if (frame["underlying_price"] <= 0).any() or (frame["strike"] <= 0).any():
        raise InputError(f"{path}: non-positive underlying price or strike")
    frame["implied_vol"] = frame["implied_vol"] / 100.0
    return frame
