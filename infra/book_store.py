"""Repository of the paper books: load a strategy's stored book, store one step (book day, positions,
orders, fills, events) in one transaction, list orders, record an operator's actual fill.

Re-storing a day replaces that day's rows, except that an order keeps the actual fill an operator
recorded on it (re-running a day must not lose what the desk reported).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from domain.book import FLAG_NAMES, Book, Event, Fill, Order, Rules, active_filters, rearm
from domain.errors import InputError
from infra.db.models.books import BookDayRow, BookEventRow, BookFillRow, BookOrderRow, BookPositionRow, BookRearmRow


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and not np.isfinite(value)) else float(value)


def load_book(engine: Engine, strategy: str, before: dt.date) -> Book | None:
    """The strategy's book after the last close stored before ``before`` (None if it has none yet)."""
    with Session(engine) as s:
        day = s.scalars(select(BookDayRow).where(BookDayRow.strategy == strategy, BookDayRow.as_of < before)
                        .order_by(BookDayRow.as_of.desc()).limit(1)).first()
        if day is None:
            return None
        rows = s.scalars(select(BookPositionRow).where(BookPositionRow.strategy == strategy,
                                                       BookPositionRow.as_of == day.as_of)
                         .order_by(BookPositionRow.instrument)).all()
    positions = pd.DataFrame(
        {"held": [r.held for r in rows], "pending": [r.pending for r in rows],
         "entry_price": [np.nan if r.entry_price is None else r.entry_price for r in rows],
         "entry_date": pd.to_datetime(pd.Series([r.entry_date for r in rows], dtype="object")).to_numpy(
             dtype="datetime64[ns]"),
         "sessions_held": np.array([r.sessions_held for r in rows], dtype=np.int64),
         "last_close": [np.nan if r.last_close is None else r.last_close for r in rows]},
        index=pd.Index([r.instrument for r in rows], name="instrument"),
    )
    book = Book(capital=day.capital, as_of=pd.Timestamp(day.as_of), positions=positions, equity=day.equity,
                peak=day.peak, pending_cost=day.pending_cost, stopped_sessions=day.stopped_sessions,
                level=day.level, gross_return=day.gross_return, cost=day.cost,
                session_drawdown=day.drawdown, memory=day.memory or {},
                flags=sum(bit for bit, name in FLAG_NAMES.items() if name in (day.filters or ())))
    return _rearmed(engine, strategy, book)


def _rearmed(engine: Engine, strategy: str, book: Book) -> Book:
    """The book with the operator's re-arm after its day applied, if one was recorded."""
    with Session(engine) as s:
        row = s.scalars(select(BookRearmRow).where(BookRearmRow.strategy == strategy,
                                                   BookRearmRow.after_day == book.as_of.date())
                        .order_by(BookRearmRow.at.desc()).limit(1)).first()
    return book if row is None else rearm(book, book.as_of, row.reason)[0]


def record_rearm(engine: Engine, strategy: str, reason: str, at: dt.datetime | None = None) -> dict:
    """The operator re-arms ``strategy``'s book after its drawdown stop (``rearm: operator``): stored with
    the time and the reason; the next step trades again from the current equity as the new peak."""
    if not str(reason).strip():
        raise InputError("strategy rearm: --reason is required (why trading may resume)")
    book = load_book(engine, strategy, dt.date.max)
    if book is None:
        raise InputError(f"strategy rearm: {strategy} has no stored book")
    if book.stopped_sessions == 0:
        raise InputError(f"strategy rearm: {strategy}'s book is not under its drawdown stop (drawdown "
                         f"{book.drawdown:.2%} at {book.as_of.date()}): nothing to re-arm")
    at = at or dt.datetime.now(dt.timezone.utc)
    with Session(engine) as s, s.begin():
        s.add(BookRearmRow(strategy=strategy, after_day=book.as_of.date(), at=at, reason=str(reason).strip(),
                           drawdown=float(book.drawdown), equity=float(book.equity)))
    return {"strategy": strategy, "after_day": book.as_of.date(), "at": at, "reason": str(reason).strip(),
            "drawdown": book.drawdown, "stopped_sessions": book.stopped_sessions}


def rearms(engine: Engine, strategy: str) -> pd.DataFrame:
    with Session(engine) as s:
        rows = s.scalars(select(BookRearmRow).where(BookRearmRow.strategy == strategy)
                         .order_by(BookRearmRow.at)).all()
    cols = ["after_day", "at", "reason", "drawdown", "equity"]
    return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)


def _rules_json(rules: Rules) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(rules).items()}


