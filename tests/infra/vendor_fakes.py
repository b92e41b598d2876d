"""Loopback HTTP servers speaking the vendors' documented formats (no test reaches the internet).

Formats, from the vendors' documentation:
- FRED graph CSV (fred.stlouisfed.org/graph/fredgraph.csv?id=DGS10&cosd=&coed=): `observation_date,DGS10`,
  blank value on days without publication.
- FRED API (api.stlouisfed.org/fred/series/observations, file_type=json): `{"observations": [{"realtime_start",
  "realtime_end", "date", "value"}]}`, value "." when missing.
- Tiingo EOD (api.tiingo.com/tiingo/daily/<ticker>/prices?startDate=&endDate=, `Authorization: Token`): a list of
  {date "YYYY-MM-DDT00:00:00.000Z", open, high, low, close, volume, adjOpen, adjHigh, adjLow, adjClose, adjVolume,
  divCash, splitFactor}; 404 {"detail": "Error: Ticker 'X' not found"} for an unknown ticker.
- Yahoo chart (query1.finance.yahoo.com/v8/finance/chart/<symbol>): {"chart": {"result": [{"meta", "timestamp",
  "events": {"dividends", "splits"}, "indicators": {"quote": [{open, high, low, close, volume}], "adjclose"}}],
  "error": null}}.
- Cboe delayed quotes (cdn.cboe.com/api/global/delayed_quotes/options/<SYMBOL>.json): {"timestamp", "data":
  {"symbol", "current_price", "options": [{"option" (OCC), bid, ask, iv, delta, gamma, theta, vega, rho, volume,
  open_interest, ...}]}}.

Faults on demand: a status with headers (429 + Retry-After, 500), a delay (timeout), a body cut short of its
Content-Length (truncated), and replies queued for one request each before the standing one.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import pandas as pd


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut_to: int | None = None  # send only this many bytes of the body (Content-Length says the full size)


Handler = Callable[[dict[str, str]], Reply]


def json_reply(payload, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def csv_reply(text: str) -> Reply:
    return Reply(200, text.encode(), {"Content-Type": "text/csv"})


class VendorServer:
    """A threaded HTTP server on 127.0.0.1 with per-path standing handlers and one-shot queued replies."""

    def __init__(self) -> None:
        self.standing: dict[str, Handler] = {}
        self.queued: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                path = unquote(url.path)
                server.requests.append((path, query, dict(self.headers)))
                reply = server._reply(path, query)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body if reply.cut_to is None else reply.body[: reply.cut_to])
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _reply(self, path: str, query: dict[str, str]) -> Reply:
        if self.queued.get(path):
            return self.queued[path].pop(0)
        handler = self.standing.get(path)
        return handler(query) if handler else json_reply({"detail": "Not found."}, 404)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, handler: Handler) -> None:
        self.standing[path] = handler

    def queue(self, path: str, *replies: Reply) -> None:
        self.queued.setdefault(path, []).extend(replies)

    def hits(self, path: str) -> int:
        return sum(1 for p, _, _ in self.requests if p == path)

    def __enter__(self) -> VendorServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ------------------------------------------------------------------ documented layouts from frames

def _between(frame: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    dates = pd.to_datetime(frame["date"])
    keep = pd.Series(True, index=frame.index)
    if start:
        keep &= dates >= pd.Timestamp(start)
    if end:
        keep &= dates <= pd.Timestamp(end)
    return frame[keep]


def fred_csv(series: str, values: pd.DataFrame) -> Handler:
    """`values`: columns date (ISO text), value (float or None = not published)."""
    def handle(query: dict[str, str]) -> Reply:
        rows = _between(values, query.get("cosd"), query.get("coed"))
        lines = [f"observation_date,{series}"] + [
            f"{d},{'' if v is None or pd.isna(v) else v}" for d, v in zip(rows["date"], rows["value"])]
        return csv_reply("\n".join(lines) + "\n")
    return handle


def fred_json(values: pd.DataFrame) -> Handler:
    def handle(query: dict[str, str]) -> Reply:
        rows = _between(values, query.get("observation_start"), query.get("observation_end"))
        today = dt.date.today().isoformat()
        return json_reply({
            "realtime_start": today, "realtime_end": today, "observation_start": query.get("observation_start"),
            "observation_end": query.get("observation_end"), "units": "lin", "output_type": 1, "file_type": "json",
            "order_by": "observation_date", "sort_order": "asc", "count": len(rows), "offset": 0, "limit": 100000,
            "observations": [{"realtime_start": today, "realtime_end": today, "date": d,
                              "value": "." if v is None or pd.isna(v) else str(v)}
                             for d, v in zip(rows["date"], rows["value"])]})
    return handle


def tiingo_json(bars: pd.DataFrame, adj_close: Callable[[pd.DataFrame], pd.Series] | None = None) -> Handler:
    """`bars`: columns date, open, high, low, close, volume, dividend, split_ratio (raw). `adj_close` gives the
    vendor's adjusted close (default: the raw close, i.e. a vendor that never adjusts)."""
    def handle(query: dict[str, str]) -> Reply:
        rows = _between(bars, query.get("startDate"), query.get("endDate"))
        adjusted = adj_close(rows) if adj_close else rows["close"]
        factor = adjusted / rows["close"]
        return json_reply([
            {"date": f"{pd.Timestamp(r.date).date()}T00:00:00.000Z", "close": r.close, "high": r.high, "low": r.low,
             "open": r.open, "volume": int(r.volume), "adjClose": r.close * f, "adjHigh": r.high * f,
             "adjLow": r.low * f, "adjOpen": r.open * f, "adjVolume": int(r.volume), "divCash": r.dividend,
             "splitFactor": r.split_ratio}
            for r, f in zip(rows.itertuples(index=False), factor)])
    return handle


