from __future__ import annotations

import numpy as np
from sklearn.base import clone

from domain.strategies.vol_regime.model import COMPONENTS, VolRegimeEnsemble, combine
from domain.strategies.vol_regime.params import ModelParams


def _xy(seed=0, n=300, p=12):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = 0.01 * X[:, 0] - 0.005 * X[:, 1] + 0.01 * rng.normal(size=n)
    return X, y


def test_ensemble_is_weighted_sum_and_reproducible():
    X, y = _xy()
    m = VolRegimeEnsemble(rf_n_estimators=10, pca_components=5, lasso_alpha=0.0005, random_state=3).fit(X, y)
    parts = m.component_predictions(X)
    assert set(parts) == set(COMPONENTS)
    expected = 0.25 * parts["ridge"] + 0.25 * parts["lasso"] + 0.35 * parts["rf"] + 0.15 * parts["pca_ridge"]
    np.testing.assert_allclose(m.predict(X), expected)
    again = clone(m).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), m.predict(X))
    other = VolRegimeEnsemble(rf_n_estimators=10, pca_components=5, random_state=4).fit(X, y)
    assert not np.array_equal(other.component_predictions(X)["rf"], parts["rf"])
    # the signal is found: forecasts correlate with the truth out of sample
    Xt, yt = _xy(seed=1)
    assert np.corrcoef(m.predict(Xt), yt)[0, 1] > 0.5


def test_from_params_and_weight_normalisation():
    m = VolRegimeEnsemble.from_params(ModelParams(), random_state=1)
    assert m.get_params()["rf_n_estimators"] == 100 and m.weights == (0.25, 0.25, 0.35, 0.15)
    preds = {c: np.full(3, float(i)) for i, c in enumerate(COMPONENTS)}
    np.testing.assert_allclose(combine(preds, (2, 0, 0, 2)), 1.5)


def test_lasso_at_design_alpha_is_constant():
    # documents a property of the design: alpha 0.1 on daily-return targets zeroes every coefficient
    X, y = _xy()
    m = VolRegimeEnsemble(rf_n_estimators=5, pca_components=5, random_state=0).fit(X, y)
    assert np.ptp(m.component_predictions(X)["lasso"]) == 0.0
