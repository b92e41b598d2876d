"""``Allocator``: the SPY/QQQ capital allocator behind the common ``Strategy`` interface (Targets kind
'legs': w_qqq on the QQQ leg, 1 - w_qqq on the SPY leg).

Legs come from ``Inputs.legs`` (leg name -> daily returns, and ``<name>:confidence`` where the leg has
one). Buy-and-hold legs may instead be derived from ``Inputs.bars`` (adjusted closes); the price regime
features always read the bars of the two symbols.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from domain.book.rules import Rules
from domain.errors import InputError
from domain.strategies.allocator import nested, research
from domain.strategies.allocator.dataset import AllocatorData, leg_returns_from_prices, prepare
from domain.strategies.allocator.labels import bucket_weights
from domain.strategies.allocator.model import BucketClassifier
from domain.strategies.allocator.params import AllocatorParams
from domain.strategies.allocator.envelope import drift_caps, envelope_now
from domain.strategies.allocator.policy import smooth
from domain.strategies.base import Inputs, Needs, Strategy, Targets
from domain.walk_forward import Fold, FoldResult, make_folds


def _close(frame) -> pd.Series:
    if isinstance(frame, pd.Series):
        return frame.astype(float)
    cols = {c.lower(): c for c in frame.columns}
    return frame[cols["close"]].astype(float)


@dataclass
class AllocatorModel:
    """The production allocator fitted at ``as_of``: the bucket model (blend and calibration chosen on its
    validation year), the configuration the inner search chose, and the acceptance gates' status of the
    walk-forward run that vetted it (None until a caller attaches it)."""

    model: BucketClassifier
    config: nested.Config
    feature_columns: tuple[str, ...]
    leg_names: tuple[str, str]
    as_of: pd.Timestamp
    info: dict[str, Any] = field(default_factory=dict)
    gates: dict[str, dict] | None = None

    @property
    def promoted(self) -> bool:
        return self.gates is not None and all(g["passed"] for g in self.gates.values())


class Allocator(Strategy):
    name = "allocator"
    params_type = AllocatorParams
    target_kind = "legs"
    benchmark = "baseline 50/50"

    @property
    def needs(self) -> Needs:
        lp = self.params.legs
        fp = self.params.features
        # the longest feature window (drift: recent + reference) plus a margin, so the as_of row is complete
        history = max(fp.drift_recent_days + fp.drift_reference_days, fp.trend_days, max(fp.corr_days)) + 60
        return Needs(symbols=(lp.qqq_symbol, lp.spy_symbol), legs=lp.names, history_days=history)

    def rules(self) -> Rules:
        """The allocator's book: the same costs as its utility and backtest; weights are bounded by what the
        legs may hold (buy-and-hold legs: 0..1 per instrument). No throttle: the legs carry their own."""
        c = self.params.costs
        return Rules(commission_bps=c.commission_bps, slippage_bps=c.slippage_bps)

    # --- data ------------------------------------------------------------------------------------------

    def leg_series(self, inputs: Inputs) -> tuple[pd.Series, pd.Series, pd.Series | None, pd.Series | None]:
        """(QQQ leg returns, SPY leg returns, their confidences or None), dated <= as_of."""
        lp = self.params.legs
        out = []
        for name, symbol in zip(lp.names, (lp.qqq_symbol, lp.spy_symbol)):
            if name in inputs.legs:
                r = inputs.legs[name].astype(float)
            elif lp.kind == "buy_and_hold" and symbol in inputs.bars:
                r = leg_returns_from_prices(_close(inputs.bars[symbol]))
            else:
                raise InputError(f"allocator: leg {name!r} is missing from the inputs")
            out.append(r.loc[r.index <= inputs.as_of])
        conf = [inputs.legs.get(f"{name}:confidence") for name in lp.names]
        return out[0], out[1], conf[0], conf[1]

    def prepare(self, inputs: Inputs) -> AllocatorData:
        lp = self.params.legs
        for symbol in (lp.qqq_symbol, lp.spy_symbol):
            if symbol not in inputs.bars:
                raise InputError(f"allocator: bars of {symbol} are missing from the inputs")
        rq, rs, cq, cs = self.leg_series(inputs)
        close_q = _close(inputs.bars[lp.qqq_symbol])
        close_s = _close(inputs.bars[lp.spy_symbol])
        close_q, close_s = close_q.loc[close_q.index <= inputs.as_of], close_s.loc[close_s.index <= inputs.as_of]
        return prepare(rq, rs, close_q, close_s, self.params, cq, cs, leg_names=lp.names)

    # --- research --------------------------------------------------------------------------------------

    def folds(self, dataset: AllocatorData, start: pd.Timestamp, end: pd.Timestamp) -> tuple[Fold, ...]:
        return nested.outer_folds(dataset, self.params, start, end)

    def run_fold(self, fold: Fold, dataset: AllocatorData, seed: int) -> FoldResult:
        return nested.run_fold(fold, dataset, self.params, seed)

    def assemble(self, results: list[FoldResult], dataset: AllocatorData) -> research.AllocatorResult:
        return research.assemble(results, dataset, self.params)

    def walk_forward(self, dataset: AllocatorData, start, end, seed: int = 0, map_fn=map) -> research.AllocatorResult:
        """The nested walk-forward with one inner search per anchor (faster than run_fold per fold)."""
        return research.run_walk_forward(dataset, self.params, start, end, seed, map_fn)

    # --- production ------------------------------------------------------------------------------------

    def fit(self, dataset: AllocatorData, as_of: pd.Timestamp, seed: int) -> AllocatorModel:
        """Search (on the training window as of ``as_of``), fit, blend and calibrate on the validation year
        before ``as_of``, refit on everything label-complete by then."""
        as_of = pd.Timestamp(as_of)
        usable = dataset.usable[dataset.usable <= as_of]
        if len(usable) == 0 or usable[-1] != as_of:
            raise InputError(f"allocator.fit: {as_of.date()} has no complete feature row")
        wf, h = self.params.walk_forward, (self.params.gap + 1) // 2
        fold = make_folds(usable, as_of, as_of, min_train_days=wf.min_train_days, validation_days=wf.validation_days,
                          label_horizon=h, embargo_days=h, frequency="D")[0]
        cfg, search_info = nested.search_for(fold, dataset, self.params, seed) if self.params.tune else (
            nested.default_config(self.params), {"tuned": False})
        model, fit_info = nested.fit_outer(fold, dataset, self.params, seed, cfg)
        info = {**{k: v for k, v in search_info.items() if k != "inner_splits"}, **fit_info,
                "refit_start": fold.refit_start, "refit_end": fold.refit_end}
        return AllocatorModel(model=model, config=cfg, feature_columns=tuple(dataset.features.columns),
                              leg_names=dataset.leg_names, as_of=as_of, info=info)

    @staticmethod
    def describe_fit(fitted: AllocatorModel) -> dict[str, Any]:
        """Provenance of a fitted model: training window, the chosen configuration, fit diagnostics."""
        return {"train_start": fitted.info["refit_start"], "train_end": fitted.info["refit_end"],
                "chosen": {**fitted.config.as_dict(), **fitted.model.settings()},
                "info": {k: v for k, v in fitted.info.items() if isinstance(v, int | float | str | bool)}}

    def vet(self, fitted: AllocatorModel, validation: research.AllocatorResult) -> list[str]:
        """The acceptance gates of the nested walk-forward ``validation`` that vetted this configuration:
        attached to ``fitted`` (``fitted.promoted`` is then whether every gate passed; ``decide`` stores their
        status) and the names of those that failed returned, so that the retrain stores a failing model
        without promoting it."""
        fitted.gates = {k: dict(v) for k, v in validation.gates.items()}
        fitted.info["oos_summary"] = validation.summary
        fitted.info["baseline_summary"] = validation.benchmark
        return list(validation.failed)

    def previous_weight(self, book: Any) -> float:
        """w_qqq held now: the last w_qqq decided (a stored book carries its past decisions as ``forecasts``),
        else from a mapping of leg weights (QQQ's share of the two legs: the envelope may hold less than all
        of capital in them), a number, or the baseline when there is none."""
        qqq_leg, spy_leg = self.params.legs.names
        if isinstance(book, int | float) and np.isfinite(book):
            return float(book)
        past = getattr(book, "forecasts", None)
        if isinstance(past, pd.Series) and past.notna().any():
            return float(past.dropna().sort_index().iloc[-1])
        w = book if isinstance(book, Mapping) else getattr(book, "leg_weights", None)
        if isinstance(w, Mapping) and qqq_leg in w:
            total = float(w[qqq_leg]) + float(w.get(spy_leg, 1.0 - float(w[qqq_leg])))
            return float(w[qqq_leg]) / total if total > 0 else self.params.legs.baseline_w_qqq
        return self.params.legs.baseline_w_qqq

    def decide(self, fitted: AllocatorModel, inputs: Inputs, as_of: pd.Timestamp, book: Any) -> Targets:
        """w_qqq for the next session from the features at ``as_of``'s close, smoothed from the weight held."""
        as_of = pd.Timestamp(as_of)
        data = self.prepare(inputs)
        if as_of not in data.usable:
            raise InputError(f"allocator.decide: {as_of.date()} has no complete feature row")
        X = data.features.loc[[as_of], list(fitted.feature_columns)].to_numpy(float)
        nb = self.params.labels.n_buckets
        proba, w_model = nested.raw_weights(fitted.model, X, nb)
        # A model whose walk-forward failed a gate is stored, not promoted: production steers to the baseline.
        rejected = fitted.gates is not None and not fitted.promoted
        w_raw = np.array([self.params.legs.baseline_w_qqq]) if rejected else w_model
        prev = self.previous_weight(book)
        env, cap = self.params.envelope, self.params.policy.max_daily_change
        if env.enabled and "drift_psi" in data.features:  # the drift safety throttle: smaller moves
            cap = float(drift_caps(data.features.loc[[as_of], "drift_psi"].to_numpy(float),
                                   self.params.features.drift_flag, cap, env)[0])
        w = float(smooth(w_raw, fitted.config.alpha, cap, prev)[0])
        # volatility scaling and drawdown guard rails: the share of capital in the mix, the rest in cash
        k = envelope_now(w, getattr(book, "drawdown", 0.0), data.r_qqq.loc[:as_of], data.r_spy.loc[:as_of], env)
        qqq_leg, spy_leg = self.params.legs.names
        details = {  # "forecast": the w_qqq decided, stored so that the next decision smooths from it
            "w_qqq": w, "forecast": w, "envelope_k": k, "w_raw": float(w_raw[0]), "w_model": float(w_model[0]), "w_previous": prev,
            "bucket_weights": bucket_weights(nb).tolist(),
            "bucket_probabilities": proba[0].tolist(),
            "expected_utility": fitted.model.expected_utility(proba)[0].tolist(),
            "config": fitted.config.as_dict(), "model_as_of": fitted.as_of.date().isoformat(),
            "gates": fitted.gates, "promoted": fitted.promoted,
            "failed_gates": [k for k, g in (fitted.gates or {}).items() if not g["passed"]],
        }
        return Targets(as_of=as_of, kind="legs", leg_weights={qqq_leg: k * w, spy_leg: k * (1.0 - w)},
                       details=details)
