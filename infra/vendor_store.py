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
# relative: an adjusted close recomputed from another anchor differs in its last bits only; keep the stored one
ADJ_SAME = 1e-10


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
    fields = [f for f in REVISED_FIELDS[kind] if f in frame.columns] + (["adj_close"] if kind == "bars" else [])
    stmt = select(table.c[name_key], table.c[date_key], *[table.c[f] for f in fields]).where(
        table.c[name_key].in_([str(s) for s in frame[name_key].unique()]),
        table.c[date_key] >= frame[date_key].min().date(), table.c[date_key] <= frame[date_key].max().date())
    stored = pd.DataFrame(conn.execute(stmt).all(), columns=[name_key, date_key, *fields])
    stored[date_key] = pd.to_datetime(stored[date_key])
    stored[name_key] = stored[name_key].astype(str)
    return stored


def _revisions(kind: str, incoming: pd.DataFrame, stored: pd.DataFrame, source: str) -> list[dict]:
    name_key, date_key = KEYS[kind]
    both = incoming.merge(stored, on=[name_key, date_key], suffixes=("", "_stored"))
    rows = []
    for field in (f for f in REVISED_FIELDS[kind] if f in incoming.columns):
        new, old = both[field].to_numpy(dtype=float), both[f"{field}_stored"].to_numpy(dtype=float)
        changed = ~np.isnan(old) & ~np.isnan(new) & ~np.isclose(new, old, rtol=SAME, atol=0.0)
        for i in np.flatnonzero(changed):
            rows.append({"kind": kind, "key": f"{both[name_key].iat[i]} {both[date_key].iat[i].date()}",
                         "field": field, "old_value": float(old[i]), "new_value": float(new[i]), "source": source})
    return rows


def _keep_stored_adjusted(incoming: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """The stored adjusted close wherever the recomputed one differs from it by float noise only, so that a
    re-sent window rewrites nothing (the index is continued from a different anchor each day)."""
    if "adj_close" not in incoming.columns or stored.empty:
        return incoming
    keyed = stored.set_index(["symbol", "date"])["adj_close"]
    old = keyed.reindex(pd.MultiIndex.from_arrays([incoming["symbol"].astype(str), incoming["date"]])).to_numpy(float)
    new = incoming["adj_close"].to_numpy(dtype=float)
    same = ~np.isnan(old) & np.isclose(new, old, rtol=ADJ_SAME, atol=0.0)
    return incoming.assign(adj_close=np.where(same, old, new))


def record_revisions(conn: Connection, kind: str, frame: pd.DataFrame, source: str) -> int:
    """Insert a `market_revisions` row for every stored value `frame` changes; returns how many."""
    return _record(conn, kind, frame, source)[0]


def _record(conn: Connection, kind: str, frame: pd.DataFrame, source: str) -> tuple[int, pd.DataFrame]:
    """Record revisions; returns (how many, `frame` with stored adjusted closes kept where unchanged)."""
    if kind not in REVISED_FIELDS or frame.empty:
        return 0, frame
    name_key, _ = KEYS[kind]
    incoming = frame.assign(**{name_key: frame[name_key].astype(str)})
    stored = _stored(conn, kind, incoming)
    if stored.empty:
        return 0, frame
    rows = _revisions(kind, incoming, stored, source)
    if rows:
        conn.execute(insert(MarketRevision), rows)
    return len(rows), _keep_stored_adjusted(frame, stored) if kind == "bars" else frame


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
        moved = ~np.isclose(derived, rows["adj_close"].to_numpy(dtype=float), rtol=ADJ_SAME, atol=0.0)
        changed += [{"s": symbol, "d": d, "a": float(a)}
                    for d, a in zip(rows["date"].to_numpy()[moved], derived[moved])]
    if changed:
        conn.execute(update(bars).where(and_(bars.c.symbol == bindparam("s"), bars.c.date == bindparam("d")))
                     .values(adj_close=bindparam("a")).execution_options(synchronize_session=False), changed)
    return len(changed)


def store_fetched(conn: Connection, kind: str, frame: pd.DataFrame, source: str) -> tuple[int, int]:
    """Record revisions, upsert, and (raw bars) re-derive adjusted closes: (rows written, revisions)."""
    revisions, frame = _record(conn, kind, frame, source)
    written = max(STORES[kind](conn, frame, source), 0)
    if kind == "bars" and "dividend" in frame.columns and not frame.empty:
        firsts = frame.groupby(frame["symbol"].astype(str))["date"].min()
        refresh_adjusted(conn, {s: d.date() for s, d in firsts.items()})
    return written, revisions