def save_step(engine: Engine, *, strategy: str, stage: str, before: Book, after: Book, fills: Sequence[Fill],
              events: Sequence[Event], orders: Sequence[Order], rules: Rules, fraction: float | None = None) -> None:
    """Store the step of ``strategy`` that turned ``before`` into ``after`` (dated ``after.as_of``), stepped
    at ``stage`` with capital share ``fraction`` (what the fund's NAV counts of the day's P&L)."""
    day = after.as_of.date()
    with Session(engine) as s, s.begin():
        for model, column in ((BookDayRow, BookDayRow.as_of), (BookPositionRow, BookPositionRow.as_of),
                              (BookFillRow, BookFillRow.date), (BookEventRow, BookEventRow.date)):
            s.execute(delete(model).where(model.strategy == strategy, column == day))
        s.add(BookDayRow(strategy=strategy, as_of=day, stage=stage, fraction=fraction, capital=after.capital,
                         equity=after.equity,
                         pnl=after.equity - before.equity, net_return=after.equity / before.equity - 1.0,
                         gross_return=after.gross_return, cost=after.cost, drawdown=after.session_drawdown,
                         peak=after.peak, pending_cost=after.pending_cost,
                         stopped_sessions=after.stopped_sessions, level=after.level,
                         filters=active_filters(after.flags), rules=_rules_json(rules),
                         memory=dict(after.memory) or None))
        for name, p in after.positions.iterrows():
            quantity = p["held"] * after.equity / p["last_close"] if p["last_close"] > 0 else 0.0
            s.add(BookPositionRow(strategy=strategy, as_of=day, instrument=str(name), held=float(p["held"]),
                                  pending=float(p["pending"]), entry_price=_num(p["entry_price"]),
                                  entry_date=None if pd.isna(p["entry_date"]) else pd.Timestamp(p["entry_date"]).date(),
                                  sessions_held=int(p["sessions_held"]), last_close=_num(p["last_close"]),
                                  quantity=float(quantity), market_value=float(p["held"] * after.equity)))
        order_ids = _store_orders(s, strategy, day, orders, rules.fill)
        previous = before.as_of.date() if before.as_of is not None else None
        for f in fills:
            # a fill at the open executes the previous close's order; at the close, today's
            key = (previous if f.timing == "open" else day, f.instrument)
            order_id = order_ids.get(key) if f.timing == "close" else _order_id(s, strategy, *key)
            s.add(BookFillRow(order_id=order_id, strategy=strategy, date=day, instrument=f.instrument,
                              timing=f.timing, weight_change=f.weight_change, price=f.price, quantity=f.quantity,
                              notional=f.notional, cost=f.cost))
            if order_id is not None:
                s.get(BookOrderRow, order_id).status = "filled"
        for e in events:
            s.add(BookEventRow(strategy=strategy, date=day, kind=e.kind, instrument=e.instrument or "",
                               detail={k: (float(v) if isinstance(v, (np.floating, np.integer)) else v)
                                       for k, v in e.detail.items()}))


def _order_id(s: Session, strategy: str, decided_on: dt.date | None, instrument: str) -> int | None:
    if decided_on is None:
        return None
    return s.scalar(select(BookOrderRow.id).where(BookOrderRow.strategy == strategy,
                                                  BookOrderRow.decided_on == decided_on,
                                                  BookOrderRow.instrument == instrument))


def _store_orders(s: Session, strategy: str, day: dt.date, orders: Sequence[Order], timing: str) -> dict:
    existing = {r.instrument: r for r in s.scalars(select(BookOrderRow).where(
        BookOrderRow.strategy == strategy, BookOrderRow.decided_on == day))}
    wanted = {o.instrument: o for o in orders}
    for name, row in existing.items():
        if name not in wanted and row.actual_price is None:
            s.delete(row)
    ids = {}
    for name, o in wanted.items():
        row = existing.get(name) or BookOrderRow(strategy=strategy, decided_on=day, instrument=name)
        row.timing, row.weight_change, row.reference_price = timing, o.weight_change, o.reference_price
        row.notional, row.quantity, row.status = o.notional, o.quantity, "open"
        s.add(row)
        s.flush()
        ids[(day, name)] = row.id
    return ids


def save_orders(engine: Engine, *, strategy: str, day: dt.date, orders: Sequence[Order], timing: str) -> dict:
    """Only the orders decided at ``day``'s close (a strategy whose book is not stepped: option spread
    proposals), replacing that day's earlier ones that have no recorded fill, in one transaction."""
    with Session(engine) as s, s.begin():
        return _store_orders(s, strategy, day, orders, timing)


