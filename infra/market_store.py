"""Repository for market data: write validated frames, read them back for tasks and research."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Connection, Engine, and_, or_, select

from domain.errors import InputError
from domain.tlt.dividends import trailing_dividend_yield
from infra.db.models.market import DailyBar, Instrument, OptionQuote, YieldObservation
from infra.db.upsert import ensure_present, upsert_frame

BAR_KEYS = ("symbol", "date")
YIELD_KEYS = ("series", "date")
OPTION_KEYS = ("underlying", "quote_date", "expiration", "strike", "option_type")


def _asset_class(symbol: str) -> str:
    if symbol.startswith("^"):
        return "index"
    return "etf" if symbol in {"SPY", "QQQ", "TLT", "IWM", "DIA", "GLD", "IEF", "SHY"} else "equity"


def ensure_instruments(conn: Connection, symbols: Iterable[str]) -> None:
    rows = [{"symbol": s, "asset_class": _asset_class(s)} for s in sorted(set(symbols))]
    ensure_present(conn, Instrument.__table__, rows, ["symbol"])


def store_bars(conn: Connection, bars: pd.DataFrame, source: str) -> int:
    if bars.empty:
        return 0
    ensure_instruments(conn, bars["symbol"].unique())
    return upsert_frame(conn, DailyBar.__table__, bars, BAR_KEYS, constants={"source": source})


def store_yields(conn: Connection, yields: pd.DataFrame, source: str) -> int:
    return upsert_frame(conn, YieldObservation.__table__, yields, YIELD_KEYS, constants={"source": source})


def store_option_quotes(conn: Connection, quotes: pd.DataFrame, source: str) -> int:
    if quotes.empty:
        return 0
    ensure_instruments(conn, quotes["underlying"].unique())
    return upsert_frame(conn, OptionQuote.__table__, quotes, OPTION_KEYS, constants={"source": source})


STORES = {"bars": store_bars, "yields": store_yields, "options": store_option_quotes}
_SYMBOLS_PER_QUERY = 200  # keeps the OR chain well inside SQLite's expression depth limit


def bars_before(engine: Engine, bars: pd.DataFrame) -> pd.DataFrame:
    """For each symbol of `bars`, the last stored bar dated before that symbol's first bar in `bars`.

    Columns symbol, date (datetime64), close, adj_close: what a one-day file's closes are compared with.
    """
    firsts = bars.dropna(subset=["symbol", "date"]).groupby("symbol", observed=True)["date"].min()
    found = []
    for start in range(0, len(firsts), _SYMBOLS_PER_QUERY):
        # one index probe per symbol (latest date before its first), not a scan of its whole history
        latest = [
            and_(DailyBar.symbol == str(symbol), DailyBar.date == (
                select(DailyBar.date).where(DailyBar.symbol == str(symbol), DailyBar.date < first.date())
                .order_by(DailyBar.date.desc()).limit(1).scalar_subquery()
            ))
            for symbol, first in firsts.iloc[start : start + _SYMBOLS_PER_QUERY].items()
        ]
        found.append(_frame(engine, select(DailyBar.symbol, DailyBar.date, DailyBar.close, DailyBar.adj_close)
                            .where(or_(*latest))))
    frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame(
        columns=["symbol", "date", "close", "adj_close"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _dated_between(stmt, column, start: dt.date | None, end: dt.date | None):
    """`stmt` limited to start <= column <= end; a missing bound is open."""
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column <= end)
    return stmt


def _frame(engine: Engine, stmt) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def load_bars(
    engine: Engine, symbols: Iterable[str] | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Bars ordered by symbol and date; `date` as datetime64."""
    stmt = select(*[c for c in DailyBar.__table__.c if c.name != "id"]).order_by(DailyBar.symbol, DailyBar.date)
    if symbols is not None:
        stmt = stmt.where(DailyBar.symbol.in_(list(symbols)))
    stmt = _dated_between(stmt, DailyBar.date, start, end)
    frame = _frame(engine, stmt)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def load_closes(engine: Engine, symbols: Iterable[str], end: dt.date, start: dt.date | None = None,
                column: str = "adj_close") -> pd.DataFrame:
    """Wide frame of one price column: index date, one column per symbol, data dated <= end only."""
    bars = load_bars(engine, symbols, start, end)
    return bars.pivot(index="date", columns="symbol", values=column).sort_index()


