"""Bucket classifier (document section 4): LightGBM multiclass blended with a multinomial logistic model on
standardised features, the blend weight chosen on a validation window by log-loss, probabilities
calibrated (temperature scaling, or per-class isotonic regression), and the expected utility of every
bucket from the calibrated probabilities.

Expected utility: ``utility_table[k, j]`` is the mean utility of holding bucket j's weight over the
training days whose best bucket was k; with calibrated P(best = k | x), EU_j = sum_k P_k utility_table[k, j].
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import lightgbm as lgb
import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from domain.strategies.allocator.params import ModelParams

EPS = 1e-6


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of integer labels ``y`` under rows of probabilities ``p``."""
    y = np.asarray(y, int)
    return float(-np.mean(np.log(np.clip(p[np.arange(y.size), y], EPS, 1.0))))


def _normalise(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, None)
    return p / p.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Calibrator:
    """``kind`` 'temperature': p_k ∝ p_k^(1/T); 'isotonic': per-class isotonic maps, renormalised;
    'none': identity."""

    kind: str = "none"
    temperature: float = 1.0
    isotonic: tuple = ()

    def apply(self, p: np.ndarray) -> np.ndarray:
        if self.kind == "temperature":
            z = np.log(np.clip(p, EPS, 1.0)) / self.temperature
            z -= z.max(axis=1, keepdims=True)
            return _normalise(np.exp(z))
        if self.kind == "isotonic":
            cols = [iso.predict(p[:, k]) if iso is not None else p[:, k] for k, iso in enumerate(self.isotonic)]
            return _normalise(np.column_stack(cols))
        return p


def fit_calibrator(p: np.ndarray, y: np.ndarray, kind: str) -> Calibrator:
    """Fit the calibration map on validation probabilities ``p`` and labels ``y``."""
    if kind == "temperature":
        res = minimize_scalar(lambda t: log_loss(Calibrator("temperature", t).apply(p), y),
                              bounds=(0.05, 20.0), method="bounded", options={"xatol": 1e-3})
        return Calibrator("temperature", float(res.x))
    if kind == "isotonic":
        isos = []
        for k in range(p.shape[1]):
            target = (np.asarray(y) == k).astype(float)
            if target.min() == target.max():
                isos.append(None)
                continue
            isos.append(IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p[:, k], target))
        return Calibrator("isotonic", isotonic=tuple(isos))
    return Calibrator()


@dataclass
class BucketClassifier:
    """LightGBM + logistic bucket model. ``fit`` then optionally ``tune_blend``/``calibrate`` on a
    validation window; ``predict_proba`` gives calibrated probabilities over all ``n_classes`` buckets."""

    n_classes: int
    params: ModelParams
    num_leaves: int
    seed: int = 0
    blend: float = 0.5
    calibrator: Calibrator = field(default_factory=Calibrator)
    booster: lgb.Booster | None = None
    linear: LogisticRegression | None = None
    mean_: np.ndarray | None = None
    scale_: np.ndarray | None = None
    utility_table: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: np.ndarray, bucket_utility: np.ndarray,
            linear: BucketClassifier | None = None) -> BucketClassifier:
        """``linear``: a model fitted on the same rows whose linear part (standardisation and logistic model,
        which do not depend on the LightGBM complexity) is reused instead of refitted: the inner search
        fits each label setting and fold at several complexities."""
        y = np.asarray(y, int)
        p = self.params
        lgb_params = {
            "objective": "multiclass", "num_class": self.n_classes, "num_leaves": int(self.num_leaves),
            "max_depth": p.max_depth, "learning_rate": p.learning_rate, "min_data_in_leaf": p.min_child_samples,
            "lambda_l2": p.reg_lambda, "feature_fraction": p.feature_fraction, "bagging_fraction": 0.8,
            "bagging_freq": 1, "seed": int(self.seed), "deterministic": True, "num_threads": 1,
            "verbose": -1, "force_row_wise": True,
        }
        self.booster = lgb.train(lgb_params, lgb.Dataset(X, y, free_raw_data=True), num_boost_round=p.n_estimators)
        if linear is not None:
            self.mean_, self.scale_, self.linear = linear.mean_, linear.scale_, linear.linear
        else:
            self.mean_ = np.nanmean(X, axis=0)
            sd = np.nanstd(X, axis=0)
            self.scale_ = np.where(sd > 0, sd, 1.0)
            self.linear = LogisticRegression(C=p.logistic_c, max_iter=300).fit(self._standardise(X), y)
        table = np.empty((self.n_classes, self.n_classes))
        overall = np.nanmean(bucket_utility, axis=0)
        for k in range(self.n_classes):
            rows = bucket_utility[y == k]
            table[k] = np.nanmean(rows, axis=0) if len(rows) else overall
        self.utility_table = table
        return self

    def _standardise(self, X: np.ndarray) -> np.ndarray:
        Z = (X - self.mean_) / self.scale_
        return np.nan_to_num(np.clip(Z, -10, 10), nan=0.0)

    def raw_parts(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(LightGBM probabilities, linear probabilities), both over all buckets."""
        p_gbm = self.booster.predict(X, num_threads=1)
        p_lin = np.full((len(X), self.n_classes), EPS)
        p_lin[:, self.linear.classes_] = self.linear.predict_proba(self._standardise(X))
        return _normalise(p_gbm), _normalise(p_lin)

    def blended(self, X: np.ndarray) -> np.ndarray:
        g, lin = self.raw_parts(X)
        return self.blend * g + (1.0 - self.blend) * lin

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.calibrator.apply(self.blended(X))

    def tune_blend(self, X: np.ndarray, y: np.ndarray) -> BucketClassifier:
        g, lin = self.raw_parts(X)
        losses = [log_loss(b * g + (1 - b) * lin, y) for b in self.params.blend_grid]
        self.blend = float(self.params.blend_grid[int(np.argmin(losses))])
        return self

    def calibrate(self, X: np.ndarray, y: np.ndarray, kind: str | None = None) -> BucketClassifier:
        self.calibrator = fit_calibrator(self.blended(X), y, kind or self.params.calibration)
        return self

    def expected_utility(self, proba: np.ndarray) -> np.ndarray:
        return proba @ self.utility_table

    def importance(self) -> np.ndarray:
        return self.booster.feature_importance(importance_type="gain")

    def settings(self) -> dict:
        return {"blend": self.blend, "calibration": self.calibrator.kind, "temperature": self.calibrator.temperature,
                "num_leaves": self.num_leaves}


def with_complexity(params: ModelParams, num_leaves: int) -> ModelParams:
    return replace(params, num_leaves=num_leaves)
