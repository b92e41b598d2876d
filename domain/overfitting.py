"""How much of a backtest is selection: the probabilistic and deflated Sharpe ratios and the probability of
backtest overfitting by combinatorially symmetric cross-validation (CSCV).

- Bailey, D. H. and Lopez de Prado, M. (2012), "The Sharpe Ratio Efficient Frontier", Journal of Risk 15(2):
  the probabilistic Sharpe ratio PSR(SR*) = Z((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2)).
- Bailey, D. H. and Lopez de Prado, M. (2014), "The Deflated Sharpe Ratio: Correcting for Selection Bias,
  Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5): the DSR is the PSR against
  SR0, the expected maximum Sharpe of N trials without skill (eq. 6 and 9).
- Bailey, D. H., Borwein, J., Lopez de Prado, M. and Zhu, Q. J. (2017), "The Probability of Backtest
  Overfitting", Journal of Computational Finance 20(4): CSCV splits the T x N matrix of trial returns into
  S blocks, picks the best trial on every half of the blocks and ranks it on the other half; PBO is the share
  of splits in which the in-sample winner ranks at or below the out-of-sample median.

Sharpe ratios here are per observation (daily), not annualised.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import stats

EULER_GAMMA = 0.5772156649015329


def _clean(returns) -> np.ndarray:
    r = np.asarray(returns, dtype=float)
    return r[np.isfinite(r)]


def probabilistic_sharpe(sharpe: float, n_obs: int, skew: float, kurtosis: float, benchmark: float = 0.0) -> float:
    """P[true Sharpe > ``benchmark``] given an observed per-period ``sharpe`` over ``n_obs`` periods with
    this skewness and raw (non-excess) kurtosis (Bailey and Lopez de Prado 2012, eq. 11)."""
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n_obs < 2 or denom <= 0 or not np.isfinite(sharpe):
        return float("nan")
    return float(stats.norm.cdf((sharpe - benchmark) * np.sqrt(n_obs - 1) / np.sqrt(denom)))


def expected_max_sharpe(sharpe_variance: float, n_trials: int) -> float:
    """E[max of N trial Sharpes] under the null of no skill (Bailey and Lopez de Prado 2014, eq. 6 / the
    False Strategy theorem): sqrt(V) ((1 - g) Z(1 - 1/N) + g Z(1 - 1/(N e))), g = Euler-Mascheroni."""
    if n_trials < 2 or sharpe_variance <= 0:
        return 0.0
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * np.e))
    return float(np.sqrt(sharpe_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe(sharpe: float, n_obs: int, skew: float, kurtosis: float, sharpe_variance: float,
                    n_trials: int) -> float:
    """Deflated Sharpe ratio (2014, eq. 9): the PSR against SR0 = ``expected_max_sharpe``; ``kurtosis`` is
    the raw kurtosis, ``sharpe_variance`` the variance of the trials' Sharpes."""
    return probabilistic_sharpe(sharpe, n_obs, skew, kurtosis, expected_max_sharpe(sharpe_variance, n_trials))


def deflated_sharpe_of(returns, sharpe_variance: float, n_trials: int) -> float:
    """DSR of daily ``returns`` picked by a search of ``n_trials`` whose daily Sharpes had variance
    ``sharpe_variance``; NaN for fewer than 3 returns or no variation."""
    r = _clean(returns)
    if r.size < 3 or r.std(ddof=1) == 0:
        return float("nan")
    sr = r.mean() / r.std(ddof=1)
    return deflated_sharpe(sr, r.size, float(stats.skew(r)), float(stats.kurtosis(r, fisher=False)),
                           float(sharpe_variance), int(n_trials))


def trial_sharpes(trial_returns) -> np.ndarray:
    """Per-period Sharpe of each column of a T x N matrix of trial returns (0 for a flat trial)."""
    m = np.nan_to_num(np.asarray(trial_returns, dtype=float), nan=0.0)
    sd = m.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, m.mean(axis=0) / sd, 0.0)


def _block_sharpes(sums: np.ndarray, squares: np.ndarray, n: int) -> np.ndarray:
    mean = sums / n
    var = (squares - n * mean**2) / (n - 1)
    sd = np.sqrt(np.clip(var, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 1e-15, mean / sd, 0.0)


def pbo_cscv(trial_returns, n_blocks: int = 16) -> dict[str, float]:
    """Probability of backtest overfitting of picking the best-Sharpe column of ``trial_returns`` (T x N,
    one column a trial), by CSCV over ``n_blocks`` (even) contiguous blocks of rows; the first T mod S
    rows are dropped so blocks are equal. Returns ``pbo``, the median logit of the winner's out-of-sample
    relative rank, ``splits`` and ``trials``. Ties share their average rank, so identical trials (a grid
    whose points give the same returns) neither help nor hurt. NaN with fewer than 2 trials."""
    m = np.nan_to_num(np.asarray(trial_returns, dtype=float), nan=0.0)
    if m.ndim != 2 or m.shape[1] < 2 or n_blocks < 2 or n_blocks % 2 or m.shape[0] < 2 * n_blocks:
        return {"pbo": float("nan"), "logit_median": float("nan"), "splits": 0, "trials": int(m.shape[-1])}
    t, n = m.shape
    size = t // n_blocks
    m = m[t - size * n_blocks:]
    blocks = m.reshape(n_blocks, size, n)
    sums, squares = blocks.sum(axis=1), (blocks**2).sum(axis=1)  # S x N
    half = n_blocks // 2
    combos = np.array([c for c in itertools.combinations(range(n_blocks), half)])
    member = np.zeros((len(combos), n_blocks))
    member[np.arange(len(combos))[:, None], combos] = 1.0
    n_half = size * half
    is_sr = _block_sharpes(member @ sums, member @ squares, n_half)
    oos_sr = _block_sharpes((1 - member) @ sums, (1 - member) @ squares, n_half)
    best = is_sr.argmax(axis=1)
    ranks = stats.rankdata(oos_sr, axis=1)  # 1 = worst
    omega = ranks[np.arange(len(combos)), best] / (n + 1.0)
    logits = np.log(omega / (1.0 - omega))
    return {"pbo": float(np.mean(logits <= 0.0)), "logit_median": float(np.median(logits)),
            "splits": int(len(combos)), "trials": int(n)}
