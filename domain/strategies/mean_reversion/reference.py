"""The book's rules as a plain per-day, per-position Python loop: the reference the array version
(``portfolio.simulate``) is tested and benchmarked against. Deliberately simple, not fast."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from domain.strategies.mean_reversion.params import RuleParams
from domain.strategies.mean_reversion.portfolio import (
    DAILY_COLUMNS,
    PortfolioResult,
    Signals,
    _trade_frame,
)


def simulate_reference(open_: np.ndarray, close: np.ndarray, signals: Signals, rules: RuleParams,
                       dates: pd.DatetimeIndex, symbols) -> PortfolioResult:
    T, N = close.shape
    rate = rules.cost_rate
    last = [math.nan] * N
    book: dict[int, dict] = {}  # name -> position
    orders: dict[int, float] = {}  # name -> signed shares to buy at the next fill
    trades: list = []
    rows = []
    cash, prev_equity = 1.0, 1.0

    def fill(t: int, prices) -> tuple[float, float]:
        nonlocal cash
        cost = traded = 0.0
        for j in sorted(book):
            p = book[j]
            px = prices[j]
            if p["exit"] is not None and not math.isnan(px):
                value = p["qty"] * px
                fee = rate * abs(value)
                cash += value - fee
                cost += fee
                traded += abs(value)
                pnl = value - fee - p["qty"] * p["price"] - p["fee"]
                trades.append((j, p["side"], p["t"], t, p["price"], px, p["qty"], p["exit"], pnl))
                del book[j]
        for j, q in sorted(orders.items()):
            px = prices[j]
            if math.isnan(px):
                continue
            value = q * px
            fee = rate * abs(value)
            cash -= value + fee
            cost += fee
            traded += abs(value)
            book[j] = {"qty": q, "side": 1 if q > 0 else -1, "price": px, "fee": fee, "t": t, "held": 0,
                       "exit": None}
        orders.clear()
        return cost, traded

    for t in range(T):
        cost = traded = 0.0
        if rules.fill == "next_open" and t > 0:
            cost, traded = fill(t, [float(x) for x in open_[t]])
        for j in range(N):
            if not math.isnan(close[t, j]):
                last[j] = float(close[t, j])
        equity = cash
        for j, p in book.items():
            p["held"] += 1
            equity += p["qty"] * last[j]
        for j, p in book.items():
            if p["exit"] is not None:
                continue
            if (p["side"] > 0 and last[j] <= p["price"] * (1.0 - rules.stop_loss)) or \
               (p["side"] < 0 and last[j] >= p["price"] * (1.0 + rules.stop_loss)):
                p["exit"] = 0
            elif p["held"] >= rules.time_stop_sessions:
                p["exit"] = 1
        for sgn, scores, alloc, slots in ((1, signals.long_score[t], signals.long_alloc[t], rules.max_long),
                                          (-1, signals.short_score[t], signals.short_alloc[t], rules.max_short)):
            staying = sum(1 for p in book.values() if p["side"] == sgn and p["exit"] is None)
            free = slots - staying
            if free <= 0 or alloc <= 0:
                continue
            cands = [(-float(scores[j]), j) for j in range(N)
                     if not math.isnan(scores[j]) and j not in book and not math.isnan(last[j])]
            for _, j in sorted(cands)[:free]:
                w = min(alloc / slots, float(signals.cap[t, j]))
                if w > 0:
                    orders[j] = sgn * w * equity / last[j]
        if rules.fill == "close":
            c2, tr2 = fill(t, last)
            cost, traded = cost + c2, traded + tr2
            equity = cash + sum(p["qty"] * last[j] for j, p in book.items())
        long_v = sum(p["qty"] * last[j] for j, p in book.items() if p["qty"] > 0)
        short_v = -sum(p["qty"] * last[j] for j, p in book.items() if p["qty"] < 0)
        rows.append((equity, equity / prev_equity - 1.0, cost, long_v / equity, short_v / equity,
                     (long_v + short_v) / equity, (long_v - short_v) / equity, traded / prev_equity,
                     sum(1 for p in book.values() if p["side"] > 0), sum(1 for p in book.values() if p["side"] < 0)))
        prev_equity = equity
    daily = pd.DataFrame(np.asarray(rows, dtype=float).reshape(T, len(DAILY_COLUMNS)), index=dates,
                         columns=list(DAILY_COLUMNS))
    js = sorted(book)
    open_positions = pd.DataFrame({
        "symbol": [symbols[j] for j in js], "side": ["long" if book[j]["side"] > 0 else "short" for j in js],
        "entry_date": dates[[book[j]["t"] for j in js]], "entry_price": [book[j]["price"] for j in js],
        "quantity": [book[j]["qty"] for j in js], "sessions_held": [book[j]["held"] for j in js]})
    return PortfolioResult(daily=daily, trades=_trade_frame(trades, dates, symbols), open_positions=open_positions)
