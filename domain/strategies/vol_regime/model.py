"""Forecasting model of vol_regime: a weighted ensemble of Ridge, Lasso, RandomForest and PCA-Ridge
(design document, section 4.1), each an sklearn Pipeline with its own scaler, so the scaling is learnt
on the training rows only.

Every component learns the target standardised over its training rows (``Standardised``), and its
forecasts are turned back into the target's units. On a raw ~1% daily-return target Lasso's alpha of 0.01
or 0.1 zeroed every coefficient (the Lasso leg predicted the training mean) and Ridge's 0.1-5 did nothing;
standardised, an alpha means the same in every fold and the grid in ``params`` is on the scale where it acts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Lasso, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from domain.strategies.vol_regime.params import ModelParams

COMPONENTS = ("ridge", "lasso", "rf", "pca_ridge")


def make_ridge(alpha: float) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("ridge", Ridge(alpha=alpha))])


def make_lasso(alpha: float) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("lasso", Lasso(alpha=alpha, max_iter=5000))])


def make_rf(n_estimators: int, max_depth: int, min_samples_split: int, max_features: float, seed: int) -> Pipeline:
    # n_jobs=1: folds run in parallel on a 2-core machine; nested parallelism would only oversubscribe.
    rf = RandomForestRegressor(
        n_estimators=n_estimators, max_depth=max_depth, min_samples_split=min_samples_split,
        max_features=max_features, random_state=seed, n_jobs=1,
    )
    return Pipeline([("scale", StandardScaler()), ("rf", rf)])


def make_pca_ridge(n_components: int, alpha: float, n_features: int, n_samples: int, seed: int) -> Pipeline:
    k = max(1, min(n_components, n_features, n_samples))
    return Pipeline([
        ("scale", StandardScaler()),
        ("pca", PCA(n_components=k, svd_solver="full", random_state=seed)),
        ("ridge", Ridge(alpha=alpha)),
    ])


class VolRegimeEnsemble(BaseEstimator, RegressorMixin):
    """sklearn-style estimator: parameters in the constructor, ``random_state`` seeds the forest."""

    def __init__(
        self,
        ridge_alpha: float = 1.0,
        lasso_alpha: float = 0.1,
        rf_n_estimators: int = 100,
        rf_max_depth: int = 10,
        rf_min_samples_split: int = 20,
        rf_max_features: float = 0.2,
        pca_components: int = 20,
        pca_ridge_alpha: float = 1.0,
        weights: tuple[float, float, float, float] = (0.25, 0.25, 0.35, 0.15),
        random_state: int = 0,
    ):
        self.ridge_alpha = ridge_alpha
        self.lasso_alpha = lasso_alpha
        self.rf_n_estimators = rf_n_estimators
        self.rf_max_depth = rf_max_depth
        self.rf_min_samples_split = rf_min_samples_split
        self.rf_max_features = rf_max_features
        self.pca_components = pca_components
        self.pca_ridge_alpha = pca_ridge_alpha
        self.weights = weights
        self.random_state = random_state

    @classmethod
    def from_params(cls, params: ModelParams, random_state: int = 0) -> VolRegimeEnsemble:
        return cls(
            ridge_alpha=params.ridge_alpha, lasso_alpha=params.lasso_alpha,
            rf_n_estimators=params.rf_n_estimators, rf_max_depth=params.rf_max_depth,
            rf_min_samples_split=params.rf_min_samples_split, rf_max_features=params.rf_max_features,
            pca_components=params.pca_components, pca_ridge_alpha=params.pca_ridge_alpha,
            weights=tuple(params.weights), random_state=random_state,
        )

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.target_ = Standardised.of(y)
        z = self.target_.z(y)
        self.models_ = {
            "ridge": make_ridge(self.ridge_alpha).fit(X, z),
            "lasso": make_lasso(self.lasso_alpha).fit(X, z),
            "rf": make_rf(self.rf_n_estimators, self.rf_max_depth, self.rf_min_samples_split,
                          self.rf_max_features, self.random_state).fit(X, z),
            "pca_ridge": make_pca_ridge(self.pca_components, self.pca_ridge_alpha, X.shape[1], X.shape[0],
                                        self.random_state).fit(X, z),
        }
        self.n_features_in_ = X.shape[1]
        return self

    def component_predictions(self, X) -> dict[str, np.ndarray]:
        X = np.asarray(X, dtype=float)
        # models stored before targets were standardised learnt the raw target: identity scaling
        target = getattr(self, "target_", Standardised(mean=0.0, scale=1.0))
        return {name: target.unscale(self.models_[name].predict(X)) for name in COMPONENTS}

    def predict(self, X) -> np.ndarray:
        preds = self.component_predictions(X)
        return combine(preds, self.weights)


@dataclass(frozen=True)
class Standardised:
    """A target as z-scores over the training rows: ``z = (y - mean) / scale``, forecasts back with ``unscale``."""

    mean: float
    scale: float

    @classmethod
    def of(cls, y) -> Standardised:
        y = np.asarray(y, dtype=float)
        sd = float(np.std(y))
        return cls(mean=float(np.mean(y)), scale=sd if sd > 0 else 1.0)

    def z(self, y) -> np.ndarray:
        return (np.asarray(y, dtype=float) - self.mean) / self.scale

    def unscale(self, z) -> np.ndarray:
        return self.mean + self.scale * np.asarray(z, dtype=float)


def combine(preds: dict[str, np.ndarray], weights) -> np.ndarray:
    """Weighted ensemble forecast; weights are normalised to sum to 1."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    return sum(wi * preds[name] for wi, name in zip(w, COMPONENTS))


@dataclass(frozen=True)
class ComponentCache:
    """Predictions of every component variant on the training and validation rows, so the grid search
    scores ensembles without refitting: ``train[name][value]`` / ``validation[name][value]``."""

    train: dict[str, dict]
    validation: dict[str, dict]


def fit_component_grid(X_train, y_train, X_val, grid, model: ModelParams, seed: int) -> ComponentCache:
    """Fit each component once per value of its own grid parameters (Ridge alpha, Lasso alpha, forest
    (depth, min split), PCA components) on the training rows and cache their predictions. Forests are
    grown with ``grid.tune_rf_n_estimators`` trees when set (ranking only; the chosen model is refitted
    with the full ``model.rf_n_estimators``)."""
    X_train = np.asarray(X_train, dtype=float)
    X_val = np.asarray(X_val, dtype=float)
    target = Standardised.of(y_train)
    z_train = target.z(y_train)
    builders = {
        "ridge": {a: (lambda a=a: make_ridge(a)) for a in grid.ridge_alpha},
        "lasso": {a: (lambda a=a: make_lasso(a)) for a in grid.lasso_alpha},
        "rf": {
            (d, s): (lambda d=d, s=s: make_rf(grid.tune_rf_n_estimators or model.rf_n_estimators, d, s,
                                              model.rf_max_features, seed))
            for d in grid.rf_max_depth for s in grid.rf_min_samples_split
        },
        "pca_ridge": {
            k: (lambda k=k: make_pca_ridge(k, model.pca_ridge_alpha, X_train.shape[1], X_train.shape[0], seed))
            for k in grid.pca_components
        },
    }
    train: dict[str, dict] = {}
    val: dict[str, dict] = {}
    for name, variants in builders.items():
        train[name], val[name] = {}, {}
        for key, build in variants.items():
            est = build().fit(X_train, z_train)
            train[name][key] = target.unscale(est.predict(X_train))
            val[name][key] = target.unscale(est.predict(X_val))
    return ComponentCache(train=train, validation=val)
