"""Per-strategy paper books: the book after each close, its positions, orders, fills and rule events.

Targets -> orders (what the desk must place for the next session) -> fills (paper: at the next open or at
the decision's close, with the cost model; an operator can record the actual fill) -> positions and NAV.
Natural keys: a book day (strategy, as_of); a position (strategy, as_of, instrument); an order (strategy,
decided_on, instrument); a fill (strategy, date, instrument, timing); an event (strategy, date, kind,
instrument; '' when the event is about the whole book).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base


class BookDayRow(Base):
    """A strategy's book after the close of ``as_of``: NAV and P&L of the session, and the stepper's state."""

    __tablename__ = "book_days"
    __table_args__ = (
        UniqueConstraint("strategy", "as_of"),
        CheckConstraint("stage IN ('paper', 'fraction', 'live')", name="stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    stage: Mapped[str] = mapped_column(String(16), default="paper")
    capital: Mapped[float] = mapped_column(Float)
    equity: Mapped[float] = mapped_column(Float)  # the book's NAV
    pnl: Mapped[float] = mapped_column(Float)  # since the previous book day, net of costs
    net_return: Mapped[float] = mapped_column(Float)
    gross_return: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)  # fraction of equity booked today
    drawdown: Mapped[float] = mapped_column(Float)  # vs the throttle's peak, as the throttle saw it that day
    peak: Mapped[float] = mapped_column(Float)
    pending_cost: Mapped[float] = mapped_column(Float)
    stopped_sessions: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    filters: Mapped[list] = mapped_column(JSON)
    rules: Mapped[dict] = mapped_column(JSON)
    memory: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # recent sessions the history rules read
    # the capital share the day was stepped at (its stage's, infra.stage_store); NULL: stepped before 0009
    fraction: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BookPositionRow(Base):
    __tablename__ = "book_positions"
    __table_args__ = (UniqueConstraint("strategy", "as_of", "instrument"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    instrument: Mapped[str] = mapped_column(String(32))
    held: Mapped[float] = mapped_column(Float)  # weight held after the close
    pending: Mapped[float] = mapped_column(Float)  # weight decided at the close (filled next open if so)
    entry_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    entry_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    sessions_held: Mapped[int] = mapped_column(Integer)
    last_close: Mapped[float | None] = mapped_column(Float, nullable=True)
    quantity: Mapped[float] = mapped_column(Float)  # held x equity / last close
    market_value: Mapped[float] = mapped_column(Float)


class BookOrderRow(Base):
    """An order for the next session: the change from the last decision's weight to this one's."""

    __tablename__ = "book_orders"
    __table_args__ = (
        UniqueConstraint("strategy", "decided_on", "instrument"),
        CheckConstraint("status IN ('open', 'filled')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32))
    decided_on: Mapped[dt.date] = mapped_column(Date, index=True)
    instrument: Mapped[str] = mapped_column(String(32))
    timing: Mapped[str] = mapped_column(String(16))  # close | next_open (the rules' fill timing)
    weight_change: Mapped[float] = mapped_column(Float)
    quantity: Mapped[float] = mapped_column(Float)  # estimate at the reference price
    reference_price: Mapped[float] = mapped_column(Float)  # the decision's close
    notional: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(8), default="open")
    actual_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    actual_quantity: Mapped[float | None] = mapped_column(Float, nullable=True)
    actual_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actual_recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BookFillRow(Base):
    """A paper fill, as the stepper executed it."""

    __tablename__ = "book_fills"
    __table_args__ = (UniqueConstraint("strategy", "date", "instrument", "timing"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("book_orders.id"), nullable=True, index=True)
    strategy: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    instrument: Mapped[str] = mapped_column(String(32))
    timing: Mapped[str] = mapped_column(String(8))  # open | close
    weight_change: Mapped[float] = mapped_column(Float)
    price: Mapped[float] = mapped_column(Float)
    quantity: Mapped[float] = mapped_column(Float)
    notional: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)


class BookEventRow(Base):
    __tablename__ = "book_events"
    __table_args__ = (UniqueConstraint("strategy", "date", "kind", "instrument"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    instrument: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[dict] = mapped_column(JSON)


class BookRearmRow(Base):
    """An operator's re-arm of a stopped book (``quantops strategy rearm``): when, why, and the book day
    (close) it follows; loading that day's book applies it."""

    __tablename__ = "book_rearms"
    __table_args__ = (UniqueConstraint("strategy", "after_day", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32))
    after_day: Mapped[dt.date] = mapped_column(Date, index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    drawdown: Mapped[float] = mapped_column(Float)
    equity: Mapped[float] = mapped_column(Float)


class StrategyStageRow(Base):
    """A change of a strategy's stage (``quantops strategy promote`` after its checks, ``demote`` by an
    operator): applies to the book days after ``after_day`` (the last close stored when it was made)."""

    __tablename__ = "strategy_stages"
    __table_args__ = (
        CheckConstraint("stage IN ('paper', 'fraction', 'live')", name="stage"),
        CheckConstraint("action IN ('promote', 'demote')", name="action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    fraction: Mapped[float] = mapped_column(Float)
    previous_stage: Mapped[str] = mapped_column(String(16))
    previous_fraction: Mapped[float] = mapped_column(Float)
    after_day: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    checks: Mapped[dict] = mapped_column(JSON)
    by: Mapped[str] = mapped_column(String(64))
