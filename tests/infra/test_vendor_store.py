"""Live batches in the database: raw bars + actions with a derived adjusted close, vendor revisions recorded,
idempotent upserts; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from infra.db.models.market import DailyBar, MarketRevision
from infra.market_store import bars_before, load_adjusted_bars, load_bars
from infra.providers.base import bars_frame, yields_frame
from infra.vendor_store import store_fetched, with_adjusted_close
from tests.conftest import real_data
from tests.infra.vendor_data import fred_values, raw_bars


def tlt_batch(start: str, end: str, edit=None) -> pd.DataFrame:
    rows = raw_bars("TLT", start, end)
    if edit:
        edit(rows)
    return bars_frame("TLT", {c: rows[c] for c in rows.columns})


def store(engine, frame: pd.DataFrame, kind: str = "bars", source: str = "tiingo") -> tuple[int, int]:
    if kind == "bars":
        frame = with_adjusted_close(frame, bars_before(engine, frame))
    with engine.begin() as conn:
        return store_fetched(conn, kind, frame, source)


def test_adjusted_close_is_derived_from_raw_closes_and_distributions(engine):
    store(engine, tlt_batch("2024-05-20", "2024-06-14"))
    store(engine, tlt_batch("2024-06-17", "2024-07-12"))  # a second day's batch continues the index
    bars = load_bars(engine, ["TLT"]).set_index("date")
    assert bars.loc["2024-07-01", "close"] == pytest.approx(89.910004)  # raw: option strikes use it
    assert bars.loc["2024-07-01", "dividend"] == pytest.approx(0.290994, abs=1e-6)
    assert bars.loc["2024-05-20", "adj_close"] == bars.loc["2024-05-20", "close"]  # the index starts at the raw close
    ours = load_adjusted_bars(engine, "TLT", dt.date(2024, 7, 12))["close"].pct_change().dropna()
    etf = pd.read_csv(real_data("etf/TLT.csv"), parse_dates=["Date"]).set_index("Date")["Close"].pct_change()
    gap = (ours - etf.reindex(ours.index)).abs()
    assert gap.max() < 1e-4  # within 1 bp of the total-return series every day, ex-dates 06-03 and 07-01 included


def revisions(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(MarketRevision.__table__).order_by(MarketRevision.id)).all()


def test_a_revised_close_is_recorded_and_the_past_stays_put(engine):
    store(engine, tlt_batch("2024-06-17", "2024-07-03"))
    before = load_bars(engine, ["TLT"]).set_index("date")["adj_close"]

    def revise(rows):
        rows.loc[rows["date"] == "2024-06-26", "close"] = 93.0

    assert store(engine, tlt_batch("2024-06-24", "2024-07-03", revise)) == (1, 1)  # one row rewritten
    [row] = revisions(engine)
    assert (row.kind, row.key, row.field, row.source) == ("bars", "TLT 2024-06-26", "close", "tiingo")
    assert row.old_value == pytest.approx(raw_bars("TLT", "2024-06-26", "2024-06-26")["close"].iat[0])
    assert row.new_value == 93.0 and row.recorded_at is not None
    after = load_bars(engine, ["TLT"]).set_index("date")["adj_close"]
    assert (after[:"2024-06-25"] == before[:"2024-06-25"]).all()
    assert after["2024-06-26"] != before["2024-06-26"]


def test_a_late_reported_distribution_moves_the_index_from_its_ex_date_on(engine):
    def unpaid(rows):
        rows.loc[rows["date"] == "2024-07-01", "dividend"] = 0.0

    store(engine, tlt_batch("2024-06-17", "2024-07-12", unpaid))
    before = load_bars(engine, ["TLT"]).set_index("date")["adj_close"]
    written, revised = store(engine, tlt_batch("2024-06-24", "2024-07-03"))  # the vendor now reports it
    assert revised == 1 and revisions(engine)[0].field == "dividend"
    after = load_bars(engine, ["TLT"]).set_index("date")["adj_close"]
    assert (after[:"2024-06-28"] == before[:"2024-06-28"]).all()
    # every row from the ex-date on, including those after the re-sent window (07-05 .. 07-12), rises by D/P
    ratio = (after["2024-07-01":] / before["2024-07-01":]).to_numpy()
    assert ratio == pytest.approx(91.779999 / (91.779999 - 0.290994), rel=1e-9)
    assert len(ratio) == 9


def test_the_same_batch_twice_writes_and_records_nothing(engine):
    assert store(engine, tlt_batch("2024-06-24", "2024-07-03"))[0] == 8
    assert store(engine, tlt_batch("2024-06-24", "2024-07-03")) == (0, 0)
    yields = yields_frame("DGS10", *fred_values("DGS10", "2024-07-01", "2024-07-10").T.values)
    assert store(engine, yields, "yields", "fred") == (7, 0)
    revised = yields.assign(value=yields["value"].where(yields["date"] != "2024-07-02", 4.50))
    assert store(engine, revised, "yields", "fred") == (1, 1)
    [row] = revisions(engine)
    assert (row.key, row.field, row.old_value, row.new_value) == ("DGS10 2024-07-02", "value", 4.43, 4.50)


def test_file_bars_keep_their_own_adjusted_close(engine):
    """Bars loaded from a file (no actions known) are never re-derived by a later live batch."""
    from infra.market_store import store_bars

    file_rows = tlt_batch("2024-06-17", "2024-06-21").drop(columns=["dividend", "split_ratio"])
    file_rows["adj_close"] = file_rows["close"] * 0.5
    with engine.begin() as conn:
        store_bars(conn, file_rows, "sample")
    store(engine, tlt_batch("2024-06-24", "2024-06-28"))
    with engine.connect() as conn:
        stored = dict(conn.execute(select(DailyBar.date, DailyBar.adj_close)).all())
    assert stored[dt.date(2024, 6, 21)] == pytest.approx(file_rows["close"].iat[-1] * 0.5)
    # the live rows continue the file's index from its last row
    assert stored[dt.date(2024, 6, 24)] / stored[dt.date(2024, 6, 21)] == pytest.approx(
        raw_bars("TLT", "2024-06-24", "2024-06-24")["close"].iat[0] / file_rows["close"].iat[-1])
