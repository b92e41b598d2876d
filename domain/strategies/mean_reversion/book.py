"""The walk-forward's book: each session, the decision production takes (``decision.decide_session``) on
the book as it stands before it, then ``kernel.advance`` (the function production steps day by day on the
stored book) with the strategy's ``Rules``. ``run_walk_book_reference`` is that plain per-day loop
(``domain.book.run_book`` with the decision as its policy); ``run_walk_book`` runs the same arithmetic
compiled in one pass (``fast_book``), held equal to it by tests/domain/mean_reversion/test_fast_book.py.

Conventions are the stepper's: weights are fractions of the book's equity held constant between decisions;
orders decided at D's close fill at D+1's open (``fill: next_open``); the kernel checks the 5% stop and the
6-session time stop on closes (the exit fills at the next open, possibly beyond the 5% line after a gap),
caps a trade at 5% of the name's 20-day dollar ADV at the book's equity, and books the costs
(commission + slippage, each side) in the next session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.book import BookResult, Rules, run_book
from domain.strategies.mean_reversion.decision import Held, decide_session, held_count
from domain.strategies.mean_reversion.params import RuleParams

REASONS = {"stop_loss": "stop", "time_stop": "time_stop"}
TRADE_COLUMNS = ("symbol", "side", "entry_date", "exit_date", "entry_price", "exit_price", "quantity",
                 "reason", "pnl", "return")


@dataclass(frozen=True)
class Signals:
    """What the book reads each session: ``long_score``/``short_score`` (T, N) are the entry probabilities
    where the entry rule holds and NaN elsewhere; ``long_alloc``/``short_alloc`` (T,) the side allocations
    of the day's regime; ``cap`` (T, N) the largest weight a new position may have (ADV cap at capital)."""

    long_score: np.ndarray
    short_score: np.ndarray
    long_alloc: np.ndarray
    short_alloc: np.ndarray
    cap: np.ndarray


def marks(close: np.ndarray) -> np.ndarray:
    """Close carried forward per name (a position is marked at its last known close)."""
    return pd.DataFrame(close, copy=False).ffill().to_numpy()


def book_rules(r: RuleParams) -> Rules:
    """The stepper's rules of the strategy's book: costs 5 + 10 bps, fills at the next open, 5% stop,
    6-session time stop, 40 names, 5% of ADV; no drawdown throttle (the document expects a 46% drawdown),
    so the re-arm policy never triggers."""
    return Rules(commission_bps=r.commission_bps, slippage_bps=r.slippage_bps, fill=r.fill,
                 min_weight=-max(r.bull_short, r.bear_short) / max(r.max_short, 1),
                 max_weight=max(r.bull_long, r.bear_long) / max(r.max_long, 1),
                 max_positions=r.max_long + r.max_short, stop_loss=r.stop_loss,
                 time_stop=r.time_stop_sessions, max_adv_fraction=r.adv_fraction, rearm="operator")


@dataclass(frozen=True)
class WalkBook:
    """``daily``: equity (from 1), net_return, cost, long/short/gross/net exposure, turnover, n_long,
    n_short by session; ``trades``: closed round trips (``TRADE_COLUMNS``); ``result``: run_book's."""

    daily: pd.DataFrame
    trades: pd.DataFrame
    result: BookResult

    @property
    def returns(self) -> pd.Series:
        return self.daily["net_return"]


def _names(symbols) -> list[str]:
    symbols = [str(s) for s in symbols]
    if symbols != sorted(set(symbols)):
        raise ValueError("run_walk_book: symbols must be sorted and unique (the book's instrument order)")
    return symbols


def run_walk_book(open_: np.ndarray, close: np.ndarray, adv: np.ndarray, signals: Signals, rules: RuleParams,
                  dates: pd.DatetimeIndex, symbols, qpi: np.ndarray | None = None) -> WalkBook:
    """The book over sessions ``dates`` (arrays sessions x ``symbols``: total-return open and close, dollar
    ADV) with the day's ``signals``, starting flat with the strategy's capital. Fills at the next open run
    compiled in one pass (``fast_book``, held equal to ``run_walk_book_reference`` by the tests); fills at
    the close run the reference."""
    symbols = _names(symbols)
    if rules.fill != "next_open":
        return run_walk_book_reference(open_, close, adv, signals, rules, dates, symbols, qpi)
    from domain.strategies.mean_reversion.fast_book import run_fast  # numba loads on first use, not on import

    result = run_fast(open_, close, marks(close), adv, signals, rules, book_rules(rules), dates, symbols)
    rows = _fill_rows(result)
    return WalkBook(_daily(result, rules.capital, rows), _trades(result, dates, rules, rows), result)


