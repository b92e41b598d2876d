"""ingest_file on SQLite and PostgreSQL: all or nothing, idempotent, audited, quarantine; the real files load."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

import infra.ingest as ingest_module
from domain.errors import InputError
from infra.db.models.market import DailyBar, IngestLog, Instrument, OptionQuote, QuarantinedRow, YieldObservation
from infra.ingest import ingest_file
from tests.conftest import REAL_DATA, real_data

TODAY = dt.date(2024, 12, 31)
BARS = ("date,open,high,low,close,adj_close,volume\n"
        "2024-07-01,100.0,102.0,99.0,101.0,100.5,1000\n"
        "2024-07-02,101.0,103.0,100.0,102.0,101.5,1100\n"
        "2024-07-03,102.0,104.0,101.0,103.0,102.5,1200\n"
        "2024-07-05,103.0,105.0,102.0,104.0,103.5,1300\n")
YIELDS = "observation_date,DGS20\n2024-07-01,4.60\n2024-07-02,4.62\n2024-07-03,\n2024-07-04,\n2024-07-05,4.50\n"
OPTIONS = ("quote_date,quote_time,underlying_price,option_type,expiration_date,strike,bid,ask,implied_vol,"
           "delta,gamma,theta,vega,volume,open_interest\n"
           "2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,16.2,-0.30,0.05,-0.02,0.11,120,3400\n"
           "2024-07-01,,92.5,c,2024-08-16,95,0.60,0.64,15.0,0.28,,,,,\n")


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def snapshot(engine: Engine, table) -> list[tuple]:
    """Every row of a table, every column (ids included), in a stable order."""
    with engine.connect() as conn:
        rows = conn.execute(select(table)).all()
    return sorted(rows, key=lambda r: tuple(map(str, r)))


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def log_rows(engine: Engine) -> list[IngestLog]:
    with engine.connect() as conn:
        return list(conn.execute(select(IngestLog).order_by(IngestLog.id)).all())


def test_good_file_loads_and_loading_it_again_changes_nothing(engine, tmp_path):
    path = write(tmp_path / "SPY.csv", BARS)
    report = ingest_file(engine, "bars", path, today=TODAY)
    assert (report.rows, report.written, report.quarantined, report.status) == (4, 4, 0, "loaded")
    first = snapshot(engine, DailyBar.__table__)
    assert len(first) == 4
    assert {r.symbol for r in first} == {"SPY"}
    with engine.connect() as conn:
        spy = conn.execute(select(DailyBar).where(DailyBar.date == dt.date(2024, 7, 2))).one()
    assert (spy.open, spy.high, spy.low, spy.close, spy.adj_close, spy.volume) == (101.0, 103.0, 100.0, 102.0, 101.5, 1100)
    assert spy.source == "file:SPY.csv"
    instruments = snapshot(engine, Instrument.__table__)

    again = ingest_file(engine, "bars", path, today=TODAY)
    assert (again.rows, again.written, again.status) == (4, 0, "loaded")
    assert "nothing new" in again.describe()
    assert snapshot(engine, DailyBar.__table__) == first
    assert snapshot(engine, Instrument.__table__) == instruments
    assert [(r.status, r.rows) for r in log_rows(engine)] == [("loaded", 4), ("loaded", 4)]
    assert log_rows(engine)[0].fingerprint == log_rows(engine)[1].fingerprint != ""


def test_a_changed_value_updates_only_that_row(engine, tmp_path):
    ingest_file(engine, "bars", write(tmp_path / "SPY.csv", BARS), today=TODAY)
    before = {r.date: r for r in snapshot(engine, DailyBar.__table__)}
    changed = BARS.replace("2024-07-03,102.0,104.0,101.0,103.0,102.5,1200", "2024-07-03,102.0,104.0,101.0,103.5,103.0,1200")
    report = ingest_file(engine, "bars", write(tmp_path / "SPY_v2.csv", changed), today=TODAY, source="file:SPY.csv")
    assert report.written == 1
    after = {r.date: r for r in snapshot(engine, DailyBar.__table__)}
    assert after[dt.date(2024, 7, 3)].close == 103.5
    assert {d: r for d, r in after.items() if d != dt.date(2024, 7, 3)} == \
        {d: r for d, r in before.items() if d != dt.date(2024, 7, 3)}


def test_bom_and_crlf_load_the_same_rows(engine, tmp_path):
    ingest_file(engine, "bars", write(tmp_path / "SPY.csv", BARS), today=TODAY)
    before = snapshot(engine, DailyBar.__table__)
    odd = b"\xef\xbb\xbf" + BARS.replace("\n", "\r\n").encode()
    report = ingest_file(engine, "bars", write(tmp_path / "SPY_bom.csv", odd), today=TODAY, source="file:SPY.csv")
    assert (report.rows, report.written) == (4, 0)
    assert snapshot(engine, DailyBar.__table__) == before


def test_a_file_with_one_bad_row_writes_nothing_and_is_logged(engine, tmp_path):
    ingest_file(engine, "bars", write(tmp_path / "SPY.csv", BARS), today=TODAY)
    before = {t.name: snapshot(engine, t) for t in (DailyBar.__table__, Instrument.__table__)}
    # new rows, a changed existing row, a new symbol... and one bad row (high below low)
    bad = ("symbol,date,open,high,low,close,volume\n"
           "SPY,2024-07-08,104.0,106.0,103.0,105.0,1400\n"
           "SPY,2024-07-01,100.0,102.0,99.0,101.7,1000\n"
           "NEW,2024-07-08,10,11,9,10.5,50\n"
           "NEW,2024-07-09,10.5,9.0,11.0,10.0,60\n")
    path = write(tmp_path / "mixed.csv", bad)
    with pytest.raises(InputError) as info:
        ingest_file(engine, "bars", path, today=TODAY)
    message = str(info.value)
    assert message == f"{path}: rejected, 1 bad row(s): row 5 (close within [low, high]; high >= low; " \
                      f"open within [low, high]); nothing written"
    assert {t.name: snapshot(engine, t) for t in (DailyBar.__table__, Instrument.__table__)} == before
    last = log_rows(engine)[-1]
    assert (last.status, last.kind, last.file_name, last.rows, last.error) == ("rejected", "bars", str(path), 4, message)
    assert count(engine, QuarantinedRow.__table__) == 0


@pytest.mark.parametrize(
    "content, fragment",
    [(b"", "empty file"), (b"<html><body>rate limited</body></html>", "HTML"), (b"\x00\x01\x02junk", "binary"),
     (b"date;open;high;low;close;volume\n2024-07-01;1;2;0.5;1.5;10\n", "comma-separated")],
    ids=["empty", "html", "binary", "semicolons"],
)
def test_junk_is_refused_logged_and_writes_nothing(engine, tmp_path, content, fragment):
    path = write(tmp_path / "junk.csv", content)
    with pytest.raises(InputError, match=fragment):
        ingest_file(engine, "bars", path, today=TODAY)
    assert count(engine, DailyBar.__table__) == 0
    [entry] = log_rows(engine)
    assert entry.status == "rejected" and fragment in entry.error and str(path) in entry.error


def test_quarantine_loads_the_good_rows_and_keeps_the_bad_ones_aside(engine, tmp_path):
    content = BARS + "2024-07-06,104.0,106.0,103.0,105.0,104.5,1400\n" + "2024-07-08,104.0,106.0,103.0,-1,104.5,1400\n"
    path = write(tmp_path / "SPY.csv", content)
    report = ingest_file(engine, "bars", path, today=TODAY, quarantine=True)
    assert (report.rows, report.written, report.quarantined, report.status) == (4, 4, 2, "quarantined")
    assert "2 row(s) quarantined" in report.describe()
    assert sorted(r.date for r in snapshot(engine, DailyBar.__table__)) == \
        [dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2024, 7, 3), dt.date(2024, 7, 5)]
    with engine.connect() as conn:
        held = conn.execute(select(QuarantinedRow).order_by(QuarantinedRow.row_number)).all()
    entry = log_rows(engine)[-1]
    assert (entry.status, entry.rows, entry.quarantined) == ("quarantined", 4, 2)
    assert [(h.row_number, h.kind, h.ingest_id) for h in held] == [(6, "bars", entry.id), (7, "bars", entry.id)]
    assert held[0].rule == "date must be an XNYS trading session"
    assert "close: must be positive" in held[1].rule and "close within [low, high]" in held[1].rule
    payload = json.loads(held[1].payload)
    assert payload["symbol"] == "SPY" and float(payload["close"]) == -1.0 and payload["date"].startswith("2024-07-08")


def test_a_failure_while_writing_rolls_everything_back(engine, tmp_path, monkeypatch):
    real_log = ingest_module._log

    def failing_log(*args, conn=None, **kwargs):
        if conn is not None:  # inside the write transaction, after the rows were upserted
            raise RuntimeError("disk full")
        return real_log(*args, conn=conn, **kwargs)

    monkeypatch.setattr(ingest_module, "_log", failing_log)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(engine, "bars", write(tmp_path / "SPY.csv", BARS), today=TODAY)
    assert count(engine, DailyBar.__table__) == 0
    assert count(engine, Instrument.__table__) == 0


def test_yields_load_blank_days_are_skipped_and_reload_is_a_noop(engine, tmp_path):
    path = write(tmp_path / "DGS20.csv", YIELDS)
    report = ingest_file(engine, "yields", path, today=TODAY)
    assert (report.rows, report.written) == (3, 3)
    rows = snapshot(engine, YieldObservation.__table__)
    assert sorted((r.series, r.date, r.value) for r in rows) == [
        ("DGS20", dt.date(2024, 7, 1), 4.60), ("DGS20", dt.date(2024, 7, 2), 4.62), ("DGS20", dt.date(2024, 7, 5), 4.50)]
    assert ingest_file(engine, "yields", path, today=TODAY).written == 0
    assert snapshot(engine, YieldObservation.__table__) == rows


def test_a_bad_yield_file_writes_nothing(engine, tmp_path):
    path = write(tmp_path / "DGS20.csv", YIELDS.replace("2024-07-02,4.62", "2024-07-02,250"))
    with pytest.raises(InputError, match=r"row 3 \(yield must be within \[-2.0, 25.0\] percent\)"):
        ingest_file(engine, "yields", path, today=TODAY)
    assert count(engine, YieldObservation.__table__) == 0
    assert log_rows(engine)[-1].status == "rejected"


def test_options_load_with_units_and_nulls_and_reload_is_a_noop(engine, tmp_path):
    path = write(tmp_path / "TLT_2024-07-01.csv", OPTIONS)
    report = ingest_file(engine, "options", path, today=TODAY)
    assert (report.rows, report.written) == (2, 2)
    rows = snapshot(engine, OptionQuote.__table__)
    with engine.connect() as conn:
        call = conn.execute(select(OptionQuote).where(OptionQuote.option_type == "call")).one()
        put = conn.execute(select(OptionQuote).where(OptionQuote.option_type == "put")).one()
    assert call.underlying == "TLT" and call.quote_time is None and call.gamma is None and call.volume is None
    assert call.implied_vol == pytest.approx(0.15) and put.implied_vol == pytest.approx(0.162)
    assert put.quote_time == "15:45" and put.open_interest == 3400 and put.expiration == dt.date(2024, 8, 16)
    assert ingest_file(engine, "options", path, today=TODAY).written == 0
    assert snapshot(engine, OptionQuote.__table__) == rows


def test_a_bad_option_file_writes_nothing(engine, tmp_path):
    path = write(tmp_path / "TLT.csv", OPTIONS.replace("0.60,0.64", "0.70,0.64"))
    with pytest.raises(InputError, match=r"row 3 \(bid <= ask\)"):
        ingest_file(engine, "options", path, today=TODAY)
    assert count(engine, OptionQuote.__table__) == 0
    assert count(engine, Instrument.__table__) == 0


def test_unknown_kind_is_refused(engine, tmp_path):
    with pytest.raises(InputError, match="unknown kind 'trades'"):
        ingest_file(engine, "trades", write(tmp_path / "x.csv", BARS), today=TODAY)


# --- the universe file's known glitch (HUBB 2021-05-05: open 195.98 below low 196.21) -------------------------

UNIVERSE_FILE = "universe/sp500_current_constituents_daily_2000-2024.csv.gz"


@pytest.fixture(scope="module")
def hubb_slice() -> str:
    """The header and HUBB's rows 2021-04-26 .. 2021-05-14 cut from the 2.7M-row universe file."""
    keep = []
    with gzip.open(real_data(UNIVERSE_FILE), "rt", newline="") as handle:
        header = next(handle)
        for line in handle:
            if line.startswith("2021-0") and ",HUBB," in line and "2021-04-26" <= line[:10] <= "2021-05-14":
                keep.append(line)
            elif keep and ",HUBB," not in line:
                break
    assert len(keep) == 15, keep
    return header + "".join(keep)


