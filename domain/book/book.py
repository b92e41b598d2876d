"""A strategy's book and the pure daily step: ``step(book, targets, prices, rules) -> (book, fills, events)``.

The book is what production stores between sessions; ``step`` is ``kernel.advance`` on it for one session,
the same function the backtest (``domain.book.run_book``) loops over. Weights are signed fractions of the
book's equity (held at constant weight between decisions, the convention of every backtest here); a fill's
quantity is its notional (weight change x equity at the fill) over the fill price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from domain.book.kernel import FLAG_NAMES, HISTORY_FLAGS, Session, State, advance
from domain.book.rules import Rules
from domain.errors import InputError

POSITION_COLUMNS = ("held", "pending", "entry_price", "entry_date", "sessions_held", "last_close")
STEPPABLE_KINDS = ("exposure", "book")


@dataclass(frozen=True)
class Fill:
    """One executed (paper) trade: ``weight_change`` of the book's equity at ``price``, at the session's
    open or close; ``notional = weight_change x equity at the fill``, ``quantity = notional / price``,
    ``cost = cost rate x |notional|`` (booked in the next session's P&L)."""

    date: pd.Timestamp
    instrument: str
    timing: str
    weight_change: float
    price: float
    notional: float
    quantity: float
    cost: float


@dataclass(frozen=True)
class Event:
    """Something the rules did: kind is one of stop_loss, time_stop, throttle (level changed), trailing_stop,
    correlation_scale, correlation_stop, drawdown_autocorr (each also as `<kind>_cleared`),
    drawdown_stop, rearmed, missing_price; ``instrument`` for per-position events; ``detail`` numbers."""

    date: pd.Timestamp
    kind: str
    instrument: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Book:
    """A strategy's book after the close of ``as_of``. ``positions`` is indexed by instrument with columns
    held (weight held now), pending (weight decided at the last close, filled at the next open when fills
    are at the open, else equal to held), entry_price, entry_date, sessions_held, last_close.
    ``equity`` in currency (starts at ``capital``); ``peak``: the peak the throttle measures against;
    ``pending_cost``: the last decision's cost rate x turnover, booked next session; ``stopped_sessions``:
    consecutive sessions under the drawdown stop; ``level``: throttle level (0 = none)."""

    capital: float = 1.0
    as_of: pd.Timestamp | None = None
    positions: pd.DataFrame = field(default_factory=lambda: _empty_positions())
    equity: float | None = None
    peak: float | None = None
    pending_cost: float = 0.0
    stopped_sessions: int = 0
    level: int = 0
    gross_return: float = 0.0  # of the session that produced this book
    cost: float = 0.0
    flags: int = 0
    session_drawdown: float = 0.0  # the drawdown the throttle saw at that close (before any re-arm)
    # the strategy's past live forecasts (date -> value) for a decide that sizes by their spread; not stepped
    forecasts: pd.Series | None = field(default=None, compare=False, repr=False)
    memory: Mapping[str, Any] = field(default_factory=dict)  # recent sessions the history rules read

    def __post_init__(self) -> None:
        if not self.capital > 0:
            raise InputError("book: capital must be > 0")
        if self.equity is None:
            object.__setattr__(self, "equity", float(self.capital))
        if self.peak is None:
            object.__setattr__(self, "peak", float(self.equity))

    @property
    def drawdown(self) -> float:
        """Drawdown (<= 0) against the peak the throttle uses (reset by a re-arm)."""
        return self.equity / self.peak - 1.0

    @property
    def weights(self) -> dict[str, float]:
        """Weights decided at the last close (what the book holds, or will hold after the next open), of
        the instruments not flat: what a strategy's ``decide`` reads as its book."""
        p = self.positions["pending"]
        return {str(k): float(v) for k, v in p[p != 0].items()}

    def open_positions(self) -> pd.DataFrame:
        p = self.positions
        return p[(p["held"] != 0) | (p["pending"] != 0)]


def _empty_positions() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in POSITION_COLUMNS})
    frame["entry_date"] = pd.Series(dtype="datetime64[ns]")
    frame["sessions_held"] = pd.Series(dtype=np.int64)
    frame.index.name = "instrument"
    return frame


def _day(ts: pd.Timestamp) -> int:
    return pd.Timestamp(ts).toordinal()


