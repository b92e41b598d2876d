"""Repositories of the portfolio: positions and trades, marks, NAV, alerts and their deliveries.

Works on SQLite and PostgreSQL. Writes take a Session (the caller owns the transaction, one per flow
step and as_of); reads take an Engine. Alert deliveries are the exception: each claim and each outcome
is committed on its own, because "sent" must survive a crash right after the send.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from domain.errors import InputError
from domain.portfolio.marking import Mark
from domain.portfolio.nav import NavPoint
from domain.portfolio.positions import (
    ExitRecord,
    OptionLeg,
    Position,
    SpreadPosition,
    StockPosition,
    realized_pnl,
)
from domain.risk.alerts import Alert
from infra.db.limits import refuse_too_long
from infra.db.models.portfolio import (
    AlertDeliveryRow,
    AlertRow,
    DailyNavRow,
    ExternalNavRow,
    MarkRow,
    OptionLegRow,
    PositionRow,
    TradeRow,
)


def _insert(session_or_conn):
    # Imported on use: the PostgreSQL dialect costs a tenth of a second that `positions list` on SQLite
    # need not pay at start-up.
    name = session_or_conn.bind.dialect.name if isinstance(session_or_conn, Session) else session_or_conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- positions and trades


def _signature(p: Position) -> str:
    if isinstance(p, SpreadPosition):
        return (f"spread|{p.strategy}|{p.underlying}|{p.option_type}|{p.short_leg.strike:g}|{p.long_leg.strike:g}|"
                f"{p.expiration.isoformat()}|{p.opened.isoformat()}|{p.entry_credit:g}|{p.contracts}")
    return f"stock|{p.strategy}|{p.symbol}|{p.opened.isoformat()}|{p.entry_price:g}|{p.quantity:g}"


def _refuse_duplicate(session: Session, signature: str) -> None:
    existing = session.scalar(select(PositionRow.id).where(PositionRow.signature == signature))
    if existing is not None:
        raise InputError(f"an identical position is already recorded as #{existing}")


def add_spread(session: Session, p: SpreadPosition) -> int:
    refuse_too_long(PositionRow, {"strategy": p.strategy, "symbol": p.underlying},
                    {"strategy": "--strategy", "symbol": "--underlying"})
    sig = _signature(p)
    _refuse_duplicate(session, sig)
    row = PositionRow(
        signature=sig, kind="spread", strategy=p.strategy, symbol=p.underlying, option_type=p.option_type,
        expiration=p.expiration, contracts=p.contracts, quantity=float(p.contracts), entry_price=p.entry_credit,
        underlying_at_entry=p.underlying_at_entry, iv=p.iv, delta=p.delta, opened=p.opened, status="open",
    )
    session.add(row)
    session.flush()
    for leg in (p.short_leg, p.long_leg):
        session.add(OptionLegRow(position_id=row.id, option_type=leg.option_type, strike=leg.strike,
                                 expiration=leg.expiration, quantity=leg.quantity, entry_price=leg.entry_price))
    session.add(TradeRow(position_id=row.id, action="open", trade_date=p.opened, quantity=float(p.contracts),
                         price=p.entry_credit))
    session.flush()
    return row.id


def add_stock(session: Session, p: StockPosition) -> int:
    refuse_too_long(PositionRow, {"strategy": p.strategy, "symbol": p.symbol},
                    {"strategy": "--strategy", "symbol": "--symbol"})
    sig = _signature(p)
    _refuse_duplicate(session, sig)
    row = PositionRow(signature=sig, kind="stock", strategy=p.strategy, symbol=p.symbol, quantity=p.quantity,
                      entry_price=p.entry_price, opened=p.opened, status="open")
    session.add(row)
    session.flush()
    session.add(TradeRow(position_id=row.id, action="open", trade_date=p.opened, quantity=p.quantity,
                         price=p.entry_price))
    session.flush()
    return row.id


def close_position(session: Session, position_id: int, price: float, date: dt.date, reason: str | None) -> Position:
    row = session.get(PositionRow, position_id, with_for_update=True)
    if row is None:
        raise InputError(f"no position #{position_id}")
    if row.status == "closed":
        raise InputError(f"position #{position_id} was already closed on {row.exit_date} at {row.exit_price:g}")
    if date < row.opened:
        raise InputError(f"close date {date} is before the position was opened ({row.opened})")
    if not (price >= 0 and math.isfinite(price)):
        raise InputError(f"close price must be >= 0 (and finite), got {price}")
    if row.kind == "spread" and row.expiration is not None and price > _width(session, row.id) + 1e-9:
        raise InputError(f"close price {price:g} exceeds the spread width {_width(session, row.id):g}")
    row.status, row.exit_date, row.exit_price, row.exit_reason = "closed", date, price, reason
    session.add(TradeRow(position_id=row.id, action="close", trade_date=date, quantity=-row.quantity, price=price,
                         note=reason))
    session.flush()
    return _to_domain([row], _legs(session, [row.id]))[0]


def _width(session: Session, position_id: int) -> float:
    strikes = session.scalars(select(OptionLegRow.strike).where(OptionLegRow.position_id == position_id)).all()
    return max(strikes) - min(strikes)


def _legs(session: Session, ids: Sequence[int]) -> dict[int, list[OptionLegRow]]:
    out: dict[int, list[Any]] = {}
    if not ids:
        return out
    for leg in session.scalars(select(OptionLegRow).where(OptionLegRow.position_id.in_(list(ids)))):
        out.setdefault(leg.position_id, []).append(leg)
    return out


def _to_domain(rows: Iterable[PositionRow], legs: dict[int, list[OptionLegRow]]) -> list[Position]:
    out: list[Position] = []
    for r in rows:
        exit_ = (ExitRecord(r.exit_date, r.exit_price, r.exit_reason or "")
                 if r.status == "closed" and r.exit_date is not None else None)
        if r.kind == "spread":
            ls = legs.get(r.id, [])
            short = next(x for x in ls if x.quantity < 0)
            long_ = next(x for x in ls if x.quantity > 0)
            out.append(SpreadPosition(
                id=r.id, strategy=r.strategy, underlying=r.symbol,
                short_leg=OptionLeg(short.option_type, short.strike, short.expiration, short.quantity, short.entry_price),
                long_leg=OptionLeg(long_.option_type, long_.strike, long_.expiration, long_.quantity, long_.entry_price),
                contracts=int(r.contracts or r.quantity), entry_credit=r.entry_price,
                underlying_at_entry=r.underlying_at_entry or 0.0, opened=r.opened, iv=r.iv, delta=r.delta,
                status=r.status, exit=exit_,
            ))
        else:
            out.append(StockPosition(id=r.id, strategy=r.strategy, symbol=r.symbol, quantity=r.quantity,
                                     entry_price=r.entry_price, opened=r.opened, status=r.status, exit=exit_))
    return out


def _load(engine: Engine, *where) -> list[Position]:
    with Session(engine) as session:
        rows = session.scalars(select(PositionRow).where(*where).order_by(PositionRow.id)).all()
        return _to_domain(rows, _legs(session, [r.id for r in rows]))


def list_positions(engine: Engine, status: str | None = None) -> list[Position]:
    return _load(engine, *([PositionRow.status == status] if status else []))


def get_position(engine: Engine, position_id: int) -> Position:
    found = _load(engine, PositionRow.id == position_id)
    if not found:
        raise InputError(f"no position #{position_id}")
    return found[0]


def open_positions_at(engine: Engine, as_of: dt.date) -> list[Position]:
    """Positions open at the close of `as_of`: opened on or before it, not closed on or before it.

    (A position closed later was open then: re-running an old day sees the book as it stood.)
    """
    return _load(engine, PositionRow.opened <= as_of,
                 or_(PositionRow.exit_date.is_(None), PositionRow.exit_date > as_of))


def realized_pnl_through(engine: Engine, as_of: dt.date) -> float:
    """Cumulative realized P&L of every position closed on or before `as_of`."""
    return float(sum(realized_pnl(p) for p in _load(engine, PositionRow.status == "closed",
                                                       PositionRow.exit_date <= as_of)))


def trades_of(engine: Engine, position_id: int) -> list[TradeRow]:
    with Session(engine) as session:
        return list(session.scalars(select(TradeRow).where(TradeRow.position_id == position_id).order_by(TradeRow.id)))


# ---------------------------------------------------------------- marks


def replace_marks(session: Session, as_of: dt.date, marks: Sequence[Mark]) -> int:
    """The marks of `as_of`, exactly: a rerun of the day leaves the same rows."""
    session.execute(delete(MarkRow).where(MarkRow.date == as_of))
    rows = [
        {"position_id": m.position_id, "date": as_of, "source": m.source, "price": m.price,
             "price_conservative": m.price_conservative, "underlying_price": m.underlying_price,
             "unrealized_pnl": m.unrealized_pnl, "unrealized_pnl_conservative": m.unrealized_pnl_conservative,
             "dte": m.dte, "vol_used": m.vol_used}
        for m in marks
    ]
    if rows:
        session.execute(insert(MarkRow), rows)
    return len(rows)


def unrealized_on(engine: Engine, day: dt.date, position_ids: Iterable[int] | None = None) -> float | None:
    """Sum of the unrealized P&L marked on `day` (None if nothing was marked that day)."""
    stmt = select(func.count(MarkRow.id), func.coalesce(func.sum(MarkRow.unrealized_pnl), 0.0)).where(MarkRow.date == day)
    if position_ids is not None:
        stmt = stmt.where(MarkRow.position_id.in_(list(position_ids)))
    with engine.connect() as conn:
        count, total = conn.execute(stmt).one()
    return float(total) if count else None


def latest_marks(engine: Engine, position_ids: Sequence[int]) -> dict[int, MarkRow]:
    """Each position's most recent mark."""
    if not position_ids:
        return {}
    last = (select(MarkRow.position_id, func.max(MarkRow.date).label("d"))
            .where(MarkRow.position_id.in_(list(position_ids))).group_by(MarkRow.position_id).subquery())
    stmt = select(MarkRow).join(last, (MarkRow.position_id == last.c.position_id) & (MarkRow.date == last.c.d))
    with Session(engine) as session:
        return {m.position_id: m for m in session.scalars(stmt)}


