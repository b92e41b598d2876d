"""The providers' late-data alert and the marking's freshness rule do not both report one fact."""

from tasks.market_data import not_held


def test_the_late_alert_leaves_held_closes_to_the_marking_rule():
    missing = ["tiingo TLT", "cboe TLT", "tiingo SPY", "fred DGS30"]
    assert not_held(missing, "tiingo", {"TLT"}) == ["cboe TLT", "tiingo SPY", "fred DGS30"]
    assert not_held(missing, "tiingo", set()) == missing
    assert not_held(missing, None, {"TLT"}) == missing
