"""mean_reversion's walk-forward book in one compiled pass (numba): ``decision.decide_session`` and
``domain.book.kernel.advance`` fused, specialised to the strategy's rules (fills at the next open, per-name
stop and time stop, 40 names, weight caps, ADV cap; no throttle, no turnover cap, no history rules).

Why: the per-session path (a Python decision, then the kernel over 501-name arrays) costs ~0.3 ms a
session, 1.4-2.9 s for 20 years; issue 11 asks <= 1 s. The reference stays the per-day loop over the
functions production steps (``book.run_walk_book_reference``); tests hold this equal to it (same fills,
trades, exits and flags; equity to 1e-12: sums here run over the held names in order, numpy's dot and
pairwise sums group the same terms differently, so the last bits may differ).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from domain.book import BookResult, Rules
from domain.book.book import Book, Event, book_from_state
from domain.book.kernel import ADV_CAPPED, HARD_CAPPED, POSITION_LIMIT, STOP_LOSS, TIME_STOP, Session, State


def run_fast(open_: np.ndarray, close: np.ndarray, mark: np.ndarray, adv: np.ndarray, signals, r, rules: Rules,
             dates: pd.DatetimeIndex, symbols: list[str]) -> BookResult:
    """``run_book(..., policy=decide_session)`` of ``book.run_walk_book_reference`` for ``r.fill ==
    'next_open'``, as the same ``BookResult``."""
    f8 = lambda a: np.ascontiguousarray(a, dtype=np.float64)
    ordinals = np.array([d.toordinal() for d in dates], dtype=np.float64)
    out = _loop(f8(open_), f8(close), f8(mark), f8(adv), f8(signals.long_score), f8(signals.short_score),
                f8(signals.long_alloc), f8(signals.short_alloc), f8(signals.cap), ordinals, float(r.capital),
                int(r.max_long), int(r.max_short), float(r.stop_loss), int(r.time_stop_sessions),
                float(rules.stop_loss), int(rules.time_stop), int(rules.max_positions), float(rules.min_weight),
                float(rules.max_weight), float(rules.max_adv_fraction), float(rules.cost_rate))
    (pend, held, frame, flags, fill, fill_eq, open_px, stop, timed, final, final_sh) = out
    capital = float(r.capital)
    index = pd.DatetimeIndex(dates)
    fills = []
    for t in np.flatnonzero((fill != 0).any(axis=1)).tolist():
        fills.append((t, Session(equity=frame[t, 0], gross=frame[t, 2], cost=frame[t, 3], drawdown=frame[t, 4],
                                 flags=int(flags[t]), rearmed=False, level=0, stop_loss=stop[t], time_stop=timed[t],
                                 close_fill=None, close_fill_equity=frame[t, 0], open_fill=fill[t],
                                 open_fill_equity=float(fill_eq[t]), open_price=open_px[t])))
    # run_book's order: by session, its stop losses then its time stops, each in name order
    (ts, ks), (tt, kt) = np.nonzero(stop), np.nonzero(timed)
    t_all, kind, k_all = np.r_[ts, tt], np.r_[np.zeros(len(ts), int), np.ones(len(tt), int)], np.r_[ks, kt]
    order = np.lexsort((k_all, kind, t_all))
    days = list(index)  # boxing a Timestamp costs ~8 us: once per session, not per event
    names = ("stop_loss", "time_stop")
    events = [Event(days[t], names[c], symbols[k])
              for t, c, k in zip(t_all[order].tolist(), kind[order].tolist(), k_all[order].tolist())]
    start = Book(capital=capital)
    n = len(index)
    book = start
    if n:
        state = State(held=final[0], pending=final[1], entry_price=final[2], sessions_held=final_sh,
                      last_close=final[3], entry_day=final[4], equity=float(frame[-1, 0]), peak=float(final[5, 0]),
                      pending_cost=float(final[5, 1]))
        book = book_from_state(start, state, symbols, index[-1])
    table = pd.DataFrame(frame, index=index, columns=["equity", "net_return", "gross_return", "cost", "drawdown"])
    table["flags"] = flags
    return BookResult(frame=table, exposures=pd.DataFrame(pend, index=index, columns=symbols),
                      held=pd.DataFrame(held, index=index, columns=symbols), events=events, rules=rules, book=book,
                      _fills=fills, _close=f8(close))


@njit(cache=True, nogil=True, error_model="numpy")
def _loop(open_, close, mark, adv, long_score, short_score, long_alloc, short_alloc, cap, ordinals, capital,
          max_long, max_short, stop_rule, time_rule, stop_loss, time_stop, max_positions, lo, hi, adv_fraction,
          rate):  # pragma: no cover
    T, N = close.shape
    pend_out = np.zeros((T, N))
    held_out = np.zeros((T, N))
    frame = np.zeros((T, 5))  # equity, net_return, gross_return, cost, drawdown
    flags_out = np.zeros(T, dtype=np.int64)
    fill_out = np.zeros((T, N))
    fill_eq = np.zeros(T)
    open_px = np.zeros((T, N))
    stop_out = np.zeros((T, N), dtype=np.bool_)
    time_out = np.zeros((T, N), dtype=np.bool_)
    held = np.zeros(N)
    pending = np.zeros(N)
    entry_price = np.full(N, np.nan)
    entry_day = np.full(N, np.nan)
    entry_t = np.zeros(N, dtype=np.int64)  # the session index of entry_day (the reference's ordinal -> index)
    sessions_held = np.zeros(N, dtype=np.int64)
    last_close = np.full(N, np.nan)
    equity = peak = capital
    pending_cost = 0.0
    target = np.zeros(N)
    names = np.zeros(N, dtype=np.bool_)
    cand = np.zeros(N, dtype=np.int64)
    for t in range(T):
        # --- decision.decide_session on the book before session t (held: pending != 0, in name order)
        target[:] = 0.0
        names[:] = False
        stay_long = stay_short = 0
        for k in range(N):
            w = pending[k]
            if w == 0.0:
                continue
            names[k] = True
            side = 1 if w > 0 else -1
            if np.isnan(entry_day[k]):  # decided, not filled yet: the stepper's stops apply
                keep = True
            else:
                px = mark[t, k]
                e = entry_price[k]
                if side > 0:
                    hit = px <= e * (1 - stop_rule)
                else:
                    hit = px >= e * (1 + stop_rule)
                keep = not (hit or t + 1 - entry_t[k] >= time_rule)
            if keep:
                target[k] = w
                if side > 0:
                    stay_long += 1
                else:
                    stay_short += 1
        for sgn in (1, -1):
            slots = max_long if sgn > 0 else max_short
            alloc = long_alloc[t] if sgn > 0 else short_alloc[t]
            free = slots - (stay_long if sgn > 0 else stay_short)
            if alloc <= 0 or free <= 0:
                continue
            score = long_score[t] if sgn > 0 else short_score[t]
            n_cand = 0
            for k in range(N):  # the day's candidates not held, in name order (a few dozen of 500)
                if np.isfinite(score[k]) and not names[k]:
                    cand[n_cand] = k
                    n_cand += 1
            for _ in range(min(free, n_cand)):  # best score first, ties to the first name (a stable sort's)
                at = 0
                for i in range(1, n_cand):
                    if score[cand[i]] > score[cand[at]]:
                        at = i
                best = cand[at]
                n_cand -= 1
                cand[at:n_cand] = cand[at + 1:n_cand + 1].copy()  # keeps name order among the rest
                w = min(alloc / slots, cap[t, best])
                if w > 0:
                    target[best] = sgn * w
        # --- kernel.advance, fills at the next open
        before = equity
        overnight = 0.0
        intraday = 0.0
        for k in range(N):
            o = open_[t, k] if np.isfinite(open_[t, k]) else last_close[k]
            open_px[t, k] = o
        for k in range(N):
            if held[k] != 0.0:
                v = open_px[t, k] / last_close[k] - 1.0
                overnight += held[k] * (v if np.isfinite(v) else 0.0)
        eq_open = equity * (1.0 + overnight)
        fill_eq[t] = eq_open
        for k in range(N):
            new, old = pending[k], held[k]
            fill_out[t, k] = new - old
            if new != 0 and np.sign(new) != np.sign(old):
                entry_price[k] = open_px[t, k]
                entry_day[k] = ordinals[t]
                entry_t[k] = t
                sessions_held[k] = 0
            elif new == 0:
                entry_price[k] = np.nan
                entry_day[k] = np.nan
                sessions_held[k] = 0
            held[k] = new
        for k in range(N):
            if held[k] != 0.0:
                v = close[t, k] / open_px[t, k] - 1.0
                intraday += held[k] * (v if np.isfinite(v) else 0.0)
        cost = pending_cost
        equity = eq_open * (1.0 + (intraday - cost))
        cost = cost * (1.0 + overnight)
        gross = equity / before - 1.0 + cost
        f = 0
        for k in range(N):
            live = held[k] != 0.0
            sessions_held[k] = sessions_held[k] + 1 if live else 0
            if np.isfinite(close[t, k]):
                last_close[k] = close[t, k]
            if live:
                since = np.sign(held[k]) * (last_close[k] / entry_price[k] - 1.0)
                if np.isfinite(since) and since <= -stop_loss:
                    stop_out[t, k] = True
                    f |= STOP_LOSS
                elif sessions_held[k] >= time_stop:
                    time_out[t, k] = True
                    f |= TIME_STOP
        peak = max(peak, equity)
        dd = equity / peak - 1.0
        x = target.copy()
        if np.count_nonzero(x) > max_positions:
            order = np.argsort(-np.abs(x), kind="mergesort")
            x[order[max_positions:]] = 0.0
            f |= POSITION_LIMIT
        capped = False
        for k in range(N):
            if stop_out[t, k] or time_out[t, k]:
                x[k] = 0.0
            if x[k] > hi or x[k] < lo:
                capped = True
        if capped:
            f |= HARD_CAPPED
            for k in range(N):
                x[k] = min(max(x[k], lo), hi)
        turnover = 0.0
        for k in range(N):
            d = x[k] - pending[k]
            c = adv_fraction * adv[t, k] / equity
            if not (stop_out[t, k] or time_out[t, k]) and np.isfinite(c) and abs(d) > c:
                f |= ADV_CAPPED
                x[k] = pending[k] + np.sign(d) * c
            turnover += abs(x[k] - pending[k])
        pending_cost = rate * turnover
        pending[:] = x
        pend_out[t] = pending
        held_out[t] = held
        frame[t, 0], frame[t, 1], frame[t, 2], frame[t, 3], frame[t, 4] = equity, equity / before - 1.0, gross, cost, dd
        flags_out[t] = f
    final = np.empty((6, N))
    final[0], final[1], final[2], final[3], final[4] = held, pending, entry_price, last_close, entry_day
    final[5, 0], final[5, 1] = peak, pending_cost
    return pend_out, held_out, frame, flags_out, fill_out, fill_eq, open_px, stop_out, time_out, final, sessions_held


@njit(cache=True, nogil=True, error_model="numpy")
def round_trips(ts, deltas, equities, prices, two_costs, capital):  # pragma: no cover
    """Closed round trips from the stacked fills (``book._fill_rows``), in the order they close: a name's
    trade opens when its weight leaves 0 (entry notional = weight x equity at the fill) and closes when
    the weights filled since sum to 0 (within 1e-12). Returns (name, side, entry row's session, exit
    session, entry price, exit price, quantity, pnl as a fraction of capital, return after both costs)."""
    k, n = deltas.shape
    w = np.zeros(n)
    t_in = np.zeros(n, dtype=np.int64)
    px_in = np.zeros(n)
    notional = np.zeros(n)
    held = np.zeros(n, dtype=np.bool_)
    m = 0
    for r in range(k):
        for j in range(n):
            if deltas[r, j] != 0.0:
                m += 1
    names, side, t0, t1 = np.zeros(m, np.int64), np.zeros(m, np.int64), np.zeros(m, np.int64), np.zeros(m, np.int64)
    px0, px1, qty, pnl, ret = np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)
    c = 0
    for r in range(k):
        for j in range(n):
            dw = deltas[r, j]
            if dw == 0.0:
                continue
            px = prices[r, j]
            if not held[j]:
                held[j] = True
                w[j], t_in[j], px_in[j], notional[j] = dw, ts[r], px, dw * equities[r]
                continue
            w[j] += dw
            if abs(w[j]) > 1e-12:
                continue
            held[j] = False
            s = 1 if notional[j] > 0 else -1
            x = s * (px / px_in[j] - 1.0) - two_costs
            names[c], side[c], t0[c], t1[c] = j, s, t_in[j], ts[r]
            px0[c], px1[c], qty[c] = px_in[j], px, notional[j] / px_in[j]
            pnl[c], ret[c] = x * abs(notional[j]) / capital, x
            c += 1
    return names[:c], side[:c], t0[:c], t1[:c], px0[:c], px1[:c], qty[:c], pnl[:c], ret[:c]
