"""Trade metrics of a strategy from its simulated P&L per path (dollars per share, one trade each).

- POP: share of paths with P&L > 0; expected return: mean P&L.
- CVaR 95%: mean of the worst 5% of P&Ls (ceil(5% of n) paths); a loss is negative, as in the design.
- risk-adjusted return: E[R] / |CVaR|; profit factor: gross gains / gross losses;
  win/loss ratio b: mean gain / mean loss (absolute); Sortino: E[R] / sqrt(mean(min(P&L, 0)^2)),
  per trade, target 0, not annualised.
- Kelly fraction f* = (p b - q) / b with p = POP, q = 1 - p.
Sizing (``size_position``): a fractional Kelly share of NAV is put at risk (max loss per contract;
half Kelly by default, the design document advises 0.25-0.5x), within two caps: the loss budget
NAV * portfolio_yield * loss_fraction applies to the overlay as a whole, i.e. the |CVaR 95%| of every
open overlay position plus the new one's (issue 13 item 4; before, each trade's max loss was capped at the
whole budget, so Kelly never mattered above 2.4%), and no position has more than ``max_position_risk``
of NAV as max loss (the design document's best practice, "max 5% of NAV at risk"). Contracts are
floor(dollars / dollars per contract) for each rule, the smallest wins.

``troubleshooting_warnings``: the design document's troubleshooting section flags a calibration whose
TLT regression R^2 is below 0.95 and a Kelly fraction above 20%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TradeMetrics:
    pop: float
    expected_return: float
    cvar_95: float
    risk_adjusted_return: float
    profit_factor: float
    win_loss_ratio: float
    sortino: float
    kelly_fraction: float
    avg_win: float
    avg_loss: float


def _safe_div(a: float, b: float) -> float:
    if b == 0:
        return math.inf if a > 0 else (0.0 if a == 0 else -math.inf)
    return a / b


def cvar(pnl, level: float = 0.95) -> np.ndarray:
    """Mean of the worst (1 - level) share of P&Ls along the last axis (works on a (G, n) batch too)."""
    x = np.asarray(pnl, dtype=float)
    k = max(1, int(math.ceil(x.shape[-1] * (1.0 - level) - 1e-9)))
    worst = np.partition(x, k - 1, axis=-1)[..., :k]
    return worst.mean(axis=-1)


def kelly_fraction(pop: float, win_loss_ratio: float) -> float:
    if not win_loss_ratio > 0:
        return -math.inf if pop < 1 else 0.0
    if math.isinf(win_loss_ratio):
        return float(pop)
    return (pop * win_loss_ratio - (1.0 - pop)) / win_loss_ratio


def trade_metrics(pnl, level: float = 0.95) -> TradeMetrics:
    x = np.asarray(pnl, dtype=float)
    gains, losses = x[x > 0], x[x < 0]
    pop = gains.size / x.size
    mean = float(x.mean())
    tail = float(cvar(x, level))
    avg_win = float(gains.mean()) if gains.size else 0.0
    avg_loss = float(-losses.mean()) if losses.size else 0.0
    b = _safe_div(avg_win, avg_loss)
    downside = math.sqrt(float(np.mean(np.minimum(x, 0.0) ** 2)))
    return TradeMetrics(
        pop=pop, expected_return=mean, cvar_95=tail, risk_adjusted_return=_safe_div(mean, abs(tail)),
        profit_factor=_safe_div(float(gains.sum()), float(-losses.sum())), win_loss_ratio=b,
        sortino=_safe_div(mean, downside), kelly_fraction=kelly_fraction(pop, b), avg_win=avg_win,
        avg_loss=avg_loss)


@dataclass(frozen=True)
class Sizing:
    """Contracts to sell, and what each rule alone would allow (None: the rule was not given)."""

    contracts: int
    kelly: int
    budget: int | None
    position_cap: int | None

    @property
    def binding(self) -> str:
        """Which rule sets the count: 'Kelly', 'loss budget' or 'position cap' (the first that equals it)."""
        for name, n in (("Kelly", self.kelly), ("loss budget", self.budget), ("position cap", self.position_cap)):
            if n == self.contracts:
                return name
        return "Kelly"


def size_position(kelly: float, nav: float, max_loss_per_share: float, cvar_per_share: float,
                  multiplier: int = 100, kelly_multiplier: float = 0.5, loss_budget: float | None = None,
                  max_position_risk: float | None = None, open_cvar: float = 0.0) -> Sizing:
    """Contracts at `nav` (see the module docstring). `cvar_per_share`: the new spread's CVaR 95% per share
    (a loss, negative or its size); `open_cvar`: dollars of |CVaR 95%| the open overlay positions hold;
    `loss_budget`, `max_position_risk`: fractions of NAV. 0 contracts when the edge is not positive."""
    if not kelly > 0 or not max_loss_per_share > 0 or not nav > 0:
        return Sizing(0, 0, None if loss_budget is None else 0, None if max_position_risk is None else 0)
    per_contract = max_loss_per_share * multiplier
    n_kelly = int(kelly * kelly_multiplier * nav // per_contract)
    n_budget = None
    if loss_budget is not None:
        tail = abs(cvar_per_share) * multiplier
        room = max(loss_budget * nav - max(open_cvar, 0.0), 0.0)
        n_budget = int(room // tail) if tail > 0 else n_kelly
    n_cap = None if max_position_risk is None else int(max_position_risk * nav // per_contract)
    n = min(x for x in (n_kelly, n_budget, n_cap) if x is not None)
    return Sizing(n, n_kelly, n_budget, n_cap)


def troubleshooting_warnings(r_squared: float | None = None, kelly: float | None = None,
                             min_r_squared: float = 0.95, max_kelly: float = 0.20) -> list[str]:
    """The design document's troubleshooting warnings that apply (an empty list when none does)."""
    out = []
    if r_squared is not None and math.isfinite(r_squared) and r_squared < min_r_squared:
        out.append(f"calibration R^2 {r_squared:.4f} is below {min_r_squared:g}: check data quality, consider a "
                   "different date range, or exclude volatile periods")
    if kelly is not None and math.isfinite(kelly) and kelly > max_kelly:
        out.append(f"Kelly fraction {kelly:.1%} is above {max_kelly:.0%}: apply fractional Kelly (0.25-0.5x); "
                   "Kelly assumes log utility and can be aggressive")
    return out
