"""Rolling backtest of the TLT overlay (issue 13, historical validation) on hand-made series whose answer is
known: a flat path (every spread expires worthless: income = credits - costs), a crash (the loss exit fires
on the first session the model value reaches the stated multiple of the credit), seed reproducibility, and
no look-ahead (data after an entry cannot change that entry)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from domain.calendar import sessions_between
from domain.errors import InputError
from domain.pricing.black_scholes import price as bs_price
from domain.tlt.backtest_data import BacktestConfig, build_history, calibrate_before, quarter_start
from domain.tlt.exits import ExitRule
from domain.tlt.params import TltOverlayParams
from domain.tlt.rolling_backtest import MODEL_PRICES_NOTE, rolling_backtest

START, END = dt.date(2017, 1, 1), dt.date(2017, 6, 30)
PARAMS = TltOverlayParams()
# a 3-point premium gives the screen an edge to trade on; costs are non-zero so that they are counted
CONFIG = BacktestConfig(every=5, n_paths=400, calibration_years=2.0, nav=10_000_000.0, commission=0.65,
                        slippage=0.01, variance_premium=0.03)


def make_market(after: str, seed: int = 7):
    """Two years of a noisy yield-driven TLT before START, then `after` ('flat', 'crash' or 'noisy') to END.

    Adjusted closes grow 3% a year over the raw ones: a 3% continuous dividend yield."""
    days = pd.DatetimeIndex(sessions_between(dt.date(2015, 1, 2), END))
    rng = np.random.default_rng(seed)
    n, before = len(days), int((days < pd.Timestamp(START)).sum())
    y20 = np.empty(n)
    y20[0] = 0.040
    shocks = rng.normal(0, 0.0006, n)
    for i in range(1, n):
        y20[i] = y20[i - 1] + 0.5 / 252 * (0.040 - y20[i - 1]) + shocks[i]
    y30 = y20 + 0.0015 + np.cumsum(rng.normal(0, 0.0001, n)) * 0.2
    avg = 0.5 * (y20 + y30)
    raw = 100 * np.exp(-16.0 * (avg - 0.04) + 60.0 * (avg - 0.04) ** 2 + rng.normal(0, 0.002, n))
    if after == "flat":
        raw[before:], y20[before:], y30[before:] = raw[before - 1], y20[before - 1], y30[before - 1]
    elif after == "crash":
        raw[before:] = raw[before - 1] * np.exp(-0.015 * np.arange(1, n - before + 1))
    years = (days - days[0]).days / 365.0
    adj = raw * np.exp(0.03 * years)
    rates = pd.DataFrame({"DGS20": y20 * 100, "DGS30": y30 * 100, "DGS3MO": 2.0}, index=days)
    return pd.Series(adj, index=days), pd.Series(raw, index=days), rates


def run(market, params=PARAMS, config=CONFIG, seed=42, rule=None):
    adj, raw, rates = market
    return rolling_backtest(adj, raw, rates, params, START, END, seed, config, rule)


def test_flat_path_every_spread_expires_worthless_and_income_is_credits_minus_costs():
    # a profit target of 100% fires only on a worthless spread, i.e. at expiry; no DTE close, no loss close
    rule = ExitRule(profit_target_pct=1.0, loss_multiple=100.0, dte_threshold=0)
    result = run(make_market("flat"), rule=rule)
    t = result.trades
    assert len(t) >= 3  # held to expiry, the positions fill the loss budget: few entries trade
    assert (t["reason"] == "expiration").all() and (t["exit_value"] == 0.0).all()
    assert (t["exit_date"] == t["expiry"]).all()
    credits = (t["mid_credit"] * 100 * t["contracts"]).sum()
    # entry only: 2 legs x commission a contract, slippage on each leg of the mid
    costs = (2 * 0.65 * t["contracts"] + 2 * 0.01 * 100 * t["contracts"]).sum()
    assert t["costs"].sum() == pytest.approx(costs)
    assert result.daily["pnl"].sum() == pytest.approx(credits - costs, rel=1e-12)
    assert t["pnl"].sum() == pytest.approx(credits - costs, rel=1e-12)
    assert result.summary["hit_rate"] == 1.0 and result.summary["income"] == pytest.approx(credits - costs)
    assert result.summary["note"] == MODEL_PRICES_NOTE and "No historical TLT option quotes" in MODEL_PRICES_NOTE


@pytest.mark.parametrize("multiple", [2.0, 3.0])
def test_crash_triggers_the_loss_exit_on_the_first_session_at_the_stated_multiple(multiple):
    market = make_market("crash")
    config = replace(CONFIG, kinds=("put",))
    rule = ExitRule(profit_target_pct=0.5, loss_multiple=multiple, dte_threshold=7)
    result = run(market, config=config, rule=rule)
    t = result.trades
    assert len(t) >= 3 and (t["kind"] == "bull_put").all()
    assert (t["reason"] == "loss_limit").all()
    history = build_history(*market)
    for _, trade in t.iterrows():
        # the model value along the real closes, recomputed here from the same quarter's calibration
        cal = calibrate_before(history, quarter_start(trade["entry_date"].date()), config.calibration_years, PARAMS)
        days = history.index[(history.index >= trade["entry_date"]) & (history.index <= trade["exit_date"])]
        spot = history.loc[days, "raw"].to_numpy()
        years = (trade["expiry"] - days).days.to_numpy() / 365.0
        # sticky-strike marks (mark_vol default): each leg at its entry vol; before, it moved with the price
        assert cal.volatility.price_sensitivity != 0
        vol = max(trade["entry_iv"], PARAMS.iv_floor)
        value = (bs_price(spot, trade["short_strike"], years, trade["rate"], vol, False, trade["div_yield"])
                 - bs_price(spot, trade["long_strike"], years, trade["rate"], vol, False, trade["div_yield"]))
        assert value[-1] == pytest.approx(trade["exit_value"], rel=1e-9)
        assert value[-1] >= multiple * trade["credit"] and (value[1:-1] < multiple * trade["credit"]).all()
        assert trade["pnl_per_share"] == pytest.approx(trade["credit"] - trade["exit_value"] - 0.02)
        assert trade["pnl"] < 0
    assert result.summary["hit_rate"] == 0.0


def test_a_seed_reproduces_the_run_and_another_seed_changes_the_screen():
    market = make_market("noisy")
    a, b, c = run(market, seed=3), run(market, seed=3), run(market, seed=4)
    assert len(a.trades) >= 5
    pd.testing.assert_frame_equal(a.trades, b.trades)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    assert a.summary == b.summary
    assert not a.trades["pop"].equals(c.trades["pop"])


def test_no_look_ahead_data_after_an_entry_does_not_change_it():
    market = make_market("noisy")
    base = run(market)
    day = base.trades["entry_date"].iloc[len(base.trades) // 2]
    adj, raw, rates = market
    later = raw.index > day
    # after the entry: TLT 20% lower, yields a point higher, bills at 5%
    adj2, raw2, rates2 = adj.copy(), raw.copy(), rates.copy()
    adj2[later] *= 0.8
    raw2[later] *= 0.8
    rates2.loc[later, ["DGS20", "DGS30"]] += 1.0
    rates2.loc[later, "DGS3MO"] = 5.0
    moved = run((adj2, raw2, rates2))
    entry_cols = ["entry_date", "kind", "short_strike", "long_strike", "expiry", "spot", "entry_iv", "rate",
                  "div_yield", "mid_credit", "credit", "contracts", "pop", "expected_return", "cvar_95", "kelly"]
    upto = base.trades[base.trades["entry_date"] <= day][entry_cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(upto, moved.trades[moved.trades["entry_date"] <= day][entry_cols]
                                  .reset_index(drop=True))
    assert not base.trades[base.trades["entry_date"] > day][entry_cols].reset_index(drop=True).equals(
        moved.trades[moved.trades["entry_date"] > day][entry_cols].reset_index(drop=True))


def test_the_loss_budget_holds_the_open_positions():
    result = run(make_market("noisy"))
    s = result.summary
    # the |CVaR95| of the open positions never exceeds the budget (each entry is sized with the others in it)
    assert s["max_open_cvar_pct_nav"] <= PARAMS.loss_budget + 1e-12
    assert s["loss_budget_pct_nav"] == PARAMS.loss_budget and s["variance_premium"] == 0.03


def test_rates_without_the_30y_yield_are_one_clear_error():
    adj, raw, rates = make_market("flat")
    with pytest.raises(InputError, match="rates: missing column.*DGS30"):
        rolling_backtest(adj, raw, rates.drop(columns="DGS30"), PARAMS, START, END, 42, CONFIG)


def test_each_quarter_is_calibrated_on_data_before_its_first_session_only():
    market = make_market("noisy")
    base = run(market)
    entries = base.entries
    # an entry late in its quarter: the days from the quarter's first session up to it are not in its fit
    late = entries[entries["date"] > entries["calibrated"] + pd.Timedelta(days=40)].iloc[0]
    adj, raw, rates = market
    inside = (raw.index >= late["calibrated"]) & (raw.index < late["date"])
    raw2, adj2 = raw.copy(), adj.copy()
    raw2[inside] *= 1.0 + 0.05 * np.sin(np.arange(inside.sum()))  # 5% swings: a much higher realized vol
    adj2[inside] *= 1.0 + 0.05 * np.sin(np.arange(inside.sum()))
    moved = run((adj2, raw2, rates)).entries.set_index("date").loc[late["date"]]
    fit = ["calibrated", "base_iv", "price_sensitivity", "calibration_price", "calibration_days"]
    assert moved[fit].tolist() == late[fit].tolist()
    assert late["calibration_days"] > 400  # two years of sessions before the quarter
