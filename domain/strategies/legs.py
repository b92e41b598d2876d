"""From weights over legs (other strategies, or buy-and-hold) to instrument weights the book can step
(seed 003 section 6: the allocator's w_qqq combined with the legs' own exposures into one portfolio's orders).

A leg's exposure is what its own strategy holds per unit of its capital: ``{"QQQ": 0.4}`` for vol_regime
at 40% long, ``{"QQQ": 1.0}`` for buy-and-hold QQQ (derived from the leg name ``buy_and_hold:SYM`` when not
given). The combined weight of an instrument is sum over legs of w_leg x exposure_leg[instrument].
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.errors import InputError
from domain.strategies.base import Targets

BUY_AND_HOLD = "buy_and_hold:"


def leg_exposure(leg: str, exposures: Mapping[str, Mapping[str, float]]) -> Mapping[str, float]:
    if leg in exposures:
        return exposures[leg]
    if leg.startswith(BUY_AND_HOLD):
        return {leg.removeprefix(BUY_AND_HOLD): 1.0}
    raise InputError(f"allocator: no exposure for leg {leg!r} (its strategy has not decided for this session)")


def combine_legs(targets: Targets, exposures: Mapping[str, Mapping[str, float]]) -> Targets:
    """A ``Targets`` of kind 'book' (instrument -> weight of the allocator's capital) from one of kind
    'legs'; the leg weights and each leg's exposure are kept in ``details``."""
    if targets.kind != "legs":
        raise InputError(f"combine_legs: targets of kind {targets.kind!r}, expected 'legs'")
    weights: dict[str, float] = {}
    used: dict[str, dict[str, float]] = {}
    for leg, w in targets.leg_weights.items():
        exp = {str(k): float(v) for k, v in leg_exposure(leg, exposures).items()}
        used[leg] = exp
        for instrument, e in exp.items():
            weights[instrument] = weights.get(instrument, 0.0) + float(w) * e
    details = {**targets.details, "leg_weights": dict(targets.leg_weights), "leg_exposures": used}
    return Targets(as_of=targets.as_of, kind="book", weights=weights, details=details)
