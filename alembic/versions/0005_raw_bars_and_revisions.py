"""Raw bars with their corporate actions, and vendor revisions.

`daily_bars` gains the day's `dividend` and `split_ratio` (NULL for bars loaded from files): a live provider
stores raw prices and the adjusted close is derived from them. `market_revisions` keeps every past value a
vendor changed (old, new, when).

Revision ID: 0005_raw_bars_and_revisions
Revises: 0004_paper_books
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_raw_bars_and_revisions"
down_revision = "0004_paper_books"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("daily_bars") as batch:
        batch.add_column(sa.Column("dividend", sa.Float(), nullable=True))
        batch.add_column(sa.Column("split_ratio", sa.Float(), nullable=True))
    op.create_table(
        "market_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_revisions")),
    )
    op.create_index(op.f("ix_market_revisions_key"), "market_revisions", ["key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_market_revisions_key"), table_name="market_revisions")
    op.drop_table("market_revisions")
    with op.batch_alter_table("daily_bars") as batch:
        batch.drop_column("split_ratio")
        batch.drop_column("dividend")
