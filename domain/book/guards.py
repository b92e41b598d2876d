"""Statistics over a book's recent sessions that three of seed 000's rules read (section 6.1 techniques 2
and 4, 6.3's correlation stop, 6.6): the equity's high over the last ``trailing_window`` closes, the
correlation of the book's returns with the market's over ``correlation_window`` sessions, and the
autocorrelation of the drawdown's daily changes at ``autocorr_lags`` over ``autocorr_window`` sessions.

One ``Guards`` object serves the backtest and the daily step: it keeps running sums (O(1) per session, so
the one-pass backtest stays fast) and the raw windows, which the stored book keeps (``memory``) and from
which a loaded book rebuilds the sums. Windows are kept only for the rules that are on.

Why the drawdown's *changes*: the drawdown level is a running quantity, so its own lag-1 autocorrelation
is near 1 on any equity curve and the section 6.6 check would fire every day. Its daily changes are the
losses and recoveries; their positive autocorrelation is the clustering the section warns about.
"""

from __future__ import annotations

import math
from collections import deque

TINY_VAR = 1e-14  # a variance below this is a flat window (running sums leave ~1e-20 residues, not 0)


class Guards:
    """Running statistics of one book. ``update`` once per session, after its P&L; it returns
    (fall from the trailing high or None, correlation or None, autocorrelations by lag or None).
    None: the rule is off, or its window is not full yet, or the window is flat."""

    __slots__ = ("tw", "cw", "aw", "lags", "highs", "t", "eqs", "rets", "mkts", "sx", "sy", "sxx", "syy",
                 "sxy", "dds", "s", "q", "p", "prev_dd")

    def __init__(self, rules, equity: float, memory=None):
        memory = memory or {}
        self.tw = rules.trailing_window if rules.trailing_stop is not None else 0
        on = rules.correlation_scale is not None or rules.correlation_stop is not None
        self.cw = rules.correlation_window if on else 0
        self.aw = rules.autocorr_window if rules.autocorr_threshold is not None else 0
        self.lags = tuple(rules.autocorr_lags) if self.aw else ()
        self.t = 0
        self.highs: deque = deque()  # (session, equity), equities decreasing: the window's max is first
        self.eqs: list[float] = []
        self.rets: list[float] = []
        self.mkts: list[float] = []
        self.sx = self.sy = self.sxx = self.syy = self.sxy = 0.0
        self.dds: list[float] = []
        self.s = self.q = 0.0
        self.p = [0.0] * len(self.lags)
        self._replay(memory, float(equity))
        self.prev_dd = float(memory.get("prev_dd", 0.0))

    def _replay(self, memory, equity: float) -> None:
        """Rebuild the running sums from a stored book's windows: each window pushed through ``update``
        with the other rules switched off for the time."""
        tw, cw, aw = self.tw, self.cw, self.aw
        self.cw = self.aw = 0
        for e in memory.get("equities") or (equity,) if tw else ():
            self.update(float(e), 0.0, 0.0, 0.0)
        self.tw, self.cw = 0, cw
        for a, b in zip(memory.get("returns", ()), memory.get("market", ())) if cw else ():
            self.update(0.0, float(a), float(b), 0.0)
        self.cw, self.aw, self.prev_dd = 0, aw, 0.0
        for x in memory.get("dd_changes", ()) if aw else ():
            self.update(0.0, 0.0, 0.0, float(x))
        self.tw, self.cw = tw, cw

    def update(self, equity: float, ret: float, market: float, dd: float):
        # one session; written out inline (no helper calls): the one-pass backtest calls it every session
        fall = corr = auto = None
        if self.tw:
            t = self.t
            self.t = t + 1
            h = self.highs
            while h and h[-1][1] <= equity:
                h.pop()
            h.append((t, equity))
            if h[0][0] <= t - self.tw:
                h.popleft()
            eqs = self.eqs
            eqs.append(equity)
            if len(eqs) > self.tw:
                del eqs[0]
            fall = 1.0 - equity / h[0][1]
        n = self.cw
        if n:
            a, b = ret, market
            rets, mkts = self.rets, self.mkts
            rets.append(a)
            mkts.append(b)
            sx, sy, sxx, syy, sxy = self.sx + a, self.sy + b, self.sxx + a * a, self.syy + b * b, self.sxy + a * b
            if len(rets) > n:
                a0, b0 = rets.pop(0), mkts.pop(0)
                sx, sy, sxx, syy, sxy = sx - a0, sy - b0, sxx - a0 * a0, syy - b0 * b0, sxy - a0 * b0
            self.sx, self.sy, self.sxx, self.syy, self.sxy = sx, sy, sxx, syy, sxy
            if len(rets) == n:
                mx, my = sx / n, sy / n
                vx, vy = sxx / n - mx * mx, syy / n - my * my
                if vx > TINY_VAR and vy > TINY_VAR:
                    corr = (sxy / n - mx * my) / math.sqrt(vx * vy)
        n = self.aw
        if n:
            x = dd - self.prev_dd
            d = self.dds
            d.append(x)
            k = len(d) - 1
            s, q, p = self.s + x, self.q + x * x, self.p
            for i, lag in enumerate(self.lags):
                if k >= lag:
                    p[i] += x * d[k - lag]
            if k >= n:  # the oldest leaves; the pairs where it is the earlier element go with it
                old = d[0]
                s -= old
                q -= old * old
                for i, lag in enumerate(self.lags):
                    p[i] -= old * d[lag]
                del d[0]
            self.s, self.q = s, q
            if len(d) == n:
                m = s / n
                v = q / n - m * m
                if v > TINY_VAR:
                    auto = [(pl / (n - lag) - m * m) / v for pl, lag in zip(p, self.lags)]
        return fall, corr, auto

    def memory(self) -> dict:
        """The windows, as plain lists (what the stored book keeps between sessions)."""
        out: dict = {"prev_dd": self.prev_dd}
        if self.tw:
            out["equities"] = list(self.eqs)
        if self.cw:
            out["returns"], out["market"] = list(self.rets), list(self.mkts)
        if self.aw:
            out["dd_changes"] = list(self.dds)
        return out
