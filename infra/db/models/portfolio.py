"""Portfolio: positions (spreads with their legs, stocks/ETFs), append-only trades, marks, NAV, alerts.

A position row carries its exit once closed; its trades (open, close) are only ever inserted.
Every table has a natural key: a position its `signature` (what was traded, when, at what price),
a mark (position, date), a NAV (date), an alert its `dedup_key`, a delivery (alert, target).
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


class PositionRow(Base):
    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("signature"),
        CheckConstraint("kind IN ('spread', 'stock')", name="kind"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("entry_price > 0", name="entry_price_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signature: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))
    strategy: Mapped[str] = mapped_column(String(32), index=True)
    symbol: Mapped[str] = mapped_column(String(32))  # the underlying of a spread, or the stock/ETF
    option_type: Mapped[str | None] = mapped_column(String(4), nullable=True)
    expiration: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    contracts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quantity: Mapped[float] = mapped_column(Float)  # spreads: contracts; stocks: signed shares
    entry_price: Mapped[float] = mapped_column(Float)  # spreads: credit per spread per share
    underlying_at_entry: Mapped[float | None] = mapped_column(Float, nullable=True)
    iv: Mapped[float | None] = mapped_column(Float, nullable=True)
    delta: Mapped[float | None] = mapped_column(Float, nullable=True)
    opened: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    exit_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    exit_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    exit_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OptionLegRow(Base):
    __tablename__ = "option_legs"
    __table_args__ = (UniqueConstraint("position_id", "option_type", "strike", "expiration"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    option_type: Mapped[str] = mapped_column(String(4))
    strike: Mapped[float] = mapped_column(Float)
    expiration: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)  # per spread: -1 short, +1 long
    entry_price: Mapped[float | None] = mapped_column(Float, nullable=True)


class TradeRow(Base):
    """Append-only: one row per opening or closing of a position."""

    __tablename__ = "trades"
    __table_args__ = (
        UniqueConstraint("position_id", "action"),
        CheckConstraint("action IN ('open', 'close')", name="action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    action: Mapped[str] = mapped_column(String(8))
    trade_date: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    price: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MarkRow(Base):
    __tablename__ = "marks"
    __table_args__ = (UniqueConstraint("position_id", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(16))  # quote | model | intrinsic | close
    price: Mapped[float] = mapped_column(Float)  # mid
    price_conservative: Mapped[float] = mapped_column(Float)  # spreads: short at ask, long at bid
    underlying_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    unrealized_pnl: Mapped[float] = mapped_column(Float)
    unrealized_pnl_conservative: Mapped[float] = mapped_column(Float)
    dte: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vol_used: Mapped[float | None] = mapped_column(Float, nullable=True)


class ExternalNavRow(Base):
    """A NAV set from outside (e.g. the administrator); the daily NAV carries the last one forward."""

    __tablename__ = "nav_external"
    __table_args__ = (UniqueConstraint("date"), CheckConstraint("nav > 0", name="nav_positive"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    nav: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DailyNavRow(Base):
    __tablename__ = "nav_daily"
    __table_args__ = (UniqueConstraint("date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    nav: Mapped[float] = mapped_column(Float)
    peak: Mapped[float] = mapped_column(Float)
    drawdown: Mapped[float] = mapped_column(Float)
    realized_pnl: Mapped[float] = mapped_column(Float)  # since base_date
    unrealized_pnl: Mapped[float] = mapped_column(Float)
    base_date: Mapped[dt.date] = mapped_column(Date)
    base_nav: Mapped[float] = mapped_column(Float)
    open_positions: Mapped[int] = mapped_column(Integer)
    realized_vol: Mapped[float | None] = mapped_column(Float, nullable=True)


class AlertRow(Base):
    """Stored before it is sent; `status` is pending until every target that wants it has it."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("dedup_key"),
        CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(255))
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|sent|failed|no_target
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # redacted
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AlertDeliveryRow(Base):
    """One alert to one target (named by a hash of its URL and a redacted label, never the URL)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "target_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    target_key: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)  # redacted label
    status: Mapped[str] = mapped_column(String(16))  # sending | sent | failed | uncertain | gave_up
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
