"""Nested walk-forward (document section 5).

Outer folds: ``domain.walk_forward.make_folds`` with quarterly test blocks, an expanding training window
and a validation year, purge (H - 1) + embargo (H) sessions at each boundary, H the largest horizon
searched. Inside each outer training window, ``inner_splits`` cut ``inner_folds`` validation blocks
(the most recent ones) with the same gap before each. The inner search fits the bucket model once per
label setting (H, lambda_dd, lambda_tc) x complexity and inner fold, scores each smoothing alpha on the
inner validation returns, and keeps the configuration with the best selection score. The outer fold then
fits that configuration on its training window, chooses the blend weight and the calibration on its
validation year, refits on training + validation and predicts the test quarter (raw weights and bucket
probabilities). Smoothing and the cap run over the stitched out-of-sample weights in ``assemble``, so the
policy carries from one quarter to the next as in production.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.strategies.allocator.controls import deflated_sharpe_of, monotonic_checks, selection_score
from domain.strategies.allocator.dataset import AllocatorData, LabelKey, rows
from domain.strategies.allocator.labels import bucket_weights
from domain.strategies.allocator.model import BucketClassifier, log_loss
from domain.strategies.allocator.params import AllocatorParams
from domain.strategies.allocator.policy import allocation_returns, fold_metrics, smooth
from domain.walk_forward import Fold, FoldResult, fold_seed, make_folds


@dataclass(frozen=True)
class InnerSplit:
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    validation_start: pd.Timestamp
    validation_end: pd.Timestamp


def inner_splits(train_index: pd.DatetimeIndex, n_folds: int, validation_days: int, gap: int,
                 min_train: int = 252) -> list[InnerSplit]:
    """The ``n_folds`` most recent validation blocks of ``validation_days`` sessions inside an outer training
    window, each preceded by ``gap`` dropped sessions; blocks whose training would be shorter than
    ``min_train`` sessions are left out."""
    m = len(train_index)
    out = []
    for i in range(n_folds):
        v_end = m - 1 - i * validation_days
        v_start = v_end - validation_days + 1
        t_end = v_start - 1 - gap
        if t_end + 1 < min_train:
            break
        out.append(InnerSplit(train_index[0], train_index[t_end], train_index[v_start], train_index[v_end]))
    return out[::-1]


@dataclass(frozen=True)
class Config:
    key: LabelKey
    num_leaves: int
    alpha: float

    def as_dict(self) -> dict:
        return {"horizon": self.key[0], "lambda_dd": self.key[1], "lambda_tc": self.key[2],
                "num_leaves": self.num_leaves, "alpha": self.alpha}


def _between(index: pd.DatetimeIndex, a: pd.Timestamp, b: pd.Timestamp) -> pd.DatetimeIndex:
    return index[(index >= a) & (index <= b)]


def fit_model(data: AllocatorData, key: LabelKey, num_leaves: int, dates: pd.DatetimeIndex,
              params: AllocatorParams, seed: int, linear: BucketClassifier | None = None) -> BucketClassifier:
    """``linear``: a model fitted on the same key and dates whose linear part is reused (BucketClassifier.fit)."""
    lab = data.label(key)
    idx = rows(data, dates, key)
    model = BucketClassifier(params.labels.n_buckets, params.model, num_leaves, seed)
    return model.fit(data.features.loc[idx].to_numpy(float), lab.bucket.loc[idx].to_numpy(int),
                     lab.bucket_utility.loc[idx].to_numpy(float), linear=linear)


def raw_weights(model: BucketClassifier, X: np.ndarray, n_buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """(calibrated probabilities, raw weight = the bucket of highest expected utility)."""
    proba = model.predict_proba(X)
    eu = model.expected_utility(proba)
    return proba, bucket_weights(n_buckets)[np.argmax(eu, axis=1)]


def default_config(params: AllocatorParams) -> Config:
    lp = params.labels
    return Config((lp.horizon, lp.lambda_dd, lp.lambda_tc), params.model.num_leaves, params.policy.alpha)


def inner_search(fold: Fold, data: AllocatorData, params: AllocatorParams, seed: int) -> tuple[Config, dict]:
    """Score every configuration on the inner folds of the outer training window; the best score wins
    (ties: the earlier configuration)."""
    s = params.search
    train_idx = data.usable[fold.train_mask(data.usable)]
    splits = inner_splits(train_idx, s.inner_folds, s.inner_validation_days, params.gap, s.min_inner_train_days)
    if not splits:
        return default_config(params), {"tuned": False, "reason": "outer training window too short"}
    stats: dict[Config, list[dict]] = {}
    trial_returns: dict[Config, list[pd.Series]] = {}
    cap, base = params.policy.max_daily_change, params.legs.baseline_w_qqq
    linear: dict[tuple, BucketClassifier] = {}  # (key, split) -> the first model fitted there: its linear part
    for key, leaves in itertools.product(sorted(set(itertools.product(s.horizon, s.lambda_dd, s.lambda_tc))),
                                         s.num_leaves):
        for split in splits:
            model = fit_model(data, key, leaves, _between(data.usable, split.train_start, split.train_end),
                              params, seed, linear=linear.get((key, split)))
            linear.setdefault((key, split), model)
            va = rows(data, _between(data.usable, split.validation_start, split.validation_end), key)
            Xv, yv = data.features.loc[va].to_numpy(float), data.label(key).bucket.loc[va].to_numpy(int)
            model.tune_blend(Xv, yv).calibrate(Xv, yv)
            _, w_raw = raw_weights(model, Xv, params.labels.n_buckets)
            for alpha in s.alpha:
                w = pd.Series(smooth(w_raw, alpha, cap, base), index=va)
                bt = allocation_returns(w, data.r_qqq, data.r_spy, params.costs.rate, w_before=base)
                cfg = Config(key, leaves, alpha)
                stats.setdefault(cfg, []).append(fold_metrics(bt["net_return"], bt["turnover"]))
                trial_returns.setdefault(cfg, []).append(bt["net_return"])
    scores = {cfg: selection_score(st, params.selection) for cfg, st in stats.items()}
    best = max(scores, key=lambda c: (scores[c], -list(scores).index(c)))
    sharpes = []
    for rets in trial_returns.values():
        r = pd.concat(rets).to_numpy()
        sharpes.append(r.mean() / r.std(ddof=1) if r.std(ddof=1) > 0 else np.nan)
    sr_var = float(np.nanvar(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    dsr = deflated_sharpe_of(pd.concat(trial_returns[best]).to_numpy(), sr_var, len(sharpes))
    info = {"tuned": True, "inner_score": float(scores[best]), "n_trials": len(scores), "inner_folds": len(splits),
            "inner_dsr": dsr, "trial_sharpe_var": sr_var,
            "inner_splits": [(x.train_end, x.validation_start, x.validation_end) for x in splits]}
    return best, info


def fit_outer(fold: Fold, data: AllocatorData, params: AllocatorParams, seed: int,
              cfg: Config) -> tuple[BucketClassifier, dict]:
    """Fit on training, choose blend and calibration on validation, refit on training + validation."""
    first = fit_model(data, cfg.key, cfg.num_leaves, data.usable[fold.train_mask(data.usable)], params, seed)
    va = rows(data, data.usable[fold.validation_mask(data.usable)], cfg.key)
    info: dict = {}
    if len(va):
        Xv, yv = data.features.loc[va].to_numpy(float), data.label(cfg.key).bucket.loc[va].to_numpy(int)
        first.tune_blend(Xv, yv)
        info["val_logloss_raw"] = log_loss(first.blended(Xv), yv)
        first.calibrate(Xv, yv)
        info["val_logloss_calibrated"] = log_loss(first.predict_proba(Xv), yv)
    final = fit_model(data, cfg.key, cfg.num_leaves, data.usable[fold.refit_mask(data.usable)], params, seed)
    final.blend, final.calibrator = first.blend, first.calibrator
    info.update(final.settings())
    return final, info


def outer_folds(data: AllocatorData, params: AllocatorParams, start, end) -> tuple[Fold, ...]:
    """Quarterly outer folds; label_horizon + embargo make the gap 2H - 1 (H the largest searched)."""
    wf = params.walk_forward
    h = (params.gap + 1) // 2
    return make_folds(data.usable, start, end, min_train_days=wf.min_train_days, validation_days=wf.validation_days,
                      label_horizon=h, embargo_days=h, frequency=wf.frequency)


def search_anchor(fold: Fold, data: AllocatorData, params: AllocatorParams) -> Fold:
    """The fold whose training window the inner search uses for ``fold``: the one starting at the first
    session of the group of ``retune_every`` test periods containing ``fold``'s test start."""
    freq, every = params.walk_forward.frequency, params.search.retune_every
    period = fold.test_start.to_period(freq)
    first = pd.Period(ordinal=period.ordinal - period.ordinal % every, freq=period.freq)
    anchor_day = data.usable[data.usable >= first.start_time][0]
    if anchor_day >= fold.test_start:
        return fold
    h = (params.gap + 1) // 2
    wf = params.walk_forward
    return make_folds(data.usable, anchor_day, anchor_day, min_train_days=wf.min_train_days,
                      validation_days=wf.validation_days, label_horizon=h, embargo_days=h, frequency="D")[0]