def test_the_universe_hubb_glitch_is_caught(engine, tmp_path, hubb_slice):
    path = write(tmp_path / "universe_slice.csv", hubb_slice)
    line = 1 + next(i for i, row in enumerate(hubb_slice.splitlines()) if row.startswith("2021-05-05,HUBB,"))
    with pytest.raises(InputError) as info:
        ingest_file(engine, "bars", path, today=TODAY)
    assert str(info.value) == f"{path}: rejected, 1 bad row(s): row {line} (open within [low, high]); nothing written"
    assert count(engine, DailyBar.__table__) == 0

    report = ingest_file(engine, "bars", path, today=TODAY, quarantine=True)
    assert (report.rows, report.quarantined) == (14, 1)
    with engine.connect() as conn:
        held = conn.execute(select(QuarantinedRow)).one()
        dates = set(conn.scalars(select(DailyBar.date).where(DailyBar.symbol == "HUBB")))
    assert (held.row_number, held.rule) == (line, "open within [low, high]")
    assert dt.date(2021, 5, 5) not in dates and len(dates) == 14


# --- every real file loads without rejection (SQLite, for speed) ---------------------------------------------

REAL_FILES = [("bars", p) for p in sorted((REAL_DATA / "etf").glob("*.csv"))] \
    + [("bars", p) for p in sorted((REAL_DATA / "etf_raw").glob("*.csv")) if "TLT_close" not in p.name] \
    + [("yields", p) for p in sorted((REAL_DATA / "rates").glob("*.csv"))]


