"""Research: model runs with provenance, walk-forward runs/folds/days, strategy signals.

Revision ID: 0002_research
Revises: 0001_market_data
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_research"
down_revision = "0001_market_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("train_start", sa.Date(), nullable=False),
        sa.Column("train_end", sa.Date(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("gate_report", sa.Text(), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("artifact_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_runs"),
        sa.UniqueConstraint("strategy", "as_of", name="uq_model_runs_strategy_as_of"),
    )
    op.create_table(
        "walk_forward_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("benchmark_metrics", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_walk_forward_runs"),
        sa.UniqueConstraint("strategy", "start", "end", "config_hash", name="uq_walk_forward_runs_strategy"),
    )
    op.create_table(
        "walk_forward_folds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("fold", sa.Integer(), nullable=False),
        sa.Column("train_start", sa.Date(), nullable=False),
        sa.Column("train_end", sa.Date(), nullable=False),
        sa.Column("validation_start", sa.Date(), nullable=False),
        sa.Column("validation_end", sa.Date(), nullable=False),
        sa.Column("test_start", sa.Date(), nullable=False),
        sa.Column("test_end", sa.Date(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_walk_forward_folds"),
        sa.UniqueConstraint("run_id", "fold", name="uq_walk_forward_folds_run_id"),
        sa.ForeignKeyConstraint(["run_id"], ["walk_forward_runs.id"], ondelete="CASCADE",
                                name="fk_walk_forward_folds_run_id_walk_forward_runs"),
    )
    op.create_table(
        "walk_forward_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("fold", sa.Integer(), nullable=False),
        sa.Column("exposure", sa.Float(), nullable=False),
        sa.Column("strategy_return", sa.Float(), nullable=False),
        sa.Column("benchmark_return", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_walk_forward_days"),
        sa.UniqueConstraint("run_id", "date", name="uq_walk_forward_days_run_id"),
        sa.ForeignKeyConstraint(["run_id"], ["walk_forward_runs.id"], ondelete="CASCADE",
                                name="fk_walk_forward_days_run_id_walk_forward_runs"),
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("target_exposure", sa.Float(), nullable=False),
        sa.Column("forecast", sa.Float(), nullable=True),
        sa.Column("model_run_id", sa.Integer(), nullable=True),
        sa.Column("active_filters", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signals"),
        sa.UniqueConstraint("strategy", "as_of", name="uq_signals_strategy_as_of"),
        sa.ForeignKeyConstraint(["model_run_id"], ["model_runs.id"], name="fk_signals_model_run_id_model_runs"),
    )


def downgrade() -> None:
    for table in ("signals", "walk_forward_days", "walk_forward_folds", "walk_forward_runs", "model_runs"):
        op.drop_table(table)