def load_yields(engine: Engine, series: Iterable[str], start: dt.date | None = None,
                end: dt.date | None = None) -> pd.DataFrame:
    """Wide frame of yields in percent: index date, one column per series."""
    stmt = select(YieldObservation.series, YieldObservation.date, YieldObservation.value).where(
        YieldObservation.series.in_(list(series))
    )
    stmt = _dated_between(stmt, YieldObservation.date, start, end)
    frame = _frame(engine, stmt)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.pivot(index="date", columns="series", values="value").sort_index()


def load_option_quotes(engine: Engine, underlying: str, quote_date: dt.date | None = None,
                       start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    stmt = select(*[c for c in OptionQuote.__table__.c if c.name != "id"]).where(OptionQuote.underlying == underlying)
    if quote_date is not None:
        stmt = stmt.where(OptionQuote.quote_date == quote_date)
    stmt = _dated_between(stmt, OptionQuote.quote_date, start, end)
    frame = _frame(engine, stmt)
    for column in ("quote_date", "expiration"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def load_tlt_calibration_frame(engine: Engine, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """Columns date, yield_20y, yield_30y (percent, as stored), tlt_close (as-traded close) and tlt_adj_close
    (total-return adjusted: against tlt_close it gives the dividend yield); complete rows only."""
    columns = ["date", "yield_20y", "yield_30y", "tlt_close", "tlt_adj_close"]
    yields = load_yields(engine, ["DGS20", "DGS30"], start, end)
    bars = load_bars(engine, ["TLT"], start, end)
    if yields.empty or bars.empty or not {"DGS20", "DGS30"} <= set(yields.columns):
        return pd.DataFrame(columns=columns)
    tlt = bars.set_index("date")[["close", "adj_close"]].rename(columns={"close": "tlt_close",
                                                                        "adj_close": "tlt_adj_close"})
    joined = yields[["DGS20", "DGS30"]].join(tlt, how="inner").dropna(subset=["DGS20", "DGS30", "tlt_close"])
    return (joined.rename(columns={"DGS20": "yield_20y", "DGS30": "yield_30y"}).rename_axis("date")
            .reset_index()[columns])


def load_dividend_yield(engine: Engine, symbol: str, as_of: dt.date) -> float | None:
    """Continuous dividend yield over the 12 months to ``as_of`` from the stored raw and adjusted closes
    (``domain.tlt.dividends``); None when the stored closes do not cover that year."""
    bars = load_bars(engine, [symbol], as_of - dt.timedelta(days=400), as_of)
    if bars.empty:
        return None
    index = pd.DatetimeIndex(bars["date"])
    raw = pd.Series(bars["close"].to_numpy(dtype=float), index=index)
    adjusted = pd.Series(pd.to_numeric(bars["adj_close"], errors="coerce").to_numpy(dtype=float), index=index)
    try:
        return trailing_dividend_yield(raw, adjusted, as_of)
    except InputError:
        return None


def load_adjusted_bars(engine: Engine, symbol: str, end: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    """One symbol's bars dated <= end, total-return adjusted: open/high/low scaled by adj_close / close.

    Index: date (datetime64); columns open, high, low, close, volume.
    """
    bars = load_bars(engine, [symbol], start, end)
    factor = bars["adj_close"] / bars["close"]
    frame = pd.DataFrame(
        {"open": bars["open"] * factor, "high": bars["high"] * factor, "low": bars["low"] * factor,
         "close": bars["adj_close"], "volume": bars["volume"]}
    )
    frame.index = pd.DatetimeIndex(bars["date"], name="date")
    return frame
