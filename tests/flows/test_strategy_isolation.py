"""One strategy's failure does not starve the others: the daily flow steps and reports every other enabled
strategy, then fails the day (not recorded as completed, so it can be re-run) naming the strategy."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from infra.book_store import book_days
from infra.db.engine import get_engine
from infra.ingest import ingest_file
from infra.run_log import completed_days
from infra.settings import SAMPLE_DIR, reset_settings_cache
from tests.strategy_config import config_with_buy_and_hold

DAY = dt.date(2024, 1, 3)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failing_strategy_fails_the_day_after_the_others_are_stepped(app_env, tmp_path, monkeypatch):
    from flows.daily import daily
    from flows.retrain import retrain

    config = config_with_buy_and_hold(tmp_path / "config", weight=0.5, validation_quarters=1,
                                      min_validation_calmar=-1e9)
    registry = yaml.safe_load((config / "strategies.yaml").read_text())
    failing = {"class": "tests.strategies.failing:FailsToDecide", "capital": 100000}
    registry["strategies"] = {"fails_to_decide": failing, **registry["strategies"]}  # first in registry order
    (config / "strategies.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    (config / "fails_to_decide.yaml").write_text(yaml.safe_dump({"symbol": "SPY", "weight": 0.5}))
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "SPY.csv", today=dt.date(2026, 1, 1), source="sample")
    for name in ("fails_to_decide", "buy_and_hold"):
        assert retrain(strategy=name, as_of=dt.date(2024, 1, 2))["status"] == "promoted"

    state = daily(as_of=DAY, return_state=True)
    assert state.is_failed() and "fails_to_decide: InputError: fails_to_decide: no data" in state.message
    stepped = book_days(engine, "buy_and_hold")
    assert list(stepped["as_of"]) == [DAY] and stepped["equity"].iloc[0] > 0  # stepped although listed after
    assert DAY not in completed_days(engine, "daily", DAY, DAY)