def marks_on(engine: Engine, day: dt.date) -> list[MarkRow]:
    with Session(engine) as session:
        return list(session.scalars(select(MarkRow).where(MarkRow.date == day).order_by(MarkRow.position_id)))


# ---------------------------------------------------------------- NAV


def set_external_nav(session: Session, day: dt.date, nav: float) -> None:
    if not (nav > 0 and math.isfinite(nav)):
        raise InputError(f"NAV must be positive (and finite), got {nav}")
    ins = _insert(session)(ExternalNavRow).values(date=day, nav=nav)
    session.execute(ins.on_conflict_do_update(index_elements=["date"], set_={"nav": nav}))


def external_nav_on_or_before(engine: Engine, as_of: dt.date) -> tuple[dt.date, float] | None:
    stmt = (select(ExternalNavRow.date, ExternalNavRow.nav).where(ExternalNavRow.date <= as_of)
            .order_by(ExternalNavRow.date.desc()).limit(1))
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return (row[0], float(row[1])) if row else None


def external_navs(engine: Engine) -> list[tuple[dt.date, float]]:
    with engine.connect() as conn:
        return [(d, float(n)) for d, n in conn.execute(select(ExternalNavRow.date, ExternalNavRow.nav)
                                                       .order_by(ExternalNavRow.date))]


