"""`quantops tlt backtest` on the real TLT history (a short window): the summary says the prices are model
prices and which variance premium it used, --output-dir writes what it printed, bad input is one line."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from flows.cli.main import app
from tests.conftest import real_data

runner = CliRunner()
ARGS = ["tlt", "backtest", "--start", "2015-01-01", "--end", "2015-06-30", "--every", "15", "--n-paths", "300",
        "--seed", "5"]


def test_backtest_prints_the_caveat_and_writes_its_tables(tmp_path):
    folder = real_data("etf").parent
    out = tmp_path / "bt"
    result = runner.invoke(app, [*ARGS, "--variance-premium", "0.02", "--data-dir", str(folder),
                                 "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "No historical TLT option quotes exist in this data: every option price is a model price" in text
    assert "Variance premium 2.0%" in text and "an entry every 15 sessions, seed 5" in text
    assert "marks: each leg at its entry vol" in text  # mark_vol: sticky_strike, the config default
    summary = json.loads((out / "summary.json").read_text())
    trades = pd.read_csv(out / "trades.csv")
    yearly = pd.read_csv(out / "yearly.csv")
    assert summary["variance_premium"] == 0.02 and summary["trades"] == len(trades)
    assert summary["entries"] == len(pd.read_csv(out / "entries.csv"))
    assert abs(pd.read_csv(out / "daily.csv")["pnl"].sum() - summary["income"]) < 1e-6
    assert yearly["year"].tolist() == [2015]
    assert f"Entries {summary['entries']}, trades {summary['trades']}" in text


def test_a_missing_data_folder_is_one_line_and_writes_nothing(tmp_path):
    result = runner.invoke(app, [*ARGS, "--data-dir", str(tmp_path / "nowhere"), "--output-dir", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "etf/TLT.csv: file not found" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_bad_option_is_one_line():
    result = runner.invoke(app, [*ARGS, "--every", "0"])
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1
    assert "--every" in result.output and "every must be >= 1" in result.output
