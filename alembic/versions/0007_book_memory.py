"""Book days keep the recent sessions the history rules read (trailing stop, correlation with the market,
drawdown autocorrelation): ``memory`` JSON, the windows of ``domain.book.guards.Guards``. NULL for books
stepped before, or without those rules.

Revision ID: 0007_book_memory
Revises: 0006_strategy_targets
Create Date: 2026-12-06
"""

import sqlalchemy as sa

from alembic import op

revision = "0007_book_memory"
down_revision = "0006_strategy_targets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("book_days") as batch:
        batch.add_column(sa.Column("memory", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("book_days") as batch:
        batch.drop_column("memory")