def previous_peak(engine: Engine, as_of: dt.date) -> float | None:
    with engine.connect() as conn:
        value = conn.scalar(select(func.max(DailyNavRow.nav)).where(DailyNavRow.date < as_of))
    return float(value) if value is not None else None


def nav_series(engine: Engine, as_of: dt.date, n: int) -> list[float]:
    """The last `n` stored daily NAVs strictly before `as_of`, oldest first."""
    stmt = select(DailyNavRow.nav).where(DailyNavRow.date < as_of).order_by(DailyNavRow.date.desc()).limit(n)
    with engine.connect() as conn:
        return [float(x) for x in reversed(conn.scalars(stmt).all())]


def save_nav(session: Session, point: NavPoint, open_positions: int, realized_vol: float | None) -> None:
    values = {"date": point.as_of, "nav": point.nav, "peak": point.peak, "drawdown": point.drawdown,
                  "realized_pnl": point.realized_pnl, "unrealized_pnl": point.unrealized_pnl, "base_date": point.base_date,
                  "base_nav": point.base_nav, "open_positions": open_positions, "realized_vol": realized_vol}
    ins = _insert(session)(DailyNavRow).values(**values)
    session.execute(ins.on_conflict_do_update(index_elements=["date"],
                                              set_={k: v for k, v in values.items() if k != "date"}))


def nav_history(engine: Engine, limit: int = 30) -> list[DailyNavRow]:
    with Session(engine) as session:
        rows = session.scalars(select(DailyNavRow).order_by(DailyNavRow.date.desc()).limit(limit)).all()
        return list(reversed(rows))


