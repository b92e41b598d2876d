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


def _exit_days(mark: np.ndarray, t0: int, js: list[int], sides: np.ndarray, prices: np.ndarray,
               rules: RuleParams, first_check: int) -> tuple[np.ndarray, np.ndarray]:
    """(decision session, reason 0 stop / 1 time stop) of positions entered at ``t0``: the first checked
    close at or past the stop line, else the close on which it has been held ``time_stop_sessions``
    sessions. A position's exit depends only on its own prices, so it is known when it fills; -1 if the
    data ends first."""
    a = t0 + first_check
    last = a + rules.time_stop_sessions - 1  # the close on which the session count reaches the limit
    window = mark[a:last + 1][:, js]
    if window.shape[0] == 0:
        return np.full(len(js), -1), np.full(len(js), -1)
    line = np.where(sides > 0, prices * (1.0 - rules.stop_loss), prices * (1.0 + rules.stop_loss))
    with np.errstate(invalid="ignore"):
        hit = np.where(sides > 0, window <= line, window >= line)
    any_hit = hit.any(axis=0)
    first = hit.argmax(axis=0)
    day = np.where(any_hit, a + first, last if last < mark.shape[0] else -1)
    reason = np.where(any_hit, 0, np.where(day >= 0, 1, -1))
    return day, reason


