"""The market_data flow, run for real under prefect_test_harness, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.errors import InputError
from flows.market_data import market_data
from infra.db.engine import get_engine
from infra.db.models.market import DailyBar, OptionQuote, YieldObservation
from infra.settings import SAMPLE_DIR, reset_settings_cache

TODAY = dt.date(2024, 12, 31)
START, END = "2024-06-17", "2024-07-12"
OPTIONS = ("quote_date,quote_time,underlying_price,option_type,expiration_date,strike,bid,ask,implied_vol,"
           "delta,gamma,theta,vega,volume,open_interest\n"
           "2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,16.2,-0.30,0.05,-0.02,0.11,120,3400\n"
           "2024-07-01,,92.5,c,2024-08-16,95,0.60,0.64,15.0,0.28,,,,,\n"
           "2024-07-02,,93.0,c,2024-08-16,95,0.70,0.74,15.1,0.31,,,,,\n")


def make_source(root: Path, start: str = START, end: str = END) -> Path:
    """A file-drop folder with the bundled sample's real rows for [start, end]: 4 ETF/index bar files, 2 yields, options."""
    for folder, names in (("bars", ["SPY.csv", "QQQ.csv", "TLT.csv", "^VIX.csv"]), ("yields", ["DGS20.csv", "DGS30.csv"])):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            lines = (SAMPLE_DIR / folder / name).read_text().splitlines()
            keep = [row for row in lines[1:] if start <= row[:10] <= end]
            (root / folder / name).write_text("\n".join([lines[0], *keep]) + "\n")
    (root / "options").mkdir(exist_ok=True)
    (root / "options" / "TLT_2024-07.csv").write_text(OPTIONS)
    return root


def edit_row(path: Path, day: str, edit) -> int:
    """Apply `edit` to the cells (by lower-case column name) of the row dated `day`; returns its line number."""
    lines = path.read_text().splitlines()
    header = lines[0].lower().split(",")
    line = next(i for i, row in enumerate(lines) if row.startswith(day)) + 1
    cell = dict(zip(header, lines[line - 1].split(",")))
    edit(cell)
    lines[line - 1] = ",".join(cell[column] for column in header)
    path.write_text("\n".join(lines) + "\n")
    return line


def use_source(monkeypatch, root: Path) -> None:
    monkeypatch.setenv("QUANTOPS_DATA_SOURCE", f"dir:{root}")
    reset_settings_cache()


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t))
                for t in (DailyBar.__table__, YieldObservation.__table__, OptionQuote.__table__)}


@pytest.fixture
def source(app_env, tmp_path, monkeypatch) -> Path:
    root = make_source(tmp_path / "drop")
    use_source(monkeypatch, root)
    return root


def test_one_date_is_validated_and_upserted(app_env, source):
    engine = get_engine(app_env)
    result = market_data(dt.date(2024, 7, 1), today=TODAY)
    assert result["rows"] == {"bars": 4, "yields": 2, "options": 2}
    assert result["written"] == {"bars": 4, "yields": 2, "options": 2}
    with engine.connect() as conn:
        bars = conn.execute(select(DailyBar.symbol, DailyBar.date, DailyBar.close, DailyBar.source)).all()
    assert sorted(b.symbol for b in bars) == ["QQQ", "SPY", "TLT", "^VIX"]
    assert {b.date for b in bars} == {dt.date(2024, 7, 1)}
    assert {b.source for b in bars} == {"dir:drop"}  # the folder's name: `source` holds 64 characters
    spy_line = next(r for r in (source / "bars" / "SPY.csv").read_text().splitlines() if r.startswith("2024-07-01"))
    assert dict((b.symbol, b.close) for b in bars)["SPY"] == float(spy_line.split(",")[4])

    again = market_data(dt.date(2024, 7, 1), today=TODAY)
    assert again["written"] == {"bars": 0, "yields": 0, "options": 0}
    assert counts(engine) == {"daily_bars": 4, "yields": 2, "option_quotes": 2}


def test_a_bad_row_refuses_the_whole_date(app_env, source):
    engine = get_engine(app_env)
    market_data(dt.date(2024, 7, 1), today=TODAY)
    before = counts(engine)
    # break TLT's 2024-07-02 bar (high below low); every other file for that date is good
    path = source / "bars" / "TLT.csv"

    def swap_high_and_low(cell: dict[str, str]) -> None:
        cell["high"], cell["low"] = cell["low"], cell["high"]

    line = edit_row(path, "2024-07-02", swap_high_and_low)
    with pytest.raises(InputError) as info:
        market_data(dt.date(2024, 7, 2), today=TODAY)
    message = str(info.value)
    assert f"{path}: rejected, 1 bad row(s): row {line} (" in message and "high >= low" in message
    assert counts(engine) == before  # nothing of 2024-07-02 written, not even the good files
    # other dates of the same file are still fine
    assert market_data(dt.date(2024, 7, 3), today=TODAY)["rows"]["bars"] == 4


def test_a_days_close_far_from_yesterdays_stored_one_refuses_the_date(app_env, source):
    engine = get_engine(app_env)
    market_data(dt.date(2024, 7, 1), today=TODAY)
    before = counts(engine)
    # SPY's 2024-07-02 bar at 7.3x every price: consistent with itself, and the day's file has one SPY row, so
    # only the comparison with the stored 2024-07-01 close can catch it
    path = source / "bars" / "SPY.csv"

    def scale_prices(cell: dict[str, str]) -> None:
        for column in {"open", "high", "low", "close", "adj close"} & set(cell):
            cell[column] = str(float(cell[column]) * 7.3)

    line = edit_row(path, "2024-07-02", scale_prices)
    with pytest.raises(InputError, match=rf"SPY\.csv: rejected, 1 bad row\(s\): row {line} \(close moved more than 4x"):
        market_data(dt.date(2024, 7, 2), today=TODAY)
    assert counts(engine) == before


def test_a_date_without_data_loads_nothing(app_env, source):
    result = market_data(dt.date(2024, 7, 4), today=TODAY)  # Independence Day: no bars, FRED blank
    assert result["rows"] == {} and result["written"] == {}
    assert counts(get_engine(app_env)) == {"daily_bars": 0, "yields": 0, "option_quotes": 0}


def test_a_missing_source_folder_is_one_clear_error(app_env, tmp_path, monkeypatch):
    use_source(monkeypatch, tmp_path / "nowhere")
    with pytest.raises(InputError, match="market-data folder not found"):
        market_data(dt.date(2024, 7, 1), today=TODAY)


def test_the_bundled_sample_source_serves_a_date(app_env):
    # QUANTOPS_DATA_SOURCE=sample (the app_env default): the real bundled files, universe included
    result = market_data(dt.date(2024, 8, 26), today=TODAY)
    assert result["rows"]["bars"] == 4 + 50 and result["rows"]["yields"] == 4
    with get_engine(app_env).connect() as conn:
        symbols = set(conn.scalars(select(DailyBar.symbol)))
    assert {"SPY", "QQQ", "TLT", "^VIX", "AAPL"} <= symbols and len(symbols) == 54