def _data_lines(path: Path, kind: str) -> int:
    lines = path.read_text(encoding="utf-8-sig").splitlines()[1:]
    if kind == "yields":  # a blank value is a holiday, not a row
        return sum(1 for row in lines if row.split(",")[1].strip() not in ("", "."))
    return sum(1 for row in lines if row.strip())


def test_the_real_file_set_is_complete():
    assert len(REAL_FILES) == 4 + 4 + 4, REAL_FILES


@pytest.mark.parametrize("kind, path", REAL_FILES, ids=[f"{p.parent.name}/{p.name}" for _, p in REAL_FILES])
def test_real_files_load_without_rejection(sqlite_url, kind, path):
    from infra.db.engine import get_engine

    engine = get_engine(sqlite_url)
    report = ingest_file(engine, kind, path, today=TODAY)
    expected = _data_lines(path, kind)
    assert (report.rows, report.written, report.quarantined, report.status) == (expected, expected, 0, "loaded")
    table = DailyBar.__table__ if kind == "bars" else YieldObservation.__table__
    assert count(engine, table) == expected


def test_the_close_only_tlt_file_is_refused_with_one_clear_line(sqlite_url):
    """etf_raw/TLT_close_2002-2024_kaix11.csv has only Date,Close: it is not a bars file (no OHLCV to store).

    It is refused cleanly rather than loaded with invented open/high/low/volume values.
    """
    from infra.db.engine import get_engine

    path = real_data("etf_raw/TLT_close_2002-2024_kaix11.csv")
    with pytest.raises(InputError) as info:
        ingest_file(get_engine(sqlite_url), "bars", path, today=TODAY)
    assert str(info.value) == f"{path}: line 1: bars file lacks column(s) open, high, low, volume (has date, close)"



