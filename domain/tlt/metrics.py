"""Trade metrics of a strategy from its simulated P&L per path (dollars per share, one trade each).

- POP: share of paths with P&L > 0; expected return: mean P&L.
- CVaR 95%: mean of the worst 5% of P&Ls (ceil(5% of n) paths); a loss is negative, as in the design.
- risk-adjusted return: E[R] / |CVaR|; profit factor: gross gains / gross losses;
  win/loss ratio b: mean gain / mean loss (absolute); Sortino: E[R] / sqrt(mean(min(P&L, 0)^2)),
  per trade, target 0, not annualised.
- Kelly fraction f* = (p b - q) / b with p = POP, q = 1 - p.
Sizing: a Kelly fraction of NAV is put at risk (max loss per contract), never more than the loss
budget NAV * portfolio_yield * loss_fraction, and never more than ``max_position_risk`` of NAV on one
position (the design document's best practice, "max 5% of NAV at risk", whatever the budget allows);
contracts = floor(that / (max_loss * multiplier)).

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


def kelly_contracts(kelly: float, nav: float, max_loss_per_share: float, multiplier: int = 100,
                    kelly_multiplier: float = 1.0, loss_budget: float | None = None,
                    max_position_risk: float | None = None) -> int:
    """Contracts to sell at `nav`; 0 when the edge is not positive. `loss_budget` and `max_position_risk`
    (the cap on one position's max loss) are fractions of NAV."""
    if not kelly > 0 or not max_loss_per_share > 0 or not nav > 0:
        return 0
    at_risk = kelly * kelly_multiplier * nav
    for cap in (loss_budget, max_position_risk):
        if cap is not None:
            at_risk = min(at_risk, cap * nav)
    return int(at_risk // (max_loss_per_share * multiplier))


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
