"""The validation-year grid search of vol_regime, and what it measures about itself.

The models of every grid point are fitted on the training rows only and forecast the validation year, so
each candidate is scored out of sample: its signal strength is measured against the spread of those
validation forecasts (never the in-sample ones, 3-9x wider), and its daily net returns through the
exposure rules, overlay and costs form one column of the trial matrix. From that matrix come the chosen
point (maximum Calmar), the deflated Sharpe of the choice given the number of points tried, and the
probability of backtest overfitting by CSCV (``domain.overfitting``). With ``exposure.kelly`` = "oos_pnl"
the chosen point's validation P&L also sets its Kelly multiplier (``exposure.oos_kelly``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from domain import metrics
from domain.backtest import backtest_net_returns, backtest_net_returns_many
from domain.overfitting import deflated_sharpe_of, pbo_cscv, trial_sharpes
from domain.strategies.vol_regime.exposure import CONTEXT_COLUMNS, exposure_context, fast_target, oos_kelly
from domain.strategies.vol_regime.model import COMPONENTS, VolRegimeEnsemble, combine, fit_component_grid
from domain.strategies.vol_regime.params import ExposureParams, VolRegimeParams
from domain.strategies.vol_regime.selection import bootstrap_se, one_se_choice, top_clipped_share


@dataclass(frozen=True)
class Tuned:
    """The chosen parameters, the out-of-sample spread and Kelly multiplier that go with them, a report."""

    params: VolRegimeParams
    forecast_std: float  # of the chosen point's validation-year forecasts: out of sample for the train-only model
    kelly: float = 1.0
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Validation:
    """The validation rows' features, the asset returns (from before them, for the 252-day windows) and the
    exposure parameters calibrated on the training rows."""

    features: pd.DataFrame
    asset_returns: pd.Series
    exposure: ExposureParams

    def context(self) -> dict[str, np.ndarray]:
        ctx = exposure_context(self.features, self.asset_returns, self.exposure)
        return {c: ctx[c].to_numpy() for c in CONTEXT_COLUMNS}

    def returns(self) -> np.ndarray:
        return self.asset_returns.reindex(self.features.index).fillna(0.0).to_numpy()


def _net(target: np.ndarray, returns: np.ndarray, params: VolRegimeParams) -> np.ndarray:
    return backtest_net_returns(returns, target, params.overlay, params.costs)


def _score(net: np.ndarray) -> float:
    c = metrics.calmar(net)
    return c if np.isfinite(c) else -np.inf


def overfitting_report(trials: np.ndarray, best: int, n_blocks: int) -> dict[str, float]:
    """Deflated Sharpe of column ``best`` given all columns tried, and PBO by CSCV, of a T x N trial matrix."""
    srs = trial_sharpes(trials)
    var = float(np.var(srs, ddof=1)) if srs.size > 1 else 0.0
    pbo = pbo_cscv(trials, n_blocks)
    return {"validation_sharpe": float(srs[best]), "validation_trial_sharpe_var": var,
            "validation_dsr": deflated_sharpe_of(trials[:, best], var, trials.shape[1]),
            "validation_pbo": pbo["pbo"]}


def tune(X_train: np.ndarray, y_train: np.ndarray, validation: Validation, params: VolRegimeParams,
         seed: int) -> Tuned:
    """Grid search on the validation year: maximum Calmar (ties keep the earlier point), or with
    ``grid.selection`` = "one_se" the smallest exposure scale within one bootstrap standard error of it
    (``selection``). Forecast spreads are taken from the validation forecasts of the 25-tree ranking
    forests (``grid``)."""
    g = params.grid
    cache = fit_component_grid(X_train, y_train, validation.features.to_numpy(), g, params.model, seed)
    ctx, val_returns, ex = validation.context(), validation.returns(), validation.exposure
    rf_keys = [(d, s) for d in g.rf_max_depth for s in g.rf_min_samples_split]
    targets, points, spreads, f_of = [], [], [], []
    for ra, la, rk, pk, w in itertools.product(g.ridge_alpha, g.lasso_alpha, rf_keys, g.pca_components, g.weights):
        keys = {"ridge": ra, "lasso": la, "rf": rk, "pca_ridge": pk}
        f_va = combine({c: cache.validation[c][keys[c]] for c in COMPONENTS}, w)
        sd = float(np.std(f_va))
        for scale in g.exposure_scale:
            targets.append(fast_target(f_va, ctx, sd, ex, scale))
            points.append((ra, la, rk, pk, w, scale))
            spreads.append(sd)
            f_of.append(f_va)
    # every grid point's overlay backtest in one pass over the paths (equal to one backtest per point)
    trials = backtest_net_returns_many(val_returns, np.column_stack(targets), params.overlay, params.costs)
    scores = np.array([_score(trials[:, j]) for j in range(trials.shape[1])])
    report: dict[str, Any] = {"grid_points": len(points), "n_validation": len(val_returns)}
    if not np.isfinite(scores).any():  # every candidate flat or NaN: keep the configured parameters
        kept = untuned(X_train, y_train, validation, params, seed)
        return replace(kept, report={**report, **kept.report})
    best = int(np.argmax(scores))  # ties keep the earlier point
    se = bootstrap_se(trials[:, best], g.se_bootstrap, g.se_block_days, seed)
    scales = np.array([p[-1] for p in points])
    i = one_se_choice(scores, scales, se) if g.selection == "one_se" else best
    ra, la, (d, s), pk, w, scale = points[i]
    model = replace(params.model, ridge_alpha=ra, lasso_alpha=la, rf_max_depth=d, rf_min_samples_split=s,
                    pca_components=pk, weights=tuple(w))
    chosen = replace(params, model=model, exposure=replace(ex, exposure_scale=scale))
    top = max(g.exposure_scale)
    n_s = len(g.exposure_scale)  # the scale varies fastest in ``points``: the best model point's scales
    by_scale = scores[best - best % n_s: best - best % n_s + n_s]
    at_top = fast_target(f_of[i], ctx, spreads[i], ex, top)
    report.update(validation_calmar=float(scores[i]), validation_best_calmar=float(scores[best]),
                  validation_calmar_se=se, best_exposure_scale=float(points[best][-1]), tuned=True,
                  # a one-point scale grid is a fixed scale, not a choice that an end could truncate
                  scale_at_edge=bool(n_s > 1 and scale in (min(g.exposure_scale), top)),
                  scale_at_bottom=bool(n_s > 1 and scale == min(g.exposure_scale)),
                  scale_at_top=bool(n_s > 1 and scale == top),
                  top_clipped_share=top_clipped_share(at_top, ctx["soft_cap"], params.overlay),
                  # how far apart the best model point's scales score, in standard errors: below 1 the
                  # validation year cannot tell them apart
                  scale_score_range_se=float(np.ptp(by_scale[np.isfinite(by_scale)]) / se) if se > 0 else np.inf,
                  **overfitting_report(trials, i, g.cscv_blocks))
    return Tuned(chosen, spreads[i], oos_kelly(trials[:, i], chosen.exposure), report)


def untuned(X_train: np.ndarray, y_train: np.ndarray, validation: Validation, params: VolRegimeParams,
            seed: int) -> Tuned:
    """The configured parameters as they are, with their out-of-sample spread and Kelly multiplier."""
    chosen = replace(params, exposure=validation.exposure)
    model = VolRegimeEnsemble.from_params(chosen.model, random_state=seed).fit(X_train, y_train)
    f_va = model.predict(validation.features.to_numpy())
    sd = float(np.std(f_va))
    net = _net(fast_target(f_va, validation.context(), sd, chosen.exposure), validation.returns(), chosen)
    return Tuned(chosen, sd, oos_kelly(net, chosen.exposure), {"tuned": False, "validation_calmar": _score(net)})
