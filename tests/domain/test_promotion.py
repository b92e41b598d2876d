import math

import pytest

from domain.promotion import PromotionGates, decide_promotion

GATES = PromotionGates(min_validation_calmar=0.5, max_calmar_shortfall=0.25)


def test_first_model_passes_on_its_own_calmar():
    assert decide_promotion(0.8, None, GATES).promote


def test_below_minimum_is_rejected():
    decision = decide_promotion(0.5, None, GATES)
    assert not decision.promote and "not above the minimum" in decision.report


def test_much_worse_than_live_model_is_rejected():
    assert not decide_promotion(0.9, 1.2, GATES).promote
    assert decide_promotion(0.95, 1.2, GATES).promote


def test_non_finite_calmar_never_promotes():
    assert not decide_promotion(math.nan, None, GATES).promote


def test_gates_validate_their_parameters():
    with pytest.raises(ValueError):
        PromotionGates(max_calmar_shortfall=-0.1)


def test_deflated_sharpe_and_pbo_gates():
    # issue 14: a model whose Sharpe is what the best of its grid would show by chance, or whose
    # in-sample winner usually ranks below the median out of sample, is not promoted
    gates = PromotionGates()
    assert gates.min_deflated_sharpe == 0.95 and gates.max_pbo == 0.5
    assert decide_promotion(0.8, None, gates, deflated_sharpe=0.97, pbo=0.2).promote
    low = decide_promotion(0.8, None, gates, deflated_sharpe=0.60, pbo=0.2)
    assert not low.promote and "deflated Sharpe 0.600 is below 0.950" in low.report
    overfit = decide_promotion(0.8, None, gates, deflated_sharpe=0.97, pbo=0.7)
    assert not overfit.promote and "PBO 0.700 is above 0.500" in overfit.report
    assert not decide_promotion(0.8, None, gates, deflated_sharpe=math.nan, pbo=0.2).promote
    # a one-point grid selects nothing: PBO is reported as not measured, not gated
    assert decide_promotion(0.8, None, gates, deflated_sharpe=0.97, pbo=math.nan).promote
    # strategies that do not measure them are gated on Calmar alone
    assert decide_promotion(0.8, None, gates).promote
    with pytest.raises(ValueError):
        PromotionGates(max_pbo=1.5)


def test_promotion_yaml_has_the_overfitting_gates():
    from pathlib import Path

    from infra.strategy_config import load_strategy_config

    gates = load_strategy_config("promotion", PromotionGates, Path(__file__).resolve().parents[2] / "config")
    assert (gates.min_deflated_sharpe, gates.max_pbo) == (0.95, 0.5)
