"""Bivariate Vasicek (Ornstein-Uhlenbeck) model for two yields, e.g. the 20y and 30y Treasury yields.

    dr_i = kappa_i (theta_i - r_i) dt + sigma_i dW_i,    corr(dW_20, dW_30) = rho

Units: yields are decimals (0.045 = 4.5%); kappa per year; sigma per sqrt(year); `dt` in years (the
default 1/252 is one trading day). Over a step dt the exact transition is Gaussian:

    r_{t+dt} = theta + (r_t - theta) b + e,   b = exp(-kappa dt),
    Var(e_i) = sigma_i^2 (1 - b_i^2) / (2 kappa_i),   Corr(e_20, e_30) = rho_e

and the fit is the exact-discretisation maximum likelihood of those transitions: a seemingly-unrelated
AR(1) regression iterated to the joint Gaussian MLE (each equation has its own regressor, so the
joint fit differs from equation-by-equation OLS). `rho` is the correlation of the innovations e,
which is also the instantaneous correlation when kappa_20 = kappa_30, and is what `simulate` uses.
The kappa estimate is biased upwards on short persistent samples (the AR(1) coefficient's
small-sample bias); treat it as loose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from domain.errors import InputError

TRADING_DAYS = 252.0
_MIN_KAPPA = 1e-4  # per year: below this the series is indistinguishable from a random walk


@dataclass(frozen=True)
class BivariateVasicekParams:
    kappa_20: float
    theta_20: float
    sigma_20: float
    kappa_30: float
    theta_30: float
    sigma_30: float
    rho: float

    def __post_init__(self) -> None:
        for name in ("kappa_20", "kappa_30", "sigma_20", "sigma_30"):
            if not getattr(self, name) > 0:
                raise InputError(f"Vasicek {name} must be positive, got {getattr(self, name)}")
        if not -1.0 < self.rho < 1.0:
            raise InputError(f"Vasicek rho must lie in (-1, 1), got {self.rho}")

    def as_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in
                ("kappa_20", "theta_20", "sigma_20", "kappa_30", "theta_30", "sigma_30", "rho")}


@dataclass(frozen=True)
class VasicekFit:
    params: BivariateVasicekParams
    n_transitions: int
    log_likelihood: float
    persistence: tuple[float, float]  # the AR(1) coefficients b_20, b_30 per step


def _transitions(series: np.ndarray, segment: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(current, next) pairs, skipping pairs that straddle a gap between segments."""
    keep = np.ones(series.shape[0] - 1, dtype=bool)
    if segment is not None:
        keep = segment[1:] == segment[:-1]
    return series[:-1][keep], series[1:][keep]


def fit_bivariate_vasicek(y20, y30, dt: float = 1.0 / TRADING_DAYS, segment=None,
                          max_iter: int = 50, tol: float = 1e-12) -> VasicekFit:
    """Exact-discretisation MLE from two aligned yield series (decimals, oldest first, equally spaced by dt).

    `segment` (optional, same length) labels contiguous stretches; transitions across a label change
    (e.g. around an excluded window) are not used.
    """
    y = np.column_stack([np.asarray(y20, dtype=float), np.asarray(y30, dtype=float)])
    if not np.all(np.isfinite(y)):
        raise InputError("Vasicek fit: yields contain missing or non-finite values")
    seg = None if segment is None else np.asarray(segment)
    x, z = _transitions(y, seg)
    n = x.shape[0]
    if n < 30:
        raise InputError(f"Vasicek fit: only {n} daily transitions, need at least 30")

    # equation-by-equation OLS is the first SUR step
    designs = [np.column_stack([np.ones(n), x[:, i]]) for i in range(2)]
    coef = [np.linalg.lstsq(designs[i], z[:, i], rcond=None)[0] for i in range(2)]
    for _ in range(max_iter):
        resid = np.column_stack([z[:, i] - designs[i] @ coef[i] for i in range(2)])
        cov = resid.T @ resid / n
        prec = np.linalg.inv(cov)
        # GLS normal equations of the stacked system with Omega^-1 = prec (x) I
        a = np.block([[prec[i, j] * designs[i].T @ designs[j] for j in range(2)] for i in range(2)])
        rhs = np.concatenate([sum(prec[i, j] * designs[i].T @ z[:, j] for j in range(2)) for i in range(2)])
        new = np.linalg.solve(a, rhs)
        new_coef = [new[:2], new[2:]]
        change = max(np.max(np.abs(new_coef[i] - coef[i])) for i in range(2))
        coef = new_coef
        if change < tol:
            break
    resid = np.column_stack([z[:, i] - designs[i] @ coef[i] for i in range(2)])
    cov = resid.T @ resid / n
    sign, logdet = np.linalg.slogdet(cov)
    loglik = -0.5 * n * (2 * np.log(2 * np.pi) + logdet + 2.0)

    out = {}
    persistence = []
    for i, tenor in enumerate(("20", "30")):
        c, b = coef[i]
        if not 0.0 < b < 1.0:
            # no measurable mean reversion in this window: keep the process nearly a random walk
            b = float(np.exp(-_MIN_KAPPA * dt)) if b >= 1.0 else b
        if b <= 0.0:
            raise InputError(f"Vasicek fit: {tenor}y yields are anti-persistent (AR coefficient {b:.3f})")
        kappa = -np.log(b) / dt
        theta = c / (1.0 - coef[i][1]) if coef[i][1] < 1.0 else float(np.mean(z[:, i]))
        sigma = np.sqrt(cov[i, i] * 2.0 * kappa / (1.0 - b * b))
        out[f"kappa_{tenor}"] = float(kappa)
        out[f"theta_{tenor}"] = float(theta)
        out[f"sigma_{tenor}"] = float(sigma)
        persistence.append(float(b))
    rho = float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]))
    return VasicekFit(BivariateVasicekParams(rho=rho, **out), n, float(loglik), tuple(persistence))


def simulate(params: BivariateVasicekParams, y20_0: float, y30_0: float, n_paths: int, n_steps: int,
             dt: float = 1.0 / TRADING_DAYS, seed: int | np.random.Generator | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Exact simulation of correlated paths; returns (y20, y30), each shaped (n_paths, n_steps + 1).

    Column 0 is the starting value. Draws are exact at the grid points (no Euler error for any dt).
    """
    if n_paths < 1 or n_steps < 0:
        raise InputError("simulate: n_paths must be >= 1 and n_steps >= 0")
    rng = np.random.default_rng(seed)
    z20 = rng.standard_normal((n_paths, n_steps))
    z30 = rng.standard_normal((n_paths, n_steps))
    # Cholesky of the 2x2 innovation correlation, written out, in place to spare memory traffic
    z30 *= np.sqrt(1.0 - params.rho ** 2)
    z30 += params.rho * z20
    out = []
    for drive, kappa, theta, sigma, start in (
            (z20, params.kappa_20, params.theta_20, params.sigma_20, y20_0),
            (z30, params.kappa_30, params.theta_30, params.sigma_30, y30_0)):
        b = np.exp(-kappa * dt)
        drive *= sigma * np.sqrt((1.0 - b * b) / (2.0 * kappa))
        drive[:, 0] += b * (start - theta)
        paths = np.empty((n_paths, n_steps + 1))
        paths[:, 0] = start
        # the deviation from theta is an AR(1), x_{k+1} = b x_k + e_k: a linear recursive filter
        paths[:, 1:] = lfilter([1.0], [1.0, -b], drive, axis=1)
        paths[:, 1:] += theta
        out.append(paths)
    return out[0], out[1]
