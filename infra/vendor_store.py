"""Storing what live providers fetched: past values a vendor changed are recorded, and raw bars get their
adjusted close derived point in time from raw closes, dividends and splits (never the vendor's own).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, bindparam, insert, select, update

from domain.corporate_actions import adjusted_closes
from infra.db.models.market import DailyBar, MarketRevision, YieldObservation
from infra.market_store import STORES

REVISED_FIELDS = {
    "bars": ("open", "high", "low", "close", "volume", "dividend", "split_ratio"),
    "yields": ("value",),
}
KEYS = {"bars": ("symbol", "date"), "yields": ("series", "date")}
TABLES = {"bars": DailyBar.__table__, "yields": YieldObservation.__table__}
SAME = 1e-9  # relative: a re-sent value that differs by float noise is not a revision


def with_adjusted_close(bars: pd.DataFrame, prior: pd.DataFrame | None) -> pd.DataFrame:
    """Raw bars (with dividend and split_ratio) plus `adj_close`, continuing each symbol's stored index.

    `prior`: the stored bar before each symbol's first row (market_store.bars_before), or None.
    """
    out = bars.sort_values(["symbol", "date"]).copy()
    anchors = {} if prior is None else {
        str(r.symbol): (float(r.close), float(r.adj_close)) for r in prior.itertuples(index=False)
    }
    adjusted = np.empty(len(out))
    position = 0
    for symbol, rows in out.groupby("symbol", observed=True, sort=False):
        anchor_close, anchor_adjusted = anchors.get(str(symbol), (None, None))
        adjusted[position:position + len(rows)] = adjusted_closes(
            rows["close"].to_numpy(), rows["dividend"].to_numpy(), rows["split_ratio"].to_numpy(),
            anchor_close, anchor_adjusted)
        position += len(rows)
    result = bars.copy()
    result.loc[out.index, "adj_close"] = adjusted  # providers number their rows uniquely
    return result


def _stored(conn: Connection, kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    table = TABLES[kind]
    name_key, date_key = KEYS[kind]
    fields = [f for f in REVISED_FIELDS[kind] if f in frame.columns]
    stmt = select(table.c[name_key], table.c[date_key], *[table.c[f] for f in fields]).where(
        table.c[name_key].in_([str(s) for s in frame[name_key].unique()]),
        table.c[date_key] >= frame[date_key].min().date(), table.c[date_key] <= frame[date_key].max().date())
    stored = pd.DataFrame(conn.execute(stmt).all(), columns=[name_key, date_key, *fields])
    stored[date_key] = pd.to_datetime(stored[date_key])
    stored[name_key] = stored[name_key].astype(str)
    return stored


def record_revisions(conn: Connection, kind: str, frame: pd.DataFrame, source: str) -> int:
    """Insert a `market_revisions` row for every stored value `frame` changes; returns how many."""
    if kind not in REVISED_FIELDS or frame.empty:
        return 0
    name_key, date_key = KEYS[kind]
    incoming = frame.assign(**{name_key: frame[name_key].astype(str)})
    stored = _stored(conn, kind, incoming)
    if stored.empty:
        return 0
    both = incoming.merge(stored, on=[name_key, date_key], suffixes=("", "_stored"))
    rows = []
    for field in (f for f in REVISED_FIELDS[kind] if f in incoming.columns):
        new, old = both[field].to_numpy(dtype=float), both[f"{field}_stored"].to_numpy(dtype=float)
        changed = ~np.isnan(old) & ~np.isnan(new) & ~np.isclose(new, old, rtol=SAME, atol=0.0)
        for i in np.flatnonzero(changed):
            rows.append({"kind": kind, "key": f"{both[name_key].iat[i]} {both[date_key].iat[i].date()}",
                         "field": field, "old_value": float(old[i]), "new_value": float(new[i]), "source": source})
    if rows:
        conn.execute(insert(MarketRevision), rows)
    return len(rows)


def refresh_adjusted(conn: Connection, firsts: dict[str, dt.date]) -> int:
    """Re-derive the adjusted closes of each symbol's rows from its first re-sent date on.

    Only the run of rows with known actions (dividend not NULL) is derived; a file's rows keep their own.
    A revised past close or a late-reported dividend thus moves the index from that day forward only.
    Returns the number of rows whose adjusted close changed.
    """
    bars = DailyBar.__table__
    changed = []
    for symbol, first in firsts.items():
        anchor = conn.execute(
            select(bars.c.close, bars.c.adj_close).where(bars.c.symbol == symbol, bars.c.date < first)
            .order_by(bars.c.date.desc()).limit(1)).first()
        rows = pd.DataFrame(conn.execute(
            select(bars.c.date, bars.c.close, bars.c.dividend, bars.c.split_ratio, bars.c.adj_close)
            .where(bars.c.symbol == symbol, bars.c.date >= first).order_by(bars.c.date)).all(),
            columns=["date", "close", "dividend", "split_ratio", "adj_close"])
        unknown = np.flatnonzero(rows["dividend"].isna().to_numpy())
        rows = rows.iloc[: unknown[0] if unknown.size else len(rows)]
        if rows.empty:
            continue
        derived = adjusted_closes(rows["close"].to_numpy(), rows["dividend"].to_numpy(),
                                  rows["split_ratio"].to_numpy(), *(anchor if anchor else (None, None)))
        moved = ~np.isclose(derived, rows["adj_close"].to_numpy(dtype=float), rtol=1e-12, atol=0.0)
        changed += [{"s": symbol, "d": d, "a": float(a)}
                    for d, a in zip(rows["date"].to_numpy()[moved], derived[moved])]
    if changed:
        conn.execute(update(bars).where(and_(bars.c.symbol == bindparam("s"), bars.c.date == bindparam("d")))
                     .values(adj_close=bindparam("a")).execution_options(synchronize_session=False), changed)
    return len(changed)


def store_fetched(conn: Connection, kind: str, frame: pd.DataFrame, source: str) -> tuple[int, int]:
    """Record revisions, upsert, and (raw bars) re-derive adjusted closes: (rows written, revisions)."""
    revisions = record_revisions(conn, kind, frame, source)
    written = max(STORES[kind](conn, frame, source), 0)
    if kind == "bars" and "dividend" in frame.columns and not frame.empty:
        firsts = frame.groupby(frame["symbol"].astype(str))["date"].min()
        refresh_adjusted(conn, {s: d.date() for s, d in firsts.items()})
    return written, revisions