# ---------------------------------------------------------------- alerts and deliveries


def store_alerts(session: Session, alerts: Sequence[Alert]) -> list[str]:
    """Insert alerts not stored yet (by dedup key); returns the keys that are new."""
    if not alerts:
        return []
    keys = [a.dedup_key for a in alerts]
    existing = set(session.scalars(select(AlertRow.dedup_key).where(AlertRow.dedup_key.in_(keys))))
    rows = [
        {"dedup_key": a.dedup_key, "as_of": a.as_of, "kind": a.kind, "severity": a.severity, "title": a.title,
             "message": a.message, "payload": a.numbers, "position_id": a.position_id, "status": "pending", "attempts": 0}
        for a in alerts if a.dedup_key not in existing
    ]
    # de-duplicate within the batch too, keeping the first
    seen: set[str] = set()
    rows = [r for r in rows if not (r["dedup_key"] in seen or seen.add(r["dedup_key"]))]
    if rows:
        stmt = _insert(session)(AlertRow).on_conflict_do_nothing(index_elements=["dedup_key"])
        session.execute(stmt, rows)
    return [r["dedup_key"] for r in rows]


@dataclass(frozen=True)
class StoredAlert:
    id: int
    dedup_key: str
    as_of: dt.date
    kind: str
    severity: str
    title: str
    message: str
    payload: dict
    status: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime | None
    sent_at: dt.datetime | None


def _stored(r: AlertRow) -> StoredAlert:
    return StoredAlert(r.id, r.dedup_key, r.as_of, r.kind, r.severity, r.title, r.message, r.payload or {},
                       r.status, r.attempts, r.last_error, r.created_at, r.sent_at)


def list_alerts(engine: Engine, as_of: dt.date | None = None, statuses: Sequence[str] | None = None,
                keys: Sequence[str] | None = None) -> list[StoredAlert]:
    stmt = select(AlertRow).order_by(AlertRow.id)
    if as_of is not None:
        stmt = stmt.where(AlertRow.as_of == as_of)
    if statuses is not None:
        stmt = stmt.where(AlertRow.status.in_(list(statuses)))
    if keys is not None:
        stmt = stmt.where(AlertRow.dedup_key.in_(list(keys)))
    with Session(engine) as session:
        return [_stored(r) for r in session.scalars(stmt)]


def find_alerts(engine: Engine, *, start: dt.date | None = None, end: dt.date | None = None,
                severities: Sequence[str] | None = None,
                strategy: str | None = None) -> list[tuple[StoredAlert, str | None]]:
    """Alerts in [start, end] of the given severities, each with its strategy (of its position, or the
    `strategy` its payload names; None for fund-level alerts such as drawdown). `strategy` filters on it."""
    stmt = (select(AlertRow, PositionRow.strategy).outerjoin(PositionRow, AlertRow.position_id == PositionRow.id)
            .order_by(AlertRow.as_of, AlertRow.id))
    if start is not None:
        stmt = stmt.where(AlertRow.as_of >= start)
    if end is not None:
        stmt = stmt.where(AlertRow.as_of <= end)
    if severities:
        stmt = stmt.where(AlertRow.severity.in_(list(severities)))
    with Session(engine) as session:
        found = [(_stored(row), owner or (row.payload or {}).get("strategy")) for row, owner in session.execute(stmt)]
    return [(a, s) for a, s in found if strategy is None or s == strategy]


def deliveries(engine: Engine, alert_ids: Sequence[int] | None = None) -> list[AlertDeliveryRow]:
    stmt = select(AlertDeliveryRow).order_by(AlertDeliveryRow.id)
    if alert_ids is not None:
        stmt = stmt.where(AlertDeliveryRow.alert_id.in_(list(alert_ids)))
    with Session(engine) as session:
        return list(session.scalars(stmt))


# Delivery of one alert to one target, at least once (README, Alerts): a claim is 'sending' under a lease;
# the send ends 'sent' (acknowledged), 'failed' (did not arrive) or 'uncertain' (timed out, may have
# arrived); failed and uncertain are claimed again by a later run and resent under the same idempotency
# key, as is a 'sending' claim whose lease ran out (its run died mid-send). Only 'sent' counts as sent.
RETRYABLE = ("failed", "uncertain")


