"""Operator re-arms of a strategy's book after its drawdown stop (``rearm: operator``): who needs to know
when and why trading resumed. ``after_day`` is the book day (close) the re-arm follows; loading that
day's book applies it, so re-running later days keeps it.

Revision ID: 0008_book_rearms
Revises: 0007_book_memory
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_book_rearms"
down_revision = "0007_book_memory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "book_rearms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("after_day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("drawdown", sa.Float(), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_book_rearms")),
        sa.UniqueConstraint("strategy", "after_day", "at", name=op.f("uq_book_rearms_strategy_after_day_at")),
    )
    op.create_index(op.f("ix_book_rearms_after_day"), "book_rearms", ["after_day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_book_rearms_after_day"), table_name="book_rearms")
    op.drop_table("book_rearms")
