"""Market data: instruments, daily bars, Treasury yields, option quotes, and the ingest audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
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


class Instrument(Base):
    __tablename__ = "instruments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), unique=True)
    asset_class: Mapped[str] = mapped_column(String(16), default="equity")


class DailyBar(Base):
    """One end-of-day bar. `close` is the price as quoted by the source; `adj_close` the total-return close.

    A live provider stores raw (as-traded) prices with the day's `dividend` (cash per share, on its ex-date)
    and `split_ratio` (2.0 for 2-for-1), and `adj_close` is derived from them (domain.corporate_actions).
    Both are NULL for bars loaded from files, whose `adj_close` comes with the file.
    """

    __tablename__ = "daily_bars"
    __table_args__ = (
        CheckConstraint("low <= high", name="low_le_high"),
        CheckConstraint("close > 0", name="close_positive"),
    )

    symbol: Mapped[str] = mapped_column(String(32), ForeignKey("instruments.symbol"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    open: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    adj_close: Mapped[float] = mapped_column(Float)
    volume: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(64))
    dividend: Mapped[float | None] = mapped_column(Float, nullable=True)
    split_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)


class YieldObservation(Base):
    """A Treasury constant-maturity yield, in percent (4.20 means 4.20%)."""

    __tablename__ = "yields"
    __table_args__ = (UniqueConstraint("series", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(64))


class OptionQuote(Base):
    """An end-of-day option quote. `implied_vol` is a decimal (0.162 means 16.2%)."""

    __tablename__ = "option_quotes"
    __table_args__ = (
        UniqueConstraint(
            "underlying", "quote_date", "expiration", "strike", "option_type", name="uq_option_quotes_contract"
        ),
        CheckConstraint("bid <= ask", name="bid_le_ask"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    underlying: Mapped[str] = mapped_column(String(32), ForeignKey("instruments.symbol"))
    quote_date: Mapped[dt.date] = mapped_column(Date, index=True)
    quote_time: Mapped[str | None] = mapped_column(String(16), nullable=True)
    underlying_price: Mapped[float] = mapped_column(Float)
    option_type: Mapped[str] = mapped_column(String(4))
    expiration: Mapped[dt.date] = mapped_column(Date)
    strike: Mapped[float] = mapped_column(Float)
    bid: Mapped[float] = mapped_column(Float)
    ask: Mapped[float] = mapped_column(Float)
    implied_vol: Mapped[float] = mapped_column(Float)
    delta: Mapped[float] = mapped_column(Float)
    gamma: Mapped[float | None] = mapped_column(Float, nullable=True)
    theta: Mapped[float | None] = mapped_column(Float, nullable=True)
    vega: Mapped[float | None] = mapped_column(Float, nullable=True)
    volume: Mapped[float | None] = mapped_column(Float, nullable=True)
    open_interest: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(64))


class MarketRevision(Base):
    """A vendor changed a value it had published before: the old and new value and when it was seen."""

    __tablename__ = "market_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(96), index=True)  # e.g. "SPY 2024-07-01", "DGS10 2024-07-01"
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    new_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IngestLog(Base):
    """One attempt to load one file: accepted, rejected (nothing written) or partly quarantined."""

    __tablename__ = "ingest_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class QuarantinedRow(Base):
    """A row that broke a rule and was kept aside by `--quarantine` instead of being loaded."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("ingest_id", "row_number", "rule", name="uq_quarantine_ingest_row_rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingest_log.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    row_number: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)


class PipelineRun(Base):
    """The last outcome of a flow for one as_of date: lets a backfill resume where it stopped."""

    __tablename__ = "pipeline_runs"
    __table_args__ = (UniqueConstraint("flow", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
