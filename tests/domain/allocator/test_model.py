from __future__ import annotations

import numpy as np

from domain.strategies.allocator.model import BucketClassifier, fit_calibrator, log_loss
from domain.strategies.allocator.params import ModelParams


def _noisy_buckets(n: int, seed: int):
    """Labels that depend weakly on two features: an unconstrained booster overfits and is overconfident."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 8))
    score = 0.8 * X[:, 0] - 0.5 * X[:, 1] + rng.standard_normal(n) * 1.5
    y = np.clip(np.rint(5 + 2 * score), 0, 10).astype(int)
    utility = -np.abs(np.arange(11)[None, :] - y[:, None]) / 10.0
    return X, y, utility


def test_calibration_improves_held_out_validation_log_loss():
    X, y, u = _noisy_buckets(3000, 0)
    params = ModelParams(n_estimators=150, num_leaves=15, max_depth=-1, learning_rate=0.3, min_child_samples=5,
                         reg_lambda=0.0, feature_fraction=1.0)
    model = BucketClassifier(11, params, num_leaves=15, seed=0, blend=1.0).fit(X[:2000], y[:2000], u[:2000])
    calib, held = slice(2000, 2500), slice(2500, 3000)
    raw = log_loss(model.blended(X[held]), y[held])
    for kind in ("temperature", "isotonic"):
        model.calibrate(X[calib], y[calib], kind)
        assert model.calibrator.kind == kind
        calibrated = log_loss(model.predict_proba(X[held]), y[held])
        assert calibrated < raw - 0.05, (kind, raw, calibrated)
    model.calibrate(X[calib], y[calib], "temperature")
    assert model.calibrator.temperature > 1.0  # overconfident -> flattened


def test_temperature_one_is_identity_and_probabilities_sum_to_one():
    X, y, u = _noisy_buckets(800, 1)
    model = BucketClassifier(11, ModelParams(n_estimators=10), num_leaves=3).fit(X, y, u)
    p = model.blended(X[:50])
    cal = fit_calibrator(p, y[:50], "none")
    assert np.allclose(cal.apply(p), p)
    q = model.predict_proba(X[:50])
    assert q.shape == (50, 11) and np.allclose(q.sum(axis=1), 1.0)


def test_blend_weight_is_chosen_by_validation_log_loss_and_expected_utility_picks_the_best_bucket():
    X, y, u = _noisy_buckets(2000, 2)
    model = BucketClassifier(11, ModelParams(n_estimators=30), num_leaves=3).fit(X[:1500], y[:1500], u[:1500])
    model.tune_blend(X[1500:], y[1500:])
    losses = {b: log_loss(b * model.raw_parts(X[1500:])[0] + (1 - b) * model.raw_parts(X[1500:])[1], y[1500:])
              for b in model.params.blend_grid}
    assert model.blend == min(losses, key=losses.get)
    # utility table: holding bucket j when k was best costs |j - k| / 10, so a sure bucket k picks k
    onehot = np.eye(11)
    assert (np.argmax(model.expected_utility(onehot), axis=1) == np.arange(11)).all()


def test_a_second_complexity_on_the_same_rows_reuses_the_linear_part_with_the_same_predictions():
    """The inner search fits each label setting and fold at several LightGBM complexities: the standardisation
    and logistic model do not depend on it, so they are fitted once (the speed of the nested walk-forward)."""
    X, y, u = _noisy_buckets(1500, 3)
    params = ModelParams(n_estimators=10)
    first = BucketClassifier(11, params, num_leaves=3).fit(X, y, u)
    reused = BucketClassifier(11, params, num_leaves=7).fit(X, y, u, linear=first)
    fresh = BucketClassifier(11, params, num_leaves=7).fit(X, y, u)
    assert reused.linear is first.linear
    np.testing.assert_array_equal(reused.blended(X[:200]), fresh.blended(X[:200]))
