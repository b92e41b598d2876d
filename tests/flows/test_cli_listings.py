"""Listings as a person and a script see them: --json/--csv, filters, one price format, exit codes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from typer.testing import CliRunner

from domain.risk.alerts import Alert
from flows.cli.errors import EXIT_BAD_INPUT, EXIT_DATA_REJECTED
from flows.cli.main import app
from infra import portfolio_store as store
from infra.db.engine import get_engine, transaction

runner = CliRunner()
SPREAD = ["positions", "add", "--strategy", "tlt_overlay", "--type", "put", "--short-strike", "88",
          "--long-strike", "85", "--expiration", "2025-02-21", "--credit", "0.725", "--contracts", "5",
          "--underlying-price", "91.5", "--opened", "2025-01-02"]


def run(*args):
    return runner.invoke(app, list(args))


def _alerts(engine):
    with transaction(engine) as session:
        store.store_alerts(session, [
            Alert(dt.date(2025, 1, 2), "profit_target", "info", "a1", "profit target reached: 50% of max profit",
                  "m", position_id=1),
            Alert(dt.date(2025, 1, 3), "drawdown", "critical", "a2", "drawdown 8.1% breaches the 8% level", "m"),
            Alert(dt.date(2025, 1, 6), "stop_loss", "warning", "a3", "stop loss: SPY down 5.2%", "m", position_id=2),
        ])


def test_listings_as_json_and_csv_with_rounded_numbers(app_env):
    assert run(*SPREAD).exit_code == 0
    assert run("positions", "add", "--strategy", "mean_reversion", "--symbol", "SPY", "--quantity", "10",
               "--price", "580.123456", "--opened", "2025-01-03").exit_code == 0
    r = run("positions", "list", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [p["id"] for p in rows] == [1, 2]
    assert rows[0]["entry"] == 0.72 or rows[0]["entry"] == 0.73  # a price: cents
    assert rows[1]["entry"] == 580.12 and rows[1]["opened"] == "2025-01-03" and rows[1]["mark_source"] == "not marked"
    r = run("positions", "list", "--csv")
    parsed = list(csv.DictReader(io.StringIO(r.output)))
    assert parsed[1]["position"] == "SPY +10" and parsed[1]["entry"] == "580.12"
    table = run("positions", "list")
    assert "580.12" in table.output and "580.123456" not in table.output  # one price format in the table
    assert run("nav", "set", "5250000", "--date", "2025-01-02").exit_code == 0
    assert json.loads(run("nav", "show", "--json").output) == []
    both = run("positions", "list", "--json", "--csv")
    assert both.exit_code == EXIT_BAD_INPUT and "choose one of --json and --csv" in both.output


def test_alerts_filters_by_severity_strategy_and_dates(app_env):
    assert run(*SPREAD).exit_code == 0
    assert run("positions", "add", "--strategy", "mean_reversion", "--symbol", "SPY", "--quantity", "10",
               "--price", "580", "--opened", "2025-01-03").exit_code == 0
    _alerts(get_engine(app_env))

    def ids(*args):
        r = run("alerts", "list", "--json", *args)
        assert r.exit_code == 0, r.output
        return [a["id"] for a in json.loads(r.output)]

    assert ids() == [1, 2, 3]
    assert ids("--severity", "critical") == [2]
    assert ids("--severity", "warning+") == [2, 3]
    assert ids("--strategy", "tlt_overlay") == [1]
    assert ids("--from", "2025-01-03", "--to", "2025-01-05") == [2]
    assert ids("--date", "2025-01-06") == [3]
    row = json.loads(run("alerts", "list", "--json", "--strategy", "mean_reversion").output)[0]
    assert row["strategy"] == "mean_reversion" and row["severity"] == "warning"
    bad = run("alerts", "list", "--severity", "loud")
    assert bad.exit_code == EXIT_BAD_INPUT and "--severity" in bad.output
    assert run("alerts", "list", "--from", "2025-01-05", "--to", "2025-01-01").exit_code == EXIT_BAD_INPUT


def test_positions_add_without_opened_uses_the_last_completed_session(app_env):
    from domain.calendar import is_session, last_completed_session

    r = run("positions", "add", "--strategy", "mean_reversion", "--symbol", "SPY", "--quantity", "10",
            "--price", "580")
    assert r.exit_code == 0, r.output
    (position,) = store.list_positions(get_engine(app_env))
    expected = last_completed_session(dt.datetime.now(dt.timezone.utc))
    assert position.opened == expected and is_session(position.opened)
    assert position.opened <= dt.date.today()
    assert f"opened {expected}" in r.output


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_rejected_data_and_bad_input_have_their_own_exit_codes(app_env, tmp_path):
    bad = tmp_path / "SPY.csv"
    bad.write_text("date,open,high,low,close,volume\n2024-12-02,100,99,101,100,1000\n")
    r = run("ingest", "bars", str(bad))
    assert r.exit_code == EXIT_DATA_REJECTED, r.output
    missing = run("ingest", "bars", str(tmp_path / "nope.csv"))
    assert missing.exit_code == EXIT_BAD_INPUT


def test_piped_output_is_not_cut_at_80_columns(app_env):
    reason = "closed by hand after the desk review of the rates view " + "and a long explanation " * 3
    assert run(*SPREAD).exit_code == 0
    assert run("positions", "close", "1", "--price", "0.30", "--date", "2025-01-10", "--reason", reason).exit_code == 0
    r = run("positions", "list")
    assert reason.strip() in r.output  # CliRunner is not a terminal: the table is as wide as it needs