def state_of(book: Book, instruments: list[str]) -> State:
    p = book.positions.reindex(instruments)
    entry_day = np.array([np.nan if pd.isna(d) else float(_day(d)) for d in p["entry_date"]], dtype=float)
    return State(held=p["held"].fillna(0.0).to_numpy(dtype=float), pending=p["pending"].fillna(0.0).to_numpy(dtype=float),
                 entry_price=p["entry_price"].to_numpy(dtype=float),
                 sessions_held=p["sessions_held"].fillna(0).to_numpy(dtype=np.int64),
                 last_close=p["last_close"].to_numpy(dtype=float), entry_day=entry_day,
                 equity=float(book.equity), peak=float(book.peak), pending_cost=float(book.pending_cost),
                 stopped_sessions=int(book.stopped_sessions), level=int(book.level), memory=dict(book.memory))


def market_index(instruments: list[str], rules: Rules) -> int | None:
    """Where the market the correlation rules read is among the book's instruments (None: no such rule)."""
    if rules.correlation_scale is None and rules.correlation_stop is None:
        return None
    if rules.market is not None:
        return instruments.index(rules.market)
    if len(instruments) != 1:
        raise InputError(f"rules: the correlation rules need a market instrument (book of {len(instruments)} names)")
    return 0


def _column(prices: pd.DataFrame, name: str, instruments: list[str], required: bool) -> np.ndarray | None:
    if name not in prices.columns:
        if required:
            raise InputError(f"step: prices need a column {name!r}")
        return None
    return prices[name].reindex(instruments).to_numpy(dtype=float)


def fills_of(session: Session, instruments: list[str], date: pd.Timestamp, close: np.ndarray,
             rules: Rules) -> list[Fill]:
    """The session's fills (at the open, then at the close), in instrument order."""
    out = []
    for timing, delta, equity, price in (("open", session.open_fill, session.open_fill_equity, session.open_price),
                                         ("close", session.close_fill, session.close_fill_equity, close)):
        if delta is None:
            continue
        for i in np.flatnonzero(delta):
            notional = float(delta[i]) * equity
            out.append(Fill(date=date, instrument=instruments[i], timing=timing, weight_change=float(delta[i]),
                            price=float(price[i]), notional=notional, quantity=notional / float(price[i]),
                            cost=rules.cost_rate * abs(notional)))
    return out


def events_of(session: Session, instruments: list[str], date: pd.Timestamp, rules: Rules,
              previous_level: int, previous_flags: int = 0) -> list[Event]:
    """Per-position stops, throttle level changes, the drawdown stop and its re-arm, and each history rule
    (trailing stop, correlation scale/stop, drawdown autocorrelation) when it starts and when it clears."""
    out = [Event(date, "stop_loss", instruments[i]) for i in np.flatnonzero(session.stop_loss)]
    out += [Event(date, "time_stop", instruments[i]) for i in np.flatnonzero(session.time_stop)]
    out += history_events(session, date, previous_flags)
    if session.level != previous_level:
        scale = session.scale
        out.append(Event(date, "throttle", None, {"from": previous_level, "to": session.level, "scale": scale,
                                                  "drawdown": session.drawdown}))
        if scale == 0.0 and session.level == len(rules.drawdown_thresholds):
            out.append(Event(date, "drawdown_stop", None, {"drawdown": session.drawdown,
                                                           "rearm": rules.describe_rearm()}))
    if session.rearmed:
        out.append(Event(date, "rearmed", None, {"policy": rules.describe_rearm(), "equity": session.equity}))
    return out


def history_events(session: Session, date: pd.Timestamp, previous_flags: int) -> list[Event]:
    """One event when a history rule starts (named after it) and one when it clears (``<name>_cleared``)."""
    detail = {"fall_from_high": session.fall, "correlation": session.correlation, "drawdown": session.drawdown}
    if session.autocorr is not None:
        detail["autocorr"] = [float(a) for a in session.autocorr]
    detail = {k: v for k, v in detail.items() if v is not None}
    out = []
    for bit in HISTORY_FLAGS:
        now, before = bool(session.flags & bit), bool(previous_flags & bit)
        if now != before:
            out.append(Event(date, FLAG_NAMES[bit] if now else f"{FLAG_NAMES[bit]}_cleared", None, detail))
    return out


def active_filters(flags: int) -> list[str]:
    return [name for bit, name in FLAG_NAMES.items() if flags & bit]


