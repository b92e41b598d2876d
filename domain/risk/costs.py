"""Realised trading costs of a book against its cost model (seed 000 10.2: "verify transaction costs match
assumptions"; 10.3: "transaction costs (actual vs expected)").

Definition, for the window of the last ``days`` sessions up to and including session D:

- the fills are the book's paper fills dated in the window (one per order the stepper executed);
- a fill whose order has an actual execution recorded (``quantops orders fill``) *known by D* (recorded on
  or before D) costs ``commission + side x (actual price - paper price) x |actual quantity|``, on a traded
  notional of ``|actual quantity| x actual price``; ``side`` is +1 for a buy and -1 for a sell, so paying
  more on a buy or receiving less on a sell is a cost. The paper price is the price the cost model
  assumed the trade executes at (the decision's close, or the next open for a ``next_open`` book): it is
  the order's reference price for a market-on-close book, and, unlike the decision's close, it keeps the
  overnight gap of a ``next_open`` book out of its execution cost. The commission is the model's
  ``commission_bps`` (the desk records no commission);
- a fill without an actual execution executed as paper: it costs its modelled cost (the stepper's
  ``cost rate x |notional|``) on its paper notional;
- realised cost (bps) = sum of costs / sum of traded notionals x 1e4; the model's cost (bps) = sum of the
  paper costs / sum of the paper notionals x 1e4 (= ``commission_bps + slippage_bps`` of its rules).

Only recorded actual fills can make the two differ, so a window without one is not judged ("no actual
fills"): the check is on when the window holds at least ``min_fills`` actual fills and realised cost is
above ``max_ratio`` x the model's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

FILL_COLUMNS = ("date", "side", "price", "notional", "cost", "actual_price", "actual_quantity", "known")


def window_costs(fills: pd.DataFrame, sessions: pd.DatetimeIndex, end: int, days: int,
                 commission_bps: float) -> dict:
    """Realised and modelled cost (bps) of the window of ``days`` sessions ending at ``sessions[end]``.

    ``fills`` has FILL_COLUMNS: paper fill ``date``; ``side`` (+1 buy, -1 sell); paper ``price``,
    ``notional`` and ``cost``; the order's ``actual_price`` and ``actual_quantity`` (NaN: none recorded)
    and the date it was recorded, ``known`` (NaT: none)."""
    if end + 1 < days:
        return {}
    # numpy over the columns: the daily flow calls this for each of the last two sessions of every book
    first, last = np.datetime64(sessions[end + 1 - days], "ns"), np.datetime64(sessions[end], "ns")
    date = fills["date"].to_numpy("datetime64[ns]")
    pick = (date >= first) & (date <= last)
    paper_notional = np.abs(fills["notional"].to_numpy(float)[pick])
    paper_cost = fills["cost"].to_numpy(float)[pick]
    price = fills["actual_price"].to_numpy(float)[pick]
    known = fills["known"].to_numpy("datetime64[ns]")[pick]
    actual = np.isfinite(price) & ~np.isnat(known)
    actual[actual] = known[actual] <= last
    qty = np.abs(fills["actual_quantity"].to_numpy(float)[pick])
    act_notional = np.where(actual, qty * price, 0.0)
    slip = np.where(actual, fills["side"].to_numpy(float)[pick] * (price - fills["price"].to_numpy(float)[pick])
                    * qty, 0.0)
    cost = np.where(actual, commission_bps / 1e4 * act_notional + slip, paper_cost)
    notional = np.where(actual, act_notional, paper_notional)
    total = float(notional.sum())
    model_total = float(paper_notional.sum())
    return {"realised_bps": float(cost.sum()) / total * 1e4 if total > 0 else math.nan,
            "model_bps": float(paper_cost.sum()) / model_total * 1e4 if model_total > 0 else math.nan,
            "actual_fills": int(actual.sum()), "fills": int(pick.sum())}
