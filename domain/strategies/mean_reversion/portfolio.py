"""The long/short book over a panel: one pass over sessions, arrays over instruments.

Timeline of session t (``fill='next_open'``, the default):

1. at t's open, orders decided at t-1's close fill: exits first, then entries (a name whose open is
   missing keeps its exit order for the next open; an entry that cannot fill is cancelled);
2. at t's close every position is marked (last known close if the name has no bar), its session count
   goes up by one, and the exits are decided: a **stop** when the close is 5% or more against the entry
   fill (long: close <= entry x 0.95; short: close >= entry x 1.05), a **time stop** once the position
   has been held 6 sessions (entered at t's open, it leaves at the open of t+6). Stops are checked on
   closes only, because the strategy acts once a day after the close; the exit fills at the next open,
   which may be beyond the 5% line after a gap;
3. new entries fill the free slots of each side (max 20 long, 20 short, slots freed by today's exits
   count), best probability first among the day's signals, names already held excluded. Each gets the
   side's allocation divided by its slot count (bull 1.1/20 long, 0.2/20 short; bear 0.1/20, 0.2/20) of
   the day's equity, capped at ``adv_fraction`` of the name's 20-day dollar ADV at the strategy's
   capital; the order is for that many shares at t's close, filled at t+1's open.

With ``fill='close'`` orders fill at the deciding close itself (same rules, no overnight gap).
Costs: (commission + slippage) bps of the traded notional, each side. Equity starts at 1 (a fraction of
the strategy's capital). ``reference.simulate_reference`` is the same rules as a plain per-position loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.strategies.mean_reversion.params import RuleParams

TRADE_COLUMNS = ("symbol", "side", "entry_date", "exit_date", "entry_price", "exit_price", "quantity",
                 "reason", "pnl", "return")
DAILY_COLUMNS = ("equity", "net_return", "cost", "long_exposure", "short_exposure", "gross_exposure",
                 "net_exposure", "turnover", "n_long", "n_short")


@dataclass(frozen=True)
class Signals:
    """What the book reads each session: ``long_score``/``short_score`` (T, N) are the entry probabilities
    where the entry rule holds and NaN elsewhere; ``long_alloc``/``short_alloc`` (T,) the side allocations
    of the day's regime; ``cap`` (T, N) the largest weight a new position may have (ADV cap)."""

    long_score: np.ndarray
    short_score: np.ndarray
    long_alloc: np.ndarray
    short_alloc: np.ndarray
    cap: np.ndarray


@dataclass(frozen=True)
class PortfolioResult:
    daily: pd.DataFrame  # DAILY_COLUMNS by session
    trades: pd.DataFrame  # TRADE_COLUMNS, closed trades in exit order
    open_positions: pd.DataFrame  # symbol, side, entry_date, entry_price, quantity, sessions_held

    @property
    def returns(self) -> pd.Series:
        return self.daily["net_return"]


def marks(close: np.ndarray) -> np.ndarray:
    """Close carried forward per name (a position is marked at its last known close)."""
    return pd.DataFrame(close, copy=False).ffill().to_numpy()


def _trade_frame(rows: list, dates: pd.DatetimeIndex, symbols) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=list(TRADE_COLUMNS))
    a = np.asarray(rows, dtype=float)
    i, s, te, tx = a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2].astype(int), a[:, 3].astype(int)
    reasons = np.array(["stop", "time_stop"])[a[:, 7].astype(int)]
    cost_basis = np.abs(a[:, 6] * a[:, 4])
    return pd.DataFrame({
        "symbol": np.asarray(symbols, dtype=object)[i], "side": np.where(s > 0, "long", "short"),
        "entry_date": dates[te], "exit_date": dates[tx], "entry_price": a[:, 4], "exit_price": a[:, 5],
        "quantity": a[:, 6], "reason": reasons, "pnl": a[:, 8], "return": a[:, 8] / cost_basis,
    })


