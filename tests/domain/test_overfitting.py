"""PSR / DSR against the papers, PBO by CSCV on cases whose answer is known."""

import numpy as np
import pytest

from domain.overfitting import (
    deflated_sharpe,
    deflated_sharpe_of,
    expected_max_sharpe,
    pbo_cscv,
    probabilistic_sharpe,
    trial_sharpes,
)


def test_deflated_sharpe_matches_the_papers_numerical_example():
    # Bailey and Lopez de Prado (2014), "The Deflated Sharpe Ratio", section "A numerical example":
    # annualised SR 2.5 over 5 years of daily data (T = 1250, 250 a year), N = 100 trials whose annualised
    # Sharpes have variance 0.5, skewness -3, kurtosis 10 -> SR0 = 0.1132 (daily) and DSR = 0.9004.
    assert expected_max_sharpe(0.5 / 250, 100) == pytest.approx(0.1132, abs=1e-4)
    assert deflated_sharpe(2.5 / np.sqrt(250), 1250, -3.0, 10.0, 0.5 / 250, 100) == pytest.approx(0.9004, abs=1e-4)
    # more trials, same record: a higher bar
    assert deflated_sharpe(2.5 / np.sqrt(250), 1250, -3.0, 10.0, 0.5 / 250, 1000) < 0.9004


def test_probabilistic_sharpe_is_the_normal_cdf_of_the_standardised_sharpe():
    # Bailey and Lopez de Prado (2012), eq. 11 with normal returns (skew 0, kurtosis 3):
    # PSR(0) = Z(SR sqrt(T - 1) / sqrt(1 + SR^2 / 2))
    sr, t = 0.05, 500
    expected = 0.5 * (1 + __import__("math").erf(sr * np.sqrt(t - 1) / np.sqrt(1 + sr**2 / 2) / np.sqrt(2)))
    assert probabilistic_sharpe(sr, t, 0.0, 3.0) == pytest.approx(expected, rel=1e-12)
    assert probabilistic_sharpe(sr, t, 0.0, 3.0, benchmark=sr) == pytest.approx(0.5)
    # negative skew and fat tails widen the Sharpe's error: less confidence in the same positive SR
    assert probabilistic_sharpe(sr, t, -2.0, 9.0) < probabilistic_sharpe(sr, t, 0.0, 3.0)
    # one trial: the DSR is the PSR against zero
    assert deflated_sharpe(sr, t, 0.0, 3.0, 1e-4, 1) == pytest.approx(probabilistic_sharpe(sr, t, 0.0, 3.0))


def test_deflated_sharpe_of_returns_and_flat_returns():
    rng = np.random.default_rng(1)
    r = 0.001 + 0.01 * rng.standard_normal(1000)
    assert 0.0 < deflated_sharpe_of(r, 1e-4, 50) < deflated_sharpe_of(r, 1e-4, 2) <= 1.0
    assert np.isnan(deflated_sharpe_of(np.zeros(100), 1e-4, 50))


def test_trial_sharpes_flat_trial_is_zero():
    m = np.column_stack([np.zeros(10), np.arange(10.0)])
    s = trial_sharpes(m)
    assert s[0] == 0.0 and s[1] == pytest.approx(4.5 / np.std(np.arange(10.0), ddof=1))


def test_pbo_is_zero_when_one_trial_dominates_everywhere():
    rng = np.random.default_rng(0)
    noise = 0.01 * rng.standard_normal((320, 10))
    noise[:, 3] += 0.02  # trial 3 is best in every block, in and out of sample
    out = pbo_cscv(noise, n_blocks=8)
    assert out["pbo"] == 0.0 and out["splits"] == 70 and out["trials"] == 10


def test_pbo_is_one_when_the_in_sample_winner_always_loses_out_of_sample():
    # Two blocks, three trials (hand-worked): block 0 ranks a > b > c, block 1 ranks c > b > a. Choosing on
    # either block picks the other block's worst trial: logit(1/4) < 0 in both splits, PBO = 1.
    b0 = np.array([[0.03, 0.02, 0.01], [0.01, 0.00, -0.01]] * 5)
    b1 = b0[:, ::-1]
    out = pbo_cscv(np.vstack([b0, b1]), n_blocks=2)
    assert out["splits"] == 2 and out["pbo"] == 1.0
    assert out["logit_median"] == pytest.approx(np.log(0.25 / 0.75))


def test_pbo_of_trials_without_skill_is_near_one_half():
    rng = np.random.default_rng(7)
    out = pbo_cscv(0.01 * rng.standard_normal((800, 50)), n_blocks=10)
    assert 0.3 < out["pbo"] < 0.7


def test_pbo_needs_two_trials_and_an_even_block_count():
    assert np.isnan(pbo_cscv(np.zeros((100, 1)))["pbo"])
    assert np.isnan(pbo_cscv(np.zeros((100, 4)), n_blocks=5)["pbo"])
