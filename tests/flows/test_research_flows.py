"""Walk-forward, retrain and the daily signal as real Prefect flow runs on real databases.

The strategy runs with a one-point grid and 20 trees (a copy of config/ in tmp_path) so that a fold takes
about a second; the code path is the production one.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from infra.db.engine import get_engine
from infra.db.models.research import ModelRun, Signal, WalkForwardDay, WalkForwardFold, WalkForwardRun
from infra.ingest import ingest_file
from infra.settings import SAMPLE_DIR, reset_settings_cache
from tests.strategy_config import small_vol_regime_config as _small_config


@pytest.fixture
def research_db(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(_small_config(tmp_path / "config")))
    reset_settings_cache()
    engine = get_engine(app_env)
    for symbol in ("QQQ", "SPY", "^VIX"):
        ingest_file(engine, "bars", SAMPLE_DIR / "bars" / f"{symbol}.csv", today=dt.date(2026, 1, 1), source="sample")
    return engine


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_walk_forward_stores_folds_and_days_and_is_idempotent(research_db):
    from flows.walk_forward import walk_forward

    first = walk_forward(strategy="vol_regime", start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30), seed=7)
    assert first["folds"] == 2
    with research_db.connect() as conn:
        folds = conn.execute(select(WalkForwardFold).order_by(WalkForwardFold.fold)).all()
        days = conn.execute(select(WalkForwardDay.date, WalkForwardDay.exposure, WalkForwardDay.strategy_return)
                            .order_by(WalkForwardDay.date)).all()
    assert [f.test_start.isoformat() for f in folds] == ["2023-01-03", "2023-04-03"]
    assert folds[0].test_end < folds[1].test_start
    assert all(f.train_end < f.validation_start <= f.validation_end < f.test_start for f in folds)
    assert days[0].date == dt.date(2023, 1, 3) and days[-1].date == dt.date(2023, 6, 30)
    assert len(days) == 124  # XNYS sessions in 2023H1
    assert all(-1.0 <= d.exposure <= 1.5 for d in days)
    assert first["summary"]["calmar"] == pytest.approx(first["summary"]["cagr"] / abs(first["summary"]["max_drawdown"]))
    # issue 14: skill, the beta-matched benchmark and overfitting are stored with the run and each fold
    with research_db.connect() as conn:
        stored = json.loads(conn.execute(select(WalkForwardRun.metrics)).scalar_one())
        fold_metrics = [json.loads(m) for m in conn.execute(select(WalkForwardFold.metrics)).scalars()]
    assert {"ic_spearman", "ic_pearson", "forecast_hit_rate", "base_rate", "beta_matched_calmar",
            "deflated_sharpe", "pbo"} <= set(stored)
    assert 0.0 <= stored["deflated_sharpe"] <= 1.0 and stored["base_rate"] >= 0.5
    assert all({"test_ic_spearman", "test_forecast_hit_rate", "test_bm_calmar", "validation_dsr"} <= set(m)
               for m in fold_metrics)

    second = walk_forward(strategy="vol_regime", start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30), seed=7)
    assert second["run_id"] == first["run_id"]
    assert second["summary"] == first["summary"]
    assert _count(research_db, WalkForwardRun) == 1
    assert _count(research_db, WalkForwardDay) == len(days)


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_retrain_gates_promotion_and_daily_uses_the_live_model(research_db, tmp_path, monkeypatch):
    from flows.daily import daily
    from flows.retrain import retrain

    skipped = retrain(strategy="vol_regime", as_of=dt.date(2024, 1, 3), only_on_quarter_start=True)
    assert skipped["status"] == "skipped"

    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(_small_config(tmp_path / "lenient", min_validation_calmar=-1e9,
                                                                   min_deflated_sharpe=0.0)))
    reset_settings_cache()
    promoted = retrain(strategy="vol_regime", as_of=dt.date(2024, 1, 2), only_on_quarter_start=True)
    assert promoted["status"] == "promoted", promoted["report"]

    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(_small_config(tmp_path / "strict", min_validation_calmar=1e9)))
    reset_settings_cache()
    rejected = retrain(strategy="vol_regime", as_of=dt.date(2024, 4, 1))
    assert rejected["status"] == "rejected"
    assert "not above the minimum" in rejected["report"]

    with research_db.connect() as conn:
        runs = {r.as_of: r for r in conn.execute(select(ModelRun))}
    live = runs[dt.date(2024, 1, 2)]
    assert live.status == "promoted" and runs[dt.date(2024, 4, 1)].status == "rejected"
    assert live.train_end < dt.date(2024, 1, 2) and len(live.data_fingerprint) == 64 and live.seed == 42
    assert json.loads(live.params)["chosen"]["rf_max_depth"] == 5
    assert live.code_version

    daily(as_of=dt.date(2024, 4, 2))
    with research_db.connect() as conn:
        signal = conn.execute(select(Signal)).one()
    assert signal.model_run_id == live.id  # the rejected candidate never trades
    assert signal.as_of == dt.date(2024, 4, 2)
    assert -1.0 <= signal.target_exposure <= 1.5
    assert isinstance(json.loads(signal.active_filters), list)
    assert signal.kind == "exposure" and json.loads(signal.weights) == {"QQQ": signal.target_exposure}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_walk_forward_prints_calmar_and_report_embeds_plots(research_db, tmp_path):
    from flows.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["walk-forward", "--strategy", "vol_regime", "--start", "2023-07-01",
                                 "--end", "2023-09-30"])
    assert result.exit_code == 0, result.output
    assert any("Calmar" in line and "vol_regime" in line for line in result.output.splitlines())
    assert "buy-and-hold QQQ" in result.output
    assert "beta-matched" in result.output and "Forecast IC" in result.output

    out = tmp_path / "report.html"
    report = runner.invoke(app, ["report", "--strategy", "vol_regime", "--output", str(out)])
    assert report.exit_code == 0, report.output
    html = out.read_text()
    assert html.count("<svg") == 2 and "Walk-forward folds" in html and "2023-07-03" in html
    for shown in ("beta-matched (constant mean exposure)", "Forecast IC (Spearman)", "Base rate",
                  "Deflated Sharpe ratio", "Probability of backtest overfitting"):
        assert shown in html, shown


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_research_bad_input_is_one_line(app_env):
    from flows.cli.main import app

    runner = CliRunner()
    unknown = runner.invoke(app, ["retrain", "--strategy", "nope"])
    assert unknown.exit_code != 0 and "unknown strategy 'nope'" in unknown.output
    assert "Traceback" not in unknown.output
    empty = runner.invoke(app, ["report", "--strategy", "vol_regime", "--output", "x.html"])
    assert empty.exit_code != 0 and "no walk-forward run" in empty.output
