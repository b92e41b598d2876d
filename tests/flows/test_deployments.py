"""The deployments `quantops serve` runs: one retrain and one walk-forward per enabled strategy, with the
quarterly retrain restricted to a quarter's first session by its parameters."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import InputError

from infra.settings import reset_settings_cache
from tests.strategy_config import config_with_buy_and_hold

QUARTERLY = "0 20 1-7 1,4,7,10 1-5"


def _by_name(deployments) -> dict:
    return {d.name: d for d in deployments}


def _cron(deployment):
    (schedule,) = deployment.schedules
    return schedule.schedule


def test_default_registry_deploys_vol_regime_retrain_with_the_quarter_start_guard():
    from flows.deployments import build_deployments

    found = _by_name(build_deployments())
    # tlt_overlay's model is a calibration: a quarterly retrain, no walk-forward deployment
    assert set(found) == {"daily", "backfill", "retrain-vol_regime", "walk-forward-vol_regime", "retrain-tlt_overlay"}
    retrain = found["retrain-vol_regime"]
    # the old deployment passed only the strategy: the cron then retrained on up to five weekdays a quarter
    assert retrain.parameters == {"strategy": "vol_regime", "only_on_quarter_start": True}
    cron = _cron(retrain)
    assert (cron.cron, cron.timezone, cron.day_or) == (QUARTERLY, "America/New_York", False)
    assert retrain.concurrency_limit == 1 and retrain.entrypoint == "flows/retrain.py:retrain"
    walk = found["walk-forward-vol_regime"]
    assert walk.parameters == {"strategy": "vol_regime"} and not walk.schedules
    daily = _cron(found["daily"])
    assert (daily.cron, daily.timezone) == ("30 18 * * 1-5", "America/New_York")


def test_each_enabled_strategy_gets_its_own_pair_and_disabled_ones_none(tmp_path, monkeypatch):
    from flows.deployments import build_deployments

    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config_with_buy_and_hold(tmp_path / "config")))
    reset_settings_cache()
    try:
        found = _by_name(build_deployments())
    finally:
        reset_settings_cache()
    assert set(found) == {"daily", "backfill", "retrain-buy_and_hold", "walk-forward-buy_and_hold"}
    assert found["retrain-buy_and_hold"].parameters == {"strategy": "buy_and_hold", "only_on_quarter_start": True}
    assert "buy_and_hold" in found["retrain-buy_and_hold"].tags


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_quarterly_schedule_retrains_once_a_quarter_on_its_first_session(app_env, prefect_harness):
    """Every day the cron fires in 2024Q1 (1-5 January, weekdays), run with the deployment's parameters:
    only 2 January (the first session; 1 January is a holiday) gets past the guard."""
    from flows.deployments import build_deployments
    from flows.retrain import retrain

    parameters = _by_name(build_deployments())["retrain-vol_regime"].parameters
    fired = [dt.date(2024, 1, d) for d in range(1, 8) if dt.date(2024, 1, d).weekday() < 5]
    assert fired == [dt.date(2024, 1, d) for d in (1, 2, 3, 4, 5)]
    for day in fired:
        if day == dt.date(2024, 1, 2):  # past the guard: the empty test database has no bars to train on
            with pytest.raises(InputError, match="no QQQ bars in the database"):
                retrain(**parameters, as_of=day)
        else:
            assert retrain(**parameters, as_of=day)["status"] == "skipped"


def test_a_strategy_without_a_walk_forward_gets_its_retrain_only(tmp_path, monkeypatch):
    """tlt_overlay's model is a calibration (validated by the rolling backtest): a walk-forward deployment of it
    could only fail."""
    from flows.deployments import build_deployments
    from tests.flows.test_tlt_overlay_strategy import tlt_config

    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(tlt_config(tmp_path / "config")))
    reset_settings_cache()
    try:
        found = _by_name(build_deployments())
    finally:
        reset_settings_cache()
    assert set(found) == {"daily", "backfill", "retrain-tlt_overlay"}
    assert "walk-forward validation" not in found["retrain-tlt_overlay"].description
