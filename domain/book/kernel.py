"""The one session of a book: P&L of the session, fills, stops, drawdown throttle and re-arm, target rules.

``advance`` is the only place these rules live. ``domain.book.step`` calls it once on the stored book
(production); ``domain.book.run_book`` calls it once per session over arrays (the backtest). State is a
``State`` of numpy arrays over the book's instruments plus a few scalars, mutated in place.

``scalar_overlay_loop`` is the same arithmetic specialised to one instrument with portfolio rules only
(costs, throttle, caps, turnover, fill at the close), over plain Python floats: the grid searches of the
walk-forward score thousands of candidates with it. Tests hold it equal to ``advance``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from domain.book.rules import Rules

# Bit flags per session (the first five are those of domain.backtest, same values).
THROTTLED = 1
STOPPED = 2
SOFT_CAPPED = 4
HARD_CAPPED = 8
TURNOVER_CAPPED = 16
STOP_LOSS = 32
TIME_STOP = 64
ADV_CAPPED = 128
POSITION_LIMIT = 256
GROSS_CAPPED = 512
FLAG_NAMES = {
    THROTTLED: "drawdown_throttle",
    STOPPED: "drawdown_stop",
    SOFT_CAPPED: "drawdown_soft_cap",
    HARD_CAPPED: "hard_cap",
    TURNOVER_CAPPED: "turnover_cap",
    STOP_LOSS: "stop_loss",
    TIME_STOP: "time_stop",
    ADV_CAPPED: "adv_cap",
    POSITION_LIMIT: "position_limit",
    GROSS_CAPPED: "gross_cap",
}


@dataclass
class State:
    """Mutable working state of a book. ``held``: weights held now; ``pending``: weights decided at the
    last close (equal to ``held`` when fills happen at the close; filled at the next open otherwise);
    ``pending_cost``: cost of the last decision's trade, booked in the next session; ``stopped_sessions``:
    consecutive sessions under the drawdown stop; ``level``: throttle level (0 = none, k = k-th threshold)."""

    held: np.ndarray
    pending: np.ndarray
    entry_price: np.ndarray
    sessions_held: np.ndarray
    last_close: np.ndarray
    entry_day: np.ndarray
    equity: float
    peak: float
    pending_cost: float = 0.0
    stopped_sessions: int = 0
    level: int = 0

    @classmethod
    def flat(cls, n: int, equity: float) -> State:
        z = np.zeros(n)
        return cls(held=z.copy(), pending=z.copy(), entry_price=np.full(n, np.nan),
                   sessions_held=np.zeros(n, dtype=np.int64), last_close=np.full(n, np.nan),
                   entry_day=np.full(n, np.nan), equity=float(equity), peak=float(equity))


@dataclass
class Session:
    """What one session produced (``advance``'s result). Fill vectors are over the book's instruments;
    ``open_fill`` is None unless orders filled at this session's open."""

    equity: float
    gross: float
    cost: float
    drawdown: float
    flags: int
    rearmed: bool
    level: int
    stop_loss: np.ndarray
    time_stop: np.ndarray
    close_fill: np.ndarray | None
    close_fill_equity: float
    open_fill: np.ndarray | None = None
    open_fill_equity: float = 0.0
    open_price: np.ndarray | None = None  # the prices the open fills used
    new_level: bool = False
    notes: dict = field(default_factory=dict)


def _levels(rules: Rules):
    th = [-t for t in reversed(rules.drawdown_thresholds)]
    sc = list(reversed(rules.drawdown_scales))
    first = -rules.drawdown_thresholds[0] if th else -math.inf
    last = -rules.drawdown_thresholds[-1] if th else -math.inf
    return th, sc, first, last


def throttle(dd: float, rules: Rules) -> tuple[float, int]:
    """(scale, level) of the drawdown throttle at drawdown ``dd`` (<= 0); level 0 = not throttled."""
    th, sc, _, _ = _levels(rules)
    for i, (t, s) in enumerate(zip(th, sc)):
        if dd < t:
            return s, len(th) - i
    return 1.0, 0


def _nz(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, 0.0)


def _enter(state: State, new: np.ndarray, old: np.ndarray, price: np.ndarray, day: int) -> None:
    """Entry price, day and session count restart where a position opens or flips sign; cleared where flat."""
    opened = (new != 0) & (np.sign(new) != np.sign(old))
    state.entry_price = np.where(opened, price, np.where(new == 0, np.nan, state.entry_price))
    state.entry_day = np.where(opened, float(day), np.where(new == 0, np.nan, state.entry_day))
    state.sessions_held = np.where(opened | (new == 0), 0, state.sessions_held)


def advance(state: State, target: np.ndarray, close: np.ndarray, open_: np.ndarray | None,
            adv: np.ndarray | None, rules: Rules, day: int = 0) -> Session:
    """One session: book the P&L from the last close to this close (filling pending orders at the open if
    ``rules.fill == 'next_open'``), check stops and the drawdown, turn ``target`` (wanted weights decided
    at this close, NaN = 0) into the new decision, and fill it now if ``rules.fill == 'close'``. ``day``
    (an ordinal) dates the entries."""
    r = _nz(close / state.last_close - 1.0)
    session = {}
    if rules.fill == "close":
        gross = float(state.held @ r)
        cost = state.pending_cost
        state.equity *= 1.0 + (gross - cost)
    else:
        # no open print (halted, missing bar): the pending orders fill at the last close, no overnight move
        open_ = np.where(np.isfinite(open_), open_, state.last_close)
        session["open_price"] = open_
        on = _nz(open_ / state.last_close - 1.0)
        intraday = _nz(close / open_ - 1.0)
        eq_before = state.equity
        overnight = float(state.held @ on)
        eq_open = eq_before * (1.0 + overnight)
        delta = state.pending - state.held
        session["open_fill"] = delta if np.any(delta != 0) else None
        session["open_fill_equity"] = eq_open
        _enter(state, state.pending, state.held, open_, day)
        state.held = state.pending.copy()
        cost = state.pending_cost
        state.equity = eq_open * (1.0 + (float(state.held @ intraday) - cost))
        # the session's return before costs, and its cost, both as fractions of the previous close's equity
        cost = cost * (1.0 + overnight)
        gross = state.equity / eq_before - 1.0 + cost
    live = state.held != 0
    state.sessions_held = np.where(live, state.sessions_held + 1, 0)
    state.last_close = np.where(np.isfinite(close), close, state.last_close)

    flags = 0
    stop_hit = np.zeros(len(target), dtype=bool)
    time_hit = stop_hit.copy()
    if rules.stop_loss is not None:
        since = np.sign(state.held) * (state.last_close / state.entry_price - 1.0)
        stop_hit = live & np.isfinite(since) & (since <= -rules.stop_loss)
    if rules.time_stop is not None:
        time_hit = live & ~stop_hit & (state.sessions_held >= rules.time_stop)
    forced = stop_hit | time_hit
    if stop_hit.any():
        flags |= STOP_LOSS
    if time_hit.any():
        flags |= TIME_STOP

    if state.equity > state.peak:
        state.peak = state.equity
    dd = state.equity / state.peak - 1.0
    th, sc, first, last = _levels(rules)
    scale, level = 1.0, 0
    for i, (t, s) in enumerate(zip(th, sc)):
        if dd < t:
            scale, level = s, len(th) - i
            break
    stopped = dd < last and scale == 0.0

    x = _nz(np.asarray(target, dtype=float)).copy()
    if rules.max_positions is not None and np.count_nonzero(x) > rules.max_positions:
        order = np.argsort(-np.abs(x), kind="stable")
        x[order[rules.max_positions:]] = 0.0
        flags |= POSITION_LIMIT
    x[forced] = 0.0
    if scale != 1.0:
        flags |= THROTTLED
        x = x * scale
    if stopped:
        flags |= STOPPED
    soft = rules.drawdown_soft_cap
    if soft is not None and dd < first:
        m = np.abs(x) > soft
        if m.any():
            flags |= SOFT_CAPPED
            x = np.where(m, np.where(x > 0, soft, -soft), x)
    if (x > rules.max_weight).any() or (x < rules.min_weight).any():
        flags |= HARD_CAPPED
        x = np.clip(x, rules.min_weight, rules.max_weight)
    if rules.max_gross is not None:
        g = float(np.abs(x).sum())
        if g > rules.max_gross:
            flags |= GROSS_CAPPED
            x = x * (rules.max_gross / g)
    rearmed = False
    if stopped:
        state.stopped_sessions += 1
        if rules.rearm_after and state.stopped_sessions >= rules.rearm_after:
            state.peak = state.equity
            state.stopped_sessions = 0
            rearmed = True
    else:
        state.stopped_sessions = 0
        free = ~forced
        d = x - state.pending
        if rules.max_turnover is not None:
            total = float(np.abs(d[free]).sum())
            if total > rules.max_turnover:
                flags |= TURNOVER_CAPPED
                if np.count_nonzero(free) == 1:  # exact for one instrument, as the scalar overlay does
                    i = int(np.flatnonzero(free)[0])
                    d[i] = rules.max_turnover if d[i] > 0 else -rules.max_turnover
                else:
                    d[free] = d[free] * (rules.max_turnover / total)
                x = np.where(free, state.pending + d, x)
        if rules.max_adv_fraction is not None and adv is not None:
            d = x - state.pending
            cap = rules.max_adv_fraction * adv / state.equity
            m = free & np.isfinite(cap) & (np.abs(d) > cap)
            if m.any():
                flags |= ADV_CAPPED
                x = np.where(m, state.pending + np.sign(d) * cap, x)

    if rules.fill == "close":  # no price today: nothing can trade at this close, the position stays
        x = np.where(np.isfinite(close), x, state.pending)
    state.pending_cost = rules.cost_rate * float(np.abs(x - state.pending).sum())
    close_fill = None
    if rules.fill == "close":
        delta = x - state.held
        close_fill = delta if np.any(delta != 0) else None
        _enter(state, x, state.held, state.last_close, day)
        state.held = x.copy()
    state.pending = x
    new_level = level != state.level
    state.level = level
    return Session(equity=state.equity, gross=gross, cost=cost, drawdown=dd, flags=flags, rearmed=rearmed,
                   level=level, stop_loss=stop_hit, time_stop=time_hit, close_fill=close_fill,
                   close_fill_equity=state.equity, new_level=new_level, **session)


def scalar_overlay_loop(r: list[float], x: list[float], rules: Rules, eq: float = 1.0, peak: float = 1.0,
                        prev: float = 0.0, pcost: float = 0.0, flat: int = 0):
    """``advance`` for one instrument, portfolio rules only and fills at the close, over Python floats
    (numpy scalar arithmetic would be ~10x slower per step). ``r``: the asset's close-to-close returns;
    ``x``: wanted exposures. Returns (exposure, flags, drawdown) lists and the final
    (eq, peak, prev, pcost, flat)."""
    n = len(r)
    thresholds, scales, first, last = _levels(rules)
    soft = rules.drawdown_soft_cap if rules.drawdown_soft_cap is not None else math.inf
    lo, hi = rules.min_weight, rules.max_weight
    tmax = rules.max_turnover if rules.max_turnover is not None else math.inf
    rearm, rate = rules.rearm_after, rules.cost_rate
    e = [0.0] * n
    fl = [0] * n
    tdd = [0.0] * n
    for t in range(n):
        eq *= 1.0 + (prev * r[t] - pcost)
        if eq > peak:
            peak = eq
        dd = eq / peak - 1.0
        tdd[t] = dd
        v = x[t]
        f = 0
        scale = 1.0
        for th, sc in zip(thresholds, scales):
            if dd < th:
                scale = sc
                break
        stopped = dd < last and scale == 0.0
        if scale != 1.0:
            f |= THROTTLED
            v *= scale
        if stopped:
            f |= STOPPED
        if dd < first and abs(v) > soft:
            f |= SOFT_CAPPED
            v = soft if v > 0 else -soft
        if v > hi:
            f |= HARD_CAPPED
            v = hi
        elif v < lo:
            f |= HARD_CAPPED
            v = lo
        if stopped:
            flat += 1
            if rearm and flat >= rearm:
                peak = eq
                flat = 0
        else:
            flat = 0
            ch = v - prev
            if ch > tmax:
                f |= TURNOVER_CAPPED
                v = prev + tmax
            elif ch < -tmax:
                f |= TURNOVER_CAPPED
                v = prev - tmax
        e[t] = v
        fl[t] = f
        pcost = rate * abs(v - prev)
        prev = v
    return e, fl, tdd, (eq, peak, prev, pcost, flat)
