"""The two entry classifiers (LightGBM, long and short) on the pooled universe, and their tuning.

Each side's model predicts P(label) for a stock-day: long label = 6-session forward return above the long
threshold, short label = below the short threshold. With ``train_on='candidates'`` a side's model is fitted
on the stock-days whose QPI is in that side's entry zone (QPI < 15 for long, > 85 for short), the only
rows where its probability is ever used; otherwise on every universe row.

Probabilities are used as LightGBM gives them (not calibrated): the entry threshold is tuned on each
fold's validation year from a small grid, which absorbs a constant miscalibration; the probability also
ranks the day's candidates, for which calibration does not matter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from lightgbm import LGBMClassifier

from domain.strategies.mean_reversion.params import (
    GridParams,
    LabelParams,
    ModelParams,
    RuleParams,
)

QPI = 0  # column of qpi_3d in the feature cube
SIDES = ("long", "short")


def zone(features: np.ndarray, side: str, rules: RuleParams) -> np.ndarray:
    """Stock-days whose QPI is in ``side``'s entry zone (T, N) bool."""
    q = features[..., QPI]
    with np.errstate(invalid="ignore"):
        return q < rules.long_qpi_below if side == "long" else q > rules.short_qpi_above


def label(forward: np.ndarray, side: str, p: LabelParams) -> np.ndarray:
    return forward > p.long_threshold if side == "long" else forward < p.short_threshold


@dataclass(frozen=True)
class SideModel:
    """One side's fitted classifier and its entry threshold."""

    side: str
    booster: Any
    threshold: float
    params: ModelParams
    n_train: int

    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        return self.booster.predict_proba(np.asarray(x, dtype=np.float32))[:, 1]


def fit_classifier(x: np.ndarray, y: np.ndarray, p: ModelParams, seed: int) -> LGBMClassifier:
    if len(x) > p.max_train_rows:  # keep the newest rows (rows are in date order)
        x, y = x[-p.max_train_rows:], y[-p.max_train_rows:]
    model = LGBMClassifier(
        n_estimators=p.n_estimators, learning_rate=p.learning_rate, num_leaves=p.num_leaves,
        min_child_samples=p.min_child_samples, subsample=p.subsample, subsample_freq=1,
        colsample_bytree=p.colsample_bytree, n_jobs=p.n_jobs, random_state=seed, verbose=-1,
        deterministic=True, force_row_wise=True)
    return model.fit(np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int8))


def top_per_day(day: np.ndarray, prob: np.ndarray, take: int) -> np.ndarray:
    """Mask of the ``take`` highest probabilities of each day (``day`` sorted ascending; ties: row order)."""
    order = np.lexsort((-prob, day))
    d = day[order]
    start = np.r_[0, np.flatnonzero(np.diff(d)) + 1]
    rank = np.arange(d.size) - np.repeat(start, np.diff(np.r_[start, d.size]))
    keep = np.zeros(d.size, dtype=bool)
    keep[order[rank < take]] = True
    return keep


def entry_score(day: np.ndarray, prob: np.ndarray, forward: np.ndarray, side: str, threshold: float,
                rules: RuleParams, min_trades: int) -> tuple[float, int]:
    """Mean net 6-session return of the trades the entry rule would take (at most max per day)."""
    take = rules.max_long if side == "long" else rules.max_short
    sel = prob > threshold
    if sel.sum() < min_trades:
        return -np.inf, int(sel.sum())
    keep = top_per_day(day[sel], prob[sel], take)
    r = forward[sel][keep] * (1.0 if side == "long" else -1.0) - 2.0 * rules.cost_rate
    return (float(r.mean()) if keep.sum() >= min_trades else -np.inf), int(keep.sum())


def tune_side(side: str, train: tuple, valid: tuple, model: ModelParams, grid: GridParams, rules: RuleParams,
              labels: LabelParams, seed: int) -> tuple[ModelParams, float, dict]:
    """Grid over (num_leaves, n_estimators) x threshold on the validation year; returns the chosen model
    parameters, threshold and a report. ``train``/``valid`` are (x, forward, day) of the side's rows."""
    xt, ft, _ = train
    xv, fv, dv = valid
    yt = label(ft, side, labels)
    best = (-np.inf, model, (rules.long_prob if side == "long" else rules.short_prob), 0)
    points = 0
    for nl, ne in itertools.product(grid.num_leaves, grid.n_estimators):
        mp = replace(model, num_leaves=nl, n_estimators=ne)
        clf = fit_classifier(xt, yt, mp, seed)
        prob = clf.predict_proba(np.asarray(xv, dtype=np.float32))[:, 1] if len(xv) else np.zeros(0)
        for thr in grid.prob_threshold:
            points += 1
            score, n = entry_score(dv, prob, fv, side, thr, rules, grid.min_trades)
            if score > best[0]:
                best = (score, mp, thr, n)
    score, mp, thr, n = best
    return mp, thr, {f"{side}_validation_score": score, f"{side}_validation_trades": n,
                     f"{side}_num_leaves": mp.num_leaves, f"{side}_n_estimators": mp.n_estimators,
                     f"{side}_threshold": thr, f"{side}_grid_points": points, f"{side}_n_train": len(xt)}
