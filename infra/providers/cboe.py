"""Cboe's free delayed option quotes: the whole chain of one underlying as JSON, about 15 minutes delayed
(`https://cdn.cboe.com/api/global/delayed_quotes/options/<SYMBOL>.json`, indices as `_VIX`).

Layout: `{"timestamp": "2024-12-31 16:15:02", "data": {"symbol": "TLT", "current_price": 87.33, "options":
[{"option": "TLT250117C00085000", "bid": ..., "ask": ..., "iv": 0.162, "delta": ..., "gamma": ..., "theta": ...,
"vega": ..., "volume": ..., "open_interest": ...}, ...]}}`. The option symbol is the OCC one: root, expiry
YYMMDD, C/P, strike x 1000 in eight digits. Fetched after the close it is that session's end-of-day
snapshot; Cboe keeps no history, so only the latest session can be fetched (a year of daily runs builds one).
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pandas as pd

from infra.providers.base import OPTION_COLUMNS, Provider
from infra.providers.http import DEFAULT_POLICY, ProviderError, RetryPolicy, get

BASE_URL = "https://cdn.cboe.com/api/global/delayed_quotes/options"
OCC = re.compile(r"^(?P<root>[A-Z0-9]{1,6})(?P<expiry>\d{6})(?P<right>[CP])(?P<strike>\d{8})$")


def parse_occ(symbol: str) -> tuple[str, dt.date, str, float]:
    found = OCC.match(symbol.replace(" ", ""))
    if not found:
        raise ValueError(f"not an OCC option symbol: {symbol!r}")
    expiry = dt.datetime.strptime(found["expiry"], "%y%m%d").date()
    return found["root"], expiry, "call" if found["right"] == "C" else "put", int(found["strike"]) / 1000.0


def parse_cboe(underlying: str, payload: dict) -> pd.DataFrame:
    """The chain's standard contracts expiring after the quote date (adjusted roots such as TLT1 are left out)."""
    stamp = dt.datetime.fromisoformat(str(payload["timestamp"]).replace("T", " "))
    data = payload["data"]
    rows = []
    for item in data["options"]:
        root, expiry, right, strike = parse_occ(item["option"])
        if root != underlying.upper().lstrip("^_") or expiry <= stamp.date():
            continue
        rows.append({"underlying": underlying.upper(), "quote_date": pd.Timestamp(stamp.date()),
                     "quote_time": stamp.strftime("%H:%M"), "underlying_price": float(data["current_price"]),
                     "option_type": right, "expiration": pd.Timestamp(expiry), "strike": strike,
                     **{c: float(item[c]) for c in ("bid", "ask", "delta")}, "implied_vol": float(item["iv"]),
                     **{c: _number(item.get(c)) for c in ("gamma", "theta", "vega", "volume", "open_interest")}})
    return pd.DataFrame(rows, columns=OPTION_COLUMNS).astype({"quote_time": object})


def _number(value) -> float:
    return float("nan") if value is None else float(value)


class CboeDelayed(Provider):
    name = "cboe"
    kind = "options"

    def __init__(self, base_url: str = BASE_URL, policy: RetryPolicy = DEFAULT_POLICY):
        super().__init__(base_url, policy)

    def fetch_one(self, name: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        def parse(response: httpx.Response) -> pd.DataFrame:
            return parse_cboe(name, response.json())

        symbol = f"_{name.lstrip('^')}" if name.startswith("^") else name.upper()
        chain = get(f"{self.base_url}/{symbol}.json", parse, provider=self.name, series=name, policy=self.policy)
        if chain.empty:
            return chain
        day = chain["quote_date"].iat[0].date()
        if day > end:
            if start == end:
                return chain.iloc[0:0]  # today's snapshot is not the one asked for: nothing for that day
            raise ProviderError(f"{self.name} {name}: only the latest snapshot ({day}) is served; "
                                f"Cboe keeps no history for {start}..{end}")
        return chain if start <= day else chain.iloc[0:0]