def simulate(open_: np.ndarray, close: np.ndarray, signals: Signals, rules: RuleParams,
             dates: pd.DatetimeIndex, symbols) -> PortfolioResult:
    """Run the book over every session of the panel (see the module docstring for the rules)."""
    T, N = close.shape
    mark = marks(close)
    rate = rules.cost_rate
    at_open = rules.fill == "next_open"
    qty = np.zeros(N)
    side = np.zeros(N, dtype=np.int8)
    entry_px = np.zeros(N)
    entry_t = np.zeros(N, dtype=np.int64)
    held = np.zeros(N, dtype=np.int64)
    entry_cost = np.zeros(N)
    exit_reason = np.zeros(N, dtype=np.int8)
    pending_exit = np.zeros(N, dtype=bool)
    pending_qty = np.zeros(N)
    cash, prev_equity = 1.0, 1.0
    trades: list = []
    out = np.zeros((T, len(DAILY_COLUMNS)))

    def fill(t: int, px: np.ndarray) -> tuple[float, float]:
        nonlocal cash
        cost = traded = 0.0
        ex = np.flatnonzero(pending_exit & np.isfinite(px))
        if ex.size:
            value = qty[ex] * px[ex]
            fee = rate * np.abs(value)
            cash += value.sum() - fee.sum()
            cost += fee.sum()
            traded += np.abs(value).sum()
            pnl = value - fee - qty[ex] * entry_px[ex] - entry_cost[ex]
            for k, j in enumerate(ex):
                trades.append((j, side[j], entry_t[j], t, entry_px[j], px[j], qty[j], exit_reason[j], pnl[k]))
            qty[ex] = 0.0
            side[ex] = 0
            held[ex] = 0
            pending_exit[ex] = False
        en = np.flatnonzero((pending_qty != 0) & np.isfinite(px))
        if en.size:
            value = pending_qty[en] * px[en]
            fee = rate * np.abs(value)
            cash -= value.sum() + fee.sum()
            cost += fee.sum()
            traded += np.abs(value).sum()
            qty[en] = pending_qty[en]
            side[en] = np.sign(pending_qty[en]).astype(np.int8)
            entry_px[en] = px[en]
            entry_cost[en] = fee
            entry_t[en] = t
            held[en] = 0
        pending_qty[:] = 0.0
        return cost, traded

    for t in range(T):
        cost = traded = 0.0
        if at_open and t > 0:
            cost, traded = fill(t, open_[t])
        c = mark[t]
        live = side != 0
        held[live] += 1
        equity = cash + float(np.dot(qty[live], c[live]))
        # exits decided at this close
        stop = live & (((side > 0) & (c <= entry_px * (1.0 - rules.stop_loss)))
                       | ((side < 0) & (c >= entry_px * (1.0 + rules.stop_loss))))
        tstop = live & (held >= rules.time_stop_sessions) & ~stop
        new_exit = (stop | tstop) & ~pending_exit
        exit_reason[stop & new_exit] = 0
        exit_reason[tstop & new_exit] = 1
        pending_exit |= new_exit
        # entries into the free slots
        staying = live & ~pending_exit
        for sgn, score, alloc, slots in ((1, signals.long_score[t], signals.long_alloc[t], rules.max_long),
                                         (-1, signals.short_score[t], signals.short_alloc[t], rules.max_short)):
            free = slots - int(np.count_nonzero(staying & (side == sgn)))
            if free <= 0 or alloc <= 0:
                continue
            cand = np.flatnonzero(np.isfinite(score) & ~live & np.isfinite(c))
            if cand.size == 0:
                continue
            pick = cand[np.argsort(-score[cand], kind="stable")[:free]]
            w = np.minimum(alloc / slots, signals.cap[t, pick])
            ok = w > 0
            pending_qty[pick[ok]] = sgn * w[ok] * equity / c[pick[ok]]
        if not at_open:
            c2, tr2 = fill(t, c)
            cost, traded = cost + c2, traded + tr2
            live = side != 0
            equity = cash + float(np.dot(qty[live], c[live]))
        pos = qty * np.where(np.isfinite(c), c, 0.0)
        long_v, short_v = pos[pos > 0].sum(), -pos[pos < 0].sum()
        out[t] = (equity, equity / prev_equity - 1.0, cost, long_v / equity, short_v / equity,
                  (long_v + short_v) / equity, (long_v - short_v) / equity, traded / prev_equity,
                  np.count_nonzero(side > 0), np.count_nonzero(side < 0))
        prev_equity = equity
    daily = pd.DataFrame(out, index=dates, columns=list(DAILY_COLUMNS))
    op = np.flatnonzero(side != 0)
    open_positions = pd.DataFrame({
        "symbol": np.asarray(symbols, dtype=object)[op], "side": np.where(side[op] > 0, "long", "short"),
        "entry_date": dates[entry_t[op]], "entry_price": entry_px[op], "quantity": qty[op],
        "sessions_held": held[op]})
    return PortfolioResult(daily=daily, trades=_trade_frame(trades, dates, symbols), open_positions=open_positions)