# --- a one-day file is checked against the stored history, not only against itself ---------------------------

def one_day(close: float, adj_close: float | None = None, day: str = "2024-07-08") -> str:
    adj = close if adj_close is None else adj_close
    return f"date,open,high,low,close,adj_close,volume\n{day},{close},{close * 1.01},{close * 0.99},{close},{adj},500\n"


def test_a_one_day_file_whose_close_jumps_from_the_stored_one_is_refused(engine, tmp_path):
    ingest_file(engine, "bars", write(tmp_path / "SPY.csv", BARS), today=TODAY)  # last stored close 104.0
    with pytest.raises(InputError, match=r"SPY_day\.csv: rejected, 1 bad row\(s\): row 2 \(close moved more than 4x"):
        ingest_file(engine, "bars", write(tmp_path / "SPY_day.csv", one_day(760.0)), today=TODAY)  # 7.3x: no split ratio
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DailyBar)) == 4


@pytest.mark.parametrize("close, adj_close", [(52.0, 52.0), (20.8, 20.8), (10.0, 103.0)],
                         ids=["2-for-1 split", "5-for-1 split", "distribution (adjusted close steady)"])
def test_a_one_day_move_a_split_or_distribution_explains_loads(engine, tmp_path, close, adj_close):
    ingest_file(engine, "bars", write(tmp_path / "SPY.csv", BARS), today=TODAY)
    report = ingest_file(engine, "bars", write(tmp_path / "SPY_day.csv", one_day(close, adj_close)), today=TODAY)
    assert report.written == 1


