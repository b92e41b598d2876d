"""The one-instrument overlay of ``kernel.scalar_overlay_loop`` over many candidate exposure paths at once.

A grid search scores hundreds of candidate target series on the same asset returns (vol_regime tunes 540 a
fold); each path is the scalar loop's sequence of float operations, done elementwise over the paths, so a
path's exposures are bit-for-bit those of the scalar loop (tests hold them equal). The tuning now runs the
compiled loop over each path instead (``scalar_jit.overlay_loop_many``, ~6x faster on 540 x 252, also
bit-identical); this stays as the numpy formulation the benchmark compares with. All paths advance in
lockstep, so the history rules' windows have one length and only their values differ by path.
"""

from __future__ import annotations

import math

import numpy as np

from domain.book.guards import TINY_VAR
from domain.book.kernel import AUTOCORR_TIGHTENED, CORRELATION_SCALED, CORRELATION_STOP, TRAILING_STOP, _levels
from domain.book.rules import Rules


class _PathGuards:
    """``guards.Guards`` (running sums, same arithmetic) over P paths; a fresh book of equity 1."""

    def __init__(self, rules: Rules, equity: np.ndarray):
        self.rules = rules
        self.tw = rules.trailing_window if rules.trailing_stop is not None else 0
        self.cw = rules.correlation_window if (rules.correlation_scale is not None
                                              or rules.correlation_stop is not None) else 0
        self.aw = rules.autocorr_window if rules.autocorr_threshold is not None else 0
        self.lags = tuple(rules.autocorr_lags) if self.aw else ()
        zero = np.zeros_like(equity)
        self.eqs = [equity.copy()] if self.tw else []  # the book's starting equity opens the trailing window
        self.rets: list[np.ndarray] = []
        self.mkts: list[np.ndarray] = []
        self.sx = self.sy = self.sxx = self.syy = self.sxy = zero
        self.dds: list[np.ndarray] = []
        self.s = self.q = zero
        self.p = [zero] * len(self.lags)
        self.prev_dd = zero

    def verdict(self, equity: np.ndarray, ret: np.ndarray, market: float, dd: np.ndarray):
        """(flags, exposure multiplier, tightened) per path: ``Guards.update`` then ``guard_verdict``."""
        rules, n_paths = self.rules, equity.shape[0]
        flags = np.zeros(n_paths, dtype=np.int64)
        mult = np.ones(n_paths)
        tightened = np.zeros(n_paths, dtype=bool)
        if self.tw:
            self.eqs.append(equity)
            if len(self.eqs) > self.tw:
                del self.eqs[0]
            fall = 1.0 - equity / np.max(self.eqs, axis=0)
            hit = fall > rules.trailing_stop
            flags[hit] |= TRAILING_STOP
            mult[hit] = 0.0
        n = self.cw
        if n:
            a, b = ret, market
            self.rets.append(a)
            self.mkts.append(b)
            sx, sy, sxx, syy, sxy = self.sx + a, self.sy + b, self.sxx + a * a, self.syy + b * b, self.sxy + a * b
            if len(self.rets) > n:
                a0, b0 = self.rets.pop(0), self.mkts.pop(0)
                sx, sy, sxx, syy, sxy = sx - a0, sy - b0, sxx - a0 * a0, syy - b0 * b0, sxy - a0 * b0
            self.sx, self.sy, self.sxx, self.syy, self.sxy = sx, sy, sxx, syy, sxy
            if len(self.rets) == n:
                mx, my = sx / n, sy / n
                vx, vy = sxx / n - mx * mx, syy / n - my * my
                ok = (vx > TINY_VAR) & (vy > TINY_VAR)
                with np.errstate(invalid="ignore", divide="ignore"):
                    corr = np.where(ok, (sxy / n - mx * my) / np.sqrt(np.where(ok, vx * vy, 1.0)), np.nan)
                stop = ok & (corr > rules.correlation_stop) if rules.correlation_stop is not None else np.zeros_like(ok)
                flags[stop] |= CORRELATION_STOP
                mult[stop] = 0.0
                if rules.correlation_scale is not None:
                    cs = rules.correlation_scale
                    scaled = ok & ~stop & (corr > cs)
                    flags[scaled] |= CORRELATION_SCALED
                    mult[scaled] = mult[scaled] * (1.0 - (corr[scaled] - cs) / (1.0 - cs))
        n = self.aw
        if n:
            x = dd - self.prev_dd
            d = self.dds
            d.append(x)
            k = len(d) - 1
            s, q, p = self.s + x, self.q + x * x, self.p
            for i, lag in enumerate(self.lags):
                if k >= lag:
                    p[i] = p[i] + x * d[k - lag]
            if k >= n:
                old = d[0]
                s = s - old
                q = q - old * old
                for i, lag in enumerate(self.lags):
                    p[i] = p[i] - old * d[lag]
                del d[0]
            self.s, self.q = s, q
            if len(d) == n:
                m = s / n
                v = q / n - m * m
                ok = v > TINY_VAR
                safe = np.where(ok, v, 1.0)
                auto = np.max([(pl / (n - lag) - m * m) / safe for pl, lag in zip(p, self.lags)], axis=0)
                tightened = ok & (auto > rules.autocorr_threshold)
                flags[tightened] |= AUTOCORR_TIGHTENED
        return flags, mult, tightened