def _epoch_open(day) -> int:
    """09:30 New York of `day` in epoch seconds (what Yahoo's chart timestamps are)."""
    return int(pd.Timestamp(f"{pd.Timestamp(day).date()} 09:30", tz="America/New_York").timestamp())


def yahoo_json(symbol: str, bars: pd.DataFrame) -> Handler:
    """`bars` raw (as traded) with dividend and split_ratio; served the way Yahoo does: prices and dividends
    divided by every later split, volumes multiplied by them."""
    def handle(query: dict[str, str]) -> Reply:
        stamps = pd.to_datetime(bars["date"]).map(_epoch_open)
        rows = bars[(stamps >= int(query.get("period1", 0))) & (stamps < int(query.get("period2", 2**40)))]
        later = rows["split_ratio"][::-1].cumprod()[::-1].shift(-1, fill_value=1.0)
        stamp = [_epoch_open(d) for d in rows["date"]]
        quote = {c: list(rows[c] / later) for c in ("open", "high", "low", "close")}
        quote["volume"] = [int(v) for v in rows["volume"] * later]
        events = {"dividends": {str(s): {"amount": d / k, "date": s}
                                for s, d, k in zip(stamp, rows["dividend"], later) if d > 0},
                  "splits": {str(s): {"date": s, "numerator": r, "denominator": 1.0, "splitRatio": f"{r:g}:1"}
                             for s, r in zip(stamp, rows["split_ratio"]) if r != 1.0}}
        return json_reply({"chart": {"result": [{
            "meta": {"currency": "USD", "symbol": symbol, "exchangeName": "PCX", "instrumentType": "ETF",
                     "exchangeTimezoneName": "America/New_York", "dataGranularity": "1d"},
            "timestamp": stamp, "events": events,
            "indicators": {"quote": [quote], "adjclose": [{"adjclose": quote["close"]}]}}], "error": None}})
    return handle


def occ(root: str, expiry: dt.date, right: str, strike: float) -> str:
    return f"{root}{expiry:%y%m%d}{right}{int(round(strike * 1000)):08d}"


def cboe_json(symbol: str, stamp: str, price: float, options: list[dict]) -> Handler:
    def handle(_query: dict[str, str]) -> Reply:
        return json_reply({"timestamp": stamp, "data": {
            "symbol": symbol, "security_type": "etf", "current_price": price, "price_change": 0.12,
            "price_change_percent": 0.14, "bid": price - 0.01, "ask": price + 0.01, "open": price, "high": price,
            "low": price, "close": price, "prev_day_close": price, "volume": 1000, "iv30": 16.2, "options": options}})
    return handle


def cboe_option(root: str, expiry: dt.date, right: str, strike: float, bid: float, ask: float, iv: float,
                delta: float, oi: int = 100, volume: int = 10) -> dict:
    return {"option": occ(root, expiry, right, strike), "bid": bid, "bid_size": 10, "ask": ask, "ask_size": 12,
            "iv": iv, "open_interest": oi, "volume": volume, "delta": delta, "gamma": 0.05, "vega": 0.11,
            "theta": -0.02, "rho": 0.01, "theo": (bid + ask) / 2, "change": 0.0, "open": 0.0, "high": 0.0, "low": 0.0,
            "tick": "no_change", "last_trade_price": (bid + ask) / 2, "last_trade_time": None,
            "percent_change": 0.0, "prev_day_close": (bid + ask) / 2}