def _ranked(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All candidates as column indices ordered by session, then best score first (ties: lower column),
    and each session's start offset into them (length T + 1)."""
    t, j = np.nonzero(np.isfinite(score))
    order = np.lexsort((j, -score[t, j], t))
    start = np.searchsorted(t[order], np.arange(score.shape[0] + 1))
    return j[order], start


def simulate(open_: np.ndarray, close: np.ndarray, signals: Signals, rules: RuleParams,
             dates: pd.DatetimeIndex, symbols) -> PortfolioResult:
    """Run the book over every session of the panel (see the module docstring for the rules).

    Speed: a position's exit session is computed when it fills (``_exit_days``), the candidates of all
    sessions are ranked at once, and exposures are tabulated after the pass from the positions' holding
    intervals; the per-session loop only fills orders, marks equity and fills free slots."""
    T = close.shape[0]
    mark = marks(close)
    rate = rules.cost_rate
    at_open = rules.fill == "next_open"
    first_check = 0 if at_open else 1  # an open fill is checked at its own close; a close fill from the next
    ranked = {1: _ranked(signals.long_score), -1: _ranked(signals.short_score)}
    alloc = {1: signals.long_alloc.tolist(), -1: signals.short_alloc.tolist()}
    slots = {1: rules.max_long, -1: rules.max_short}
    live: dict[int, list] = {}  # j -> [side, qty, entry_px, entry_fee, entry_t, decision_t, reason]
    exits_at: dict[int, list[int]] = {}  # fill session -> names to close
    decided_at: dict[int, list[int]] = {}  # decision session -> sides of the positions leaving then
    staying = {1: 0, -1: 0}  # live positions per side with no exit decided yet
    orders: list[tuple[int, float]] = []  # (j, signed shares) to fill at the next fill
    cash = 1.0
    trades: list = []
    intervals: list = []  # (j, qty, first session held at the close, first session not held)
    eq_out, cost_out, traded_out = np.zeros(T), np.zeros(T), np.zeros(T)

    def fill(t: int, px_row: np.ndarray) -> tuple[float, float]:
        nonlocal cash
        cost = traded = 0.0
        leaving = sorted(exits_at.pop(t, ()))
        if leaving:
            for j, px in zip(leaving, px_row[leaving].tolist()):
                sgn, q, epx, efee, et, _, reason = live[j]
                if px != px:  # NaN: no price, try again at the next fill
                    exits_at.setdefault(t + 1, []).append(j)
                    continue
                value = q * px
                fee = rate * abs(value)
                cash += value - fee
                cost += fee
                traded += abs(value)
                trades.append((j, sgn, et, t, epx, px, q, reason, value - fee - q * epx - efee))
                intervals.append((j, q, et, t))
                del live[j]
        if orders:
            js = [j for j, _ in orders]
            filled = []
            for (j, q), px in zip(orders, px_row[js].tolist()):
                if px != px:
                    continue
                value = q * px
                fee = rate * abs(value)
                cash -= value + fee
                cost += fee
                traded += abs(value)
                sgn = 1 if q > 0 else -1
                live[j] = [sgn, q, px, fee, t, -1, -1]
                staying[sgn] += 1
                filled.append(j)
            if filled:
                sides = np.array([live[j][0] for j in filled])
                prices = np.array([live[j][2] for j in filled])
                days, reasons = _exit_days(mark, t, filled, sides, prices, rules, first_check)
                for j, d, reason in zip(filled, days.tolist(), reasons.tolist()):
                    live[j][5], live[j][6] = d, reason
                    if d >= 0:
                        exits_at.setdefault(d + 1 if at_open else d, []).append(j)
                        decided_at.setdefault(d, []).append(live[j][0])
            orders.clear()
        return cost, traded

    for t in range(T):
        cost = traded = 0.0
        if at_open and t > 0:
            cost, traded = fill(t, open_[t])
        c = mark[t]
        equity = cash + float(np.dot(c[list(live)], [p[1] for p in live.values()])) if live else cash
        for sgn in decided_at.pop(t, ()):
            staying[sgn] -= 1
        for sgn in (1, -1):
            a = alloc[sgn][t]
            free = slots[sgn] - staying[sgn]
            cands, start = ranked[sgn]
            lo, hi = start[t], start[t + 1]
            if a <= 0 or free <= 0 or lo == hi:
                continue
            w_max = a / slots[sgn]
            picked = []
            for j in cands[lo:hi].tolist():
                if j in live:
                    continue
                picked.append(j)
                if len(picked) == free:
                    break
            caps = signals.cap[t, picked].tolist()
            prices = c[picked].tolist()
            for j, cap, px in zip(picked, caps, prices):
                w = min(w_max, cap)
                if w > 0:
                    orders.append((j, sgn * w * equity / px))
        if not at_open:
            c2, tr2 = fill(t, c)
            cost, traded = cost + c2, traded + tr2
            if live:
                equity = cash + float(np.dot(c[list(live)], [p[1] for p in live.values()]))
        eq_out[t], cost_out[t], traded_out[t] = equity, cost, traded
    return _result(dates, symbols, mark, eq_out, cost_out, traded_out, trades, intervals, live,
                   0 if at_open else 1)


def _result(dates, symbols, mark, equity, cost, traded, trades, intervals, live, lag: int) -> PortfolioResult:
    """Daily frame (exposures from the holding intervals), trades and the positions still open (``lag``:
    1 when fills happen at the close, whose session does not count as held)."""
    T = len(dates)
    spans = [(j, q, a, b) for j, q, a, b in intervals] + [(j, p[1], p[4], T) for j, p in live.items()]
    if spans:
        j, q, a, b = (np.asarray(x) for x in zip(*spans))
        n = b - a
        tt = np.repeat(a - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())
        jj, qq = np.repeat(j, n), np.repeat(q.astype(float), n)
        value = qq * np.nan_to_num(mark[tt, jj])
        long_v = np.bincount(tt, np.where(value > 0, value, 0.0), minlength=T)
        short_v = -np.bincount(tt, np.where(value < 0, value, 0.0), minlength=T)
        n_long = np.bincount(tt, qq > 0, minlength=T)
        n_short = np.bincount(tt, qq < 0, minlength=T)
    else:
        long_v = short_v = n_long = n_short = np.zeros(T)
    prev = np.r_[1.0, equity[:-1]]
    daily = pd.DataFrame({
        "equity": equity, "net_return": equity / prev - 1.0, "cost": cost,
        "long_exposure": long_v / equity, "short_exposure": short_v / equity,
        "gross_exposure": (long_v + short_v) / equity, "net_exposure": (long_v - short_v) / equity,
        "turnover": traded / prev, "n_long": n_long.astype(float), "n_short": n_short.astype(float)},
        index=dates)
    js = sorted(live)
    open_positions = pd.DataFrame({
        "symbol": np.asarray(symbols, dtype=object)[js] if js else np.array([], dtype=object),
        "side": ["long" if live[j][0] > 0 else "short" for j in js],
        "entry_date": dates[[live[j][4] for j in js]],
        "entry_price": np.asarray([live[j][2] for j in js], dtype=float),
        "quantity": np.asarray([live[j][1] for j in js], dtype=float),
        "sessions_held": np.asarray([T - live[j][4] - lag for j in js], dtype=np.int64)})
    return PortfolioResult(daily=daily, trades=_trade_frame(trades, dates, symbols), open_positions=open_positions)