def overlay_paths(r: np.ndarray, x: np.ndarray, rules: Rules) -> np.ndarray:
    """Exposures (T x P) of ``scalar_overlay_loop(r, x[:, j], rules)`` for every column j of the wanted
    exposures ``x`` (T x P) on one asset's close-to-close returns ``r`` (T,), from a flat book of equity 1."""
    r = np.asarray(r, dtype=float)
    x = np.asarray(x, dtype=float)
    n, n_paths = x.shape
    plain = _levels(rules)
    tight = _levels(rules, rules.autocorr_tighten) if rules.autocorr_threshold is not None else plain
    scales = plain[1]
    soft = rules.drawdown_soft_cap if rules.drawdown_soft_cap is not None else math.inf
    lo, hi = rules.min_weight, rules.max_weight
    tmax = rules.max_turnover if rules.max_turnover is not None else math.inf
    rearm, rate = rules.rearm_after, rules.cost_rate
    eq, peak = np.ones(n_paths), np.ones(n_paths)
    prev, pcost = np.zeros(n_paths), np.zeros(n_paths)
    flat = np.zeros(n_paths, dtype=np.int64)
    guards = _PathGuards(rules, eq) if rules.watches_history else None
    out = np.empty((n, n_paths))
    tightened = np.zeros(n_paths, dtype=bool)
    for t in range(n):
        ret = prev * r[t] - pcost
        eq = eq * (1.0 + ret)
        peak = np.maximum(peak, eq)
        dd = eq / peak - 1.0
        v = x[t].copy()
        mult = None
        if guards is not None:
            _, mult, tightened = guards.verdict(eq, ret, r[t], dd)
        scale = np.ones(n_paths)
        undecided = np.ones(n_paths, dtype=bool)
        for th_plain, th_tight, sc in zip(plain[0], tight[0], scales):
            hit = undecided & (dd < np.where(tightened, th_tight, th_plain))
            scale[hit] = sc
            undecided &= ~hit
        first = np.where(tightened, tight[2], plain[2])
        last = np.where(tightened, tight[3], plain[3])
        stopped = (dd < last) & (scale == 0.0)
        v = np.where(scale != 1.0, v * scale, v)
        if mult is not None:
            v = np.where(mult != 1.0, v * mult, v)
        capped = (dd < first) & (np.abs(v) > soft)
        v = np.where(capped, np.where(v > 0, soft, -soft), v)
        v = np.clip(v, lo, hi)
        flat = np.where(stopped, flat + 1, 0)
        if rearm:
            again = stopped & (flat >= rearm)
            peak = np.where(again, eq, peak)
            flat = np.where(again, 0, flat)
        if guards is not None:
            guards.prev_dd = eq / peak - 1.0
        free = ~stopped & (mult != 0.0) if mult is not None else ~stopped
        ch = v - prev
        v = np.where(free & (ch > tmax), prev + tmax, np.where(free & (ch < -tmax), prev - tmax, v))
        out[t] = v
        pcost = rate * np.abs(v - prev)
        prev = v
    return out