def step(book: Book, targets, prices: pd.DataFrame, rules: Rules) -> tuple[Book, list[Fill], list[Event]]:
    """One session of ``book``: P&L since its last close, fills, stops, throttle, re-arm, and the new
    decision from ``targets`` (a ``Targets`` of kind exposure or book, decided at the close of
    ``targets.as_of``). ``prices``: indexed by instrument, columns close (and open when fills are at the
    next open; adv for the liquidity cap), of the session ``targets.as_of``."""
    kind = getattr(targets, "kind", None)
    if kind not in STEPPABLE_KINDS:
        raise InputError(f"step: targets of kind {kind!r} are not stepped here (only {STEPPABLE_KINDS})")
    date = pd.Timestamp(targets.as_of)
    if book.as_of is not None and date <= book.as_of:
        raise InputError(f"step: book is already at {book.as_of.date()}, cannot step {date.date()}")
    wanted = {str(k): float(v) for k, v in targets.weights.items()}
    instruments = sorted(set(book.positions.index) | set(wanted) | ({rules.market} if rules.market else set()))
    state = state_of(book, instruments)
    close = _column(prices, "close", instruments, True)
    open_ = _column(prices, "open", instruments, rules.fill == "next_open")
    adv = _column(prices, "adv", instruments, False)
    missing = [instruments[i] for i in np.flatnonzero(~np.isfinite(close))
               if state.held[i] != 0 or state.pending[i] != 0 or wanted.get(instruments[i], 0.0) != 0]
    target = np.array([wanted.get(name, 0.0) for name in instruments])
    previous_level = book.level
    market = market_index(instruments, rules)
    session = advance(state, target, close, open_, adv, rules, day=_day(date), market=market)
    fills = fills_of(session, instruments, date, close, rules)
    events = [Event(date, "missing_price", name) for name in missing]
    events += events_of(session, instruments, date, rules, previous_level, book.flags)
    after = book_from_state(book, state, instruments, date, market)
    return replace(after, gross_return=session.gross, cost=session.cost, flags=session.flags,
                   session_drawdown=session.drawdown), fills, events


@dataclass(frozen=True)
class Order:
    """What the desk must do for the next session: move ``instrument`` by ``weight_change`` of the book's
    equity; ``quantity`` is estimated at ``reference_price`` (the decision's close)."""

    instrument: str
    weight_change: float
    reference_price: float
    notional: float
    quantity: float


def orders(before: Book, after: Book) -> list[Order]:
    """The orders a step decided: the change from the previous decision's weights to the new ones."""
    names = sorted(set(before.positions.index) | set(after.positions.index))
    old = before.positions["pending"].reindex(names).fillna(0.0)
    new = after.positions["pending"].reindex(names).fillna(0.0)
    price = after.positions["last_close"].reindex(names)
    out = []
    for name in names:
        change = float(new[name] - old[name])
        if change != 0.0:
            notional = change * after.equity
            ref = float(price[name])
            out.append(Order(name, change, ref, notional, notional / ref if ref > 0 else float("nan")))
    return out


def book_from_state(book: Book, state: State, instruments: list[str], date: pd.Timestamp,
                    market: int | None = None) -> Book:
    entry = [pd.NaT if not np.isfinite(d) else pd.Timestamp.fromordinal(int(d)) for d in state.entry_day]
    positions = pd.DataFrame({"held": state.held, "pending": state.pending, "entry_price": state.entry_price,
                              "entry_date": pd.to_datetime(pd.Series(entry, dtype="datetime64[ns]")).to_numpy(),
                              "sessions_held": state.sessions_held.astype(np.int64),
                              "last_close": state.last_close},
                             index=pd.Index(instruments, name="instrument"))
    # names exited today stay one more day (weight 0), so the exit's order has its price and shows
    before = book.positions
    was = ((before["held"] != 0) | (before["pending"] != 0)).reindex(positions.index, fill_value=False)
    keep = (positions["held"] != 0) | (positions["pending"] != 0) | was
    if market is not None:  # the correlation rules need the market's last close even while it is not held
        keep.iloc[market] = True
    return replace(book, as_of=date, positions=positions[keep], equity=state.equity, peak=state.peak,
                   pending_cost=state.pending_cost, stopped_sessions=state.stopped_sessions, level=state.level,
                   memory=state.guards.memory() if state.guards is not None else book.memory)


def rearm(book: Book, date: pd.Timestamp, reason: str) -> tuple[Book, Event]:
    """The operator's re-arm after a drawdown stop (``rearm: operator``): the throttle's peak becomes the
    current equity, so trading resumes at the next decision. ``reason`` is required and recorded."""
    if not str(reason).strip():
        raise InputError("rearm: a reason is required")
    event = Event(pd.Timestamp(date), "rearmed", None, {"policy": "operator", "reason": str(reason),
                                                        "drawdown": book.drawdown, "equity": book.equity})
    return replace(book, peak=book.equity, stopped_sessions=0, level=0), event
