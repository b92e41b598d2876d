"""Whether a retrained model may replace the live one: gates on its out-of-sample validation metrics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PromotionGates:
    """`min_validation_calmar`: the candidate's walk-forward validation Calmar must exceed it.
    `max_calmar_shortfall`: and it may trail the current model's validation Calmar by at most this much
    (absolute Calmar units), so that a retrain cannot quietly replace a better model with a worse one.
    `min_deflated_sharpe`: the deflated Sharpe ratio of its validation returns given the grid points tried
    (P[true Sharpe > the best of that many skill-less trials], Bailey and Lopez de Prado 2014) must reach
    it; `max_pbo`: its probability of backtest overfitting (CSCV, Bailey et al. 2017) must not exceed it.
    Both apply to strategies that measure them (the walk-forward summary has ``deflated_sharpe`` / ``pbo``)."""

    min_validation_calmar: float = 0.5
    max_calmar_shortfall: float = 0.25
    validation_quarters: int = 4
    min_deflated_sharpe: float = 0.95
    max_pbo: float = 0.5

    def __post_init__(self) -> None:
        if self.max_calmar_shortfall < 0 or self.validation_quarters < 1:
            raise ValueError("max_calmar_shortfall must be >= 0 and validation_quarters >= 1")
        if not 0.0 <= self.min_deflated_sharpe <= 1.0 or not 0.0 <= self.max_pbo <= 1.0:
            raise ValueError("min_deflated_sharpe and max_pbo are probabilities in 0..1")


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reasons: tuple[str, ...]

    @property
    def report(self) -> str:
        verdict = "promoted" if self.promote else "rejected"
        return f"{verdict}: " + "; ".join(self.reasons)


def _overfitting_gates(deflated_sharpe: float | None, pbo: float | None, gates: PromotionGates) -> tuple[bool, list[str]]:
    """The deflated-Sharpe and PBO gates; a figure the strategy does not measure (None) is not gated, and a
    PBO that cannot be measured (NaN: fewer than two grid points, nothing was selected) is only reported."""
    passes, reasons = True, []
    if deflated_sharpe is not None:
        if math.isfinite(deflated_sharpe) and deflated_sharpe >= gates.min_deflated_sharpe:
            reasons.append(f"deflated Sharpe {deflated_sharpe:.3f} >= {gates.min_deflated_sharpe:.3f}")
        else:
            passes = False
            reasons.append(f"deflated Sharpe {deflated_sharpe:.3f} is below {gates.min_deflated_sharpe:.3f}")
    if pbo is not None:
        if not math.isfinite(pbo):
            reasons.append("PBO not measured (fewer than two grid points)")
        elif pbo <= gates.max_pbo:
            reasons.append(f"PBO {pbo:.3f} <= {gates.max_pbo:.3f}")
        else:
            passes = False
            reasons.append(f"PBO {pbo:.3f} is above {gates.max_pbo:.3f}")
    return passes, reasons


def decide_promotion(candidate_calmar: float, current_calmar: float | None, gates: PromotionGates,
                     deflated_sharpe: float | None = None, pbo: float | None = None,
                     failed_strategy_gates: Sequence[str] = ()) -> PromotionDecision:
    """``failed_strategy_gates``: the strategy's own acceptance gates that failed (``Strategy.vet``); any
    one of them rejects the model and is named in the report."""
    reasons = [f"its own gate '{name}' failed" for name in failed_strategy_gates]
    passes = not failed_strategy_gates
    if not math.isfinite(candidate_calmar) or candidate_calmar <= gates.min_validation_calmar:
        passes = False
        reasons.append(f"validation Calmar {candidate_calmar:.3f} is not above the minimum {gates.min_validation_calmar:.3f}")
    else:
        reasons.append(f"validation Calmar {candidate_calmar:.3f} > minimum {gates.min_validation_calmar:.3f}")
    if current_calmar is None or not math.isfinite(current_calmar):
        reasons.append("no current model to compare with")
    elif candidate_calmar < current_calmar - gates.max_calmar_shortfall:
        passes = False
        reasons.append(
            f"worse than the current model ({candidate_calmar:.3f} < {current_calmar:.3f} - {gates.max_calmar_shortfall:.3f})"
        )
    else:
        reasons.append(f"within {gates.max_calmar_shortfall:.3f} of the current model's {current_calmar:.3f}")
    overfit_ok, overfit_reasons = _overfitting_gates(deflated_sharpe, pbo, gates)
    return PromotionDecision(passes and overfit_ok, tuple(reasons + overfit_reasons))


def decide_on_own_gates(failed_strategy_gates: Sequence[str]) -> PromotionDecision:
    """A model without a walk-forward validation (a calibration): only the strategy's own gates apply."""
    if failed_strategy_gates:
        return PromotionDecision(False, tuple(f"its own gate '{name}' failed" for name in failed_strategy_gates))
    return PromotionDecision(True, ("its own gates pass (no walk-forward: see the strategy's own validation)",))
