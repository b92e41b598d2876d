"""The allocator's dataset: features, leg returns and the utility labels of every label setting the
inner search may use, on the days whose features are complete."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.errors import InputError
from domain.strategies.allocator.features import build_features
from domain.strategies.allocator.labels import Labels, build_labels
from domain.strategies.allocator.params import AllocatorParams

LabelKey = tuple[int, float, float]  # (H, lambda_dd, lambda_tc)


@dataclass(frozen=True)
class AllocatorData:
    features: pd.DataFrame
    r_qqq: pd.Series
    r_spy: pd.Series
    usable: pd.DatetimeIndex
    labels: dict[LabelKey, Labels]
    leg_names: tuple[str, str]

    def label(self, key: LabelKey) -> Labels:
        return self.labels[key]


def label_keys(params: AllocatorParams) -> list[LabelKey]:
    lp, s = params.labels, params.search
    keys = {(lp.horizon, lp.lambda_dd, lp.lambda_tc)}
    if params.tune:
        keys |= set(itertools.product(s.horizon, s.lambda_dd, s.lambda_tc))
    return sorted(keys)


def prepare(r_qqq: pd.Series, r_spy: pd.Series, close_qqq: pd.Series, close_spy: pd.Series,
            params: AllocatorParams, conf_qqq: pd.Series | None = None, conf_spy: pd.Series | None = None,
            leg_names: tuple[str, str] = ("qqq", "spy")) -> AllocatorData:
    """Features and labels on the dates where both legs have a return."""
    both = r_qqq.dropna().index.intersection(r_spy.dropna().index).sort_values()
    if len(both) == 0:
        raise InputError("allocator: the two legs have no day in common")
    rq, rs = r_qqq.reindex(both).astype(float), r_spy.reindex(both).astype(float)
    feats = build_features(rq, rs, close_qqq.reindex(both).ffill(), close_spy.reindex(both).ffill(),
                           params.features, conf_qqq, conf_spy)
    usable = feats.index[feats.notna().all(axis=1).to_numpy()]
    if len(usable) == 0:
        raise InputError("allocator: no date has a complete feature row (too little history?)")
    lp, cost = params.labels, params.costs.rate
    labels = {key: build_labels(rq, rs, key[0], key[1], key[2], cost, lp.weight_step, lp.n_buckets,
                                params.legs.baseline_w_qqq)
              for key in label_keys(params)}
    return AllocatorData(features=feats, r_qqq=rq, r_spy=rs, usable=pd.DatetimeIndex(usable), labels=labels,
                         leg_names=leg_names)


def rows(data: AllocatorData, mask_dates: pd.DatetimeIndex, key: LabelKey | None = None) -> pd.DatetimeIndex:
    """Usable dates in ``mask_dates`` (and, with ``key``, whose label is known)."""
    idx = data.usable.intersection(mask_dates)
    if key is not None:
        known = data.labels[key].bucket.reindex(idx).notna().to_numpy()
        idx = idx[known]
    return idx


def leg_returns_from_prices(close: pd.Series) -> pd.Series:
    """Buy-and-hold leg: close-to-close return of an adjusted close series."""
    c = close.astype(float)
    return c.pct_change().where(np.isfinite(c))
