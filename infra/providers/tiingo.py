"""Tiingo end-of-day prices: raw OHLCV with the day's cash dividend and split factor, one call per symbol.

Why Tiingo: one documented request (`/tiingo/daily/<ticker>/prices?startDate=&endDate=`) returns the raw
(as-traded) open/high/low/close/volume together with `divCash` and `splitFactor` on their ex-dates, which is
exactly what a point-in-time adjustment needs; its adjusted fields are not used. The key travels in the
`Authorization: Token` header, never in a URL. Prices are published from about 17:30 New York.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pandas as pd

from infra.providers.base import Provider, bars_frame, empty_bars, in_range
from infra.providers.http import DEFAULT_POLICY, RetryPolicy, get

BASE_URL = "https://api.tiingo.com/tiingo/daily"


def parse_tiingo(symbol: str, payload: list) -> pd.DataFrame:
    if not isinstance(payload, list):
        raise ValueError("expected a JSON list of daily prices")
    if not payload:
        return empty_bars()
    return bars_frame(symbol, {
        "date": [p["date"] for p in payload], "open": [p["open"] for p in payload],
        "high": [p["high"] for p in payload], "low": [p["low"] for p in payload],
        "close": [p["close"] for p in payload], "volume": [p["volume"] for p in payload],
        "dividend": [p.get("divCash", 0.0) for p in payload], "split_ratio": [p.get("splitFactor", 1.0) for p in payload],
    })


def tiingo_ticker(symbol: str) -> str:
    return symbol.replace(".", "-").lower()  # BRK.B -> brk-b


class Tiingo(Provider):
    name = "tiingo"
    kind = "bars"

    def __init__(self, api_key: str, base_url: str = BASE_URL, policy: RetryPolicy = DEFAULT_POLICY):
        super().__init__(base_url, policy)
        self._key = api_key

    def fetch_one(self, name: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        def parse(response: httpx.Response) -> pd.DataFrame:
            return parse_tiingo(name, response.json())

        frame = get(f"{self.base_url}/{tiingo_ticker(name)}/prices", parse, provider=self.name, series=name,
                    policy=self.policy, params={"startDate": start.isoformat(), "endDate": end.isoformat()},
                    headers={"Authorization": f"Token {self._key}"}, secrets=[self._key])
        return in_range(frame, "date", start, end)
