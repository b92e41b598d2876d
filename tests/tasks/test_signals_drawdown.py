import datetime as dt

import pandas as pd
import pytest

from tasks.signals import live_drawdown


def test_live_drawdown_compounds_held_exposure_on_next_day_returns():
    days = pd.bdate_range("2024-01-01", periods=4)
    close = pd.Series([100.0, 110.0, 99.0, 108.9], index=days)
    signals = pd.DataFrame({"as_of": days[:3], "target_exposure": [1.0, 1.0, 0.5]})
    # day2 +10% x1, day3 -10% x1, day4 +10% x0.5 -> equity 1.1, 0.99, 1.0395; peak 1.1
    assert live_drawdown(signals, close, days[3].date()) == pytest.approx(1.0395 / 1.1 - 1)


def test_no_history_means_no_drawdown():
    assert live_drawdown(pd.DataFrame(columns=["as_of", "target_exposure"]), pd.Series(dtype=float),
                         dt.date(2024, 1, 2)) == 0.0
