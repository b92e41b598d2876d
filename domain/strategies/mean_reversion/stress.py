"""One stretch of the out-of-sample book on its own: the first quarter of 2020 (the COVID crash, VIX from
12 to 82), which a 20-year summary hides. Its own return and drawdown (from the equity at the start of the
window), how often the VIX regime switched the long/short allocation, and how many trades the stop closed.
"""

from __future__ import annotations

import pandas as pd

from domain import metrics

STRESS_WINDOWS = (("2020Q1", "2020-01-01", "2020-03-31"),)


def window_report(daily: pd.DataFrame, trades: pd.DataFrame, bear: pd.Series, start, end) -> dict | None:
    """``daily``: the book's sessions (``net_return``); ``trades``: with ``exit_date`` and ``reason``
    (``stop`` | ``time_stop``); ``bear``: the VIX regime per session (True = bear). None when the window
    holds no session of the book."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    r = daily.loc[start:end, "net_return"]
    if r.empty:
        return None
    regime = bear.astype(bool)
    flips = regime.ne(regime.shift(1)) & regime.shift(1).notna()
    flips = flips.loc[start:end]
    exits = trades[(trades["exit_date"] >= start) & (trades["exit_date"] <= end)]
    stops = exits[exits["reason"] == "stop"]
    return {
        "sessions": int(len(r)),
        "return": metrics.total_return(r),
        "max_drawdown": metrics.max_drawdown(r),
        "regime_switches": int(flips.sum()),
        "bear_sessions": int(regime.loc[start:end].sum()),
        "trades_closed": int(len(exits)),
        "stops_hit": int(len(stops)),
        "stop_pnl": float(stops["pnl"].sum()) if len(stops) else 0.0,
    }


def stress_notes(daily: pd.DataFrame, trades: pd.DataFrame, bear: pd.Series) -> tuple[str, ...]:
    """One line per window of ``STRESS_WINDOWS`` that the book covers (printed and stored with the run)."""
    out = []
    for name, start, end in STRESS_WINDOWS:
        w = window_report(daily, trades, bear, start, end)
        if w is None:
            continue
        out.append(f"{name} on its own: return {w['return']:.2%}, max drawdown {w['max_drawdown']:.2%} over "
                   f"{w['sessions']} sessions; {w['regime_switches']} VIX regime switches ({w['bear_sessions']} bear "
                   f"sessions); {w['stops_hit']} of {w['trades_closed']} trades closed by the stop "
                   f"(their P&L {w['stop_pnl']:+.2%} of the starting capital).")
    return tuple(out)
