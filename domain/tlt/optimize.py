"""Exit-parameter search: profit targets x loss multiples x DTE thresholds on one spread-value matrix.

The matrix of buy-back values (paths x days) is computed once; each profit target and loss multiple
contributes one first-trigger day per path, and every grid point combines those (see `exits.combine`),
so the grid costs a few passes over the matrix rather than a simulation per point. A point passes
when POP >= min_pop and, if a risk budget is given, |CVaR 95%| <= max_cvar_loss (dollars per share).
Ranking: passing points first, each group by the ranking metric (descending), ties in grid order.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from domain.errors import InputError
from domain.tlt.exits import REASONS, combine, dte_day, loss_days, profit_days
from domain.tlt.metrics import cvar

RANKING_METRICS = ("expected_return", "risk_adjusted_return")


@dataclass(frozen=True)
class GridResult:
    profit_target_pct: float
    loss_multiple: float
    dte_threshold: int
    expected_return: float
    cvar_95: float
    pop: float
    risk_adjusted_return: float
    avg_days_held: float
    passes: bool
    exit_reasons: dict[str, float]


@dataclass(frozen=True)
class OptimizationResult:
    ranked: tuple[GridResult, ...]
    n_evaluated: int
    n_passing: int
    ranking_metric: str

    @property
    def best(self) -> GridResult | None:
        return self.ranked[0] if self.n_passing else None

    @property
    def passing(self) -> tuple[GridResult, ...]:
        return self.ranked[: self.n_passing]


def optimize_exits(values: np.ndarray, credit: float, profit_targets, loss_multiples, dte_thresholds,
                   min_pop: float = 0.70, max_cvar_loss: float | None = None,
                   ranking_metric: str = "expected_return", level: float = 0.95, dte=None) -> OptimizationResult:
    """`dte`: calendar days to expiry of each column (DTE thresholds are then calendar days, and days held)."""
    if ranking_metric not in RANKING_METRICS:
        raise InputError(f"ranking metric must be one of {', '.join(RANKING_METRICS)}, got {ranking_metric!r}")
    if not (len(profit_targets) and len(loss_multiples) and len(dte_thresholds)):
        raise InputError("every grid axis needs at least one value")
    if any(not 0 < p <= 1 for p in profit_targets) or any(m <= 0 for m in loss_multiples) \
            or any(d < 0 for d in dte_thresholds):
        raise InputError("profit targets must lie in (0, 1], loss multiples be positive, DTE thresholds >= 0")
    n = values.shape[1] - 1
    pt_day = {p: profit_days(values, credit, p) for p in profit_targets}
    loss_day = {m: loss_days(values, credit, m) for m in loss_multiples}
    grid = list(product(profit_targets, loss_multiples, dte_thresholds))
    pnl = np.empty((len(grid), values.shape[0]))
    days = np.empty(len(grid))
    reasons = np.empty((len(grid), len(REASONS)))
    for g, (p, m, d) in enumerate(grid):
        out = combine(values, credit, pt_day[p], loss_day[m], dte_day(n, d, dte))
        pnl[g] = out.pnl
        days[g] = out.exit_day.mean() if dte is None else (dte[0] - np.asarray(dte)[out.exit_day]).mean()
        reasons[g] = np.bincount(out.reason, minlength=len(REASONS)) / out.reason.size
    pop = (pnl > 0).mean(axis=1)
    mean = pnl.mean(axis=1)
    tail = cvar(pnl, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        rar = np.where(tail < 0, mean / np.abs(tail), np.where(mean > 0, np.inf, 0.0))
    passes = pop >= min_pop
    if max_cvar_loss is not None:
        passes &= -tail <= max_cvar_loss
    metric = mean if ranking_metric == "expected_return" else rar
    order = np.lexsort((np.arange(len(grid)), -metric, ~passes))
    ranked = tuple(
        GridResult(float(grid[i][0]), float(grid[i][1]), int(grid[i][2]), float(mean[i]), float(tail[i]),
                   float(pop[i]), float(rar[i]), float(days[i]), bool(passes[i]),
                   dict(zip(REASONS, map(float, reasons[i]))))
        for i in order)
    return OptimizationResult(ranked, len(grid), int(passes.sum()), ranking_metric)