def test_only_the_bar_before_the_files_first_day_counts(engine, tmp_path):
    ingest_file(engine, "bars", write(tmp_path / "SPY.csv", BARS), today=TODAY)
    # a correction of old history at 7x the level of today compares with the bar before it (none), not with today's
    report = ingest_file(engine, "bars", write(tmp_path / "SPY_old.csv", one_day(760.0, day="2024-06-28")),
                         today=TODAY)
    assert report.written == 1
    # another symbol's history is not this symbol's
    assert ingest_file(engine, "bars", write(tmp_path / "QQQ.csv", one_day(760.0)), today=TODAY).written == 1


# ---- issue 15: the same refusal on SQLite and PostgreSQL (PostgreSQL used to crash, SQLite to store it)


@pytest.mark.parametrize("text", ["inf", "Infinity", "1e309", "-inf"])
def test_an_infinite_price_is_refused_logged_and_writes_nothing(engine, tmp_path, text):
    path = write(tmp_path / "SPY.csv", BARS.replace("103.0,100.0,102.0", f"{text},100.0,102.0"))
    with pytest.raises(InputError, match=r"row 3 \(.*high: must be a finite number \(not inf\)"):
        ingest_file(engine, "bars", path, today=TODAY)
    assert count(engine, DailyBar.__table__) == 0
    assert log_rows(engine)[-1].status == "rejected"


def test_a_file_name_too_long_for_the_source_column_is_refused(engine, tmp_path):
    path = write(tmp_path / f"SPY_{'x' * 52}.csv", BARS)  # 60 characters: 'file:' + 60 > 64
    with pytest.raises(InputError, match="file name is 60 characters; at most 59"):
        ingest_file(engine, "bars", path, today=TODAY)
    assert count(engine, DailyBar.__table__) == 0
    [entry] = log_rows(engine)
    assert entry.status == "rejected" and "at most 59" in entry.error
    ok = write(tmp_path / f"SPY_{'x' * 51}.csv", BARS)  # 59: fits
    assert ingest_file(engine, "bars", ok, today=TODAY).rows == 4


def test_a_symbol_longer_than_its_column_is_a_bad_row_on_both_databases(engine, tmp_path):
    path = write(tmp_path / "bars.csv", "symbol,date,open,high,low,close,volume\n"
                                        f"SPY,2024-07-01,1,2,0.5,1.5,10\n{'X' * 33},2024-07-01,1,2,0.5,1.5,10\n")
    with pytest.raises(InputError, match=r"row 3 \(symbol: longer than 32 characters"):
        ingest_file(engine, "bars", path, today=TODAY)
    assert count(engine, DailyBar.__table__) == 0 and count(engine, Instrument.__table__) == 0
    with pytest.raises(InputError, match="symbol: longer than 32 characters"):
        ingest_file(engine, "bars", write(tmp_path / "SPY.csv", BARS), today=TODAY, symbol="Y" * 33)


def test_a_file_with_both_symbol_and_ticker_columns_is_refused_and_logged(engine, tmp_path):
    path = write(tmp_path / "both.csv", "symbol,ticker,date,open,high,low,close,volume\n"
                                        "SPY,QQQ,2024-07-01,1,2,0.5,1.5,10\n")
    with pytest.raises(InputError, match="line 1: columns symbol and ticker both give the symbol; keep one"):
        ingest_file(engine, "bars", path, today=TODAY)
    [entry] = log_rows(engine)
    assert entry.status == "rejected" and "symbol and ticker" in entry.error
    assert count(engine, DailyBar.__table__) == 0


def test_a_thousands_separator_in_an_optional_column_is_refused_not_stored_as_null(engine, tmp_path):
    ingest_file(engine, "options", write(tmp_path / "TLT.csv", OPTIONS), today=TODAY)
    before = snapshot(engine, OptionQuote.__table__)
    changed = write(tmp_path / "TLT_again.csv", OPTIONS.replace(",120,3400", ',"1,200",3400'))
    with pytest.raises(InputError, match=r"row 2 \(volume: not a number \('1,200'\)\)"):
        ingest_file(engine, "options", changed, today=TODAY)
    assert snapshot(engine, OptionQuote.__table__) == before  # the stored volume 120 is not overwritten by NULL
    report = ingest_file(engine, "options", changed, today=TODAY, quarantine=True)
    assert (report.rows, report.quarantined) == (1, 1)
