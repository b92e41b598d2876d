"""The one session of a book: P&L of the session, fills, stops, drawdown throttle and re-arm, target rules.

``advance`` is the only place these rules live. ``domain.book.step`` calls it once on the stored book
(production); ``domain.book.run_book`` calls it once per session over arrays (the backtest). State is a
``State`` of numpy arrays over the book's instruments plus a few scalars, mutated in place.

``scalar_overlay_loop`` is the same arithmetic specialised to one instrument with portfolio rules only
(costs, throttle, caps, turnover, fill at the close), over plain Python floats. Tests hold it equal to
``advance``; it is the readable reference of its compiled twin ``scalar_jit`` (what ``run_backtest`` runs)
and of ``paths`` (many candidate paths at once), both held equal to it bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from domain.book.guards import Guards
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
TRAILING_STOP = 1024
CORRELATION_SCALED = 2048
CORRELATION_STOP = 4096
AUTOCORR_TIGHTENED = 8192
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
    TRAILING_STOP: "trailing_stop",
    CORRELATION_SCALED: "correlation_scale",
    CORRELATION_STOP: "correlation_stop",
    AUTOCORR_TIGHTENED: "drawdown_autocorr",
}
HISTORY_FLAGS = (TRAILING_STOP, CORRELATION_SCALED, CORRELATION_STOP, AUTOCORR_TIGHTENED)


@dataclass
class State:
    """Mutable working state of a book. ``held``: weights held now; ``pending``: weights decided at the
    last close (equal to ``held`` when fills happen at the close; filled at the next open otherwise);
    ``pending_cost``: cost of the last decision's trade, booked in the next session; ``stopped_sessions``:
    consecutive sessions under the drawdown stop; ``level``: throttle level (0 = none, k = k-th threshold);
    ``memory``: the recent sessions the history rules read (``guards.Guards``), built on first use."""

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
    memory: dict = field(default_factory=dict)
    guards: Guards | None = None

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
    scale: float = 1.0  # the throttle's multiplier this session
    fall: float | None = None  # below the trailing high (fraction), when the trailing stop is on
    correlation: float | None = None  # with the market, when a correlation rule is on
    autocorr: tuple | None = None  # of the drawdown's changes by lag, when that rule is on
    notes: dict = field(default_factory=dict)


def _levels(rules: Rules, factor: float = 1.0):
    """Throttle thresholds as negative drawdowns, deepest first; ``factor`` < 1 is the tightened throttle."""
    th = [-(t * factor) for t in reversed(rules.drawdown_thresholds)]
    sc = list(reversed(rules.drawdown_scales))
    first = -(rules.drawdown_thresholds[0] * factor) if th else -math.inf
    last = -(rules.drawdown_thresholds[-1] * factor) if th else -math.inf
    return th, sc, first, last


def guard_verdict(rules: Rules, fall, corr, auto) -> tuple[int, float, float]:
    """(flags, exposure multiplier, throttle factor) of the history rules for one session's statistics:
    trailing stop and correlation stop (multiplier 0), the correlation scale-down of seed 000's technique 4
    (``1 - (c - scale) / (1 - scale)``), and the tightened throttle while the drawdown's changes are
    autocorrelated above the threshold at any lag."""
    flags, mult, factor = 0, 1.0, 1.0
    if fall is not None and fall > rules.trailing_stop:
        flags |= TRAILING_STOP
        mult = 0.0
    if corr is not None:
        if rules.correlation_stop is not None and corr > rules.correlation_stop:
            flags |= CORRELATION_STOP
            mult = 0.0
        elif rules.correlation_scale is not None and corr > rules.correlation_scale:
            flags |= CORRELATION_SCALED
            mult *= 1.0 - (corr - rules.correlation_scale) / (1.0 - rules.correlation_scale)
    if auto is not None and max(auto) > rules.autocorr_threshold:
        flags |= AUTOCORR_TIGHTENED
        factor = rules.autocorr_tighten
    return flags, mult, factor


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
            adv: np.ndarray | None, rules: Rules, day: int = 0, market: int | None = None) -> Session:
    """One session: book the P&L from the last close to this close (filling pending orders at the open if
    ``rules.fill == 'next_open'``), check stops and the drawdown, turn ``target`` (wanted weights decided
    at this close, NaN = 0) into the new decision, and fill it now if ``rules.fill == 'close'``. ``day``
    (an ordinal) dates the entries; ``market`` indexes the instrument the correlation rules read."""
    if state.guards is None and rules.watches_history:
        state.guards = Guards(rules, state.equity, state.memory)
    r = _nz(close / state.last_close - 1.0)
    before = state.equity
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
    gflags, mult, factor = 0, 1.0, 1.0
    if state.guards is not None:
        ret = gross - cost if rules.fill == "close" else state.equity / before - 1.0
        stats = state.guards.update(state.equity, ret, float(r[market]) if market is not None else 0.0, dd)
        session.update(fall=stats[0], correlation=stats[1], autocorr=stats[2])
        gflags, mult, factor = guard_verdict(rules, *stats)
        flags |= gflags
    th, sc, first, last = _levels(rules, factor)
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
    if mult != 1.0:
        x = x * mult
    if mult == 0.0:  # trailing or correlation stop: every position exits at once, past the turnover cap
        forced = np.ones(len(x), dtype=bool)
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

    if state.guards is not None:
        state.guards.prev_dd = state.equity / state.peak - 1.0
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
                   close_fill_equity=state.equity, new_level=new_level, scale=scale, **session)


def scalar_overlay_loop(r: list[float], x: list[float], rules: Rules, eq: float = 1.0, peak: float = 1.0,
                        prev: float = 0.0, pcost: float = 0.0, flat: int = 0):
    """``advance`` for one instrument, portfolio rules only and fills at the close, over Python floats
    (numpy scalar arithmetic would be ~10x slower per step). ``r``: the asset's close-to-close returns;
    ``x``: wanted exposures. Returns (exposure, flags, drawdown) lists and the final
    (eq, peak, prev, pcost, flat). The history rules (trailing stop, correlation, drawdown
    autocorrelation) read the asset as the market."""
    n = len(r)
    thresholds, scales, first, last = _levels(rules)
    levels = {1.0: (thresholds, first, last)}
    guards = Guards(rules, eq) if rules.watches_history else None
    soft = rules.drawdown_soft_cap if rules.drawdown_soft_cap is not None else math.inf
    lo, hi = rules.min_weight, rules.max_weight
    tmax = rules.max_turnover if rules.max_turnover is not None else math.inf
    rearm, rate = rules.rearm_after, rules.cost_rate
    e = [0.0] * n
    fl = [0] * n
    tdd = [0.0] * n
    for t in range(n):
        ret = prev * r[t] - pcost
        eq *= 1.0 + ret
        if eq > peak:
            peak = eq
        dd = eq / peak - 1.0
        tdd[t] = dd
        v = x[t]
        f = 0
        scale = 1.0
        mult = 1.0
        if guards is not None:
            f, mult, factor = guard_verdict(rules, *guards.update(eq, ret, r[t], dd))
            if factor not in levels:
                th_, _, first_, last_ = _levels(rules, factor)
                levels[factor] = (th_, first_, last_)
            thresholds, first, last = levels[factor]
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
        if mult != 1.0:
            v *= mult
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
        if guards is not None:
            guards.prev_dd = eq / peak - 1.0
        if not stopped and mult != 0.0:
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
