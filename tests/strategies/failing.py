"""A strategy that exists only under tests/ and fails at decide (a vendor gap, a bug): the daily flow must
still step and report every other strategy, then fail the day."""

from __future__ import annotations

from domain.errors import InputError
from tests.strategies.buy_and_hold import BuyAndHold


class FailsToDecide(BuyAndHold):
    name = "fails_to_decide"

    def decide(self, fitted, inputs, as_of, book):
        raise InputError("fails_to_decide: no data for the day (a test strategy that always fails here)")
