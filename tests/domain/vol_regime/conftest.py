from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.backtest import OverlayParams
from domain.strategies.vol_regime.params import (
    ExposureParams,
    GridParams,
    ModelParams,
    VolRegimeParams,
    WalkForwardParams,
)


def make_market(n: int = 900, seed: int = 0, start: str = "2015-01-01") -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Synthetic QQQ/SPY bars and VIX with a little next-day predictability and volatility clustering."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=n)
    vol = np.empty(n)
    r = np.empty(n)
    v = 0.012
    prev = 0.0
    for t in range(n):
        v = 0.94 * v + 0.06 * 0.012 + 0.04 * abs(prev)
        r[t] = 0.0004 + 0.08 * prev + v * rng.standard_normal()
        vol[t] = v
        prev = r[t]
    close = 100 * np.cumprod(1 + r)
    qqq = pd.DataFrame(
        {"Close": close, "High": close * 1.005, "Low": close * 0.995, "Open": close,
         "Volume": rng.integers(1_000_000, 3_000_000, n).astype(float)},
        index=idx,
    )
    spy_r = 0.7 * r + 0.004 * rng.standard_normal(n)
    spy = pd.DataFrame({"Close": 200 * np.cumprod(1 + spy_r), "Volume": 1e6}, index=idx)
    vix = pd.Series(100 * vol * np.sqrt(252) * (1 + 0.1 * rng.standard_normal(n)), index=idx, name="Close")
    return qqq, spy, vix


@pytest.fixture(scope="session")
def market():
    return make_market()


@pytest.fixture(scope="session")
def small_params() -> VolRegimeParams:
    """Small windows, few trees and a tiny grid so the tests stay fast."""
    return VolRegimeParams(
        model=ModelParams(rf_n_estimators=8, rf_max_depth=4, pca_components=5),
        grid=GridParams(ridge_alpha=(1.0, 5.0), lasso_alpha=(0.001,), rf_max_depth=(3,), rf_min_samples_split=(20,),
                        pca_components=(5,), weights=((0.25, 0.25, 0.35, 0.15), (0.5, 0.0, 0.5, 0.0)),
                        exposure_scale=(4.0, 6.0)),
        exposure=ExposureParams(vol_days=60),
        overlay=OverlayParams(),
        walk_forward=WalkForwardParams(min_train_days=250, validation_days=120, embargo_days=2),
    )
