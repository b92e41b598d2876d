"""Helpers shared by the portfolio task and flow tests: market rows written through the real stores."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from infra.market_store import ensure_instruments, store_bars, store_option_quotes


def put_bars(engine, symbol: str, closes: dict[dt.date, float]) -> None:
    frame = pd.DataFrame([
        {"symbol": symbol, "date": pd.Timestamp(d), "open": c, "high": c * 1.01, "low": c * 0.99, "close": c,
         "adj_close": c, "volume": 1e6}
        for d, c in closes.items()
    ])
    with engine.begin() as conn:
        ensure_instruments(conn, [symbol])
        store_bars(conn, frame, "test")


def put_quotes(engine, underlying: str, day: dt.date, spot: float, rows: list[tuple]) -> None:
    """rows: (option_type, expiration, strike, bid, ask, implied_vol_decimal)."""
    frame = pd.DataFrame([
        {"underlying": underlying, "quote_date": pd.Timestamp(day), "quote_time": None, "underlying_price": spot,
         "option_type": t, "expiration": pd.Timestamp(e), "strike": k, "bid": b, "ask": a, "implied_vol": iv,
         "delta": -0.2, "gamma": None, "theta": None, "vega": None, "volume": None, "open_interest": None}
        for t, e, k, b, a, iv in rows
    ])
    with engine.begin() as conn:
        ensure_instruments(conn, [underlying])
        store_option_quotes(conn, frame, "test")