def run_walk_book_reference(open_: np.ndarray, close: np.ndarray, adv: np.ndarray, signals: Signals,
                            rules: RuleParams, dates: pd.DatetimeIndex, symbols,
                            qpi: np.ndarray | None = None) -> WalkBook:
    """``run_walk_book`` as the plain per-day loop: each session, the decision production takes
    (``decide_session`` on the book as it stands) and the session function production steps
    (``kernel.advance`` inside ``run_book``). The readable reference the compiled pass is held to."""
    symbols = _names(symbols)
    mark = marks(close)
    ordinals = np.array([d.toordinal() for d in dates], dtype=float)
    capital = rules.capital
    col = {s: k for k, s in enumerate(symbols)}

    position = {d: k for k, d in enumerate(ordinals.tolist())}  # entry day -> session index

    def policy(t: int, state) -> np.ndarray:
        """The book as production reads it before session t (names with a weight decided), decided."""
        idx = np.flatnonzero(state.pending)
        held = []
        for k, w, day, entry, last in zip(idx.tolist(), state.pending[idx].tolist(), state.entry_day[idx].tolist(),
                                          state.entry_price[idx].tolist(), state.last_close[idx].tolist()):
            sessions = None if math.isnan(day) else held_count(t + 1, position[day], rules)  # NaN: not filled yet
            held.append(Held(symbols[k], 1 if w > 0 else -1, w, w * capital / last, entry, sessions))
        px = dict(zip([symbols[k] for k in idx.tolist()], mark[t, idx].tolist()))
        weights, _, _ = decide_session(
            held, px, symbols, {1: signals.long_score[t], -1: signals.short_score[t]},
            {1: float(signals.long_alloc[t]), -1: float(signals.short_alloc[t])}, signals.cap[t], rules,
            None if qpi is None else qpi[t])
        target = np.zeros(len(symbols))
        for name, w in weights.items():
            target[col[name]] = w
        return target

    frame = pd.DataFrame(close, index=dates, columns=symbols)
    result = run_book(pd.DataFrame(0.0, index=dates, columns=symbols), frame, book_rules(rules),
                      open_=pd.DataFrame(open_, index=dates, columns=symbols),
                      adv=pd.DataFrame(adv, index=dates, columns=symbols), capital=capital, policy=policy)
    rows = _fill_rows(result)
    return WalkBook(_daily(result, capital, rows), _trades(result, dates, rules, rows), result)


def _fill_rows(result: BookResult):
    """Every fill vector in order (a session's open fill, then its close fill): (sessions, weight changes,
    equity at the fill, prices), stacked."""
    ts, deltas, equities, prices = [], [], [], []
    for t, s in result._fills:
        for delta, equity, price in ((s.open_fill, s.open_fill_equity, s.open_price),
                                     (s.close_fill, s.close_fill_equity, result._close[t])):
            if delta is not None:
                ts.append(t)
                deltas.append(delta)
                equities.append(equity)
                prices.append(price)
    m = result.held.shape[1]
    if not ts:
        return np.zeros(0, dtype=np.int64), np.zeros((0, m)), np.zeros(0), np.zeros((0, m))
    return np.array(ts, dtype=np.int64), np.stack(deltas), np.array(equities, dtype=float), np.stack(prices)


def _daily(result: BookResult, capital: float, rows=None) -> pd.DataFrame:
    h = result.held.to_numpy()
    f = result.frame
    ts, deltas = (rows or _fill_rows(result))[:2]
    turnover = np.zeros(len(f))
    np.add.at(turnover, ts, np.abs(deltas).sum(axis=1))
    long_, short = np.where(h > 0, h, 0.0).sum(axis=1), -np.where(h < 0, h, 0.0).sum(axis=1)
    return pd.DataFrame({
        "equity": f["equity"].to_numpy() / capital, "net_return": f["net_return"].to_numpy(),
        "cost": f["cost"].to_numpy(), "long_exposure": long_, "short_exposure": short,
        "gross_exposure": long_ + short, "net_exposure": long_ - short, "turnover": turnover,
        "n_long": (h > 0).sum(axis=1).astype(float), "n_short": (h < 0).sum(axis=1).astype(float)},
        index=f.index)


def _trades(result: BookResult, dates: pd.DatetimeIndex, rules: RuleParams, rows=None) -> pd.DataFrame:
    """Round trips from the fills: a trade opens when a name's weight leaves 0 and closes when it returns
    (``fast_book.round_trips``). ``return``: the side's price return from the entry fill to the exit fill
    less the costs of both sides; ``pnl``: that return on the entry notional, as a fraction of the capital
    (the book holds a constant weight, so its own P&L of the position differs slightly)."""
    symbols = list(result.exposures.columns)
    exits = [e for e in result.events if e.kind in REASONS]
    # one vectorised lookup: hashing a Timestamp per event costs more than the whole compiled book
    day = pd.DatetimeIndex([e.date for e in exits]).asi8 if exits else np.zeros(0, dtype=np.int64)
    t_of = pd.DatetimeIndex(dates).get_indexer(pd.DatetimeIndex(day)).tolist()
    reason = {(e.instrument, t): REASONS[e.kind] for e, t in zip(exits, t_of)}
    lag = 1 if rules.fill == "next_open" else 0
    from domain.strategies.mean_reversion.fast_book import round_trips  # numba loads on first use

    j, side, t0, t1, px0, px1, qty, pnl, ret = round_trips(*(rows or _fill_rows(result)), 2 * rules.cost_rate,
                                                           float(rules.capital))
    if not len(j):
        return pd.DataFrame(columns=list(TRADE_COLUMNS))
    names = [symbols[k] for k in j.tolist()]
    why = [reason.get((n, max(t - lag, 0)), "other") for n, t in zip(names, t1.tolist())]
    return pd.DataFrame({"symbol": names, "side": np.where(side > 0, "long", "short"), "entry_date": dates[t0],
                         "exit_date": dates[t1], "entry_price": px0, "exit_price": px1, "quantity": qty,
                         "reason": why, "pnl": pnl, "return": ret}, columns=list(TRADE_COLUMNS))
