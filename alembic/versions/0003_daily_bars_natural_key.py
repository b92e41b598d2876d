"""Daily bars are identified by (symbol, date): that pair becomes the primary key and the surrogate id goes.

A bar never needs an id of its own (nothing refers to one), and on a bulk load the id cost a sequence call,
an eight-byte column and a third index per row.

Revision ID: 0003_daily_bars_natural_key
Revises: 0002_portfolio
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_daily_bars_natural_key"
down_revision = "0002_portfolio"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("daily_bars") as batch:
        batch.drop_constraint("uq_daily_bars_symbol_date", type_="unique")
        batch.drop_constraint("pk_daily_bars", type_="primary")
        batch.drop_column("id")
        batch.create_primary_key("pk_daily_bars", ["symbol", "date"])


def downgrade() -> None:
    # ids are handed out afresh: the ones from before the upgrade are gone
    with op.batch_alter_table("daily_bars") as batch:
        batch.drop_constraint("pk_daily_bars", type_="primary")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE daily_bars ADD COLUMN id BIGSERIAL")
    else:
        op.add_column("daily_bars", sa.Column("id", sa.Integer(), nullable=True))
        op.execute("UPDATE daily_bars SET id = rowid")
    with op.batch_alter_table("daily_bars") as batch:
        batch.alter_column("id", existing_type=BIGINT_ID, nullable=False)
        batch.create_primary_key("pk_daily_bars", ["id"])
        batch.create_unique_constraint("uq_daily_bars_symbol_date", ["symbol", "date"])
