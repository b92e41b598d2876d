"""The one-session decision of mean_reversion: exits of the held positions (stop on the close against the
entry price, time stop), then the day's best signals into the free slots of each side, sized by the
regime's allocation and the ADV cap. Production (``strategy.decide_day``) and the walk-forward's book
(``book.run_walk_book``) both call ``decide_session``, so what runs is what was backtested.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from domain.strategies.mean_reversion.params import RuleParams


class Held(NamedTuple):
    """A position of the book at the decision's close. ``weight``: its weight of the capital (NaN: derive
    it from ``quantity`` at the close); ``sessions``: sessions held (None: decided but not filled yet, so
    its stops are the stepper's)."""

    symbol: str
    side: int
    weight: float
    quantity: float
    entry_price: float
    sessions: int | None


def held_count(n_dates: int, entry_index: int, rules: RuleParams) -> int:
    """Sessions held at the close of session ``n_dates - 1`` by a position that filled on session
    ``entry_index``: an open fill counts its own session, a close fill starts counting at the next one."""
    n = n_dates - entry_index
    return n if rules.fill == "next_open" else n - 1


def decide_session(held: Iterable[Held], close: dict[str, float], symbols, scores: dict[int, np.ndarray],
                   allocs: dict[int, float], cap: np.ndarray, rules: RuleParams,
                   qpi: np.ndarray | None = None) -> tuple[dict[str, float], list[dict], list[dict]]:
    """(weights, exits, entries) of one session. ``close``: each held symbol's last close (finite);
    ``scores[±1]``: (N,) entry probabilities where the entry rule holds, NaN elsewhere; ``allocs[±1]``:
    the side's allocation; ``cap``: (N,) the largest weight a new position may have."""
    weights: dict[str, float] = {}
    exits: list[dict] = []
    staying = {1: 0, -1: 0}
    names = set()
    for h in held:
        px = close[h.symbol]
        names.add(h.symbol)
        if h.sessions is None:
            staying[h.side] += 1
            weights[h.symbol] = float(h.weight)
            continue
        line = h.entry_price * (1 - rules.stop_loss) if h.side > 0 else h.entry_price * (1 + rules.stop_loss)
        stop = px <= line if h.side > 0 else px >= line
        if stop or h.sessions >= rules.time_stop_sessions:
            exits.append({"symbol": h.symbol, "reason": "stop" if stop else "time_stop", "close": float(px),
                          "entry_price": float(h.entry_price), "sessions_held": h.sessions})
            continue
        staying[h.side] += 1
        # a stepper book holds constant weights: keep it (no order); shares drift with the price
        weights[h.symbol] = float(h.weight if np.isfinite(h.weight) else h.quantity * px / rules.capital)
    entries = []
    for sgn, slots in ((1, rules.max_long), (-1, rules.max_short)):
        score, alloc, free = scores[sgn], allocs[sgn], slots - staying[sgn]
        if alloc <= 0 or free <= 0:
            continue
        cand = np.flatnonzero(np.isfinite(score))
        order = cand[np.argsort(-score[cand], kind="stable")]
        for j in [int(k) for k in order if symbols[k] not in names][:free]:
            w = float(min(alloc / slots, cap[j]))
            if w > 0:
                weights[symbols[j]] = sgn * w
                entries.append({"symbol": symbols[j], "side": "long" if sgn > 0 else "short",
                                "weight": sgn * w, "probability": float(score[j]),
                                "qpi": float(qpi[j]) if qpi is not None else float("nan")})
    return weights, exits, entries
