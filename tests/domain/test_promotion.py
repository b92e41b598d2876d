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
