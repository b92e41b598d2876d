"""Path-dependent exits of a short credit spread.

On each day k = 1..n (n = days to expiry at entry) the position is checked against:
- profit target: credit - value_k >= profit_target_pct * credit (max profit = credit);
- loss limit:    value_k >= loss_multiple * credit;
- DTE threshold: closed on the first session whose calendar days to expiry are <= dte_threshold (with
  `dte`, the calendar days of each column, domain/tlt/daycount.py); without `dte` the columns are counted
  as days, n - k <= dte_threshold (0 disables it);
- otherwise it expires on day n at intrinsic value.
The first day any rule fires is the exit day; when a price rule and the DTE close fall on the same
day the price rule is the recorded reason (it would have been traded on first). A price rule that
first fires on day n itself is recorded as 'expiration': on that day the spread settles at intrinsic
value whatever the rules say (a spread ending worthless did not hit a profit target). P&L is per share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROFIT_TARGET, LOSS_LIMIT, DTE_THRESHOLD, EXPIRATION = 0, 1, 2, 3
REASONS = ("profit_target", "loss_limit", "dte_threshold", "expiration")


@dataclass(frozen=True)
class ExitRule:
    profit_target_pct: float = 0.50
    loss_multiple: float = 2.0
    dte_threshold: int = 7

    def __post_init__(self) -> None:
        if not 0 < self.profit_target_pct <= 1:
            raise ValueError("profit_target_pct must lie in (0, 1]")
        if not self.loss_multiple > 0:
            raise ValueError("loss_multiple must be positive")
        if self.dte_threshold < 0:
            raise ValueError("dte_threshold must be >= 0")


@dataclass(frozen=True)
class ExitOutcome:
    pnl: np.ndarray  # per share, one per path
    exit_day: np.ndarray  # trading days held
    reason: np.ndarray  # codes, see REASONS

    def reason_distribution(self) -> dict[str, float]:
        counts = np.bincount(self.reason, minlength=len(REASONS)) / self.reason.size
        return {name: float(c) for name, c in zip(REASONS, counts)}

    @property
    def avg_days_held(self) -> float:
        return float(self.exit_day.mean())


def first_day(hit: np.ndarray) -> np.ndarray:
    """First column index (1-based day, since column 0 is entry) where `hit` is True; n + 1 if never.

    `hit` covers days 1..n, shape (n_paths, n)."""
    n = hit.shape[1]
    first = hit.argmax(axis=1) + 1
    return np.where(hit[np.arange(hit.shape[0]), first - 1], first, n + 1)


def profit_days(values: np.ndarray, credit: float, profit_target_pct: float) -> np.ndarray:
    return first_day(values[:, 1:] <= (1.0 - profit_target_pct) * credit)


def loss_days(values: np.ndarray, credit: float, loss_multiple: float) -> np.ndarray:
    return first_day(values[:, 1:] >= loss_multiple * credit)


def dte_day(n: int, dte_threshold: int, dte=None) -> int:
    if dte_threshold <= 0:
        return n + 1
    if dte is None:
        return max(n - dte_threshold, 1)
    hit = np.flatnonzero(np.asarray(dte)[1: n + 1] <= dte_threshold)
    return int(hit[0]) + 1 if hit.size else n + 1


def combine(values: np.ndarray, credit: float, profit_day: np.ndarray, loss_day: np.ndarray,
            dte_close_day: int) -> ExitOutcome:
    """Exit from precomputed first-trigger days (so a grid search computes each trigger once)."""
    n = values.shape[1] - 1
    price_day = np.minimum(profit_day, loss_day)
    day = np.minimum(np.minimum(price_day, dte_close_day), n)
    reason = np.where((price_day <= np.minimum(dte_close_day, n)) & (price_day < n),
                      np.where(profit_day < loss_day, PROFIT_TARGET, LOSS_LIMIT),
                      np.where(dte_close_day < n, DTE_THRESHOLD, EXPIRATION))
    pnl = credit - values[np.arange(values.shape[0]), day]
    return ExitOutcome(pnl, day, reason.astype(np.int8))


def apply_exits(values: np.ndarray, credit: float, rule: ExitRule, dte=None) -> ExitOutcome:
    """`values`: (n_paths, n + 1) buy-back values with column 0 the entry day; `dte`: calendar days to
    expiry of each column (see the module docstring)."""
    n = values.shape[1] - 1
    return combine(values, credit, profit_days(values, credit, rule.profit_target_pct),
                   loss_days(values, credit, rule.loss_multiple), dte_day(n, rule.dte_threshold, dte))
