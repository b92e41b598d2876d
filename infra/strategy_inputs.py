"""Loading a strategy's ``Inputs`` from the database, driven only by its ``Needs``.

One loader for every strategy: bars by symbol (total-return adjusted), the stock universe panel, Treasury
yields (decimals), stored option chains, and legs (other strategies' daily returns, or ``buy_and_hold:SYM``).
Everything is dated <= ``end``; ``start`` (optional) trims history for the daily decision.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, select

from domain.errors import InputError
from domain.fingerprint import frame_fingerprint
from domain.strategies.base import Inputs, Needs
from domain.strategies.base import BUY_AND_HOLD
from infra.book_store import book_days
from infra.db.models.market import Instrument
from domain.portfolio.positions import SpreadPosition
from infra.market_store import load_adjusted_bars, load_bars, load_option_quotes, load_yields
from infra.portfolio_store import open_positions_at
from infra.research_store import latest_walk_forward

UNIVERSE_COLUMNS = ["date", "symbol", "open", "high", "low", "close", "volume"]


def history_start(end: dt.date, history_days: int) -> dt.date | None:
    """A first date that leaves at least ``history_days`` sessions before ``end`` (None: all history).
    Calendar days are over-counted (7/5 plus holidays) so the window is never short."""
    if history_days <= 0:
        return None
    return end - dt.timedelta(days=int(history_days * 7 / 5) + 15)


def _symbol_bars(engine: Engine, symbols: tuple[str, ...], start, end) -> dict[str, pd.DataFrame]:
    bars = {}
    for symbol in symbols:
        frame = load_adjusted_bars(engine, symbol, end, start)
        if frame.empty:
            raise InputError(f"no {symbol} bars in the database up to {end}: load them first (quantops demo / ingest)")
        bars[symbol] = frame
    return bars


def load_universe(engine: Engine, end: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    """Long frame (date, symbol, open, high, low, close, volume) of every stored equity (not ETFs or
    indices), prices total-return adjusted like ``load_adjusted_bars``."""
    with engine.connect() as conn:
        symbols = list(conn.scalars(select(Instrument.symbol).where(Instrument.asset_class == "equity")))
    bars = load_bars(engine, symbols, start, end) if symbols else pd.DataFrame()
    if bars.empty:
        raise InputError(f"no universe (equity) bars in the database up to {end}: ingest the universe first")
    factor = bars["adj_close"] / bars["close"]
    out = bars.assign(open=bars["open"] * factor, high=bars["high"] * factor, low=bars["low"] * factor,
                      close=bars["adj_close"])
    return out[UNIVERSE_COLUMNS].reset_index(drop=True)


def _yields(engine: Engine, series: tuple[str, ...], start, end) -> pd.DataFrame:
    frame = load_yields(engine, series, start, end)
    missing = [s for s in series if s not in frame.columns]
    if missing:
        raise InputError(f"no yields for {', '.join(missing)} in the database up to {end}: ingest them first")
    return frame[list(series)] / 100.0  # stored in percent; strategies take decimals


def load_leg(engine: Engine, leg: str, end: dt.date, start: dt.date | None = None) -> pd.Series:
    """A leg's daily return series dated <= end: ``buy_and_hold:SYM`` is SYM's total return; any other name
    is that strategy's stored out-of-sample daily returns (its walk-forward run reaching furthest back, not
    the few quarters a retrain validates on) followed by its paper book's live daily returns from the book's
    first session on."""
    if leg.startswith(BUY_AND_HOLD):
        symbol = leg[len(BUY_AND_HOLD):]
        close = _symbol_bars(engine, (symbol,), start, end)[symbol]["close"]
        return close.pct_change().dropna().rename(leg)
    found = latest_walk_forward(engine, leg, longest=True)
    days = book_days(engine, leg)
    live = pd.Series(days["net_return"].to_numpy(dtype=float), index=pd.to_datetime(days["as_of"]))
    if found is None and live.empty:
        raise InputError(f"leg {leg!r}: no stored daily returns (run `quantops walk-forward --strategy {leg}` first)")
    parts = [live]
    if found is not None:
        backtest = found[2]["strategy_return"]
        parts.insert(0, backtest.loc[backtest.index < live.index.min()] if not live.empty else backtest)
    returns = pd.concat([p for p in parts if not p.empty]).sort_index()
    returns = returns.loc[returns.index <= pd.Timestamp(end)]
    if start is not None:
        returns = returns.loc[returns.index >= pd.Timestamp(start)]
    return returns.rename(leg)


def read_inputs(engine: Engine, needs: Needs, end: dt.date, start: dt.date | None = None) -> Inputs:
    """Everything ``needs`` asks for, dated in [start, end], with a fingerprint over all of it."""
    bars = _symbol_bars(engine, tuple(needs.symbols), start, end)
    universe = load_universe(engine, end, start) if needs.universe else None
    yields = _yields(engine, tuple(needs.yields), start, end) if needs.yields else None
    options = {}
    for underlying in needs.option_chains:
        quotes = load_option_quotes(engine, underlying, start=start, end=end)
        if not quotes.empty:
            options[underlying] = quotes
    legs = {leg: load_leg(engine, leg, end, start) for leg in needs.legs}
    raw = {symbol: load_raw_closes(engine, symbol, end, start) for symbol in needs.raw_closes}
    spreads = tuple(p for p in open_positions_at(engine, end)
                    if isinstance(p, SpreadPosition) and p.underlying in needs.open_spreads) if needs.open_spreads else ()
    parts = [*bars.values(), universe, yields, *options.values(), *legs.values(), *raw.values()]
    return Inputs(as_of=pd.Timestamp(end), bars=bars, universe=universe, yields=yields, options=options, legs=legs,
                  raw_closes=raw, open_spreads=spreads, fingerprint=frame_fingerprint(*parts))


def load_raw_closes(engine: Engine, symbol: str, end: dt.date, start: dt.date | None = None) -> pd.Series:
    """As-traded closes of ``symbol`` dated in [start, end] (the adjusted bars' ``close`` is total return)."""
    bars = load_bars(engine, [symbol], start, end)
    if bars.empty:
        raise InputError(f"no {symbol} bars in the database up to {end}: load them first (quantops demo / ingest)")
    return pd.Series(bars["close"].to_numpy(dtype=float), index=pd.DatetimeIndex(bars["date"], name="date"),
                     name=symbol)