def orders_on(engine: Engine, decided_on: dt.date, strategy: str | None = None) -> pd.DataFrame:
    """Orders decided at the close of ``decided_on`` (for the next session), by strategy and instrument."""
    stmt = select(BookOrderRow).where(BookOrderRow.decided_on == decided_on)
    if strategy is not None:
        stmt = stmt.where(BookOrderRow.strategy == strategy)
    with Session(engine) as s:
        rows = s.scalars(stmt.order_by(BookOrderRow.strategy, BookOrderRow.instrument)).all()
    cols = ["id", "strategy", "instrument", "side", "quantity", "reference_price", "notional", "weight_change",
            "timing", "status", "actual_price", "actual_quantity"]
    return pd.DataFrame([{"id": r.id, "strategy": r.strategy, "instrument": r.instrument,
                          "side": "buy" if r.weight_change > 0 else "sell", "quantity": r.quantity,
                          "reference_price": r.reference_price, "notional": r.notional,
                          "weight_change": r.weight_change, "timing": r.timing, "status": r.status,
                          "actual_price": r.actual_price, "actual_quantity": r.actual_quantity} for r in rows],
                        columns=cols)


def _checked_actual_fill(price: float, quantity: float | None) -> None:
    if not (price > 0 and math.isfinite(price)):
        raise InputError(f"orders fill: --price must be > 0 (and finite), got {price}")
    if quantity is not None and not math.isfinite(quantity):
        raise InputError(f"orders fill: --quantity must be a finite number, got {quantity}")


def apply_actual_fill(row: BookOrderRow, price: float, quantity: float | None = None, note: str | None = None,
                      at: dt.datetime | None = None) -> BookOrderRow:
    """Write the desk's fill onto an order row inside the caller's transaction (checked first)."""
    _checked_actual_fill(price, quantity)
    if quantity is not None and (quantity == 0 or np.sign(quantity) != np.sign(row.quantity)):
        raise InputError(f"orders fill: --quantity must have the order's sign ({row.quantity:+.4f}), got {quantity}")
    row.actual_price = float(price)
    row.actual_quantity = float(quantity) if quantity is not None else row.quantity
    row.actual_note = note
    row.actual_recorded_at = at or dt.datetime.now(dt.timezone.utc)
    return row


def record_actual_fill(engine: Engine, order_id: int, price: float, quantity: float | None = None,
                       note: str | None = None, at: dt.datetime | None = None) -> BookOrderRow:
    """The desk's actual execution of an order (when it differs from paper). The paper book is not
    changed: it stays the strategy's record; the difference is reported as slippage."""
    _checked_actual_fill(price, quantity)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        row = s.get(BookOrderRow, order_id)
        if row is None:
            raise InputError(f"orders fill: no order with id {order_id}")
        return apply_actual_fill(row, price, quantity, note, at)


def book_days(engine: Engine, strategy: str, limit: int | None = None) -> pd.DataFrame:
    """Daily NAV and P&L of a strategy's book, oldest first."""
    stmt = select(BookDayRow).where(BookDayRow.strategy == strategy).order_by(BookDayRow.as_of.desc())
    if limit:
        stmt = stmt.limit(limit)
    with Session(engine) as s:
        rows = s.scalars(stmt).all()
    cols = ["as_of", "stage", "fraction", "equity", "pnl", "net_return", "cost", "drawdown", "level",
            "stopped_sessions", "filters"]
    frame = pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)
    return frame.iloc[::-1].reset_index(drop=True)


def book_positions(engine: Engine, strategy: str, as_of: dt.date) -> pd.DataFrame:
    with Session(engine) as s:
        rows = s.scalars(select(BookPositionRow).where(BookPositionRow.strategy == strategy,
                                                       BookPositionRow.as_of == as_of)
                         .order_by(BookPositionRow.instrument)).all()
    cols = ["instrument", "held", "pending", "quantity", "market_value", "entry_price", "entry_date",
            "sessions_held", "last_close"]
    return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)


def book_fills(engine: Engine, strategy: str, start: dt.date | None = None) -> pd.DataFrame:
    stmt = select(BookFillRow).where(BookFillRow.strategy == strategy)
    if start is not None:
        stmt = stmt.where(BookFillRow.date >= start)
    with Session(engine) as s:
        rows = s.scalars(stmt.order_by(BookFillRow.date, BookFillRow.timing.desc(), BookFillRow.instrument)).all()
    cols = ["date", "instrument", "timing", "weight_change", "price", "quantity", "notional", "cost", "order_id"]
    return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)


