from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.backtest import (
    HARD_CAPPED,
    STOPPED,
    THROTTLED,
    TURNOVER_CAPPED,
    CostModel,
    OverlayParams,
    overlay_step,
    run_backtest,
    run_backtest_reference,
    throttle_scale,
)
from domain.errors import InputError


def _random(n: int, seed: int, vol: float = 0.02) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2005-01-03", periods=n)
    r = pd.Series(rng.normal(0.0003, vol, n), index=idx)
    target = pd.Series(np.clip(rng.normal(0.3, 1.0, n), -2, 2), index=idx)
    return r, target


def test_timing_exposure_earns_next_day_and_cost_booked_next_day():
    idx = pd.bdate_range("2020-01-01", periods=4)
    r = pd.Series([0.01, 0.02, -0.03, 0.04], index=idx)
    x = pd.Series([1.0, 0.5, 0.5, 0.0], index=idx)
    res = run_backtest(r, x, overlay=None, costs=CostModel(2.0, 1.0))
    net = res.returns.to_numpy()
    rate = 3e-4
    assert net[0] == 0.0  # nothing held before the first close
    assert net[1] == pytest.approx(1.0 * 0.02 - rate * 1.0)
    assert net[2] == pytest.approx(0.5 * -0.03 - rate * 0.5)
    assert net[3] == pytest.approx(0.5 * 0.04 - 0.0)
    assert res.equity.iloc[-1] == pytest.approx(np.prod(1 + net))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("rearm", [0, 5, 21])
def test_fast_equals_naive_on_random_data(seed, rearm):
    r, x = _random(1500, seed, vol=0.03)  # high vol so the throttle and stop fire
    params = OverlayParams(rearm_days=rearm)
    fast = run_backtest(r, x, params)
    slow = run_backtest_reference(r, x, params)
    np.testing.assert_array_equal(fast.exposure.to_numpy(), slow.exposure.to_numpy())
    np.testing.assert_array_equal(fast.frame["flags"].to_numpy(), slow.frame["flags"].to_numpy())
    np.testing.assert_array_equal(fast.equity.to_numpy(), slow.equity.to_numpy())
    # the overlay did fire, so the comparison exercised it
    flags = fast.frame["flags"].to_numpy()
    assert (flags & THROTTLED).any() and (flags & TURNOVER_CAPPED).any() and (flags & HARD_CAPPED).any()


def test_stop_goes_flat_and_rearms():
    idx = pd.bdate_range("2020-01-01", periods=60)
    r = pd.Series(0.0, index=idx)
    r.iloc[1] = -0.2  # long 0.8 (turnover-capped from flat) -> 16% drawdown on day 1
    x = pd.Series(1.0, index=idx)
    res = run_backtest(r, x, OverlayParams(rearm_days=10))
    f = res.frame
    stopped = (f["flags"] & STOPPED) != 0
    first_stop = int(np.argmax(stopped.to_numpy()))
    assert f["throttle_drawdown"].iloc[first_stop] < -0.12
    assert f["exposure"].iloc[first_stop] == 0.0  # flat at once, turnover cap bypassed
    assert stopped.iloc[first_stop : first_stop + 10].all()
    assert not stopped.iloc[first_stop + 10]  # peak reset after 10 stopped days
    assert f["exposure"].iloc[first_stop + 10] == pytest.approx(0.8)  # back in, limited by turnover cap
    never = run_backtest(r, x, OverlayParams(rearm_days=0))
    assert (never.exposure.iloc[first_stop:] == 0.0).all()


@pytest.mark.parametrize(
    "dd, scale", [(0.0, 1.0), (-0.02, 1.0), (-0.031, 0.75), (-0.05, 0.75), (-0.051, 0.5), (-0.09, 0.2), (-0.13, 0.0)]
)
def test_throttle_scale(dd, scale):
    assert throttle_scale(dd, OverlayParams()) == scale


def test_overlay_step_caps():
    p = OverlayParams()
    assert overlay_step(3.0, 0.0, 1.0, p) == (1.5, HARD_CAPPED)
    x, f = overlay_step(-3.0, 0.0, 0.0, p)
    assert x == pytest.approx(-0.8) and f == HARD_CAPPED | TURNOVER_CAPPED
    x, f = overlay_step(1.0, -0.04, 0.6, p)  # 0.75 throttle -> 0.75, soft cap 0.6
    assert x == pytest.approx(0.6) and f & THROTTLED
    x, f = overlay_step(1.0, -0.2, 1.5, p)
    assert x == 0.0 and f & STOPPED


def test_bad_input():
    r, x = _random(10, 0)
    with pytest.raises(InputError):
        run_backtest(r, x.iloc[1:])
    with pytest.raises(InputError):
        OverlayParams(drawdown_thresholds=(0.05, 0.03), drawdown_scales=(0.5, 0.2))


def test_net_returns_array_api_matches_frame():
    from domain.backtest import backtest_net_returns

    r, x = _random(800, 9, vol=0.03)
    for overlay in (None, OverlayParams()):
        full = run_backtest(r, x, overlay)
        np.testing.assert_array_equal(backtest_net_returns(r.to_numpy(), x.to_numpy(), overlay), full.returns.to_numpy())
