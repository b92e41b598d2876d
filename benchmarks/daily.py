"""Speed of the daily flow on PostgreSQL: 500 open positions, a 500-symbol universe.

Run: uv run python benchmarks/daily.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
Creates a scratch database (dropped afterwards), loads a year of synthetic bars for 500 symbols and TLT,
250 TLT put spreads (half with quotes on the day, half priced by the model) and 250 stock positions,
an external NAV and 20 days of daily NAVs; alerts go to a local HTTP receiver. Prefect runs against a
temporary server started before the clock starts. Then it times `daily(as_of)` end to end (market data
of the day from a vendor folder, marks, NAV, risk checks, alerts, summary, report, signals), first run
and rerun, and prints the figures against the 10 s target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AS_OF = dt.date(2025, 1, 13)
N_SYMBOLS = 500
N_SPREADS = 250
N_STOCKS = 250
TARGET_S = 10.0


def _sessions(end: dt.date, n: int) -> list[dt.date]:
    from domain.calendar import sessions_between

    return sessions_between(end - dt.timedelta(days=int(n * 1.6) + 10), end)[-n:]


def _bars(symbols: list[str], days: list[dt.date], rng: np.random.Generator) -> pd.DataFrame:
    n = len(days)
    steps = rng.normal(0.0003, 0.015, size=(len(symbols), n))
    closes = 50.0 * np.exp(np.cumsum(steps, axis=1)) * rng.uniform(0.5, 4.0, size=(len(symbols), 1))
    frame = pd.DataFrame({
        "symbol": np.repeat(symbols, n),
        "date": pd.to_datetime(np.tile(days, len(symbols))),
        "close": closes.ravel(),
    })
    frame["open"] = frame["close"] * 0.999
    frame["high"] = frame["close"] * 1.01
    frame["low"] = frame["close"] * 0.99
    frame["adj_close"] = frame["close"]
    frame["volume"] = 1_000_000.0
    return frame[["symbol", "date", "open", "high", "low", "close", "adj_close", "volume"]]


def setup(url: str, source: Path, rng: np.random.Generator) -> None:
    from domain.portfolio.nav import NavPoint
    from domain.portfolio.positions import StockPosition, make_credit_spread
    from infra import portfolio_store as store
    from infra.db.engine import get_engine, transaction
    from infra.db.migrate import upgrade
    from infra.market_store import ensure_instruments, store_bars

    upgrade(url)
    engine = get_engine(url)
    days = _sessions(AS_OF, 260)
    history, today = days[:-1], days[-1]
    symbols = [f"S{i:03d}" for i in range(N_SYMBOLS)]
    bars = _bars([*symbols, "TLT"], days, rng)
    past = bars[bars["date"] < pd.Timestamp(today)]
    with engine.begin() as conn:
        ensure_instruments(conn, [*symbols, "TLT"])
        store_bars(conn, past, "bench")
    # the day's vendor files: universe bars, TLT bar, TLT option chain (first expiry only)
    (source / "universe").mkdir(parents=True)
    (source / "bars").mkdir()
    (source / "options").mkdir()
    day_bars = bars[bars["date"] == pd.Timestamp(today)].copy()
    day_bars["date"] = day_bars["date"].dt.strftime("%Y-%m-%d")
    day_bars[day_bars["symbol"] != "TLT"].to_csv(source / "universe" / "universe.csv", index=False)
    day_bars[day_bars["symbol"] == "TLT"].drop(columns="symbol").to_csv(source / "bars" / "TLT.csv", index=False)
    spot = float(day_bars.loc[day_bars["symbol"] == "TLT", "close"].iloc[0])
    exp_quoted, exp_model = dt.date(2025, 2, 21), dt.date(2025, 3, 21)
    strikes = np.arange(np.floor(spot * 0.75), np.ceil(spot * 1.05) + 1)
    chain = []
    for k in strikes:
        mid = max(0.02, float(np.exp((k - spot) / (0.06 * spot))) * 1.5)
        chain.append({"quote_date": today.isoformat(), "quote_time": "16:00", "underlying_price": round(spot, 4),
                      "option_type": "P", "expiration_date": exp_quoted.isoformat(), "strike": float(k),
                      "bid": round(mid * 0.95, 4), "ask": round(mid * 1.05, 4), "implied_vol": 16.0, "delta": -0.3})
    pd.DataFrame(chain).to_csv(source / "options" / f"TLT_{today.isoformat()}.csv", index=False)

    stock_closes = past[past["date"] == pd.Timestamp(history[-1])].set_index("symbol")["close"]
    with transaction(engine) as s:
        for i in range(N_SPREADS):
            short = float(rng.choice(strikes[3:-8]))
            store.add_spread(s, make_credit_spread(
                strategy="tlt_overlay", option_type="put", short_strike=short, long_strike=short - 3,
                expiration=exp_quoted if i % 2 == 0 else exp_model, credit=round(float(rng.uniform(0.3, 1.2)), 2),
                contracts=int(rng.integers(1, 10)), underlying_price=spot, opened=history[-1 - i % 15],
                iv=0.16, id=None))
        for i in range(N_STOCKS):
            sym = symbols[i]
            entry = float(stock_closes[sym]) * float(rng.uniform(0.97, 1.03))
            store.add_stock(s, StockPosition(None, "mean_reversion", sym, float(rng.choice([-100, 100])),
                                             round(entry, 2), history[-1 - i % 8]))
        store.set_external_nav(s, history[-21], 10_000_000.0)
        for j, d in enumerate(history[-20:]):
            nav = 10_000_000.0 * (1 + 0.001 * np.sin(j))
            store.save_nav(s, NavPoint(d, nav, 10_010_000.0, 0.0, 0.0, 0.0, history[-21], 10_000_000.0), 500, None)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default=os.environ.get("QUANTOPS_TEST_PG_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    admin = make_url(args.pg)
    libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"quantops_bench_{uuid.uuid4().hex[:8]}"
    url = admin.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    workdir = Path(tempfile.mkdtemp(prefix="qb", dir="/tmp"))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.infra.notify_fakes import JsonReceiver

    try:
        with JsonReceiver() as rx:
            os.environ.update({"QUANTOPS_DATABASE_URL": url, "QUANTOPS_DATA_SOURCE": f"dir:{workdir / 's'}",
                               "QUANTOPS_ALERT_URLS": rx.url(), "QUANTOPS_HOME": str(workdir / "home")})
            from infra.settings import reset_settings_cache

            reset_settings_cache()
            t0 = time.perf_counter()
            setup(url, workdir / "s", np.random.default_rng(7))
            setup_s = time.perf_counter() - t0

            from prefect import flow
            from prefect.testing.utilities import prefect_test_harness

            from flows.daily import daily

            @flow
            def warm_up() -> int:
                return 1

            t0 = time.perf_counter()
            with prefect_test_harness(server_startup_timeout=120):
                warm_up()
                prefect_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                first = daily(AS_OF)
                first_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                second = daily(AS_OF)
                second_s = time.perf_counter() - t0
            p = first["portfolio"]
            print(f"setup (not timed): {setup_s:.1f} s; Prefect start-up (not timed): {prefect_s:.1f} s")
            print(f"positions {p['positions']}, marked {p['marked']} {p['mark_sources']}, alerts {p['alerts']}, "
                  f"deliveries {p['deliveries_sent']} (receiver got {len(rx.received)}), "
                  f"market rows {first['market_data']['rows']}")
            print(f"daily flow, first run: {first_s:.2f} s  (target <= {TARGET_S:.0f} s, ratio {first_s / TARGET_S:.2f})")
            print(f"daily flow, rerun:     {second_s:.2f} s  (new alerts {second['portfolio']['new_alerts']}, "
                  f"deliveries {second['portfolio']['deliveries_sent']})")
            ok = first_s <= TARGET_S and p["marked"] == N_SPREADS + N_STOCKS
    finally:
        from infra.db.engine import dispose_engines

        dispose_engines()
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("OK" if ok else "TOO SLOW or incomplete")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
