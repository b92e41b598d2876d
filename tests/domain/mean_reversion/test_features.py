"""QPI golden values worked by hand, the features' causality, labels and the point-in-time universe."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from domain.strategies.mean_reversion import features as F
from domain.strategies.mean_reversion.panel import panel_from_long
from domain.strategies.mean_reversion.params import FEATURE_NAMES, FeatureParams, LabelParams, UniverseParams


def alternating(n_returns: int = 20, last_volume: float = 3000.0):
    """Closes whose daily returns alternate +1%, -1% (first +1%), volume 1000 except the last day."""
    r = np.where(np.arange(n_returns) % 2 == 0, 0.01, -0.01)
    close = 100 * np.r_[1.0, np.cumprod(1 + r)]
    volume = np.full(close.size, 1000.0)
    volume[-1] = last_volume
    return close[:, None], volume[:, None]


def test_qpi_golden_value_worked_by_hand():
    close, volume = alternating()
    q = F.qpi(close, volume)[:, 0]
    # Last three returns r18, r19, r20 = -1%, +1%, -1%: ret_3d = 0.99 * 1.01 * 0.99 - 1 = -0.010099.
    # std of the 20 returns (ten +0.01, ten -0.01, mean 0, ddof 1) = 0.01 * sqrt(20 / 19) = 0.0102598.
    # SMA(volume, 20) = (19 * 1000 + 3000) / 20 = 1100, so volume / SMA - 1 = 3000 / 1100 - 1 = 1.727273.
    # QPI = 50 + (-0.010099 / 0.0102598) * 10 - 1.727273 * 5 = 50 - 9.843288 - 8.636364 = 31.520348.
    by_hand = 50 + (-0.010099 / (0.01 * math.sqrt(20 / 19))) * 10 - (3000 / 1100 - 1) * 5
    assert q[-1] == pytest.approx(31.520348, abs=1e-6)
    assert q[-1] == pytest.approx(by_hand, rel=1e-12)
    # 20 returns need 21 closes: every earlier session is incomplete
    assert np.isnan(q[:-1]).all()


def test_qpi_clips_to_0_and_100():
    quiet = np.where(np.arange(17) % 2 == 0, 0.001, -0.001)
    volume = np.full((21, 1), 1000.0)
    for move, expected in ((-0.04, 0.0), (0.04, 100.0)):
        # three 4% days after quiet ones: |ret_3d| / std(20) * 10 is about 75, past either bound
        close = 100 * np.r_[1.0, np.cumprod(1 + np.r_[quiet, [move] * 3])][:, None]
        assert F.qpi(close, volume)[-1, 0] == expected


def long_frame(n: int = 120, names: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n)
    rows = []
    for k in range(names):
        c = (5 + 20 * k) * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
        rows.append(pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Ticker": f"N{k}", "Open": c * 1.001,
                                  "Close": c, "Adj Close": c * 0.98, "Volume": rng.integers(1e5, 1e6, n)}))
    return pd.concat(rows, ignore_index=True)


def test_features_do_not_change_when_later_prices_change():
    frame = long_frame()
    panel = panel_from_long(frame)
    d = panel.dates[80]
    later = frame.copy()
    after = pd.to_datetime(later["Date"]) > d
    rng = np.random.default_rng(1)
    for col in ("Open", "Close", "Adj Close"):
        later.loc[after, col] *= rng.uniform(0.5, 1.5, after.sum())
    later.loc[after, "Volume"] *= 7
    a = F.build(panel, FeatureParams(), UniverseParams(top_n=2), LabelParams())
    b = F.build(panel_from_long(later), FeatureParams(), UniverseParams(top_n=2), LabelParams())
    np.testing.assert_array_equal(a.features[:81], b.features[:81])
    np.testing.assert_array_equal(a.universe[:81], b.universe[:81])
    assert not np.array_equal(a.features[81:], b.features[81:], equal_nan=True)
    assert len(FEATURE_NAMES) == a.features.shape[2] == 8


def test_label_is_next_open_to_open_six_sessions_later():
    panel = panel_from_long(long_frame())
    fwd = F.forward_return(panel, LabelParams(horizon=6))
    o = panel.adj_open
    assert fwd[10, 2] == pytest.approx(o[17, 2] / o[11, 2] - 1, rel=1e-14)
    assert np.isnan(fwd[-7:]).all() and np.isfinite(fwd[-8]).all()


def test_universe_is_price_floor_then_top_n_by_dollar_volume():
    dates = pd.bdate_range("2022-01-03", periods=25)
    rows = []
    # A: $0.90 (below the floor, huge volume); B: $50 x 1e6; C: $20 x 1e6; D: $10 x 1e6 then 1e8 late
    for name, price, vol in (("A", 0.9, 1e9), ("B", 50.0, 1e6), ("C", 20.0, 1e6), ("D", 10.0, 1e6)):
        v = np.full(25, vol)
        if name == "D":
            v[20:] = 1e8
        rows.append(pd.DataFrame({"date": dates, "symbol": name, "open": price, "close": price, "volume": v}))
    panel = panel_from_long(pd.concat(rows))
    adv = F.dollar_adv(panel, 20)
    uni = F.universe_mask(panel, adv, UniverseParams(min_price=1.0, top_n=2, adv_days=20))
    assert not uni[:19].any()  # 20-day average incomplete
    assert uni[19].tolist() == [False, True, True, False]
    assert uni[24].tolist() == [False, True, False, True]  # D's ADV overtook C's point in time
    assert adv[24, 3] == pytest.approx((15 * 10 * 1e6 + 5 * 10 * 1e8) / 20)
