from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from domain.errors import InputError
from domain.strategies.allocator import Allocator
from domain.strategies.base import Inputs, Targets


def _inputs(closes, as_of, legs=None):
    q, s = closes
    bars = {"QQQ": pd.DataFrame({"close": q}), "SPY": pd.DataFrame({"close": s})}
    return Inputs(as_of=pd.Timestamp(as_of), bars=bars, legs=legs or {})


@pytest.fixture(scope="module")
def fitted(closes, small_params):
    strat = Allocator(small_params)
    as_of = closes[0].index[1100]
    return strat, strat.fit(strat.prepare(_inputs(closes, as_of)), as_of, seed=1), as_of


def test_needs_and_kind(small_params):
    strat = Allocator(small_params)
    assert strat.target_kind == "legs"
    assert strat.needs.legs == ("buy_and_hold:QQQ", "buy_and_hold:SPY")
    assert set(strat.needs.symbols) == {"QQQ", "SPY"}


def test_decide_gives_leg_weights_summing_to_one_with_probabilities(closes, small_params, fitted):
    strat, model, as_of = fitted
    t = strat.decide(model, _inputs(closes, as_of), as_of, book=0.5)
    w, k = t.details["w_qqq"], t.details["envelope_k"]
    assert t.kind == "legs" and 0.4 - 1e-12 <= w <= 0.6 + 1e-12  # capped move from 0.5
    # the risk envelope holds k of capital in the legs (volatility scaling, guard rails), the rest in cash
    assert 0.5 <= k <= 1.0 and np.isclose(sum(t.leg_weights.values()), k)
    assert np.isclose(t.leg_weights["buy_and_hold:QQQ"], k * w)
    p = t.details["bucket_probabilities"]
    assert len(p) == 11 and np.isclose(sum(p), 1.0)
    assert t.details["gates"] is None


def test_decide_ignores_data_after_as_of(closes, fitted):
    strat, model, as_of = fitted
    q, s = closes
    cut = (q.loc[:as_of], s.loc[:as_of])
    a = strat.decide(model, _inputs(closes, as_of), as_of, book=0.3)
    b = strat.decide(model, _inputs(cut, as_of), as_of, book=0.3)
    assert a.leg_weights == b.leg_weights
    assert a.details["bucket_probabilities"] == b.details["bucket_probabilities"]


def test_a_model_that_failed_a_gate_steers_to_the_baseline(closes, fitted):
    strat, model, as_of = fitted
    model.gates = {"calmar_beats_baseline": {"passed": False, "value": 0.1, "threshold": 0.2}}
    try:
        t = strat.decide(model, _inputs(closes, as_of), as_of, book=0.8)
    finally:
        model.gates = None
    # towards 0.5, capped at 0.10 (0.05 while the envelope's drift throttle is on); held at k of capital
    w = t.details["w_qqq"]
    assert np.isclose(w, 0.7) or np.isclose(w, 0.75)
    assert np.isclose(t.leg_weights["buy_and_hold:QQQ"], t.details["envelope_k"] * w)
    assert t.details["failed_gates"] == ["calmar_beats_baseline"] and t.details["promoted"] is False


def test_strategy_legs_come_from_inputs(closes, small_params):
    params = replace(small_params, legs=replace(small_params.legs, kind="strategy"))
    strat = Allocator(params)
    as_of = closes[0].index[900]
    with pytest.raises(InputError, match="vol_regime"):
        strat.prepare(_inputs(closes, as_of))
    q, s = closes
    legs = {"vol_regime": q.pct_change() * 0.5, "vol_regime_spy": s.pct_change() * 0.7,
            "vol_regime:confidence": q.pct_change().abs()}
    data = strat.prepare(_inputs(closes, as_of, legs))
    assert data.leg_names == ("vol_regime", "vol_regime_spy")
    assert "qqq_confidence" in data.features and data.usable[-1] == as_of


def test_leg_weights_combine_with_leg_exposures_into_book_weights(closes, small_params, fitted):
    from domain.book import Book, step
    from domain.strategies.base import combine_legs

    legs = Targets(as_of=pd.Timestamp("2020-01-02"), kind="legs",
                   leg_weights={"vol_regime": 0.7, "vol_regime_spy": 0.3}, details={"w_qqq": 0.7})
    book_targets = combine_legs(legs, {"vol_regime": {"QQQ": 0.5}, "vol_regime_spy": {"SPY": -0.2}})
    assert book_targets.kind == "book"
    assert book_targets.weights == pytest.approx({"QQQ": 0.35, "SPY": -0.06})
    assert book_targets.details["w_qqq"] == 0.7
    with pytest.raises(InputError, match="vol_regime_spy"):
        combine_legs(legs, {"vol_regime": {"QQQ": 0.5}})
    # buy-and-hold legs need no exposure; the book steps the combined weights with the allocator's rules
    strat, model, as_of = fitted
    t = strat.decide(model, _inputs(closes, as_of), as_of, book=0.5)
    combined = combine_legs(t, {})
    assert combined.weights == pytest.approx({"QQQ": t.leg_weights["buy_and_hold:QQQ"],
                                              "SPY": t.leg_weights["buy_and_hold:SPY"]})
    q, s = closes
    prices = pd.DataFrame({"close": [q[as_of], s[as_of]]}, index=["QQQ", "SPY"])
    after, fills, _ = step(Book(capital=1e6), combined, prices, strat.rules())
    assert dict(after.weights) == pytest.approx(combined.weights)
    assert len(fills) == 2


def test_vet_attaches_the_walk_forward_gates(closes, small_params, fitted):
    from domain.strategies.allocator.dataset import prepare
    from domain.strategies.allocator.research import run_walk_forward

    strat, model, as_of = fitted
    q, s = closes
    p = replace(small_params, tune=False)
    res = run_walk_forward(prepare(q.pct_change(), s.pct_change(), q, s, p), p, "2013-07-01", "2013-12-31")
    try:
        strat.vet(model, res)
        assert model.gates == res.gates and model.promoted == res.passed
        t = strat.decide(model, _inputs(closes, as_of), as_of, book=0.5)
        assert t.details["failed_gates"] == res.failed
    finally:
        model.gates = None
