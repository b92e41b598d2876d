"""Whether a retrained model may replace the live one: gates on its out-of-sample validation metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PromotionGates:
    """`min_validation_calmar`: the candidate's walk-forward validation Calmar must exceed it.
    `max_calmar_shortfall`: and it may trail the current model's validation Calmar by at most this much
    (absolute Calmar units), so that a retrain cannot quietly replace a better model with a worse one."""

    min_validation_calmar: float = 0.5
    max_calmar_shortfall: float = 0.25
    validation_quarters: int = 4

    def __post_init__(self) -> None:
        if self.max_calmar_shortfall < 0 or self.validation_quarters < 1:
            raise ValueError("max_calmar_shortfall must be >= 0 and validation_quarters >= 1")


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reasons: tuple[str, ...]

    @property
    def report(self) -> str:
        verdict = "promoted" if self.promote else "rejected"
        return f"{verdict}: " + "; ".join(self.reasons)


def decide_promotion(candidate_calmar: float, current_calmar: float | None, gates: PromotionGates) -> PromotionDecision:
    reasons = []
    passes = True
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
    return PromotionDecision(passes, tuple(reasons))
