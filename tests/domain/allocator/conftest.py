from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.strategies.allocator.params import (
    AllocatorParams,
    FeatureParams,
    ModelParams,
    SearchParams,
    WalkForwardParams,
)


def make_legs(n: int = 1400, seed: int = 0, start: str = "2010-01-04") -> tuple[pd.Series, pd.Series]:
    """Synthetic QQQ/SPY adjusted closes: correlated, volatility-clustered, with a persistent relative
    drift (so that the best weight has some regime structure to learn)."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=n)
    common = rng.standard_normal(n)
    regime = np.sign(np.sin(np.arange(n) / 60.0))
    v = 0.01 * (1 + 0.5 * np.abs(np.sin(np.arange(n) / 90.0)))
    r_spy = 0.0003 + v * (0.9 * common + 0.3 * rng.standard_normal(n))
    r_qqq = 0.0003 + 0.0008 * regime + 1.3 * v * (0.85 * common + 0.4 * rng.standard_normal(n))
    return (pd.Series(100 * np.cumprod(1 + r_qqq), index=idx, name="QQQ"),
            pd.Series(100 * np.cumprod(1 + r_spy), index=idx, name="SPY"))


@pytest.fixture(scope="session")
def closes():
    return make_legs()


@pytest.fixture(scope="session")
def small_params() -> AllocatorParams:
    """Short windows, few trees and a tiny search so a nested walk-forward runs in seconds."""
    return AllocatorParams(
        features=FeatureParams(drift_reference_days=126, trend_days=50, corr_days=(21, 63)),
        model=ModelParams(n_estimators=15, num_leaves=3, min_child_samples=20),
        search=SearchParams(num_leaves=(3,), lambda_dd=(1.0,), lambda_tc=(1.0,), horizon=(5, 10), alpha=(0.0, 0.5),
                            inner_folds=2, inner_validation_days=63, retune_every=2, min_inner_train_days=100),
        walk_forward=WalkForwardParams(min_train_days=300, validation_days=126),
    )
