"""Yahoo Finance's chart endpoint, keyless, for personal use only (Yahoo's terms): daily OHLCV with dividend and
split events (`/v8/finance/chart/<symbol>?period1=&period2=&interval=1d&events=div|split`).

Yahoo's open/high/low/close are split-adjusted as of the download (not dividend-adjusted), so raw prices are
rebuilt by multiplying back every split after a row's date; the request therefore always runs to today.
Timestamps are seconds since the epoch at the session's open: the session date is taken in New York.
"""

from __future__ import annotations

import datetime as dt

import httpx
import numpy as np
import pandas as pd

from infra.providers.base import Provider, bars_frame, empty_bars, in_range
from infra.providers.http import DEFAULT_POLICY, RetryPolicy, get

BASE_URL = "https://query1.finance.yahoo.com/v8/finance/chart"
EXCHANGE_TZ = "America/New_York"


def _session_dates(stamps) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(stamps, dtype="int64"), unit="s", utc=True)
                     .tz_convert(EXCHANGE_TZ).tz_localize(None).normalize())


def parse_yahoo(symbol: str, payload: dict) -> pd.DataFrame:
    chart = payload["chart"]
    if chart.get("error"):
        raise ValueError(str(chart["error"].get("description", chart["error"]))[:120])
    result = chart["result"][0]
    stamps = result.get("timestamp") or []
    if not stamps:
        return empty_bars()
    quote = result["indicators"]["quote"][0]
    dates = _session_dates(stamps)
    events = result.get("events") or {}
    paid = pd.Series(0.0, index=dates.index)
    for item in (events.get("dividends") or {}).values():
        paid[dates == _session_dates([item["date"]])[0]] += float(item["amount"])
    ratio = pd.Series(1.0, index=dates.index)
    for item in (events.get("splits") or {}).values():
        ratio[dates == _session_dates([item["date"]])[0]] *= float(item["numerator"]) / float(item["denominator"])
    # splits after each row, multiplied back: Yahoo divided every earlier price by them
    later = ratio[::-1].cumprod()[::-1].shift(-1, fill_value=1.0).to_numpy()
    frame = bars_frame(symbol, {
        "date": dates, **{c: np.asarray(quote[c], dtype=float) * (later if c != "volume" else 1 / later)
                          for c in ("open", "high", "low", "close", "volume")},
        "dividend": paid.to_numpy() * later, "split_ratio": ratio.to_numpy(),
    })
    return frame.dropna(subset=["close"]).reset_index(drop=True)  # Yahoo sends nulls for a session in progress


class Yahoo(Provider):
    name = "yahoo"
    kind = "bars"

    def __init__(self, base_url: str = BASE_URL, policy: RetryPolicy = DEFAULT_POLICY, today: dt.date | None = None):
        super().__init__(base_url, policy)
        self._today = today

    def fetch_one(self, name: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        def parse(response: httpx.Response) -> pd.DataFrame:
            return parse_yahoo(name, response.json())

        until = max(end, self._today or dt.date.today()) + dt.timedelta(days=1)
        first = dt.datetime.combine(start, dt.time(), dt.UTC)
        last = dt.datetime.combine(until, dt.time(), dt.UTC)
        params = {"period1": str(int(first.timestamp())), "period2": str(int(last.timestamp())),
                  "interval": "1d", "events": "div|split", "includeAdjustedClose": "true"}
        frame = get(f"{self.base_url}/{name}", parse, provider=self.name, series=name, policy=self.policy,
                    params=params)
        return in_range(frame, "date", start, end)