def anchor_seed(seed: int, anchor: Fold) -> int:
    return int(np.random.SeedSequence([int(seed), anchor.test_start.toordinal()]).generate_state(1)[0])


def search_for(fold: Fold, data: AllocatorData, params: AllocatorParams, seed: int) -> tuple[Config, dict]:
    """The inner search's choice for ``fold`` (run on its anchor's window), or the defaults without tuning."""
    if not params.tune:
        return default_config(params), {"tuned": False}
    anchor = search_anchor(fold, data, params)
    cfg, info = inner_search(anchor, data, params, anchor_seed(seed, anchor))
    return cfg, {**info, "search_anchor": anchor.test_start}


def run_fold(fold: Fold, data: AllocatorData, params: AllocatorParams, seed: int,
             searched: tuple[Config, dict] | None = None) -> FoldResult:
    """One outer fold: inner search (or its result, ``searched``, computed once per anchor by the caller),
    fit, calibrate, predict the test window (raw weights, probabilities)."""
    s = fold_seed(seed, fold)
    cfg, search_info = searched if searched is not None else search_for(fold, data, params, seed)
    model, fit_info = fit_outer(fold, data, params, s, cfg)
    te = data.usable[fold.test_mask(data.usable)]
    X = data.features.loc[te].to_numpy(float)
    nb = params.labels.n_buckets
    proba, w_raw = raw_weights(model, X, nb)
    pred = pd.DataFrame(proba, index=te, columns=[f"p_{k}" for k in range(nb)])
    pred["w_raw"] = w_raw
    pred["alpha"] = cfg.alpha
    pred["label"] = data.label(cfg.key).bucket.reindex(te)
    known = pred["label"].notna().to_numpy()
    if known.any():
        y = pred["label"].to_numpy()[known].astype(int)
        fit_info["test_logloss_raw"] = log_loss(model.blended(X[known]), y)
        fit_info["test_logloss_calibrated"] = log_loss(proba[known], y)
    refit = data.usable[fold.refit_mask(data.usable)]
    mono = monotonic_checks(lambda Z: model.predict_proba(Z) @ bucket_weights(nb), data.features.loc[refit])
    info = {**cfg.as_dict(), **search_info, **fit_info, "importance": model.importance().tolist(),
            "monotonic": mono}
    return FoldResult(fold=fold, predictions=pred, info=info)
