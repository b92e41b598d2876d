"""`quantops tlt calibrate --from-db` on what the foundation stores (real FRED yields and TLT closes)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from infra.db.engine import get_engine
from infra.ingest import ingest_file
from infra.settings import SAMPLE_DIR


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_calibrate_from_db_matches_calibrate_from_csv(app_env, tmp_path):
    from flows.cli.main import app
    from infra.market_store import load_tlt_calibration_frame

    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "TLT.csv", today=dt.date(2026, 1, 1))
    for series in ("DGS20", "DGS30"):
        ingest_file(engine, "yields", SAMPLE_DIR / "yields" / f"{series}.csv", today=dt.date(2026, 1, 1))

    runner = CliRunner()
    from_db = tmp_path / "db.json"
    result = runner.invoke(app, ["tlt", "calibrate", "--from-db", "--output", str(from_db)])
    assert result.exit_code == 0, result.output

    csv = tmp_path / "history.csv"
    load_tlt_calibration_frame(engine).assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    from_csv = tmp_path / "csv.json"
    result = runner.invoke(app, ["tlt", "calibrate", "--data", str(csv), "--tlt-adj-col", "tlt_adj_close",
                                 "--output", str(from_csv)])
    assert result.exit_code == 0, result.output

    db_params, csv_params = json.loads(from_db.read_text()), json.loads(from_csv.read_text())
    assert db_params["vasicek_params"] == pytest.approx(csv_params["vasicek_params"], rel=1e-9)
    assert db_params["current_values"]["date"] == "2024-12-31"
    assert db_params["current_values"]["tlt_price"] == pytest.approx(87.33)  # raw close, not the adjusted one
    assert 0.9 < db_params["vasicek_params"]["rho"] < 1.0
    assert db_params["regression_params"]["r_squared"] > 0.95
    # the stored adjusted closes give TLT's dividend yield (issue 13 item 1: it was stored as 0)
    assert 0.036 < db_params["dividend_params"]["dividend_yield"] < 0.044
    assert db_params["dividend_params"] == pytest.approx(csv_params["dividend_params"], rel=1e-12)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_calibrate_from_empty_db_is_one_line(app_env, tmp_path):
    from flows.cli.main import app

    result = CliRunner().invoke(app, ["tlt", "calibrate", "--from-db", "--output", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.output.strip().count("\n") == 0
