"""``kernel.scalar_overlay_loop`` compiled (numba), history rules included, for the one-pass backtest.

Why compiled: in Python the history rules (``guards.Guards``) cost ~5 us a session, six times the rest
of the overlay, and issue 18 asks the backtest with them on to stay near the overlay alone. Their running
sums were already O(1) a session; what cost was the interpreter, so the same loop is compiled.

Same float operations in the same order as ``scalar_overlay_loop`` and ``Guards.update`` (no fastmath,
so no reassociation and no fused multiply-add): the exposures, flags and drawdowns are bit-for-bit those
of the Python loop, which stays the readable reference (tests hold them equal). Only exact rewrites:
windows are power-of-two rings indexed by the session (no division, no pointer to move); the trailing
high is a two-stack queue's (suffix maxima of the older closes, a running maximum of the newer: a
maximum is exact however found); the largest autocorrelation takes one division (see the comment
there); up to four lags are held in registers, a shorter list padded by repeating its last lag (a
repeated lag changes no maximum)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from domain.book.guards import TINY_VAR
from domain.book.kernel import (
    AUTOCORR_TIGHTENED,
    CORRELATION_SCALED,
    CORRELATION_STOP,
    HARD_CAPPED,
    SOFT_CAPPED,
    STOPPED,
    THROTTLED,
    TRAILING_STOP,
    TURNOVER_CAPPED,
    _levels,
)
from domain.book.rules import Rules


def overlay_loop(r: np.ndarray, x: np.ndarray, rules: Rules):
    """``scalar_overlay_loop(r, x, rules)`` from a flat book of equity 1: (exposure, flags, drawdown) arrays."""
    return _loop(np.ascontiguousarray(r, dtype=np.float64), np.ascontiguousarray(x, dtype=np.float64),
                 *_arguments(rules))


def overlay_loop_many(r: np.ndarray, x: np.ndarray, rules: Rules) -> np.ndarray:
    """Exposures (T x P) of ``overlay_loop(r, x[:, j], rules)`` for every column j of ``x`` (T x P): a grid
    search's candidates, each its own path, in one compiled call."""
    # paths as rows: each is then a contiguous 1-d array, the type ``_loop`` is already compiled for
    paths = np.ascontiguousarray(np.asarray(x, dtype=np.float64).T)
    out = _loop_many(np.ascontiguousarray(r, dtype=np.float64), paths, *_arguments(rules))
    # back in C order: numpy's reductions over the trial matrix sum in an order that depends on the layout,
    # and the tuning's Sharpe ratios and PBO must stay those of the C-ordered matrix to the last bit
    return np.ascontiguousarray(out.T)


def _arguments(rules: Rules) -> tuple:
    """The rules as the compiled loop's scalar and array arguments (after ``r`` and ``x``)."""
    plain = _levels(rules)
    tight = _levels(rules, rules.autocorr_tighten) if rules.autocorr_threshold is not None else plain
    tw = rules.trailing_window if rules.trailing_stop is not None else 0
    on = rules.correlation_scale is not None or rules.correlation_stop is not None
    cw = rules.correlation_window if on else 0
    aw = rules.autocorr_window if rules.autocorr_threshold is not None else 0
    lags = np.array(rules.autocorr_lags if aw else (), dtype=np.int64)
    off = math.nan  # a threshold of a rule that is off (never compared: its window length is 0)
    return (
        np.array(plain[0], dtype=np.float64), np.array(tight[0], dtype=np.float64),
        np.array(plain[1], dtype=np.float64), float(plain[2]), float(plain[3]), float(tight[2]), float(tight[3]),
        float(rules.drawdown_soft_cap) if rules.drawdown_soft_cap is not None else math.inf,
        float(rules.min_weight), float(rules.max_weight),
        float(rules.max_turnover) if rules.max_turnover is not None else math.inf,
        int(rules.rearm_after), float(rules.cost_rate),
        int(tw), float(rules.trailing_stop) if tw else off,
        int(cw), rules.correlation_scale is not None,
        float(rules.correlation_scale) if rules.correlation_scale is not None else off,
        rules.correlation_stop is not None,
        float(rules.correlation_stop) if rules.correlation_stop is not None else off,
        int(aw), lags, (aw - lags).astype(np.float64),  # (n - lag) as Guards divides by it, exact in a float
        float(rules.autocorr_threshold) if aw else off,
    )