def fills_with_actuals(engine: Engine, strategy: str, start: dt.date | None = None) -> pd.DataFrame:
    """The book's paper fills with their order's actual execution where the desk recorded one (NaN/NaT where
    not): columns of ``domain.risk.costs.FILL_COLUMNS`` (``known``: the date the actual was recorded)."""
    stmt = (select(BookFillRow.date, BookFillRow.weight_change, BookFillRow.price, BookFillRow.notional,
                   BookFillRow.cost, BookOrderRow.actual_price, BookOrderRow.actual_quantity,
                   BookOrderRow.actual_recorded_at)
            .outerjoin(BookOrderRow, BookOrderRow.id == BookFillRow.order_id)
            .where(BookFillRow.strategy == strategy).order_by(BookFillRow.date, BookFillRow.id))
    if start is not None:
        stmt = stmt.where(BookFillRow.date >= start)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return pd.DataFrame({
        "date": pd.to_datetime([r.date for r in rows]),
        "side": [1.0 if r.weight_change > 0 else -1.0 for r in rows],
        "price": [r.price for r in rows], "notional": [r.notional for r in rows], "cost": [r.cost for r in rows],
        "actual_price": [r.actual_price if r.actual_price is not None else np.nan for r in rows],
        "actual_quantity": [r.actual_quantity if r.actual_quantity is not None else np.nan for r in rows],
        "known": pd.to_datetime([pd.Timestamp(r.actual_recorded_at).date() if r.actual_recorded_at else None
                                 for r in rows]),
    })


def book_events(engine: Engine, strategy: str) -> pd.DataFrame:
    with Session(engine) as s:
        rows = s.scalars(select(BookEventRow).where(BookEventRow.strategy == strategy)
                         .order_by(BookEventRow.date, BookEventRow.id)).all()
    return pd.DataFrame([{"date": r.date, "kind": r.kind, "instrument": r.instrument, "detail": r.detail}
                         for r in rows], columns=["date", "kind", "instrument", "detail"])


def last_book_day(engine: Engine) -> dt.date | None:
    """The last close any strategy's book was stepped at."""
    from sqlalchemy import func

    with Session(engine) as s:
        return s.scalar(select(func.max(BookDayRow.as_of)))


def fund_view(engine: Engine, as_of: dt.date | None = None) -> pd.DataFrame:
    """Every strategy's latest book on or before ``as_of``: equity, P&L of its last day, its stage
    (``infra.stage_store.effective_stage``: on that day, or with no ``as_of`` now, i.e. from its next step;
    ``stepped_at`` is the stage its last day was stepped at) and whether it counts in the fund's NAV."""
    from sqlalchemy import func

    from infra.stage_store import effective_stage, stored_stage
    from infra.strategy_registry import load_registry

    last = select(BookDayRow.strategy, func.max(BookDayRow.as_of).label("as_of")).group_by(BookDayRow.strategy)
    if as_of is not None:
        last = last.where(BookDayRow.as_of <= as_of)
    last = last.subquery()
    stmt = select(BookDayRow).join(last, (BookDayRow.strategy == last.c.strategy) & (BookDayRow.as_of == last.c.as_of))
    with Session(engine) as s:
        rows = s.scalars(stmt.order_by(BookDayRow.strategy)).all()
    starts = {e.name: e.start_stage for e in load_registry()}
    out = []
    for r in rows:
        stepped = stored_stage(r)
        stage = effective_stage(engine, r.strategy, starts.get(r.strategy, stepped), as_of and r.as_of)
        out.append({"strategy": r.strategy, "as_of": r.as_of, "stage": stage.label, "stepped_at": stepped.label,
                    "share": stage.share, "capital": r.capital, "equity": r.equity, "pnl": r.pnl,
                    "drawdown": r.drawdown, "in_fund_nav": stage.share > 0})
    cols = ["strategy", "as_of", "stage", "stepped_at", "share", "capital", "equity", "pnl", "drawdown", "in_fund_nav"]
    return pd.DataFrame(out, columns=cols)


def counted_book_pnl(engine: Engine, on: dt.date, fractions: Mapping[str, float]) -> float:
    """The books' P&L the fund counts up to ``on``: each book day's P&L times the capital share it was
    stepped at (0 on paper, its fraction, 1 live), so a promotion counts only the sessions after it.
    ``fractions``: the share of a day stored at stage fraction before the share was stored (migration 0009)."""
    stmt = select(BookDayRow.strategy, BookDayRow.stage, BookDayRow.fraction, BookDayRow.pnl).where(
        BookDayRow.as_of <= on, BookDayRow.stage != "paper")
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    share = {"live": lambda r: 1.0, "fraction": lambda r: float(
        r.fraction if r.fraction is not None else fractions.get(r.strategy, 1.0))}
    return float(sum(r.pnl * share[r.stage](r) for r in rows))
