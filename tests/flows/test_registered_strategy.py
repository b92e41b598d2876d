"""The platform claim: a strategy defined only under tests/ and registered by a test's own config dir runs
through walk-forward, retrain, the daily flow and the report (real Prefect runs, real databases), and no
line of flows/ or tasks/ names it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from infra.db.engine import get_engine
from infra.db.models.research import ModelRun, Signal
from infra.ingest import ingest_file
from infra.market_store import load_adjusted_bars
from infra.research_store import latest_walk_forward, load_targets
from infra.settings import SAMPLE_DIR, reset_settings_cache
from tests.strategy_config import config_with_buy_and_hold

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def bah_db(app_env, tmp_path, monkeypatch):
    config = config_with_buy_and_hold(tmp_path / "config", weight=0.5, validation_quarters=1,
                                      min_validation_calmar=-1e9)
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "SPY.csv", today=dt.date(2026, 1, 1), source="sample")
    return engine


def test_no_line_of_flows_or_tasks_names_the_test_strategy():
    for path in [*(REPO / "flows").rglob("*.py"), *(REPO / "tasks").rglob("*.py")]:
        text = path.read_text()
        assert "buy_and_hold" not in text.replace("buy_and_hold:", "") and "BuyAndHold" not in text, path


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_buy_and_hold_runs_through_walk_forward_retrain_daily_and_report(bah_db, tmp_path):
    from flows.cli.main import app
    from flows.daily import daily
    from flows.retrain import retrain
    from flows.walk_forward import walk_forward

    result = walk_forward(strategy="buy_and_hold", start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30), seed=1)
    assert result["folds"] == 2
    run, folds, days = latest_walk_forward(bah_db, "buy_and_hold")
    assert [str(f) for f in folds["test_start"]] == ["2023-01-03", "2023-04-03"]
    spy = load_adjusted_bars(bah_db, "SPY", dt.date(2023, 6, 30))["close"].pct_change()
    # held at weight 0.5 from the first out-of-sample close: each later day earns half of SPY's return
    expected = 0.5 * spy.reindex(days.index).to_numpy()
    np.testing.assert_allclose(days["strategy_return"].to_numpy()[1:], expected[1:], rtol=0, atol=1e-12)
    assert days["strategy_return"].iloc[0] == 0.0 and (days["exposure"] == 0.5).all()
    assert json.loads(run["params"])["weight"] == 0.5

    promoted = retrain(strategy="buy_and_hold", as_of=dt.date(2024, 1, 2))
    assert promoted["status"] == "promoted", promoted["report"]
    with bah_db.connect() as conn:
        model = conn.execute(select(ModelRun).where(ModelRun.strategy == "buy_and_hold")).one()
    assert model.train_end == dt.date(2024, 1, 2) and json.loads(model.params)["params"]["symbol"] == "SPY"

    summary = daily(as_of=dt.date(2024, 1, 3))
    assert [s["strategy"] for s in summary["signals"]] == ["buy_and_hold"]  # vol_regime is disabled
    with bah_db.connect() as conn:
        signal = conn.execute(select(Signal)).one()
    assert (signal.strategy, signal.as_of, signal.kind, signal.model_run_id) == (
        "buy_and_hold", dt.date(2024, 1, 3), "exposure", model.id)
    assert json.loads(signal.weights) == {"SPY": 0.5} and signal.target_exposure == 0.5
    daily(as_of=dt.date(2024, 1, 4))  # the next day's decision sees the book it left
    targets = load_targets(bah_db, "buy_and_hold", dt.date(2024, 1, 4))
    assert targets.weights == {"SPY": 0.5} and targets.details["previous"] == {"SPY": 0.5}
    assert targets.as_of == pd.Timestamp("2024-01-04")

    out = tmp_path / "bah.html"
    report = CliRunner().invoke(app, ["report", "--strategy", "buy_and_hold", "--output", str(out)])
    assert report.exit_code == 0, report.output
    html = out.read_text()  # the latest stored run: the retrain's validation quarter, 2023Q4
    assert "buy-and-hold at weight 1" in html and "2023-10-02" in html and html.count("<svg") == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_model_failing_the_strategys_own_gate_is_stored_not_promoted(app_env, tmp_path, monkeypatch):
    """Strategy.vet: the retrain checks the strategy's own acceptance gates beside the generic ones."""
    from flows.retrain import retrain

    config = config_with_buy_and_hold(tmp_path / "config", failing_gates=("beats_baseline",), validation_quarters=1,
                                      min_validation_calmar=-1e9)
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "SPY.csv", today=dt.date(2026, 1, 1), source="sample")
    outcome = retrain(strategy="buy_and_hold", as_of=dt.date(2024, 1, 2))
    assert outcome["status"] == "rejected" and "its own gate 'beats_baseline' failed" in outcome["report"]
    with engine.connect() as conn:
        model = conn.execute(select(ModelRun).where(ModelRun.strategy == "buy_and_hold")).one()
    assert model.status == "rejected" and "beats_baseline" in model.gate_report


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_without_strategy_runs_every_enabled_one_and_unknown_is_one_line(bah_db, tmp_path):
    from flows.cli.main import app

    runner = CliRunner()
    wf = runner.invoke(app, ["walk-forward", "--start", "2023-07-01", "--end", "2023-09-30"])
    assert wf.exit_code == 0, wf.output
    assert any(line.strip().startswith("buy_and_hold: CAGR") for line in wf.output.splitlines())
    assert "vol_regime" not in wf.output
    unknown = runner.invoke(app, ["walk-forward", "--strategy", "nope", "--start", "2023-07-01", "--end", "2023-09-30"])
    assert unknown.exit_code != 0
    assert "unknown strategy 'nope': choose one of vol_regime, vol_regime_spy, mean_reversion, allocator, tlt_overlay, buy_and_hold" in unknown.output
    assert "Traceback" not in unknown.output
