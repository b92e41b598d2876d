"""Which validation-grid point vol_regime keeps, and whether its exposure scale is truncated by the grid.

Calmar is nearly invariant to the exposure scale wherever the caps and the drawdown throttle do not bind
(return and drawdown both grow with it), so on a skill-less year the score is flat in the scale up to the
point where the caps clip the targets, and the plain maximum lands on whichever end noise favours. Two
remedies, both decided on the validation year only:

- ``one_se`` (Breiman et al. 1984; Hastie, Tibshirani, Friedman, ESL 2nd ed., section 7.10): among the
  points whose score is within one standard error of the best, keep the most conservative, i.e. the
  smallest exposure scale (the best score among those at that scale). The standard error is that of the
  best point's Calmar under a seeded moving-block bootstrap of its validation-year net returns.
- ``top_clipped_share``: the share of the chosen forecasts' active validation days whose target is at a cap
  at the grid's largest scale. Near 1, scales beyond the grid give (nearly) the same positions, so a choice
  at the top is saturation, not truncation.
"""

from __future__ import annotations

import numpy as np

from domain import metrics
from domain.backtest import OverlayParams


def _score(net: np.ndarray) -> float:
    c = metrics.calmar(net)
    return c if np.isfinite(c) else -np.inf


def bootstrap_se(net: np.ndarray, n_boot: int, block_days: int, seed: int) -> float:
    """Standard deviation of Calmar over ``n_boot`` moving-block bootstrap resamples (blocks of
    ``block_days`` consecutive days, so volatility clustering and drawdown paths survive) of ``net``.
    Resamples whose Calmar is undefined (no drawdown) are left out; 0 when fewer than two remain."""
    r = np.asarray(net, dtype=float)
    n = r.size
    if n < 2 or n_boot < 2:
        return 0.0
    b = max(1, min(block_days, n))
    rng = np.random.default_rng(seed)
    n_blocks = -(-n // b)
    starts = rng.integers(0, n - b + 1, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(b)).reshape(n_boot, -1)[:, :n]
    scores = np.array([metrics.calmar(r[i]) for i in idx])
    scores = scores[np.isfinite(scores)]
    return float(np.std(scores, ddof=1)) if scores.size > 1 else 0.0


def one_se_choice(scores: np.ndarray, scales: np.ndarray, se: float) -> int:
    """Index of the point kept by the one-standard-error rule: the smallest scale among the points scoring
    at least ``max(scores) - se``, and among those the best score (ties: the earlier point)."""
    s = np.asarray(scores, dtype=float)
    best = int(np.argmax(s))
    within = s >= s[best] - max(se, 0.0)
    smallest = np.min(np.asarray(scales, dtype=float)[within])
    pool = within & (np.asarray(scales, dtype=float) == smallest)
    return int(np.argmax(np.where(pool, s, -np.inf)))


def top_clipped_share(target_at_top: np.ndarray, soft_cap: np.ndarray, overlay: OverlayParams) -> float:
    """Share of the non-zero targets at the grid's largest scale that sit at their cap: the regime soft cap
    or the overlay's hard cap on that side, whichever is tighter (NaN when every target is zero)."""
    t = np.asarray(target_at_top, dtype=float)
    cap = np.minimum(np.asarray(soft_cap, dtype=float), np.where(t > 0, overlay.max_exposure, -overlay.min_exposure))
    active = t != 0
    if not active.any():
        return float("nan")
    return float(np.mean(np.abs(t[active]) >= cap[active] * (1 - 1e-9)))
