"""Staged rollout (issue 18 item 6): every change of a strategy's stage (promote after checks, demote by an
operator) with its time, reason, checks and who made it. ``after_day`` is the last book day (close) when it
was made (NULL if the strategy had none): the change applies to the book days after it, so re-running an
earlier day keeps that day's stage. Book days store the capital share they were stepped at (``fraction``),
which the fund's NAV counts day by day.

Revision ID: 0009_strategy_stages
Revises: 0008_book_rearms
Create Date: 2026-12-06
"""

import sqlalchemy as sa

from alembic import op

revision = "0009_strategy_stages"
down_revision = "0008_book_rearms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategy_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("previous_stage", sa.String(16), nullable=False),
        sa.Column("previous_fraction", sa.Float(), nullable=False),
        sa.Column("after_day", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.CheckConstraint("stage IN ('paper', 'fraction', 'live')", name=op.f("ck_strategy_stages_stage")),
        sa.CheckConstraint("action IN ('promote', 'demote')", name=op.f("ck_strategy_stages_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_stages")),
    )
    op.create_index(op.f("ix_strategy_stages_strategy"), "strategy_stages", ["strategy"], unique=False)
    with op.batch_alter_table("book_days") as batch:
        batch.add_column(sa.Column("fraction", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("book_days") as batch:
        batch.drop_column("fraction")
    op.drop_index(op.f("ix_strategy_stages_strategy"), table_name="strategy_stages")
    op.drop_table("strategy_stages")
