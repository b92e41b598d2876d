"""The Strategy surface on the bundled real sample (50 names, 2015-2024): config = defaults, fit and
decide are causal (prices after D change nothing up to D), decide gives a book of weights."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from domain.strategies.base import Inputs
from domain.strategies.mean_reversion.params import GridParams, MeanReversionParams
from domain.strategies.mean_reversion.strategy import MeanReversion
from infra.strategy_config import load_strategy_config

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "sample"


def test_config_file_equals_the_documented_defaults():
    assert load_strategy_config("mean_reversion", MeanReversionParams, ROOT / "config") == MeanReversionParams()


@pytest.fixture(scope="module")
def sample():
    uni = pd.read_csv(SAMPLE / "universe" / "universe50.csv.gz")
    uni = uni.rename(columns={"Date": "date", "Ticker": "symbol", "Open": "open", "High": "high", "Low": "low",
                              "Close": "close", "Adj Close": "adj_close", "Volume": "volume"})
    vix = pd.read_csv(SAMPLE / "bars" / "^VIX.csv", index_col="Date", parse_dates=True).rename(columns=str.lower)
    return uni, vix


def perturbed_after(uni: pd.DataFrame, vix: pd.DataFrame, d: pd.Timestamp):
    rng = np.random.default_rng(7)
    uni = uni.copy()
    later = pd.to_datetime(uni["date"]) > d
    for col in ("open", "high", "low", "close", "adj_close"):
        uni.loc[later, col] *= rng.uniform(0.6, 1.4, later.sum())
    vix = vix.copy()
    vix.loc[vix.index > d, "close"] *= 3
    return uni, vix


def test_fit_and_decide_are_causal_and_give_a_book(sample):
    uni, vix = sample
    params = replace(MeanReversionParams(), grid=GridParams(num_leaves=(15,), prob_threshold=(0.6, 0.55),
                                                            min_trades=5))
    strat = MeanReversion(params)
    fit_day, d = pd.Timestamp("2023-12-29"), pd.Timestamp("2024-03-28")
    uni2, vix2 = perturbed_after(uni, vix, d)
    results = []
    for u, v in ((uni, vix), (uni2, vix2)):
        fitted = strat.fit(strat.prepare(Inputs(as_of=fit_day, bars={"^VIX": v}, universe=u)), fit_day, seed=3)
        targets = strat.decide(fitted, Inputs(as_of=d, bars={"^VIX": v}, universe=u), d, book=None)
        results.append((fitted, targets))
    (f1, t1), (f2, t2) = results
    assert {s: m.threshold for s, m in f1.models.items()} == {s: m.threshold for s, m in f2.models.items()}
    assert t1.weights == t2.weights and t1.details == t2.details
    assert t1.kind == "book" and f1.fold.validation_end < fit_day
    assert f1.train_end == f1.fold.validation_end and set(f1.chosen()) >= {"long_threshold", "short_threshold"}
    # the same decision with the later data perturbed differently: the book for d is a function of <= d
    x = np.random.default_rng(0).random((5, 8)).astype(np.float32)
    np.testing.assert_array_equal(f1.models["long"].predict(x), f2.models["long"].predict(x))


def test_decide_exits_held_positions_on_stop_and_time_stop(sample):
    uni, vix = sample
    strat = MeanReversion(replace(MeanReversionParams(), tune=False))
    fit_day, d = pd.Timestamp("2023-12-29"), pd.Timestamp("2024-03-28")
    fitted = strat.fit(strat.prepare(Inputs(as_of=fit_day, bars={"^VIX": vix}, universe=uni)), fit_day, seed=0)
    day = uni[pd.to_datetime(uni["date"]) == d].set_index("symbol")["close"]
    a, b, c = day.index[:3]
    book = pd.DataFrame({
        "symbol": [a, b, c],
        "quantity": [100.0, 100.0, -100.0],
        "entry_price": [day[a], day[b] / 0.94, day[c]],  # b: 6% below its entry -> stop
        "entry_date": [d - pd.offsets.BDay(1), d - pd.offsets.BDay(1), pd.Timestamp("2024-03-20")],
    })
    targets = strat.decide(fitted, Inputs(as_of=d, bars={"^VIX": vix}, universe=uni), d, book)
    exits = {e["symbol"]: e["reason"] for e in targets.details["exits"]}
    assert exits == {b: "stop", c: "time_stop"}  # c entered at the open of 03-20: 7 sessions by 03-28
    assert targets.weights[a] == pytest.approx(100 * day[a] / 10_000_000)
    assert b not in targets.weights and c not in targets.weights
    for e in targets.details["entries"]:
        assert targets.weights[e["symbol"]] == e["weight"]
        assert (e["qpi"] < 15) if e["side"] == "long" else (e["qpi"] > 85)
    # a book known only by its weights (no entry prices): held weights are kept, the stepper stops them
    view = SimpleNamespace(weights={a: 0.05, b: -0.01}, drawdown=0.0)
    targets = strat.decide(fitted, Inputs(as_of=d, bars={"^VIX": vix}, universe=uni), d, view)
    assert targets.weights[a] == 0.05 and targets.weights[b] == -0.01 and targets.details["exits"] == []


def test_rules_for_the_stepper_follow_the_config():
    rules = MeanReversion().rules()
    assert (rules.commission_bps, rules.slippage_bps, rules.fill) == (5.0, 10.0, "next_open")
    assert (rules.stop_loss, rules.time_stop, rules.max_adv_fraction, rules.max_positions) == (0.05, 6, 0.05, 40)
    assert rules.drawdown_thresholds == () and rules.max_weight == pytest.approx(1.1 / 20)
    assert rules.min_weight == pytest.approx(-0.2 / 20)
