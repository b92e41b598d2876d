"""TLT price against the average of the 20y and 30y yields: log(TLT) = alpha + beta*y + gamma*y^2.

y is a decimal yield (0.045 = 4.5%). The modified duration implied by the fit is
D(y) = -d log(TLT)/dy = -(beta + 2*gamma*y), in years. R^2 is measured on log prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from domain.errors import InputError


@dataclass(frozen=True)
class TltRegression:
    alpha: float
    beta: float
    gamma: float
    r_squared: float

    def log_price(self, avg_yield):
        y = np.asarray(avg_yield, dtype=float)
        return self.alpha + self.beta * y + self.gamma * y * y

    def price(self, avg_yield):
        return np.exp(self.log_price(avg_yield))

    def duration(self, avg_yield):
        return -(self.beta + 2.0 * self.gamma * np.asarray(avg_yield, dtype=float))

    def as_dict(self) -> dict[str, float]:
        return {"alpha": self.alpha, "beta": self.beta, "gamma": self.gamma, "r_squared": self.r_squared}


def fit_tlt_regression(avg_yield, tlt_price) -> TltRegression:
    """Least squares of log(price) on (1, y, y^2); prices must be positive."""
    y = np.asarray(avg_yield, dtype=float)
    p = np.asarray(tlt_price, dtype=float)
    if y.shape != p.shape or y.size < 10:
        raise InputError("TLT regression: need at least 10 aligned (yield, price) observations")
    if np.any(~np.isfinite(p)) or np.any(p <= 0):
        raise InputError("TLT regression: prices must be positive and finite")
    log_p = np.log(p)
    design = np.column_stack([np.ones_like(y), y, y * y])
    coef, *_ = np.linalg.lstsq(design, log_p, rcond=None)
    resid = log_p - design @ coef
    total = np.sum((log_p - log_p.mean()) ** 2)
    r2 = 1.0 - np.sum(resid ** 2) / total if total > 0 else 0.0
    return TltRegression(float(coef[0]), float(coef[1]), float(coef[2]), float(r2))
