"""Issue 18 item 6, the pure part of the staged rollout: the ladder's rungs, the config it is read from, the
annualised tracking error and the promotion decision with its reasons."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from domain.errors import InputError
from domain.rollout import RolloutPolicy, Stage, decide_promotion, parse_rollout, tracking_error
from domain.strategies.registry import parse_registry

PAPER, TEN, FIFTY, ALL = Stage("paper"), Stage("fraction", 0.1), Stage("fraction", 0.5), Stage("live")


def test_the_default_ladder_is_seed_000s_one_rung_at_a_time():
    policy = RolloutPolicy()
    assert [policy.next_rung(s) for s in (PAPER, TEN, FIFTY, ALL)] == [TEN, FIFTY, ALL, None]
    assert [policy.previous_rung(s) for s in (PAPER, TEN, FIFTY, ALL)] == [None, PAPER, TEN, FIFTY]
    # seed 000 10.2: one month on paper, one at 10%, two at 50% (21 sessions a month)
    assert [policy.sessions_needed(s) for s in (PAPER, TEN, FIFTY)] == [21, 21, 42]
    # a config fraction between rungs moves to the next rung up, with the lower rung's minimum
    assert policy.next_rung(Stage("fraction", 0.3)) == FIFTY and policy.sessions_needed(Stage("fraction", 0.3)) == 21
    assert [s.share for s in (PAPER, TEN, ALL)] == [0.0, 0.1, 1.0]
    assert [s.label for s in (PAPER, TEN, ALL)] == ["paper", "10%", "100%"]


def test_tracking_error_is_the_annualised_sample_std_of_the_active_return():
    days = pd.bdate_range("2024-01-02", periods=4)
    live = pd.Series([0.02, 0.0, 0.02, 0.0], index=days)
    backtest = pd.Series([0.01, 0.01, 0.01, 0.01], index=days)
    # active +-0.01: sample variance 4 x 0.0001 / 3, so TE = 0.01 x sqrt(4/3) x sqrt(252) = 0.01 x sqrt(336)
    assert tracking_error(live, backtest) == pytest.approx(0.01 * math.sqrt(336), rel=1e-12)
    assert math.isnan(tracking_error(live.iloc[:1], backtest))


def test_promotion_decision_names_each_failed_check_with_its_figure():
    policy = RolloutPolicy(min_sessions=(5,), max_tracking_error=0.05)
    days = pd.bdate_range("2024-01-02", periods=4)
    live = pd.Series([0.02, 0.0, 0.02, 0.0], index=days)
    both = decide_promotion(PAPER, policy, live, pd.Series(0.01, index=days), "walk-forward run 7")
    assert not both.allowed and both.target == TEN
    assert both.refusal() == ("sessions at paper: 4 < 5 required; tracking error 18.33% > 5.00% (annualised, "
                              "4 sessions vs walk-forward run 7)")
    uncovered = decide_promotion(PAPER, policy, live, pd.Series(0.01, index=days[:2]), "walk-forward run 7")
    assert "walk-forward run 7 has no return for 2 of the 4 sessions at paper (first 2024-01-04)" in uncovered.refusal()
    assert "has no return for 4" in decide_promotion(PAPER, policy, live, None).refusal()
    ok = decide_promotion(TEN, RolloutPolicy(min_sessions=(4,)), live, live + 1e-4)
    assert ok.allowed and ok.target == FIFTY and ok.checks[1].value == pytest.approx(0.0, abs=1e-12)
    top = decide_promotion(ALL, policy, live, live)
    assert not top.allowed and top.refusal() == "already at 100%, the top of the ladder"


def test_the_rollout_config_has_a_default_and_a_per_strategy_override():
    reg = parse_registry({"rollout": {"min_sessions": 10, "max_tracking_error": 0.08},
                          "strategies": {"a": {"class": "x:Y"},
                                         "b": {"class": "x:Y", "rollout": {"ladder": [0.25, 1.0]}}}})
    assert reg.entry("a").rollout == RolloutPolicy(min_sessions=(10,), max_tracking_error=0.08)
    assert reg.entry("b").rollout == RolloutPolicy(ladder=(0.25, 1.0), min_sessions=(10,), max_tracking_error=0.08)
    assert reg.entry("a").start_stage == PAPER
    for raw, message in (({"ladder": [0.5, 0.1, 1.0]}, "ladder: must be increasing"),
                         ({"ladder": [0.1, 0.5]}, "ending at 1.0"),
                         ({"min_sessions": [1, 2]}, "min_sessions: must be an integer >= 0 or one per rung"),
                         ({"max_tracking_error": 0}, "max_tracking_error: must be a number > 0"),
                         ({"speed": 1}, "unknown key(s) speed")):
        with pytest.raises(InputError, match="cfg: rollout") as err:
            parse_registry({"rollout": raw, "strategies": {"a": {"class": "x:Y"}}}, "cfg")
        assert message in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match=r"strategies\.a\.rollout\.ladder"):
        parse_rollout({"ladder": "all"}, "cfg: strategies.a.rollout")
