"""Research results: trained models with their provenance, walk-forward runs, and daily strategy signals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base


class ModelRun(Base):
    """One retrain: everything needed to trace and re-make the model, and whether it was promoted."""

    __tablename__ = "model_runs"
    __table_args__ = (UniqueConstraint("strategy", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[dt.date] = mapped_column(Date)
    train_start: Mapped[dt.date] = mapped_column(Date)
    train_end: Mapped[dt.date] = mapped_column(Date)
    params: Mapped[str] = mapped_column(Text)
    data_fingerprint: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    gate_report: Mapped[str] = mapped_column(Text)
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WalkForwardRun(Base):
    __tablename__ = "walk_forward_runs"
    __table_args__ = (UniqueConstraint("strategy", "start", "end", "config_hash", name="uq_walk_forward_runs_strategy"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    config_hash: Mapped[str] = mapped_column(String(64))
    params: Mapped[str] = mapped_column(Text)
    data_fingerprint: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[str] = mapped_column(Text)
    benchmark_metrics: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WalkForwardFold(Base):
    __tablename__ = "walk_forward_folds"
    __table_args__ = (UniqueConstraint("run_id", "fold", name="uq_walk_forward_folds_run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("walk_forward_runs.id", ondelete="CASCADE"))
    fold: Mapped[int] = mapped_column(Integer)
    train_start: Mapped[dt.date] = mapped_column(Date)
    train_end: Mapped[dt.date] = mapped_column(Date)
    validation_start: Mapped[dt.date] = mapped_column(Date)
    validation_end: Mapped[dt.date] = mapped_column(Date)
    test_start: Mapped[dt.date] = mapped_column(Date)
    test_end: Mapped[dt.date] = mapped_column(Date)
    params: Mapped[str] = mapped_column(Text)
    metrics: Mapped[str] = mapped_column(Text)


class WalkForwardDay(Base):
    """The stitched out-of-sample series: exposure decided at the close of `date`, return earned that day."""

    __tablename__ = "walk_forward_days"
    __table_args__ = (UniqueConstraint("run_id", "date", name="uq_walk_forward_days_run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("walk_forward_runs.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    fold: Mapped[int] = mapped_column(Integer)
    exposure: Mapped[float] = mapped_column(Float)
    strategy_return: Mapped[float] = mapped_column(Float)
    benchmark_return: Mapped[float] = mapped_column(Float)


class Signal(Base):
    """A strategy's decision at the close of `as_of` with the promoted model: its Targets (``kind``; JSON
    ``weights``, ``leg_weights``, ``spreads``; ``details``). ``target_exposure`` is the net sum of the weights
    (for a single-asset strategy, its exposure)."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("strategy", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[dt.date] = mapped_column(Date)
    target_exposure: Mapped[float] = mapped_column(Float)
    forecast: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"), nullable=True)
    active_filters: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), server_default="exposure")
    weights: Mapped[str] = mapped_column(Text, server_default="{}")
    leg_weights: Mapped[str] = mapped_column(Text, server_default="{}")
    spreads: Mapped[str] = mapped_column(Text, server_default="[]")