def claim_delivery(engine: Engine, alert_id: int, target_key: str, target_label: str, max_attempts: int,
                   lease_seconds: float = 300.0) -> bool:
    """Atomically mark (alert, target) as being sent; False if it was sent, gave up, or another run's
    claim is still within its lease."""
    now = _now()
    with engine.begin() as conn:
        ins = _insert(conn)(AlertDeliveryRow).values(
            alert_id=alert_id, target_key=target_key, target=target_label, status="sending", attempts=1,
            updated_at=now,
        ).on_conflict_do_nothing(index_elements=["alert_id", "target_key"]).returning(AlertDeliveryRow.id)
        if conn.execute(ins).scalar() is not None:
            return True
        expired = now - dt.timedelta(seconds=lease_seconds)
        claimed = conn.execute(
            update(AlertDeliveryRow)
            .where(AlertDeliveryRow.alert_id == alert_id, AlertDeliveryRow.target_key == target_key,
                   or_(AlertDeliveryRow.status.in_(RETRYABLE),
                       (AlertDeliveryRow.status == "sending") & (AlertDeliveryRow.updated_at < expired)),
                   AlertDeliveryRow.attempts < max_attempts)
            .values(status="sending", attempts=AlertDeliveryRow.attempts + 1, updated_at=now)
        ).rowcount
        return claimed == 1


def finish_delivery(engine: Engine, alert_id: int, target_key: str, outcome: str | bool, error: str | None,
                    max_attempts: int) -> None:
    """Record a send's outcome: sent | failed | uncertain (True/False mean sent/failed)."""
    if isinstance(outcome, bool):
        outcome = "sent" if outcome else "failed"
    with engine.begin() as conn:
        row = conn.execute(select(AlertDeliveryRow.attempts).where(
            AlertDeliveryRow.alert_id == alert_id, AlertDeliveryRow.target_key == target_key)).one()
        ok = outcome == "sent"
        status = outcome if ok or row.attempts < max_attempts else "gave_up"
        conn.execute(
            update(AlertDeliveryRow)
            .where(AlertDeliveryRow.alert_id == alert_id, AlertDeliveryRow.target_key == target_key)
            .values(status=status, last_error=None if ok else error, updated_at=_now(),
                    sent_at=_now() if ok else None)
        )


def _alert_status(wanted: Sequence[Any]) -> tuple[str, str | None]:
    """An alert's status from its deliveries: sent only when every target acknowledged."""
    if all(r is not None and r.status == "sent" for r in wanted):
        return "sent", None
    open_ = [r for r in wanted if r is None or r.status not in ("sent", "gave_up")]
    if not open_:
        return "gave_up", next((r.last_error for r in wanted if r.status == "gave_up"), None)
    failed = [r for r in open_ if r is not None and r.status == "failed"]
    if failed:
        return "failed", failed[0].last_error
    if any(r is None for r in open_):
        return "pending", None
    uncertain = [r for r in open_ if r.status == "uncertain"]
    if uncertain:
        return "uncertain", uncertain[0].last_error
    return "uncertain", "being sent, or its run died mid-send (retried when the lease ends)"


def settle_alert(engine: Engine, alert_id: int, target_keys: Sequence[str], any_targets: bool = True) -> str:
    """Alert status from its deliveries to the targets that want it: sent when all acknowledged.

    With no target configured at all the run says so once, loudly; each alert is only `no_target`."""
    with engine.begin() as conn:
        rows = conn.execute(select(AlertDeliveryRow.target_key, AlertDeliveryRow.status, AlertDeliveryRow.last_error)
                            .where(AlertDeliveryRow.alert_id == alert_id)).all()
        by_target = {r.target_key: r for r in rows}
        if not target_keys:
            status = "no_target"
            error = "no alert target wants this severity (QUANTOPS_ALERT_URLS)" if any_targets else None
        else:
            status, error = _alert_status([by_target.get(k) for k in target_keys])
        conn.execute(
            update(AlertRow).where(AlertRow.id == alert_id)
            .values(status=status, last_error=error, attempts=AlertRow.attempts + 1,
                    sent_at=_now() if status == "sent" else None)
        )
    return status


def alerts_to_send(engine: Engine, keys: Sequence[str] | None = None) -> list[StoredAlert]:
    """Alerts not acknowledged by every target yet (pending, failed or uncertain somewhere), oldest first."""
    return list_alerts(engine, statuses=("pending", "failed", "uncertain"), keys=keys)

