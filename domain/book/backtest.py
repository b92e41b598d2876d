"""The backtest of a book: ``kernel.advance`` once per session over arrays of instruments, in one pass.

It is the daily ``step`` run over a whole history without storing the book in between, so a day-by-day
production run over the same data gives the same exposures, fills and equity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from domain.book.book import (
    Book,
    Event,
    Fill,
    active_filters,
    book_from_state,
    events_of,
    fills_of,
    market_index,
    state_of,
)
from domain.book.kernel import FLAG_NAMES, HISTORY_FLAGS, State, advance
from domain.book.rules import Rules
from domain.errors import InputError

HISTORY_MASK = sum(HISTORY_FLAGS)


@dataclass(frozen=True)
class BookResult:
    """``frame``: per session equity, net_return, gross_return, cost, drawdown (vs the throttle's peak),
    flags (bit mask, ``FLAG_NAMES``). ``exposures``: the weights decided at each close (sessions x
    instruments); ``held``: the weights held at each close. ``events``: what the rules did.
    ``rearm``: the re-arm policy simulated (printed with any backtest figure)."""

    frame: pd.DataFrame
    exposures: pd.DataFrame
    held: pd.DataFrame
    events: list[Event]
    rules: Rules
    book: Book
    _fills: list = field(default_factory=list, repr=False)
    _close: np.ndarray | None = field(default=None, repr=False)

    @property
    def rearm(self) -> str:
        return self.rules.describe_rearm()

    @property
    def equity(self) -> pd.Series:
        return self.frame["equity"]

    @property
    def returns(self) -> pd.Series:
        return self.frame["net_return"]

    def fills(self) -> list[Fill]:
        """Every fill, in date order (built on demand: a long many-name backtest has many)."""
        instruments = list(self.exposures.columns)
        out: list[Fill] = []
        for t, session in self._fills:
            out += fills_of(session, instruments, self.frame.index[t], self._close[t], self.rules)
        return out

    def filter_days(self) -> pd.DataFrame:
        f = self.frame["flags"].to_numpy()
        return pd.DataFrame({name: (f & bit) != 0 for bit, name in FLAG_NAMES.items()}, index=self.frame.index)


def _matrix(frame: pd.DataFrame | None, index, columns, name: str) -> np.ndarray | None:
    if frame is None:
        return None
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"run_book: {name} must be a DataFrame (sessions x instruments)")
    return frame.reindex(index=index, columns=columns).to_numpy(dtype=float)


def run_book(targets: pd.DataFrame, close: pd.DataFrame, rules: Rules, open_: pd.DataFrame | None = None,
             adv: pd.DataFrame | None = None, capital: float = 1.0, book: Book | None = None,
             policy: Callable[[int, State], np.ndarray] | None = None) -> BookResult:
    """Backtest wanted weights ``targets`` (sessions x instruments, decided at each close, NaN = 0) on
    ``close`` prices (and ``open_`` when fills are at the next open; ``adv`` for the liquidity cap),
    starting from ``book`` (default: flat with ``capital``).

    ``policy(t, state)``, when given, decides session t's wanted weights instead of ``targets`` (which then
    only names the sessions and instruments), from the book as it stands before that session: ``state``
    (arrays over the sorted instruments) is what a daily decide reads from the stored book, for strategies
    whose targets depend on what they hold (slots, names held, entry prices)."""
    if not isinstance(targets, pd.DataFrame) or not isinstance(close, pd.DataFrame):
        raise InputError("run_book: targets and close must be DataFrames (sessions x instruments)")
    index = targets.index
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InputError("run_book: the sessions must be increasing without duplicates")
    if rules.fill == "next_open" and open_ is None:
        raise InputError("run_book: fills at the next open need open prices")
    start = book if book is not None else Book(capital=capital)
    columns = sorted(set(map(str, targets.columns)) | set(start.positions.index) |
                     ({rules.market} if rules.market else set()))
    market = market_index(columns, rules)
    x = _matrix(targets.rename(columns=str), index, columns, "targets")
    c = _matrix(close.rename(columns=str), index, columns, "close")
    o = _matrix(open_.rename(columns=str), index, columns, "open") if open_ is not None else None
    a = _matrix(adv.rename(columns=str), index, columns, "adv") if adv is not None else None
    state: State = state_of(start, columns)
    n, m = x.shape
    exposures = np.zeros((n, m))
    held = np.zeros((n, m))
    cols = {k: np.zeros(n) for k in ("equity", "net_return", "gross_return", "cost", "drawdown")}
    flags = np.zeros(n, dtype=np.int64)
    events: list[Event] = []
    fills: list = []
    level, previous_flags = start.level, start.flags
    for t in range(n):
        before = state.equity
        s = advance(state, x[t] if policy is None else policy(t, state), c[t], None if o is None else o[t], None if a is None else a[t], rules,
                    day=index[t].toordinal(), market=market)
        exposures[t] = state.pending
        held[t] = state.held
        cols["equity"][t] = s.equity
        cols["net_return"][t] = s.equity / before - 1.0
        cols["gross_return"][t] = s.gross
        cols["cost"][t] = s.cost
        cols["drawdown"][t] = s.drawdown
        flags[t] = s.flags
        if s.open_fill is not None or s.close_fill is not None:
            fills.append((t, s))
        if s.stop_loss.any() or s.time_stop.any() or s.rearmed or s.level != level or \
                (s.flags ^ previous_flags) & HISTORY_MASK:
            events += events_of(s, columns, index[t], rules, level, previous_flags)
        level, previous_flags = s.level, s.flags
    frame = pd.DataFrame({**cols, "flags": flags}, index=index)
    final = book_from_state(start, state, columns, index[-1]) if n else start
    return BookResult(frame=frame, exposures=pd.DataFrame(exposures, index=index, columns=columns),
                      held=pd.DataFrame(held, index=index, columns=columns), events=events, rules=rules,
                      book=final, _fills=fills, _close=c)


__all__ = ["BookResult", "active_filters", "run_book"]