@njit(cache=True, nogil=True, error_model="numpy")
def _ring(k):  # pragma: no cover
    size = 1
    while size < k:
        size *= 2
    return size


@njit(cache=True, nogil=True, error_model="numpy")
def _loop_many(r, paths, th_plain, th_tight, scales, first_plain, last_plain, first_tight, last_tight, soft, lo,
               hi, tmax, rearm, rate, tw, trail, cw, has_cs, cs, has_stop, cstop, aw, lags, den,
               athr):  # pragma: no cover
    out = np.empty(paths.shape)
    for j in range(paths.shape[0]):
        out[j] = _loop(r, paths[j], th_plain, th_tight, scales, first_plain, last_plain, first_tight, last_tight,
                       soft, lo, hi, tmax, rearm, rate, tw, trail, cw, has_cs, cs, has_stop, cstop, aw, lags, den,
                       athr)[0]
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _loop(r, x, th_plain, th_tight, scales, first_plain, last_plain, first_tight, last_tight, soft, lo, hi,
          tmax, rearm, rate, tw, trail, cw, has_cs, cs, has_stop, cstop, aw, lags, den, athr):  # pragma: no cover
    n = r.shape[0]
    e = np.empty(n)
    fl = np.zeros(n, dtype=np.int64)
    tdd = np.empty(n)
    eq, peak, prev, pcost, flat = 1.0, 1.0, 0.0, 0.0, 0
    # whole histories instead of windows: a window's oldest element is then at a fixed offset (no ring)
    # windows are rings of a power-of-two size (an index is masked, not divided), small enough to stay in
    # the first-level cache
    me = _ring(2 * tw + 2) - 1
    eqs = np.empty(me + 1)  # equity at each close, the book's starting equity first (it opens the window)
    eqs[0] = eq
    # the window's high as a two-stack queue: closes before ``split`` keep their maxima up to ``split``
    # (``sfx``), those from ``split`` on a running maximum (``back``); each close is rescanned once
    sfx = np.empty(me + 1)
    split, back = 0, eq
    mc = _ring(cw + 1) - 1
    rets = np.empty(mc + 1)
    md = _ring(aw + 1) - 1
    dds = np.empty(md + 1)
    sx = sy = sxx = syy = sxy = 0.0
    s = q = 0.0
    n_lags = lags.shape[0]
    p = np.zeros(max(n_lags, 1))
    four = 1 <= n_lags <= 4
    pad = np.empty(4, dtype=np.int64)
    for i in range(4):
        pad[i] = lags[min(i, n_lags - 1)] if n_lags else 1
    l0, l1, l2, l3 = pad[0], pad[1], pad[2], pad[3]
    d0, d1, d2, d3 = float(aw - l0), float(aw - l1), float(aw - l2), float(aw - l3)
    p0 = p1 = p2 = p3 = 0.0
    prev_dd = 0.0
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
        tightened = False
        if tw:
            j = t + 1
            eqs[j & me] = eq
            back = max(back, eq)
            w = max(j - tw + 1, 0)  # the window's first close
            if w >= split:  # the older part is used up: the newer becomes it, with its maxima from the end
                sfx[j & me] = eq
                for i in range(j - 1, split - 1, -1):
                    sfx[i & me] = max(eqs[i & me], sfx[(i + 1) & me])
                split, back = j + 1, -math.inf
            high = max(sfx[w & me], back)
            fall = 1.0 - eq / high
            if fall > trail:
                f |= TRAILING_STOP
                mult = 0.0
        if cw:
            a = ret
            b = r[t]
            rets[t & mc] = a
            sx, sy, sxx, syy, sxy = sx + a, sy + b, sxx + a * a, syy + b * b, sxy + a * b
            if t >= cw:
                a0, b0 = rets[(t - cw) & mc], r[t - cw]
                sx, sy, sxx, syy, sxy = sx - a0, sy - b0, sxx - a0 * a0, syy - b0 * b0, sxy - a0 * b0
            if t + 1 >= cw:
                mx, my = sx / cw, sy / cw
                vx, vy = sxx / cw - mx * mx, syy / cw - my * my
                if vx > TINY_VAR and vy > TINY_VAR:
                    corr = (sxy / cw - mx * my) / math.sqrt(vx * vy)
                    if has_stop and corr > cstop:
                        f |= CORRELATION_STOP
                        mult = 0.0
                    elif has_cs and corr > cs:
                        f |= CORRELATION_SCALED
                        mult *= 1.0 - (corr - cs) / (1.0 - cs)
        if aw and four:  # up to four lags (the seed's 1, 5, 10, 20) in registers; a repeated lag changes no max
            xd = dd - prev_dd
            dds[t & md] = xd
            s, q = s + xd, q + xd * xd
            if t >= l0:
                p0 += xd * dds[(t - l0) & md]
            if t >= l1:
                p1 += xd * dds[(t - l1) & md]
            if t >= l2:
                p2 += xd * dds[(t - l2) & md]
            if t >= l3:
                p3 += xd * dds[(t - l3) & md]
            if t >= aw:  # the oldest leaves; the pairs where it is the earlier element go with it
                o = t - aw
                old = dds[o & md]
                s -= old
                q -= old * old
                p0 -= old * dds[(o + l0) & md]
                p1 -= old * dds[(o + l1) & md]
                p2 -= old * dds[(o + l2) & md]
                p3 -= old * dds[(o + l3) & md]
            if t + 1 >= aw:
                mm = s / aw
                var = q / aw - mm * mm
                if var > TINY_VAR:
                    m2 = mm * mm
                    # max_i (u_i / var) = (max_i u_i) / var: dividing by var > 0 and rounding are both
                    # monotonic, so one division gives Guards' largest autocorrelation to the bit
                    top = max(max(p0 / d0 - m2, p1 / d1 - m2), max(p2 / d2 - m2, p3 / d3 - m2))
                    if top / var > athr:
                        f |= AUTOCORR_TIGHTENED
                        tightened = True
        elif aw:
            xd = dd - prev_dd
            dds[t & md] = xd
            s, q = s + xd, q + xd * xd
            for i in range(n_lags):
                lag = lags[i]
                if t >= lag:
                    p[i] += xd * dds[(t - lag) & md]
            if t >= aw:
                old = dds[(t - aw) & md]
                s -= old
                q -= old * old
                for i in range(n_lags):
                    p[i] -= old * dds[(t - aw + lags[i]) & md]
            if t + 1 >= aw:
                mm = s / aw
                var = q / aw - mm * mm
                if var > TINY_VAR:
                    top = -math.inf
                    for i in range(n_lags):
                        top = max(top, p[i] / den[i] - mm * mm)
                    if top / var > athr:
                        f |= AUTOCORR_TIGHTENED
                        tightened = True
        thresholds = th_tight if tightened else th_plain
        first = first_tight if tightened else first_plain
        last = last_tight if tightened else last_plain
        for i in range(thresholds.shape[0]):
            if dd < thresholds[i]:
                scale = scales[i]
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
        prev_dd = dd  # Guards' eq / peak - 1 after the re-arm: dd, or 0 exactly where the peak is reset
        if stopped:
            flat += 1
            if rearm and flat >= rearm:
                peak = eq
                flat = 0
                prev_dd = 0.0
        else:
            flat = 0
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
    return e, fl, tdd
