"""A design document's performance targets, checked against ``domain.metrics.summarize``: pass or fail.

A target is (metric key of ``summarize``, comparison, bound): comparison is one of >=, >, <=, < or
``between`` (bound = [low, high], both included). A metric that is NaN fails (nothing shows it is met).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.errors import InputError

COMPARISONS = (">=", ">", "<=", "<", "between")


@dataclass(frozen=True)
class TargetCheck:
    metric: str
    target: str  # e.g. ">= 1.5", "between 0.15 and 0.2"
    value: float
    passed: bool


def parse_targets(rows: Sequence, source: str = "targets") -> tuple[tuple, ...]:
    """Validate config rows [metric, comparison, bound] into tuples (bound a float or a (low, high) pair)."""
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) != 3 or row[1] not in COMPARISONS:
            raise InputError(f"{source}[{i}]: need [metric, one of {' '.join(COMPARISONS)}, bound], got {row!r}")
        metric, op, bound = row
        try:
            bound = (float(bound[0]), float(bound[1])) if op == "between" else float(bound)
        except (TypeError, ValueError, IndexError):
            raise InputError(f"{source}[{i}]: bound of {metric!r} must be a number ([low, high] for between)") from None
        out.append((str(metric), op, bound))
    return tuple(out)


def check_targets(summary: Mapping[str, float], targets: Sequence[tuple]) -> list[TargetCheck]:
    out = []
    for metric, op, bound in targets:
        value = float(summary.get(metric, math.nan))
        if op == "between":
            text, ok = f"between {bound[0]:g} and {bound[1]:g}", bound[0] <= value <= bound[1]
        else:
            text = f"{op} {bound:g}"
            ok = {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound}[op]
        out.append(TargetCheck(metric, text, value, bool(ok and math.isfinite(value))))
    return out


@dataclass(frozen=True)
class ReportParams:
    """What a strategy's report measures against: the annual risk-free rate of Sharpe and Sortino (0 keeps
    empyrical's convention) and the design document's targets (``report:`` in config/<name>.yaml)."""

    risk_free_rate: float = 0.0
    targets: tuple = ()

    def __post_init__(self) -> None:
        if not -0.05 <= self.risk_free_rate <= 0.2:
            raise InputError(f"report: risk_free_rate {self.risk_free_rate} is not an annual rate in [-0.05, 0.2]")
        object.__setattr__(self, "targets", parse_targets(self.targets, "report.targets"))
