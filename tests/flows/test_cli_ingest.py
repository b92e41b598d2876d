"""`quantops ingest ...` through typer's CliRunner on SQLite and PostgreSQL: one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from flows.cli.main import app
from infra.db.engine import get_engine
from infra.db.models.market import DailyBar, IngestLog, OptionQuote, QuarantinedRow, YieldObservation

runner = CliRunner()
BARS = ("Date,Close,High,Low,Open,Volume\n"
        "2024-07-01,101.0,102.0,99.0,100.0,1000\n"
        "2024-07-02,102.0,103.0,100.0,101.0,1100\n"
        "2024-07-03,103.0,104.0,101.0,102.0,1200\n")
YIELDS = "observation_date,DGS30\n2024-07-01,4.60\n2024-07-04,\n2024-07-05,4.50\n"
OPTIONS = ("quote_date,quote_time,underlying_price,option_type,expiration_date,strike,bid,ask,implied_vol,"
           "delta,gamma,theta,vega,volume,open_interest\n"
           "2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,16.2,-0.30,0.05,-0.02,0.11,120,3400\n")


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def lines(output: str) -> list[str]:
    return [row for row in output.splitlines() if row.strip()]


def counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t))
                for t in (DailyBar.__table__, YieldObservation.__table__, OptionQuote.__table__)}


def statuses(url: str) -> list[str]:
    with get_engine(url).connect() as conn:
        return list(conn.scalars(select(IngestLog.status).order_by(IngestLog.id)))


def test_ingest_bars_yields_options_and_again(app_env, tmp_path):
    bars = write(tmp_path / "qqq.csv", BARS)
    result = invoke("ingest", "bars", bars)
    assert result.exit_code == 0, result.output
    assert lines(result.output) == [f"{bars}: 3 bars row(s) valid, 3 new or changed"]
    assert invoke("ingest", "yields", write(tmp_path / "DGS30.csv", YIELDS)).exit_code == 0
    opts = invoke("ingest", "options", write(tmp_path / "chain.csv", OPTIONS), "--underlying", "tlt")
    assert opts.exit_code == 0, opts.output
    assert counts(app_env) == {"daily_bars": 3, "yields": 2, "option_quotes": 1}
    with get_engine(app_env).connect() as conn:
        assert set(conn.scalars(select(DailyBar.symbol))) == {"QQQ"}
        assert set(conn.scalars(select(OptionQuote.underlying))) == {"TLT"}

    again = invoke("ingest", "bars", bars)
    assert again.exit_code == 0 and "3 bars row(s) valid, nothing new" in again.output
    assert counts(app_env) == {"daily_bars": 3, "yields": 2, "option_quotes": 1}


def test_symbol_option(app_env, tmp_path):
    result = invoke("ingest", "bars", write(tmp_path / "prices.csv", BARS), "--symbol", "spy")
    assert result.exit_code == 0, result.output
    with get_engine(app_env).connect() as conn:
        assert set(conn.scalars(select(DailyBar.symbol))) == {"SPY"}


BAD = {
    "bars": ("SPY.csv", BARS.replace("2024-07-02,102.0,103.0,100.0,101.0", "2024-07-02,102.0,99.0,100.0,101.0"),
             "row 3", "close within [low, high]; high >= low; open within [low, high])"),
    "yields": ("DGS30.csv", YIELDS.replace("4.50", "250"), "row 4", "yield must be within"),
    "options": ("TLT.csv", OPTIONS.replace("2024-08-16", "2024-06-21"), "row 2", "expiration after the quote date"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_file_is_one_error_line_and_writes_nothing(app_env, tmp_path, kind):
    invoke("ingest", "bars", write(tmp_path / "TLT.csv", BARS))  # something already there (and TLT known)
    before = counts(app_env)
    name, content, row, rule = BAD[kind]
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    path = write(bad_dir / name, content)
    result = invoke("ingest", kind, path)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    [line] = lines(result.output)
    assert line.startswith(f"error: {path}: rejected, 1 bad row(s): {row} (") and rule in line
    assert lines(result.stderr) == [line]  # errors on stderr, printed as text (no rich markup eats `[low, high]`)
    assert counts(app_env) == before
    assert statuses(app_env) == ["loaded", "rejected"]


JUNK = {
    "empty": (b"", "empty file"),
    "html": (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>\n", "HTML"),
    "binary": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(200)), "binary"),
    "semicolons": (b"Date;Open;High;Low;Close;Volume\n2024-07-01;1;2;0.5;1.5;10\n", "comma-separated"),
    "header_only": (b"Date,Open,High,Low,Close,Volume\r\n", "no data rows"),
}


@pytest.mark.parametrize("case", sorted(JUNK))
def test_junk_is_one_error_line(sqlite_url, tmp_path, monkeypatch, case):
    monkeypatch.setenv("QUANTOPS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("QUANTOPS_HOME", str(tmp_path / "home"))
    from infra.settings import reset_settings_cache

    reset_settings_cache()
    content, fragment = JUNK[case]
    path = write(tmp_path / f"{case}.csv", content)
    result = invoke("ingest", "bars", path)
    reset_settings_cache()
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    [line] = lines(result.output)
    assert line.startswith(f"error: {path}: ") and fragment in line
    assert counts(sqlite_url) == {"daily_bars": 0, "yields": 0, "option_quotes": 0}
    assert statuses(sqlite_url) == ["rejected"]


def test_a_missing_file_is_one_error_line(app_env, tmp_path):
    result = invoke("ingest", "bars", tmp_path / "nope.csv")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert lines(result.output) == [f"error: {tmp_path / 'nope.csv'}: file not found"]


def test_several_files_each_judged_alone(app_env, tmp_path):
    good = write(tmp_path / "QQQ.csv", BARS)
    bad = write(tmp_path / "SPY.csv", BARS.replace("1100", "-1100"))
    result = invoke("ingest", "bars", good, bad)
    assert result.exit_code != 0
    out = lines(result.output)
    assert len(out) == 2 and out[0].startswith(f"{good}: 3 bars")
    assert out[1].startswith(f"error: {bad}: rejected, 1 bad row(s): row 3 (volume: must not be negative)")
    with get_engine(app_env).connect() as conn:
        assert set(conn.scalars(select(DailyBar.symbol))) == {"QQQ"}


def test_quarantine_loads_good_rows_and_says_how_many(app_env, tmp_path):
    content = BARS + "2024-07-06,104.0,105.0,102.0,103.0,1300\n2024-07-08,-1,105.0,102.0,103.0,1300\n"
    path = write(tmp_path / "SPY.csv", content)
    result = invoke("ingest", "bars", path, "--quarantine")
    assert result.exit_code == 0, result.output
    assert lines(result.output) == [f"{path}: 3 bars row(s) valid, 3 new or changed, 2 row(s) quarantined",
                                    "  2 bad row(s) kept in the quarantine table"]
    with get_engine(app_env).connect() as conn:
        held = conn.execute(select(QuarantinedRow.row_number, QuarantinedRow.rule)
                            .order_by(QuarantinedRow.row_number)).all()
    assert [h.row_number for h in held] == [5, 6]
    assert held[0].rule == "date must be an XNYS trading session"
    assert "close: must be positive" in held[1].rule
    assert counts(app_env)["daily_bars"] == 3
    assert statuses(app_env) == ["quarantined"]


@pytest.mark.parametrize("text", ["inf", "Infinity", "1e309"])
def test_an_infinite_price_is_one_line_with_exit_3_on_both_databases(app_env, tmp_path, text):
    """Issue 15 case 1: SQLite stored it (and the next daily NAV = inf); PostgreSQL crashed with a traceback."""
    path = write(tmp_path / "SPY.csv", BARS.replace("2024-07-02,102.0,103.0", f"2024-07-02,{text},103.0"))
    result = invoke("ingest", "bars", path)
    assert result.exit_code == 3, result.output
    [line] = lines(result.output)
    # adj_close defaults to close; a neighbour of an infinite close is not a "jump"
    assert line == f"error: {path}: rejected, 1 bad row(s): row 3 (adj_close: must be a finite number (not inf); " \
                   "close within [low, high]; close: must be a finite number (not inf)); nothing written", line
    assert counts(app_env)["daily_bars"] == 0 and statuses(app_env) == ["rejected"]
