"""Bivariate Vasicek: exact simulation moments and maximum-likelihood recovery."""

import numpy as np
import pytest

from domain.errors import InputError
from domain.rates.vasicek import BivariateVasicekParams, fit_bivariate_vasicek, simulate

TRUE = BivariateVasicekParams(kappa_20=0.6, theta_20=0.045, sigma_20=0.008, kappa_30=0.4, theta_30=0.048,
                              sigma_30=0.009, rho=0.9)


def test_simulation_matches_the_exact_transition_moments():
    y20, y30 = simulate(TRUE, 0.03, 0.05, n_paths=20_000, n_steps=252, seed=3)
    assert y20.shape == (20_000, 253) and y20[0, 0] == 0.03 and y30[0, 0] == 0.05
    b = np.exp(-TRUE.kappa_20)
    mean = TRUE.theta_20 + (0.03 - TRUE.theta_20) * b
    sd = TRUE.sigma_20 * np.sqrt((1 - b * b) / (2 * TRUE.kappa_20))
    assert y20[:, -1].mean() == pytest.approx(mean, abs=4 * sd / np.sqrt(20_000))
    assert y20[:, -1].std() == pytest.approx(sd, rel=0.03)
    d20, d30 = np.diff(y20, axis=1).ravel(), np.diff(y30, axis=1).ravel()
    assert np.corrcoef(d20, d30)[0, 1] == pytest.approx(0.9, abs=0.005)


def test_same_seed_same_paths():
    a = simulate(TRUE, 0.04, 0.04, 100, 50, seed=11)
    b = simulate(TRUE, 0.04, 0.04, 100, 50, seed=11)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], simulate(TRUE, 0.04, 0.04, 100, 50, seed=12)[0])


def test_fit_recovers_parameters_from_a_simulated_history():
    y20, y30 = simulate(TRUE, 0.045, 0.048, n_paths=1, n_steps=252 * 60, seed=5)
    fit = fit_bivariate_vasicek(y20[0], y30[0])
    p = fit.params
    assert p.sigma_20 == pytest.approx(TRUE.sigma_20, rel=0.02)
    assert p.sigma_30 == pytest.approx(TRUE.sigma_30, rel=0.02)
    assert p.rho == pytest.approx(TRUE.rho, abs=0.01)
    # kappa's estimator is biased upwards on persistent series: loose, as documented
    assert p.kappa_20 == pytest.approx(TRUE.kappa_20, rel=0.5)
    assert p.kappa_30 == pytest.approx(TRUE.kappa_30, rel=0.6)
    assert p.theta_20 == pytest.approx(TRUE.theta_20, abs=0.01)


def test_segments_keep_gaps_out_of_the_transitions():
    y20, y30 = simulate(TRUE, 0.045, 0.048, 1, 2000, seed=8)
    a, b = y20[0].copy(), y30[0].copy()
    a[1000:] += 0.05  # a jump across the hole would inflate sigma if the hole were bridged
    b[1000:] += 0.05
    segment = np.r_[np.zeros(1000), np.ones(1001)]
    bridged = fit_bivariate_vasicek(a, b).params.sigma_20
    split = fit_bivariate_vasicek(a, b, segment=segment).params.sigma_20
    assert split == pytest.approx(TRUE.sigma_20, rel=0.1) and bridged > 1.5 * split


def test_too_little_data_is_an_input_error():
    with pytest.raises(InputError):
        fit_bivariate_vasicek(np.full(10, 0.04), np.full(10, 0.045))
