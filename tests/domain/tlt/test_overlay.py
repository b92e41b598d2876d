"""TLT overlay: exits on hand-made paths, metrics, spreads, optimisation, calibration on real data."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domain.errors import InputError
from domain.tlt.calibration import CalibrationResult, calibrate, detect_percent
from domain.tlt.exits import DTE_THRESHOLD, EXPIRATION, LOSS_LIMIT, PROFIT_TARGET, ExitRule, apply_exits
from domain.tlt.metrics import cvar, kelly_fraction, size_position, trade_metrics, troubleshooting_warnings
from domain.tlt.monte_carlo import simulate_market, spread_value_matrix
from domain.tlt.optimize import optimize_exits
from domain.tlt.params import TltOverlayParams
from domain.tlt.regression import fit_tlt_regression
from domain.tlt.spreads import BULL_PUT, CreditSpread, select_spread
from tests.conftest import REAL_DATA

REAL = REAL_DATA


def _real(rel: str) -> Path:
    path = REAL / rel
    if not path.exists():
        pytest.fail(f"real data file missing: {path}")
    return path


def test_exits_on_hand_made_paths():
    credit = 1.0
    values = np.array([
        [1.0, 0.8, 0.45, 0.3, 0.2, 0.1, 0.0],   # profit target (<= 0.5) on day 2
        [1.0, 1.5, 2.1, 0.1, 0.1, 0.1, 0.1],    # loss limit (>= 2.0) on day 2, before the later profit
        [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],    # nothing fires: DTE close on day 6 - 2 = 4
        [1.0, 0.9, 0.9, 0.9, 0.4, 0.9, 0.9],    # profit on the DTE day itself: the price rule is recorded
    ])
    out = apply_exits(values, credit, ExitRule(0.5, 2.0, 2))
    assert out.reason.tolist() == [PROFIT_TARGET, LOSS_LIMIT, DTE_THRESHOLD, PROFIT_TARGET]
    assert out.exit_day.tolist() == [2, 2, 4, 4]
    np.testing.assert_allclose(out.pnl, [0.55, -1.1, 0.1, 0.6])
    no_dte = apply_exits(values, credit, ExitRule(0.5, 2.0, 0))
    assert no_dte.reason[2] == EXPIRATION and no_dte.exit_day[2] == 6
    assert no_dte.reason_distribution()["expiration"] == 0.25
    assert no_dte.avg_days_held == pytest.approx((2 + 2 + 6 + 4) / 4)


def test_a_spread_ending_worthless_at_expiry_is_an_expiration_not_a_profit_target():
    credit = 1.0
    values = np.array([
        [1.0, 0.9, 0.8, 0.0],  # below the 50% target only on day 3 = expiry: it expired worthless
        [1.0, 0.9, 0.4, 0.0],  # target reached on day 2, before expiry: a profit-target exit
        [1.0, 1.2, 1.5, 2.5],  # beyond the loss limit only at expiry: settled at expiry too
    ])
    out = apply_exits(values, credit, ExitRule(0.5, 2.0, 0))
    assert out.reason.tolist() == [EXPIRATION, PROFIT_TARGET, EXPIRATION]
    assert out.exit_day.tolist() == [3, 2, 3]
    np.testing.assert_allclose(out.pnl, [1.0, 0.6, -1.5])


def test_metrics_by_hand():
    pnl = np.array([1.0, 1.0, 1.0, -2.0] * 5)
    m = trade_metrics(pnl)
    assert m.pop == 0.75 and m.expected_return == pytest.approx(0.25)
    assert m.cvar_95 == -2.0  # worst ceil(5% of 20) = 1 path
    assert m.win_loss_ratio == pytest.approx(0.5) and m.profit_factor == pytest.approx(1.5)
    assert m.kelly_fraction == pytest.approx((0.75 * 0.5 - 0.25) / 0.5)
    assert m.sortino == pytest.approx(0.25 / np.sqrt(4 * 5 / 20))
    assert float(cvar(np.arange(100.0))) == pytest.approx(2.0)  # mean of 0..4
    assert kelly_fraction(0.5, 1.0) == 0.0
    # Kelly 25% x 0.5 of $1M = $125k at risk over $228 of max loss per contract
    assert size_position(0.25, 1e6, 2.28, -1.50, 100, 0.5).contracts == 548
    assert size_position(-0.1, 1e6, 2.28, -1.50).contracts == 0
    # one position never has more than 5% of NAV as max loss, whatever the loss budget allows (001 best practices)
    assert size_position(0.25, 1e6, 2.28, -1.50, 100, 1.0, 0.10, 0.05).contracts == 219  # $50k / $228


def test_the_loss_budget_caps_the_overlay_cvar_not_each_trade_max_loss():
    # issue 13 item 4: the budget (2.375% of NAV = $23,750) holds the |CVaR95| of all open overlay positions
    # plus the new one; before, each trade's max loss was capped at the whole budget ($23,750 / $228 = 104)
    alone = size_position(0.25, 1e6, 2.28, -1.50, 100, 1.0, 0.02375, 0.05)
    assert alone.contracts == 158 and alone.binding == "loss budget"  # $23,750 / $150 of CVaR per contract
    # $20,000 of CVaR already open leaves $3,750: 25 contracts; a full budget leaves none
    assert size_position(0.25, 1e6, 2.28, -1.50, 100, 1.0, 0.02375, 0.05, open_cvar=20_000).contracts == 25
    assert size_position(0.25, 1e6, 2.28, -1.50, 100, 1.0, 0.02375, 0.05, open_cvar=30_000).contracts == 0
    # half Kelly (the default) binds at a small edge: 4% x 0.5 x $1M / $228 = 87
    small = size_position(0.04, 1e6, 2.28, -1.50, loss_budget=0.02375, max_position_risk=0.05)
    assert small.contracts == 87 and small.binding == "Kelly"
    assert TltOverlayParams().kelly_multiplier == 0.5


def test_troubleshooting_warnings():
    assert troubleshooting_warnings(r_squared=0.99, kelly=0.15) == []
    low, high = troubleshooting_warnings(r_squared=0.90, kelly=0.25)
    assert "R^2 0.9000 is below 0.95" in low and "Kelly fraction 25.0% is above 20%" in high


def test_spread_arithmetic_and_strike_selection():
    s = CreditSpread(BULL_PUT, 88.0, 85.0, 45)
    assert s.max_loss(0.72) == pytest.approx(2.28) and s.breakeven(0.72) == pytest.approx(87.28)
    assert float(s.value(100.0, 0.0, 0.05, 0.2)) == 0.0 and float(s.value(80.0, 0.0, 0.05, 0.2)) == 3.0
    with pytest.raises(InputError):
        CreditSpread(BULL_PUT, 85.0, 88.0, 45)
    picked = select_spread("put", 91.5, 45, 0.05, 0.155, 0.20, 3)
    assert picked.short_strike < 91.5 and picked.long_strike == picked.short_strike - 3
    call = select_spread("call", 91.5, 45, 0.05, 0.155, 0.20, 3)
    assert call.short_strike > 91.5 and call.long_strike == call.short_strike + 3


def test_regression_recovers_a_known_curve():
    y = np.linspace(0.01, 0.06, 300)
    fit = fit_tlt_regression(y, np.exp(5.2 - 45.0 * y + 250.0 * y * y))
    assert (fit.alpha, fit.beta, fit.gamma) == pytest.approx((5.2, -45.0, 250.0), rel=1e-8)
    assert fit.r_squared == pytest.approx(1.0) and float(fit.duration(0.04)) == pytest.approx(25.0)


def _history(seed=0, n=800):
    from domain.rates.vasicek import BivariateVasicekParams, simulate

    p = BivariateVasicekParams(0.5, 0.04, 0.008, 0.4, 0.042, 0.009, 0.95)
    y20, y30 = simulate(p, 0.04, 0.042, 1, n - 1, seed=seed)
    avg = 0.5 * (y20[0] + y30[0])
    dates = pd.bdate_range("2019-01-01", periods=n)
    return pd.DataFrame({"date": dates, "yield_20y": y20[0] * 100, "yield_30y": y30[0] * 100,
                         "tlt_close": np.exp(5.3 - 19.0 * avg + 25.0 * avg * avg)})


def test_calibration_from_a_frame_in_percent_and_json_round_trip():
    cal = calibrate(_history(), dt.date(2019, 1, 1), dt.date(2024, 12, 31), exclude_covid=False)
    assert cal.current.yield_20y < 0.2  # percent detected, decimals out
    assert cal.regression.r_squared > 0.999
    assert CalibrationResult.from_dict(cal.to_dict()).to_dict() == cal.to_dict()
    assert detect_percent([4.2, 4.3]) and not detect_percent([0.042, 0.043])


@pytest.mark.parametrize("mutate, message", [
    (lambda f: f.drop(columns=["tlt_close"]), "missing column"),
    (lambda f: f.assign(tlt_close=f["tlt_close"].where(f.index != 5, -1.0)), "non-positive"),
    (lambda f: f.head(30), "usable observations"),
])
def test_calibration_refuses_bad_input(mutate, message):
    with pytest.raises(InputError, match=message):
        calibrate(mutate(_history()), dt.date(2019, 1, 1), dt.date(2024, 12, 31), exclude_covid=False)


def test_optimisation_is_reproducible_and_consistent_with_single_evaluation():
    cal = calibrate(_history(), dt.date(2019, 1, 1), dt.date(2024, 12, 31), exclude_covid=False)
    spread = select_spread("put", cal.current.tlt_price, 45, 0.05, cal.volatility.base_iv, 0.2, 3)

    def run(seed):
        paths = simulate_market(cal, 2000, 45, seed)
        values = spread_value_matrix(spread, paths, 0.05, cal.volatility.base_iv)
        return values, optimize_exits(values, float(values[0, 0]), (0.3, 0.5, 0.7), (1.5, 2.5), (3, 7), 0.5)

    values, a = run(42)
    _, b = run(42)
    _, c = run(43)
    assert a == b and a != c and a.n_evaluated == 12
    best = a.ranked[0]
    single = apply_exits(values, float(values[0, 0]),
                         ExitRule(best.profit_target_pct, best.loss_multiple, best.dte_threshold))
    assert single.pnl.mean() == pytest.approx(best.expected_return, rel=1e-12)
    assert (single.pnl > 0).mean() == pytest.approx(best.pop)
    passing = a.passing
    assert all(g.passes for g in passing) and all(x.expected_return >= y.expected_return
                                                 for x, y in zip(passing, passing[1:]))
    strict = optimize_exits(values, float(values[0, 0]), (0.5,), (2.0,), (7,), min_pop=1.0)
    assert strict.n_passing == 0 and strict.best is None


def test_calibration_on_real_fred_yields_and_tlt_closes():
    def fred(name):
        frame = pd.read_csv(_real(f"rates/{name}.csv"))  # blanks (holidays) become NaN
        return frame.rename(columns={"observation_date": "date"})

    tlt = pd.read_csv(_real("etf_raw/TLT_close_2002-2024_kaix11.csv")).rename(
        columns={"Date": "date", "Close": "tlt_close"})
    frame = fred("DGS20").merge(fred("DGS30"), on="date").merge(tlt, on="date")
    cal = calibrate(frame, dt.date(2019, 1, 1), dt.date(2024, 12, 31), date_col="date", yield_20y_col="DGS20",
                    yield_30y_col="DGS30", tlt_col="tlt_close")
    v, r = cal.vasicek, cal.regression
    assert cal.current.date == "2024-12-31" and cal.current.tlt_price == pytest.approx(87.33, abs=0.01)
    assert 0.04 < cal.current.yield_20y < 0.05
    assert 0.004 < v.sigma_20 < 0.02 and 0.004 < v.sigma_30 < 0.02
    assert 0.9 < v.rho < 1.0
    assert 0.0 < v.kappa_20 < 3.0 and 0.01 < v.theta_20 < 0.08
    assert r.r_squared > 0.95 and 10 < float(r.duration(cal.current.avg_yield)) < 25
    assert 0.08 < cal.volatility.base_iv < 0.35
